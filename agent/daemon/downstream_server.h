#pragma once

#include "coap_event_loop.h"
#include "gateway_config.h"

#include <lwm2m-gateway/security_mode_plugin.h>

#include <QObject>
#include <QStringList>

namespace lwm2mgw {

class RegistrationRegistry;
class RequestRelay;

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

    // libcoap callbacks, routed here through the context's app data.
    void handleRequest(coap_resource_t* resource, coap_session_t* session,
                       const coap_pdu_t* request, const coap_string_t* query, coap_pdu_t* response);
    void handleEvent(coap_session_t* session, coap_event_t event);

private:
    bool admit(coap_session_t* session);
    // Sends close_notify and drops the DTLS state, once libcoap is out of its callback.
    void closeLater(coap_session_t* session);

    SecurityModePlugin& plugin_;
    RegistrationRegistry& registry_;
    RequestRelay& relay_;
    const GatewayConfig& config_;
    CoapEventLoop* loop_ = nullptr;
    QStringList listeners_;
};

}  // namespace lwm2mgw
