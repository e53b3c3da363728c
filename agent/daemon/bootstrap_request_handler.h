#pragma once

#include "registration_links.h"
#include "relayed_answer.h"
#include "upstream_registration.h"

#include <lwm2m-gateway/credstore/bootstrap_session.h>

#include <QByteArray>
#include <QString>
#include <functional>
#include <optional>
#include <vector>

namespace lwm2mgw {

namespace credstore {
class CredentialStore;
}

// One request of the Bootstrap Interface as the handler needs it, apart from libcoap's PDU.
struct BootstrapRequest {
    coap_pdu_code_t method = COAP_REQUEST_CODE_GET;
    QString path;  // "/", "/0/1", "/bs"
    std::optional<quint32> contentFormat;
    std::optional<quint32> accept;
    QByteArray payload;
};

// Serves what a LwM2M Bootstrap-Server sends on the bootstrap session (Core 6.1.7): Write,
// Delete, Discover and Read of /1 go into a credstore::BootstrapSession for the endpoint, which
// buffers them; Bootstrap-Finish commits it in one transaction after the store's consistency
// check, or answers 4.06 and leaves the store as it was.
class BootstrapRequestHandler final : public UpstreamRequestSink {
public:
    // Called once a Bootstrap-Finish was answered: true when the new accounts are committed.
    using Finished = std::function<void(bool committed)>;

    BootstrapRequestHandler(credstore::CredentialStore& store, QString endpoint,
                            credstore::ModeAvailable modeAvailable, Finished finished);

    // The endpoint's objects other than Security and Server, for Bootstrap-Discover: a sensor's
    // as it registered them; by default the gateway's own Device object (/3/0).
    void setObjectLinks(std::vector<lwm2m::ObjectLink> links) { objectLinks_ = std::move(links); }

    RelayedAnswer handle(const BootstrapRequest& request);
    void serve(coap_resource_t* resource, coap_session_t* session, const coap_pdu_t* request,
               const coap_string_t* query, coap_pdu_t* response);
    // Drops the sequence in progress: a new Bootstrap-Request starts from the store's state.
    void abandon();

    void handleServerRequest(UpstreamRegistration&, coap_resource_t* resource,
                             coap_session_t* session, const coap_pdu_t* request,
                             const coap_string_t* query, coap_pdu_t* response) override {
        serve(resource, session, request, query, response);
    }
    void serverSessionEnding(UpstreamRegistration&, coap_session_t*) override { abandon(); }
    void serverRefused(UpstreamRegistration&, const coap_pdu_t*, coap_nack_reason_t) override {}

private:
    RelayedAnswer write(const BootstrapRequest& request);
    RelayedAnswer remove(const BootstrapRequest& request);
    RelayedAnswer read(const BootstrapRequest& request);
    RelayedAnswer discover(const BootstrapRequest& request);
    RelayedAnswer finish();
    credstore::BootstrapSession* session(QString& error);

    credstore::CredentialStore& store_;
    QString endpoint_;
    credstore::ModeAvailable modeAvailable_;
    Finished finished_;
    std::optional<credstore::BootstrapSession> session_;
    std::vector<lwm2m::ObjectLink> objectLinks_{lwm2m::ObjectLink{3, 0, std::nullopt}};
};

}  // namespace lwm2mgw
