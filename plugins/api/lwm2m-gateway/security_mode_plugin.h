// lwm2m-gateway security-mode plugin SDK.
//
// A security-mode plugin is a shared object in the gateway's plugin directory. It implements one
// LwM2M Security Mode (Security Object resource /0/x/2) in both roles:
//  - server: it opens downstream listeners that sensors connect to, admits or refuses each peer
//    once its transport session is up, and says which endpoint name the peer's credentials are
//    bound to;
//  - client: it opens upstream sessions to LwM2M servers from a Security Object instance.
// The agent never applies a mode's rules itself; everything it knows about a peer comes from here.
//
// A plugin exports, with LWM2MGW_DECLARE_SECURITY_MODE_PLUGIN(ClassName):
//   lwm2mgw_plugin_api_version()  -> the API version it was built against
//   lwm2mgw_plugin_create(host)   -> a new instance, owned by the agent
// The agent refuses a plugin whose major version differs from its own, or whose minor version is
// newer than its own, and says so in its log.
//
// Plugins run on the agent's single event-loop thread; no call here may block.
#pragma once

#include <coap3/coap.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#define LWM2MGW_PLUGIN_API_MAJOR 1
#define LWM2MGW_PLUGIN_API_MINOR 2

namespace lwm2mgw {

// Values are those of Security Object resource /0/x/2.
enum class SecurityMode : std::int32_t {
    PreSharedKey = 0,
    RawPublicKey = 1,
    Certificate = 2,
    NoSec = 3,
};

// The Security Object (/0) resources a client session is set up from. Byte strings are raw bytes.
struct SecurityInstance {
    std::string serverUri;                    // /0/x/0, e.g. coaps://lwm2m.example.net:5684
    SecurityMode mode = SecurityMode::NoSec;  // /0/x/2
    std::string publicKeyOrIdentity;          // /0/x/3
    std::string serverPublicKey;              // /0/x/4
    std::string secretKey;                    // /0/x/5: never log it
};

enum class LogLevel : std::int32_t { Debug, Info, Warning, Critical };

// A downstream pre-shared key and the one endpoint name its identity may register as.
struct PskCredential {
    std::string endpoint;
    std::string key;  // raw bytes: never log it
};

// The gateway's own key pair for the downstream listeners of a public-key mode. Byte strings are
// DER. Raw Public Key: `publicKeyOrCertificate` is the SubjectPublicKeyInfo; X.509: the gateway's
// certificate, optionally followed in `chain` by intermediates up to (not including) the root.
struct LocalCredential {
    std::string publicKeyOrCertificate;
    std::vector<std::string> chain;
    std::string privateKey;  // PKCS#8 or SEC1 (RFC 5915): never log it
};

// Services the agent offers a plugin: logging, and the downstream credentials of the credential
// store (plugins never open the store themselves). Outlives every plugin instance. Lookups are
// fast local reads; they may be called from inside libcoap callbacks.
class PluginHost {
public:
    // Never pass key material here.
    virtual void log(LogLevel level, std::string_view message) = 0;

    virtual std::optional<PskCredential> findPskByIdentity(std::string_view identity) = 0;
    // The endpoint a sensor's raw public key (SubjectPublicKeyInfo, DER) is allowed to register as.
    virtual std::optional<std::string> findEndpointForRawPublicKey(
        std::string_view subjectPublicKeyInfoDer) = 0;
    // DER certificates of the trust anchors for downstream X.509 peers.
    virtual std::vector<std::string> downstreamTrustAnchors() = 0;
    // Since API 1.1. The gateway's own credential for downstream listeners of `mode`
    // (RawPublicKey, Certificate); nullopt when none is configured, so no listener can open.
    virtual std::optional<LocalCredential> downstreamLocalCredential(SecurityMode mode) {
        (void)mode;
        return std::nullopt;
    }

protected:
    ~PluginHost() = default;
};

class SecurityModePlugin {
public:
    virtual ~SecurityModePlugin() = default;

    // Short lower-case name used in configuration and logs, e.g. "nosec", "psk".
    virtual std::string_view name() const = 0;
    virtual SecurityMode mode() const = 0;

    // Run once after loading. A plugin that cannot work here (missing library support, broken
    // configuration) returns false with a reason an operator understands; it is then unloaded.
    virtual bool selfCheck(std::string& reason) = 0;

    // Server role. Opens a listener on `address` in `context`. Returns nullptr and sets `error`
    // when that is impossible.
    virtual coap_endpoint_t* openListener(coap_context_t* context, const coap_address_t& address,
                                          std::string& error) = 0;

    // Server role. Called once a downstream session can carry requests (after the handshake,
    // where the mode has one) and before any request on it is processed. Returning false
    // closes the session; `reason` goes to the log and the refusal counters.
    virtual bool admitPeer(coap_session_t* session, std::string& reason) = 0;

    // Server role. The endpoint name the peer's credentials are bound to, or nullopt when the
    // mode binds none (NoSec). A Register whose ep differs from it is refused with 4.03.
    virtual std::optional<std::string> boundEndpoint(coap_session_t* session) = 0;

    // Client role. Opens a session to `server` (already resolved from security.serverUri) in
    // `context`, with its own local port. Returns nullptr and sets `error` on failure.
    virtual coap_session_t* openClientSession(coap_context_t* context, const coap_address_t& server,
                                              const SecurityInstance& security,
                                              std::string& error) = 0;

    // Server role, since API 1.2 (the agent calls it only on plugins built against 1.2 or later).
    // The store's downstream credentials changed while `context`'s listeners were open. A plugin
    // that copied any of them into the context's set-up in openListener (X.509 trust anchors, in
    // libcoap's PKI set-up) copies them again here, so the next handshake sees the change;
    // sessions already up are left alone. On failure it returns false with `error` set and keeps
    // the previous set-up.
    virtual bool refreshListeners(coap_context_t* context, std::string& error) {
        (void)context;
        (void)error;
        return true;
    }
};

struct PluginApiVersion {
    std::int32_t major;
    std::int32_t minor;
};

}  // namespace lwm2mgw

extern "C" {
using lwm2mgw_plugin_api_version_fn = lwm2mgw::PluginApiVersion (*)();
using lwm2mgw_plugin_create_fn = lwm2mgw::SecurityModePlugin* (*)(lwm2mgw::PluginHost* host);
}

#define LWM2MGW_DECLARE_SECURITY_MODE_PLUGIN(ClassName)                            \
    extern "C" __attribute__((visibility("default"))) lwm2mgw::PluginApiVersion    \
    lwm2mgw_plugin_api_version() {                                                 \
        return {LWM2MGW_PLUGIN_API_MAJOR, LWM2MGW_PLUGIN_API_MINOR};               \
    }                                                                              \
    extern "C" __attribute__((visibility("default"))) lwm2mgw::SecurityModePlugin* \
    lwm2mgw_plugin_create(lwm2mgw::PluginHost* host) {                             \
        return new ClassName(host);                                                \
    }
