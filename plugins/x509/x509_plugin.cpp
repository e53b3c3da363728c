// X.509 Certificate (Security Mode 2) over DTLS 1.2 with ECDHE-ECDSA. Downstream, a sensor's
// chain must lead to one of the credential store's trust anchors, and its Subject CN is the
// endpoint name it may register as. Upstream, the server's chain must lead to /0/x/4 (or, when
// that is empty, to the host's trust anchors) and name the host of the server URI.
#include "client_priority.h"
#include "client_sessions.h"
#include "coaps_host.h"
#include "der_keys.h"
#include "dtls_policy.h"
#include "negotiated.h"
#include "pki_material.h"
#include "self_check.h"
#include "tls_session.h"
#include "x509_chain.h"

#include <lwm2m-gateway/security_mode_plugin.h>

#include <arpa/inet.h>

#include <ctime>
#include <memory>
#include <set>
#include <string>

namespace {

using namespace lwm2mgw;

struct ClientSession {
    std::vector<std::string> trust;  // DER certificates the server's chain must lead to
    std::string host;
    std::string serverUri;
};

// What the handshake callback verified for a sensor, so that admitPeer, right after, does not
// verify the same chain against the same anchors again (one ECDSA verification per certificate,
// about a sixth of the gateway's CPU per X.509 handshake).
struct VerifiedSensor {
    std::vector<std::string> chainDer;  // as the peer sent it
    std::vector<std::string> anchorsDer;
    std::time_t validFrom = 0;
    std::time_t validUntil = 0;
    std::string commonName;
};

std::vector<std::string> peerChainDer(gnutls_session_t tls) {
    unsigned int count = 0;
    const gnutls_datum_t* chain = gnutls_certificate_get_peers(tls, &count);
    std::vector<std::string> out;
    for (unsigned int i = 0; chain && i < count; ++i) {
        out.emplace_back(dtls::bytesOf(chain[i]));
    }
    return out;
}

bool isIpLiteral(const std::string& host) {
    unsigned char address[16];
    return inet_pton(AF_INET, host.c_str(), address) == 1 ||
           inet_pton(AF_INET6, host.c_str(), address) == 1;
}

dtls::ChainResult checkSessionChain(gnutls_session_t tls, dtls::ChainRequirements requirements) {
    if (gnutls_certificate_type_get2(tls, GNUTLS_CTYPE_PEERS) != GNUTLS_CRT_X509) {
        return {"the peer did not authenticate with an X.509 certificate", {}};
    }
    unsigned int count = 0;
    const gnutls_datum_t* chain = gnutls_certificate_get_peers(tls, &count);
    return dtls::checkPeerChain(chain, count, requirements);
}

class X509Plugin final : public SecurityModePlugin {
public:
    explicit X509Plugin(PluginHost* host) : host_(host) {}

    std::string_view name() const override { return "x509"; }
    SecurityMode mode() const override { return SecurityMode::Certificate; }

    bool selfCheck(std::string& reason) override {
        std::string notes;
        if (!dtls::selfCheck(dtls::KeyFamily::EcdsaKey, reason, notes)) {
            return false;
        }
        host_->log(LogLevel::Info, "x509: " + notes);
        return true;
    }

    coap_endpoint_t* openListener(coap_context_t* context, const coap_address_t& address,
                                  std::string& error) override {
        listenerCredential_ = host_->downstreamLocalCredential(SecurityMode::Certificate);
        if (!setUpListeners(context, error)) {
            return nullptr;
        }
        listenerContexts_.insert(context);
        coap_endpoint_t* endpoint = coap_new_endpoint(context, &address, COAP_PROTO_DTLS);
        if (!endpoint) {
            error = "cannot listen for CoAP over DTLS (address in use or not local?)";
        }
        return endpoint;
    }

    // libcoap copies the PKI set-up of its context into each new session, so setting it again
    // gives the next handshake the store's current anchors and leaves sessions that are up alone.
    bool refreshListeners(coap_context_t* context, std::string& error) override {
        if (!listenerContexts_.contains(context)) {
            return true;
        }
        if (!setUpListeners(context, error)) {
            return false;
        }
        host_->log(LogLevel::Info, "x509: listeners now verify sensors against " +
                                       std::to_string(host_->downstreamTrustAnchors().size()) +
                                       " trust anchor(s) from the store");
        return true;
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
        // Anchors are read again: one removed since the handshake no longer admits its sensors.
        std::vector<std::string> anchors = host_->downstreamTrustAnchors();
        std::string commonName;
        const std::unique_ptr<VerifiedSensor> handshake = verified_.take(session);
        const std::time_t now = std::time(nullptr);
        if (handshake && handshake->anchorsDer == anchors && now >= handshake->validFrom &&
            now <= handshake->validUntil && handshake->chainDer == peerChainDer(tls)) {
            // The check is a function of chain, anchors and time: the same verdict as then.
            commonName = handshake->commonName;
        } else {
            const dtls::ChainResult chain =
                checkSessionChain(tls, {std::move(anchors), std::nullopt, 0});
            if (chain.violation) {
                reason = *chain.violation;
                return false;
            }
            commonName = chain.leafCommonName;
        }
        host_->log(LogLevel::Info, "x509: admitted " + dtls::peerText(session) + " CN '" +
                                       dtls::printable(commonName) + "' (" +
                                       dtls::describe(negotiated) + ")");
        return true;
    }

    // The Subject CN, read from the DER leaf (not libcoap's `cn`, which is the first SAN).
    std::optional<std::string> boundEndpoint(coap_session_t* session) override {
        gnutls_session_t tls = dtls::gnutlsSessionOf(session);
        unsigned int count = 0;
        const gnutls_datum_t* chain = tls ? gnutls_certificate_get_peers(tls, &count) : nullptr;
        if (!chain || count == 0 ||
            gnutls_certificate_type_get2(tls, GNUTLS_CTYPE_PEERS) != GNUTLS_CRT_X509) {
            return std::string();  // "" matches no ep: the agent refuses
        }
        dtls::Crt leaf = dtls::importCertificate(dtls::bytesOf(chain[0]));
        std::string error;
        const std::optional<std::string> cn =
            leaf ? dtls::subjectCommonName(leaf.get(), error) : std::nullopt;
        return cn.value_or(std::string());
    }

    coap_session_t* openClientSession(coap_context_t* context, const coap_address_t& server,
                                      const SecurityInstance& security,
                                      std::string& error) override {
        if (security.mode != SecurityMode::Certificate) {
            error = "the x509 plugin serves Security Mode 2 (Certificate) only";
            return nullptr;
        }
        auto state = std::make_unique<ClientSession>();
        const std::optional<std::string> host = dtls::hostOfServerUri(security.serverUri);
        if (!host) {
            error = "cannot read a host from the server URI '" +
                    dtls::printable(security.serverUri, 200) + "'";
            return nullptr;
        }
        state->host = *host;
        state->serverUri = security.serverUri;
        state->trust = security.serverPublicKey.empty()
                           ? host_->downstreamTrustAnchors()
                           : std::vector<std::string>{security.serverPublicKey};
        auto material = std::make_unique<dtls::PkiMaterial>();
        if (!isIpLiteral(*host)) {
            material->sni = *host;
        }
        if (!dtls::loadCertificate(*material, security.publicKeyOrIdentity, {}, security.secretKey,
                                   state->trust, error)) {
            error = security.serverUri + ": " + error +
                    " (own certificate /0/x/3, key /0/x/5, server certificate or CA /0/x/4)";
            return nullptr;
        }
        coap_dtls_pki_t setup = dtls::pkiSetup(*material, &X509Plugin::validatePeer, this);
        coap_session_t* session =
            coap_new_client_session_pki(context, nullptr, &server, COAP_PROTO_DTLS, &setup);
        materials_.adopt(context, std::move(material), session != nullptr);
        if (!session) {
            error = "cannot start a DTLS session towards " + security.serverUri;
            host_->log(LogLevel::Warning, "x509: " + error);
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
    // The gateway's own certificate (as read at openListener: a new one needs a restart) and
    // the store's current trust anchors, into `context`'s set-up.
    bool setUpListeners(coap_context_t* context, std::string& error) {
        const std::optional<LocalCredential>& own = listenerCredential_;
        if (!own) {
            error = "no certificate is configured for the gateway's own X.509 listeners";
            return false;
        }
        auto material = std::make_unique<dtls::PkiMaterial>();
        if (!dtls::loadCertificate(*material, own->publicKeyOrCertificate, own->chain,
                                   own->privateKey, host_->downstreamTrustAnchors(), error)) {
            error = "the gateway's X.509 listener credentials are unusable: " + error;
            return false;
        }
        coap_dtls_pki_t setup = dtls::pkiSetup(*material, &X509Plugin::validatePeer, this);
        const bool set = coap_context_set_pki(context, &setup) != 0;
        materials_.adopt(context, std::move(material), set);
        if (!set) {
            error = "cannot enable X.509 certificates on the listener's CoAP context";
        }
        return set;
    }

    // libcoap calls this once its own chain checks passed; returning 0 aborts the handshake
    // with an access_denied alert.
    static int validatePeer(const char*, const uint8_t*, size_t, coap_session_t* session,
                            unsigned int, int, void* arg) {
        auto* self = static_cast<X509Plugin*>(arg);
        const bool client = coap_session_get_type(session) == COAP_SESSION_TYPE_CLIENT;
        std::string reason;
        const bool ok =
            client ? self->checkServer(session, reason) : self->checkSensor(session, reason);
        if (!ok) {
            self->host_->log(LogLevel::Warning, std::string("x509: refused the handshake with ") +
                                                    (client ? "server " : "") +
                                                    dtls::peerText(session) + ": " + reason);
        }
        return ok ? 1 : 0;
    }

    bool checkSensor(coap_session_t* session, std::string& reason) {
        gnutls_session_t tls = dtls::gnutlsSessionOf(session);
        if (!tls) {
            reason = "the session has no DTLS state";
            return false;
        }
        auto verified = std::make_unique<VerifiedSensor>();
        verified->anchorsDer = host_->downstreamTrustAnchors();
        const dtls::ChainResult chain =
            checkSessionChain(tls, {verified->anchorsDer, std::nullopt, 0});
        if (chain.violation) {
            reason = *chain.violation;
            return false;
        }
        verified->chainDer = peerChainDer(tls);
        verified->validFrom = chain.validFrom;
        verified->validUntil = chain.validUntil;
        verified->commonName = chain.leafCommonName;
        verified_.add(session, std::move(verified));
        return true;
    }

    bool checkServer(coap_session_t* session, std::string& reason) {
        const ClientSession* state = clients_.find(session);
        gnutls_session_t tls = dtls::gnutlsSessionOf(session);
        if (!state || !tls) {
            reason = "the session was not opened by this plugin";
            return false;
        }
        const dtls::ChainResult chain = checkSessionChain(tls, {state->trust, state->host, 0});
        if (chain.violation) {
            reason = state->serverUri + ": " + *chain.violation;
            return false;
        }
        const dtls::Negotiated negotiated = dtls::readNegotiated(tls, dtls::Role::Client);
        if (auto bad = dtls::negotiationViolation(negotiated, dtls::KeyFamily::EcdsaKey, true)) {
            reason = state->serverUri + ": " + *bad;
            return false;
        }
        host_->log(LogLevel::Info, "x509: negotiating with " + state->serverUri + " (" +
                                       dtls::describe(negotiated) + ")");
        return true;
    }

    PluginHost* host_;
    dtls::ContextMaterials materials_;
    std::set<coap_context_t*> listenerContexts_;  // compared, never dereferenced
    std::optional<LocalCredential> listenerCredential_;
    dtls::ClientSessions<ClientSession> clients_;
    dtls::ClientSessions<VerifiedSensor> verified_;  // sensors between handshake and admission
};

}  // namespace

LWM2MGW_DECLARE_SECURITY_MODE_PLUGIN(X509Plugin)
