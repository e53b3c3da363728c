// Pre-Shared Key (Security Mode 0) over DTLS 1.2. Downstream, the sensor's PSK identity selects
// its key from the credential store and binds the session to that credential's endpoint name.
// Upstream, /0/x/3 is our identity and /0/x/5 our key.
#include "client_priority.h"
#include "client_sessions.h"
#include "der_keys.h"
#include "dtls_policy.h"
#include "negotiated.h"
#include "self_check.h"
#include "tls_session.h"

#include <lwm2m-gateway/security_mode_plugin.h>

#include <memory>

namespace {

using namespace lwm2mgw;

// What a client session needs during its handshake. libcoap copies identity and key out of the
// info we return, but only after the callback returns, so it lives here.
struct ClientSession {
    std::string identity;
    std::string key;
    coap_dtls_cpsk_info_t info{};
    std::string serverUri;
    ~ClientSession() { dtls::wipe(key); }
};

class PskPlugin final : public SecurityModePlugin {
public:
    explicit PskPlugin(PluginHost* host) : host_(host) {}
    ~PskPlugin() override { dtls::wipe(scratchKey_); }

    std::string_view name() const override { return "psk"; }
    SecurityMode mode() const override { return SecurityMode::PreSharedKey; }

    bool selfCheck(std::string& reason) override {
        std::string notes;
        if (!dtls::selfCheck(dtls::KeyFamily::PreSharedKey, reason, notes)) {
            return false;
        }
        host_->log(LogLevel::Info, "psk: " + notes);
        return true;
    }

    coap_endpoint_t* openListener(coap_context_t* context, const coap_address_t& address,
                                  std::string& error) override {
        coap_dtls_spsk_t setup{};
        setup.version = COAP_DTLS_SPSK_SETUP_VERSION;
        setup.validate_id_call_back = &PskPlugin::keyForIdentity;
        setup.id_call_back_arg = this;
        if (!coap_context_set_psk2(context, &setup)) {
            error = "cannot enable PSK on the listener's CoAP context";
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
        if (auto bad = dtls::negotiationViolation(negotiated, dtls::KeyFamily::PreSharedKey)) {
            reason = *bad;
            return false;
        }
        const std::optional<std::string> identity = identityOf(session);
        if (!identity) {
            reason = "the session carries no PSK identity";
            return false;
        }
        if (!host_->findPskByIdentity(*identity)) {
            reason = "PSK identity '" + dtls::printable(*identity) + "' is no longer provisioned";
            return false;
        }
        host_->log(LogLevel::Info, "psk: admitted " + dtls::peerText(session) + " identity '" +
                                       dtls::printable(*identity) + "' (" +
                                       dtls::describe(negotiated) + ")");
        return true;
    }

    std::optional<std::string> boundEndpoint(coap_session_t* session) override {
        const std::optional<std::string> identity = identityOf(session);
        if (!identity) {
            return std::string();  // binds to no registrable name: the agent refuses any ep
        }
        const std::optional<PskCredential> credential = host_->findPskByIdentity(*identity);
        return credential ? credential->endpoint : std::string();
    }

    coap_session_t* openClientSession(coap_context_t* context, const coap_address_t& server,
                                      const SecurityInstance& security,
                                      std::string& error) override {
        if (security.mode != SecurityMode::PreSharedKey) {
            error = "the psk plugin serves Security Mode 0 (Pre-Shared Key) only";
            return nullptr;
        }
        if (security.publicKeyOrIdentity.empty() || security.secretKey.empty()) {
            error = "the Security instance for " + security.serverUri +
                    " lacks a PSK identity (/0/x/3) or key (/0/x/5)";
            return nullptr;
        }
        auto state = std::make_unique<ClientSession>();
        state->identity = security.publicKeyOrIdentity;
        state->key = security.secretKey;
        state->info.identity = binOf(state->identity);
        state->info.key = binOf(state->key);
        state->serverUri = security.serverUri;

        coap_dtls_cpsk_t setup{};
        setup.version = COAP_DTLS_CPSK_SETUP_VERSION;
        setup.validate_ih_call_back = &PskPlugin::checkServerNegotiation;
        setup.ih_call_back_arg = this;
        setup.psk_info = state->info;
        coap_session_t* session =
            coap_new_client_session_psk2(context, nullptr, &server, COAP_PROTO_DTLS, &setup);
        if (!session) {
            error = "cannot start a DTLS session towards " + security.serverUri;
            host_->log(LogLevel::Warning, "psk: " + error);
            return nullptr;
        }
        if (!dtls::restrictClientPriorities(session, dtls::KeyFamily::PreSharedKey, error)) {
            coap_session_release(session);
            return nullptr;
        }
        clients_.add(session, std::move(state));
        return session;
    }

private:
    static coap_bin_const_t binOf(const std::string& bytes) {
        return coap_bin_const_t{bytes.size(), reinterpret_cast<const uint8_t*>(bytes.data())};
    }

    static std::optional<std::string> identityOf(coap_session_t* session) {
        const coap_bin_const_t* identity = coap_session_get_psk_identity(session);
        if (!identity || !identity->s) {
            return std::nullopt;
        }
        return std::string(reinterpret_cast<const char*>(identity->s), identity->length);
    }

    // Server role, during the handshake: the identity the sensor sent selects its key.
    static const coap_bin_const_t* keyForIdentity(coap_bin_const_t* identity,
                                                  coap_session_t* session, void* arg) {
        auto* self = static_cast<PskPlugin*>(arg);
        const std::string name(reinterpret_cast<const char*>(identity->s), identity->length);
        const std::optional<PskCredential> credential = self->host_->findPskByIdentity(name);
        if (!credential || credential->key.empty()) {
            self->host_->log(LogLevel::Warning,
                             "psk: refused handshake from " + dtls::peerText(session) +
                                 ": PSK identity '" + dtls::printable(name) + "' is " +
                                 (credential ? "provisioned with an empty key" : "unknown"));
            return nullptr;
        }
        // libcoap copies the key into the session before this is overwritten.
        dtls::wipe(self->scratchKey_);
        self->scratchKey_ = credential->key;
        self->scratch_ = binOf(self->scratchKey_);
        return &self->scratch_;
    }

    // Client role: GnuTLS asks for our identity once the server has chosen the suite and sent its
    // key exchange, so this is where a suite that breaks the rules aborts the handshake.
    static const coap_dtls_cpsk_info_t* checkServerNegotiation(coap_str_const_t*,
                                                               coap_session_t* session, void* arg) {
        auto* self = static_cast<PskPlugin*>(arg);
        ClientSession* state = self->clients_.find(session);
        if (!state) {
            self->host_->log(LogLevel::Warning,
                             "psk: handshake on a session this plugin did "
                             "not open; aborted");
            return nullptr;
        }
        gnutls_session_t tls = dtls::gnutlsSessionOf(session);
        if (!tls) {
            return nullptr;
        }
        const dtls::Negotiated negotiated = dtls::readNegotiated(tls, dtls::Role::Client);
        if (auto bad =
                dtls::negotiationViolation(negotiated, dtls::KeyFamily::PreSharedKey, true)) {
            self->host_->log(LogLevel::Warning,
                             "psk: aborted the handshake with " + state->serverUri + ": " + *bad);
            return nullptr;
        }
        self->host_->log(LogLevel::Info, "psk: negotiating with " + state->serverUri + " (" +
                                             dtls::describe(negotiated) + ")");
        return &state->info;
    }

    PluginHost* host_;
    std::string scratchKey_;
    coap_bin_const_t scratch_{};
    dtls::ClientSessions<ClientSession> clients_;
};

}  // namespace

LWM2MGW_DECLARE_SECURITY_MODE_PLUGIN(PskPlugin)
