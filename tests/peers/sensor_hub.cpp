#include "sensor_hub.h"

#include "coap_pdu_util.h"
#include "test_sensor.h"

namespace lwm2mgw::peers {

namespace {

// Keeps the depth counter right even if a handler returns early.
class CallbackScope {
public:
    explicit CallbackScope(int& depth) : depth_(depth) { ++depth_; }
    ~CallbackScope() { --depth_; }
    CallbackScope(const CallbackScope&) = delete;
    CallbackScope& operator=(const CallbackScope&) = delete;

private:
    int& depth_;
};

bool isRequest(const coap_pdu_t* pdu) {
    const int code = static_cast<int>(coap_pdu_get_code(pdu));
    return code >= 1 && code <= 31;
}

}  // namespace

SensorHub* SensorHub::forLoop(CoapEventLoop* loop) {
    if (auto* existing = loop->findChild<SensorHub*>(QString(), Qt::FindDirectChildrenOnly)) {
        return existing;
    }
    return new SensorHub(loop);
}

SensorHub::SensorHub(CoapEventLoop* loop) : QObject(loop), loop_(loop), exchanges_(this) {
    coap_context_t* ctx = loop->context();
    coap_set_app_data(ctx, this);
    coap_context_set_block_mode(ctx, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
    coap_register_response_handler(ctx, &SensorHub::onResponse);
    coap_register_nack_handler(ctx, &SensorHub::onNack);
    coap_resource_t* resource = coap_resource_unknown_init2(&SensorHub::onRequest, 0);
    for (const coap_request_t method :
         {COAP_REQUEST_GET, COAP_REQUEST_POST, COAP_REQUEST_DELETE, COAP_REQUEST_FETCH,
          COAP_REQUEST_PATCH, COAP_REQUEST_IPATCH}) {
        coap_register_request_handler(resource, method, &SensorHub::onRequest);
    }
    coap_add_resource(ctx, resource);
}

SensorHub::~SensorHub() {
    // The loop frees the context before its children go, so only touch it while it lives.
    if (CoapEventLoop* loop = loop_.data()) {
        coap_set_app_data(loop->context(), nullptr);
    }
}

coap_context_t* SensorHub::context() const {
    CoapEventLoop* loop = loop_.data();
    return loop != nullptr ? loop->context() : nullptr;
}

void SensorHub::afterSend() {
    CoapEventLoop* loop = loop_.data();
    if (callbackDepth_ == 0 && loop != nullptr) {
        loop->rearm();
    }
}

SensorHub* SensorHub::fromSession(const coap_session_t* session) {
    return static_cast<SensorHub*>(coap_get_app_data(coap_session_get_context(session)));
}

void SensorHub::onRequest(coap_resource_t* resource, coap_session_t* session,
                          const coap_pdu_t* request, const coap_string_t* query,
                          coap_pdu_t* response) {
    SensorHub* hub = fromSession(session);
    auto* sensor = static_cast<TestSensor*>(coap_session_get_app_data(session));
    if (hub == nullptr || sensor == nullptr) {
        coap_pdu_set_code(response, COAP_RESPONSE_CODE_NOT_FOUND);
        return;
    }
    CallbackScope scope(hub->callbackDepth_);
    sensor->handleRequest(resource, session, request, query, response);
}

coap_response_t SensorHub::onResponse(coap_session_t* session, const coap_pdu_t* /*sent*/,
                                      const coap_pdu_t* received, coap_mid_t /*mid*/) {
    SensorHub* hub = fromSession(session);
    if (hub != nullptr) {
        CallbackScope scope(hub->callbackDepth_);
        if (hub->exchanges_.deliver(session, received)) {
            return COAP_RESPONSE_OK;
        }
    }
    // A late piggy-backed answer is harmless; anything else unexpected gets RST (RFC 7252 4.2).
    return coap_pdu_get_type(received) == COAP_MESSAGE_ACK ? COAP_RESPONSE_OK : COAP_RESPONSE_FAIL;
}

void SensorHub::onNack(coap_session_t* session, const coap_pdu_t* sent, coap_nack_reason_t reason,
                       coap_mid_t /*mid*/) {
    SensorHub* hub = fromSession(session);
    if (hub == nullptr || sent == nullptr) {
        return;
    }
    CallbackScope scope(hub->callbackDepth_);
    if (isRequest(sent)) {
        hub->exchanges_.fail(session, pduToken(sent), reason);
    } else if (auto* sensor = static_cast<TestSensor*>(coap_session_get_app_data(session))) {
        sensor->handleNotificationFailure(pduToken(sent), reason);
    }
}

}  // namespace lwm2mgw::peers
