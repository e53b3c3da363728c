#include "relayed_answer.h"

#include "coap_message.h"

namespace lwm2mgw {

RelayedAnswer RelayedAnswer::fromResponse(const coap_pdu_t* response, const QString& rootPath) {
    RelayedAnswer answer;
    answer.code = coap_pdu_get_code(response);
    answer.contentFormat = uintOptionOf(response, COAP_OPTION_CONTENT_FORMAT);
    answer.maxAge = uintOptionOf(response, COAP_OPTION_MAXAGE);
    coap_opt_iterator_t iterator;
    if (coap_opt_t* etag = coap_check_option(response, COAP_OPTION_ETAG, &iterator)) {
        answer.etag = QByteArray(reinterpret_cast<const char*>(coap_opt_value(etag)),
                                 static_cast<qsizetype>(coap_opt_length(etag)));
    }
    const QList<QString> prefix = rootPath.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    QList<QString> segments = locationPathOf(response).split(QLatin1Char('/'), Qt::SkipEmptyParts);
    if (!prefix.isEmpty() && segments.mid(0, prefix.size()) == prefix) {
        segments = segments.mid(prefix.size());
    }
    for (const QString& segment : segments) {
        answer.locationPath.append(segment.toUtf8());
    }
    answer.payload = payloadOf(response);
    return answer;
}

RelayedAnswer RelayedAnswer::error(int code, const QByteArray& diagnostic) {
    RelayedAnswer answer;
    answer.code = codeFromNumber(code);
    answer.payload = diagnostic;
    return answer;
}

void RelayedAnswer::writeResponse(coap_resource_t* resource, coap_session_t* session,
                                  const coap_pdu_t* request, const coap_string_t* query,
                                  coap_pdu_t* response, std::optional<quint32> observe) const {
    coap_pdu_set_code(response, code);
    if (observe) {
        addUintOption(response, COAP_OPTION_OBSERVE, *observe);
    }
    if (!etag.isEmpty()) {
        coap_add_option(response, COAP_OPTION_ETAG, static_cast<size_t>(etag.size()),
                        reinterpret_cast<const uint8_t*>(etag.constData()));
    }
    for (const QByteArray& segment : locationPath) {
        coap_add_option(response, COAP_OPTION_LOCATION_PATH, static_cast<size_t>(segment.size()),
                        reinterpret_cast<const uint8_t*>(segment.constData()));
    }
    if (payload.isEmpty()) {
        if (contentFormat) {
            addUintOption(response, COAP_OPTION_CONTENT_FORMAT, *contentFormat);
        }
        if (maxAge) {
            addUintOption(response, COAP_OPTION_MAXAGE, *maxAge);
        }
        return;
    }
    if (!contentFormat) {
        // Diagnostic payloads of errors carry no Content-Format (RFC 7252 5.5.2).
        if (maxAge) {
            addUintOption(response, COAP_OPTION_MAXAGE, *maxAge);
        }
        coap_add_data(response, static_cast<size_t>(payload.size()),
                      reinterpret_cast<const uint8_t*>(payload.constData()));
        return;
    }
    if (*contentFormat == 0) {
        // libcoap leaves text/plain (0) implicit; relayed, the sensor's explicit choice stays.
        coap_add_option(response, COAP_OPTION_CONTENT_FORMAT, 0, nullptr);
    }
    auto* body = new QByteArray(payload);
    coap_add_data_large_response(
        resource, session, request, response, query, static_cast<uint16_t>(*contentFormat),
        maxAge ? static_cast<int>(*maxAge) : -1, 0, static_cast<size_t>(body->size()),
        reinterpret_cast<const uint8_t*>(body->constData()),
        [](coap_session_t*, void* data) { delete static_cast<QByteArray*>(data); }, body);
}

}  // namespace lwm2mgw
