#pragma once

#include <coap3/coap.h>

#include <QByteArray>
#include <QList>
#include <optional>

namespace lwm2mgw {

// A response as one hop received it, to be written out on the other hop: the code, the options
// that carry end-to-end meaning and the body, untouched.
struct RelayedAnswer {
    coap_pdu_code_t code = COAP_RESPONSE_CODE_INTERNAL_ERROR;
    std::optional<quint32> contentFormat;
    std::optional<quint32> maxAge;
    QByteArray etag;
    QList<QByteArray> locationPath;
    QByteArray payload;

    // Copies what a response carries; strips `rootPath` (the sensor's alternate path) from a
    // Location-Path so the other side sees plain /object/instance.
    static RelayedAnswer fromResponse(const coap_pdu_t* response, const QString& rootPath = {});
    static RelayedAnswer error(int code, const QByteArray& diagnostic = {});

    // Writes this answer into a response PDU of a request handler; large bodies go block-wise.
    void writeResponse(coap_resource_t* resource, coap_session_t* session,
                       const coap_pdu_t* request, const coap_string_t* query, coap_pdu_t* response,
                       std::optional<quint32> observe = std::nullopt) const;
};

}  // namespace lwm2mgw
