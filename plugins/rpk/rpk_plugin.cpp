// Raw Public Key (Security Mode 1, RFC 7250) over DTLS 1.2 with ECDHE-ECDSA. Downstream, a
// sensor's key must be on the credential store's allow list, which also names the endpoint it
// may register as. Upstream, the server's key must be the one pinned in /0/x/4.
#include "client_priority.h"
#include "client_sessions.h"
#include "der_keys.h"
#include "dtls_policy.h"
#include "negotiated.h"
#include "pki_material.h"
#include "self_check.h"
#include "tls_session.h"

#include <lwm2m-gateway/security_mode_plugin.h>

#include <memory>

namespace {

using namespace lwm2mgw;

struct ClientSession {
    std::string pinnedKey;  // SubjectPublicKeyInfo DER from /0/x/4
    std::string serverUri;
};

// The peer's raw public key as canonical SubjectPublicKeyInfo DER, or nullopt with `error`.
std::optional<std::string> peerPublicKey(gnutls_session_t tls, std::string& error) {
    if (gnutls_certificate_type_get2(tls, GNUTLS_CTYPE_PEERS) != GNUTLS_CRT_RAWPK) {
        error = "the peer did not authenticate with a raw public key";
        return std::nullopt;
    }
    unsigned int count = 0;
    const gnutls_datum_t* peers = gnutls_certificate_get_peers(tls, &count);
    if (!peers || count == 0) {
        error = "the peer sent no public key";
        return std::nullopt;
    }
    std::optional<std::string> spki = dtls::subjectPublicKeyInfo(dtls::bytesOf(peers[0]), error);
    if (!spki) {
        error = "the peer's " + error;
        return std::nullopt;
    }
    dtls::Pubkey key = dtls::importPublicKey(*spki);
    if (auto bad = dtls::handshakeKeyViolation(key.get())) {
        error = "the peer's raw public key is not allowed: " + *bad;
        return std::nullopt;
    }
    return spki;
}

class RpkPlugin final : public SecurityModePlugin {
public:
    explicit RpkPlugin(PluginHost* host) : host_(host) {}

    std::string_view name() const override { return "rpk"; }
    SecurityMode mode() const override { return SecurityMode::RawPublicKey; }

    bool selfCheck(std::string& reason) override {
        std::string notes;
        if (!dtls::selfCheck(dtls::KeyFamily::EcdsaKey, reason, notes)) {
            return false;
        }
        host_->log(LogLevel::Info, "rpk: " + notes);
        return true;
    }

    coap_endpoint_t* openListener(coap_context_t* context, const coap_address_t& address,
                                  std::string& error) override {
        const std::optional<LocalCredential> own =
            host_->downstreamLocalCredential(SecurityMode::RawPublicKey);
        if (!own) {
            error = "no raw public key is configured for the gateway's own RPK listeners";
            return nullptr;
        }
        auto material = std::make_unique<dtls::PkiMaterial>();
        if (!dtls::loadRawPublicKey(*material, own->publicKeyOrCertificate, own->privateKey,
                                    error)) {
            error = "the gateway's RPK key pair is unusable: " + error;
            return nullptr;
        }
        coap_dtls_pki_t setup = dtls::pkiSetup(*material, &RpkPlugin::validatePeer, this);
        const bool set = coap_context_set_pki(context, &setup) != 0;
        materials_.adopt(context, std::move(material), set);
        if (!set) {
            error = "cannot enable raw public keys on the listener's CoAP context";
            return nullptr;
        }
        coap_endpoint_t* endpoint = coap_new_endpoint(context, &address, COAP_PROTO_DTLS);
        if (!endpoint) {
            error = "cannot listen for CoAP over DTLS (address in use or not local?)";
        }
        return endpoint;
    }

    bool admitPeer(coap_session_t* session, std::string& reason) override {
        gnutls_session_t tls = dtls::gnutlsSessionOf(session);
        if (!tls) {
            reason = "the session has no DTLS state";
            return false;
        }
        const dtls::Negotiated negotiated = dtls::readNegotiated(tls, dtls::Role::Server);
        if (auto bad = dtls::negotiationViolation(negotiated, dtls::KeyFamily::EcdsaKey)) {
            reason = *bad;
            return false;
        }
        const std::optional<std::string> key = peerPublicKey(tls, reason);
        if (!key) {
            return false;
        }
        const std::optional<std::string> endpoint = host_->findEndpointForRawPublicKey(*key);
        if (!endpoint) {
            reason = "raw public key " + dtls::fingerprint(*key) + " is not on the allow list";
            return false;
        }
        host_->log(LogLevel::Info, "rpk: admitted " + dtls::peerText(session) + " key " +
                                       dtls::fingerprint(*key) + " as '" +
                                       dtls::printable(*endpoint) + "' (" +
                                       dtls::describe(negotiated) + ")");
        return true;
    }

    std::optional<std::string> boundEndpoint(coap_session_t* session) override {
        gnutls_session_t tls = dtls::gnutlsSessionOf(session);
        std::string error;
        const std::optional<std::string> key = tls ? peerPublicKey(tls, error) : std::nullopt;
        const std::optional<std::string> endpoint =
            key ? host_->findEndpointForRawPublicKey(*key) : std::nullopt;
        return endpoint.value_or(std::string());  // "" matches no ep: the agent refuses
    }

    coap_session_t* openClientSession(coap_context_t* context, const coap_address_t& server,
                                      const SecurityInstance& security,
                                      std::string& error) override {
        if (security.mode != SecurityMode::RawPublicKey) {
            error = "the rpk plugin serves Security Mode 1 (Raw Public Key) only";
            return nullptr;
        }
        auto material = std::make_unique<dtls::PkiMaterial>();
        if (!dtls::loadRawPublicKey(*material, security.publicKeyOrIdentity, security.secretKey,
                                    error)) {
            error = security.serverUri + ": own key pair (/0/x/3, /0/x/5) unusable: " + error;
            return nullptr;
        }
        auto state = std::make_unique<ClientSession>();
        const std::optional<std::string> pinned =
            dtls::subjectPublicKeyInfo(security.serverPublicKey, error);
        if (!pinned) {
            error = security.serverUri + ": server public key (/0/x/4) unusable: " + error;
            return nullptr;
        }
        state->pinnedKey = *pinned;
        state->serverUri = security.serverUri;
        coap_dtls_pki_t setup = dtls::pkiSetup(*material, &RpkPlugin::validatePeer, this);
        coap_session_t* session =
            coap_new_client_session_pki(context, nullptr, &server, COAP_PROTO_DTLS, &setup);
        // The context keeps pointers into the setup until the next one replaces it.
        materials_.adopt(context, std::move(material), session != nullptr);
        if (!session) {
            error = "cannot start a DTLS session towards " + security.serverUri;
            host_->log(LogLevel::Warning, "rpk: " + error);
            return nullptr;
        }
        if (!dtls::restrictClientPriorities(session, dtls::KeyFamily::EcdsaKey, error)) {
            coap_session_release(session);
            return nullptr;
        }
        clients_.add(session, std::move(state));
        return session;
    }

private:
    // libcoap calls this during the handshake with the peer's key (SubjectPublicKeyInfo DER);
    // returning 0 aborts the handshake with an access_denied alert.
    static int validatePeer(const char*, const uint8_t*, size_t, coap_session_t* session,
                            unsigned int, int, void* arg) {
        auto* self = static_cast<RpkPlugin*>(arg);
        const bool client = coap_session_get_type(session) == COAP_SESSION_TYPE_CLIENT;
        std::string reason;
        const bool ok =
            client ? self->checkServer(session, reason) : self->checkSensor(session, reason);
        if (!ok) {
            self->host_->log(LogLevel::Warning, std::string("rpk: refused the handshake with ") +
                                                    (client ? "server " : "") +
                                                    dtls::peerText(session) + ": " + reason);
        }
        return ok ? 1 : 0;
    }

    bool checkSensor(coap_session_t* session, std::string& reason) {
        gnutls_session_t tls = dtls::gnutlsSessionOf(session);
        const std::optional<std::string> key =
            tls ? peerPublicKey(tls, reason) : std::optional<std::string>();
        if (!key) {
            return false;
        }
        if (!host_->findEndpointForRawPublicKey(*key)) {
            reason = "raw public key " + dtls::fingerprint(*key) + " is not on the allow list";
            return false;
        }
        return true;
    }

    bool checkServer(coap_session_t* session, std::string& reason) {
        const ClientSession* state = clients_.find(session);
        gnutls_session_t tls = dtls::gnutlsSessionOf(session);
        if (!state || !tls) {
            reason = "the session was not opened by this plugin";
            return false;
        }
        const std::optional<std::string> key = peerPublicKey(tls, reason);
        if (!key) {
            return false;
        }
        if (*key != state->pinnedKey) {
            reason = state->serverUri + " presented raw public key " + dtls::fingerprint(*key) +
                     ", not the one in /0/x/4 (" + dtls::fingerprint(state->pinnedKey) + ")";
            return false;
        }
        const dtls::Negotiated negotiated = dtls::readNegotiated(tls, dtls::Role::Client);
        if (auto bad = dtls::negotiationViolation(negotiated, dtls::KeyFamily::EcdsaKey, true)) {
            reason = *bad;
            return false;
        }
        host_->log(LogLevel::Info, "rpk: negotiating with " + state->serverUri + " (" +
                                       dtls::describe(negotiated) + ")");
        return true;
    }

    PluginHost* host_;
    dtls::ContextMaterials materials_;
    dtls::ClientSessions<ClientSession> clients_;
};

}  // namespace

LWM2MGW_DECLARE_SECURITY_MODE_PLUGIN(RpkPlugin)
