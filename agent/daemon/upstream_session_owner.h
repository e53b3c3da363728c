#pragma once

#include <coap3/coap.h>

namespace lwm2mgw {

// Whoever holds a session UpstreamClient opened and gets its traffic: an UpstreamRegistration
// (Register / Update at a server) or the BootstrapClient (Bootstrap-Request at a bootstrap
// server). libcoap's per-session app data points at this interface, never at a concrete class,
// so both kinds of owner share the client's contexts.
class UpstreamSessionOwner {
public:
    // A request the server sent on the session.
    virtual void serveRequest(coap_resource_t* resource, coap_session_t* session,
                              const coap_pdu_t* request, const coap_string_t* query,
                              coap_pdu_t* response) = 0;
    virtual coap_response_t handleResponse(const coap_pdu_t* sent, const coap_pdu_t* received) = 0;
    virtual void handleNack(const coap_pdu_t* sent, coap_nack_reason_t reason) = 0;

    // Stored as the interface pointer: a static_cast back from void* is only valid for the
    // exact type that was stored.
    static void attach(coap_session_t* session, UpstreamSessionOwner* owner) {
        coap_session_set_app_data(session, owner);
    }
    static UpstreamSessionOwner* of(coap_session_t* session) {
        return static_cast<UpstreamSessionOwner*>(coap_session_get_app_data(session));
    }

protected:
    ~UpstreamSessionOwner() = default;
};

}  // namespace lwm2mgw
