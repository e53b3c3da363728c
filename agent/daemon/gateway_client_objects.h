#pragma once

#include "upstream_registration.h"

#include <QString>

#include <functional>

namespace lwm2mgw {

// The gateway's own LwM2M client objects, served on its own upstream registrations so a server
// can tell the gateway apart from the sensors behind it: the Device object (/3/0) and, at each
// server, that server's Server object instance (/1/x: Short Server ID, Lifetime, Notification
// Storing, Binding; Execute of 8 Registration Update Trigger and 9 Bootstrap-Request Trigger).
// Read-only otherwise: Write and Create get 4.05.
class GatewayClientObjects final : public UpstreamRequestSink {
public:
    // `requestBootstrap` starts a bootstrap of the gateway and says why it cannot, empty if
    // it started (Gateway::requestBootstrap).
    explicit GatewayClientObjects(std::function<QString()> requestBootstrap);

    // The object links the gateway registers with at `account`'s server.
    static QByteArray objectLinks(const ServerAccount& account);
    // Without a server: the Device object only (what Bootstrap-Discover lists besides /0, /1).
    static QByteArray objectLinks();

    void handleServerRequest(UpstreamRegistration& registration, coap_resource_t* resource,
                             coap_session_t* session, const coap_pdu_t* request,
                             const coap_string_t* query, coap_pdu_t* response) override;
    void serverSessionEnding(UpstreamRegistration&, coap_session_t*) override {}
    void serverRefused(UpstreamRegistration&, const coap_pdu_t*, coap_nack_reason_t) override {}

private:
    QString serialNumber_;
    std::function<QString()> requestBootstrap_;
};

}  // namespace lwm2mgw
