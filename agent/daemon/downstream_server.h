#pragma once

#include "coap_event_loop.h"
#include "gateway_config.h"

#include <lwm2m-gateway/security_mode_plugin.h>

#include <QObject>
#include <QStringList>

namespace lwm2mgw {

class RegistrationRegistry;
class RequestRelay;

// What became of the sessions sensors opened on one DownstreamServer (one security mode), since
// the daemon started, by where they were stopped. For operators (D-Bus), not for decisions.
struct DownstreamSessionCounters {
    // The plugin's admitPeer accepted the session (NoSec: every session that sent a request).
    quint64 admitted = 0;
    // admitPeer refused it after the handshake: DTLS version, suite, MAC, group or key size
    // against the LwM2M rules, or a credential withdrawn since the handshake.
    quint64 refusedByPolicy = 0;
    // DTLS sessions that ended before admission: mostly handshakes refused for an untrusted peer
    // (unknown PSK identity or wrong key, key not on the allow list, unknown CA, bad chain) or no
    // shared suite; also a peer that left after its handshake without sending a request.
    quint64 closedBeforeAdmission = 0;
    // A Register, Update or De-register naming another endpoint than the credentials: 4.03,
    // and the session closed.
    quint64 refusedEndpointMismatch = 0;
};

// One libcoap context serving sensors through one security-mode plugin's listeners. Every
// session is admitted by the plugin before any of its requests is processed; requests are
// routed to the registration interface (/rd), Send (/dp) or refused.
class DownstreamServer : public QObject {
    Q_OBJECT
public:
    DownstreamServer(SecurityModePlugin& plugin, RegistrationRegistry& registry,
                     RequestRelay& relay, const GatewayConfig& config, QObject* parent = nullptr);
    ~DownstreamServer() override;

    bool isValid() const { return loop_ != nullptr; }
    // Returns an error message, empty on success.
    QString listen(const QString& uri);
    const QStringList& listeners() const { return listeners_; }
    SecurityModePlugin& plugin() const { return plugin_; }
    RequestRelay& relay() const { return relay_; }
    CoapEventLoop* loop() const { return loop_; }
    const DownstreamSessionCounters& counters() const { return counters_; }

    // libcoap callbacks, routed here through the context's app data.
    void handleRequest(coap_resource_t* resource, coap_session_t* session,
                       const coap_pdu_t* request, const coap_string_t* query, coap_pdu_t* response);
    void handleEvent(coap_session_t* session, coap_event_t event);

    // Sends close_notify and drops the DTLS state, once libcoap is out of its callback.
    void closeLater(coap_session_t* session);
    // Has the plugin admit `session` before its first request, and again before the first one
    // after credentialsChanged(). False (and why) when it is refused.
    bool admit(coap_session_t* session, QString* why = nullptr);
    // The store's downstream credentials changed: every session is admitted again.
    void credentialsChanged() { ++credentialGeneration_; }

private:
    SecurityModePlugin& plugin_;
    RegistrationRegistry& registry_;
    RequestRelay& relay_;
    const GatewayConfig& config_;
    CoapEventLoop* loop_ = nullptr;
    QStringList listeners_;
    DownstreamSessionCounters counters_;
    quint64 credentialGeneration_ = 0;
};

}  // namespace lwm2mgw
