#pragma once

#include "coap_event_loop.h"
#include "coap_exchanges.h"

#include <coap3/coap.h>

#include <QObject>
#include <QPointer>

namespace lwm2mgw::peers {

// What every TestSensor on one CoapEventLoop shares: the libcoap handlers of the context (one
// unknown-resource handler for all methods, the response and NACK handlers), which route by
// session to the sensor that owns it, and one table of outstanding requests.
class SensorHub : public QObject {
    Q_OBJECT
public:
    // The hub of this loop, created (as a child of the loop) on first use.
    static SensorHub* forLoop(CoapEventLoop* loop);
    ~SensorHub() override;

    coap_context_t* context() const;
    ExchangeTable& exchanges() { return exchanges_; }
    // Call after coap_send(): re-arms the loop unless libcoap is already on the stack, where
    // the loop re-arms by itself once the callback returns.
    void afterSend();

private:
    explicit SensorHub(CoapEventLoop* loop);

    static SensorHub* fromSession(const coap_session_t* session);
    static void onRequest(coap_resource_t* resource, coap_session_t* session,
                          const coap_pdu_t* request, const coap_string_t* query,
                          coap_pdu_t* response);
    static coap_response_t onResponse(coap_session_t* session, const coap_pdu_t* sent,
                                      const coap_pdu_t* received, coap_mid_t mid);
    static void onNack(coap_session_t* session, const coap_pdu_t* sent, coap_nack_reason_t reason,
                       coap_mid_t mid);

    QPointer<CoapEventLoop> loop_;
    ExchangeTable exchanges_;
    int callbackDepth_ = 0;
};

}  // namespace lwm2mgw::peers
