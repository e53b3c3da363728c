#pragma once

#include "upstream_registration.h"

#include <QString>

namespace lwm2mgw {

// The gateway's own LwM2M Device object (/3/0), served on its own upstream registration so a
// server can tell the gateway apart from the sensors behind it. Read-only: Write, Execute and
// Create get 4.05.
class GatewayDeviceObject final : public UpstreamRequestSink {
public:
    GatewayDeviceObject();

    // The object links the gateway registers with.
    static QByteArray objectLinks();

    void handleServerRequest(UpstreamRegistration& registration, coap_resource_t* resource,
                             coap_session_t* session, const coap_pdu_t* request,
                             const coap_string_t* query, coap_pdu_t* response) override;
    void serverSessionEnding(UpstreamRegistration&, coap_session_t*) override {}
    void serverRefused(UpstreamRegistration&, const coap_pdu_t*, coap_nack_reason_t) override {}

private:
    QString serialNumber_;
};

}  // namespace lwm2mgw
