#include "coap_pdu_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace lwm2mgw::peers {

namespace {

void releaseBody(coap_session_t* /*session*/, void* body) {
    delete static_cast<QByteArray*>(body);
}

}  // namespace

int codeToNumber(coap_pdu_code_t code) {
    const int raw = static_cast<int>(code);
    return (raw >> 5) * 100 + (raw & 0x1f);
}

coap_pdu_code_t codeFromNumber(int number) {
    return static_cast<coap_pdu_code_t>(((number / 100) << 5) | (number % 100));
}

QString codeToString(int number) {
    return QStringLiteral("%1.%2").arg(number / 100).arg(number % 100, 2, 10, QLatin1Char('0'));
}

QByteArray pduToken(const coap_pdu_t* pdu) {
    const coap_bin_const_t token = coap_pdu_get_token(pdu);
    return QByteArray(reinterpret_cast<const char*>(token.s), static_cast<qsizetype>(token.length));
}

QByteArray pduBody(const coap_pdu_t* pdu) {
    size_t length = 0;
    const uint8_t* data = nullptr;
    size_t offset = 0;
    size_t total = 0;
    if (!coap_get_data_large(pdu, &length, &data, &offset, &total) || data == nullptr) {
        return {};
    }
    return QByteArray(reinterpret_cast<const char*>(data), static_cast<qsizetype>(length));
}

QList<QByteArray> optionValues(const coap_pdu_t* pdu, coap_option_num_t number) {
    QList<QByteArray> values;
    coap_opt_filter_t filter;
    coap_option_filter_clear(&filter);
    coap_option_filter_set(&filter, number);
    coap_opt_iterator_t iterator;
    if (coap_option_iterator_init(pdu, &iterator, &filter) == nullptr) {
        return values;
    }
    while (coap_opt_t* option = coap_option_next(&iterator)) {
        values.append(QByteArray(reinterpret_cast<const char*>(coap_opt_value(option)),
                                 static_cast<qsizetype>(coap_opt_length(option))));
    }
    return values;
}

std::optional<quint32> uintOption(const coap_pdu_t* pdu, coap_option_num_t number) {
    coap_opt_iterator_t iterator;
    const coap_opt_t* option = coap_check_option(pdu, number, &iterator);
    if (option == nullptr || coap_opt_length(option) > 4) {
        return std::nullopt;
    }
    return coap_decode_var_bytes(coap_opt_value(option), coap_opt_length(option));
}

QStringList uriPath(const coap_pdu_t* pdu) {
    QStringList segments;
    for (const QByteArray& value : optionValues(pdu, COAP_OPTION_URI_PATH)) {
        segments.append(QString::fromUtf8(value));
    }
    // A trailing empty segment ("/rd/") carries no meaning for LwM2M.
    while (!segments.isEmpty() && segments.last().isEmpty()) {
        segments.removeLast();
    }
    return segments;
}

QMap<QString, QString> uriQuery(const coap_pdu_t* pdu) {
    QMap<QString, QString> query;
    for (const QByteArray& value : optionValues(pdu, COAP_OPTION_URI_QUERY)) {
        const QString text = QString::fromUtf8(value);
        const qsizetype eq = text.indexOf(u'=');
        if (eq < 0) {
            query.insert(text, QString());
        } else {
            query.insert(text.left(eq), text.mid(eq + 1));
        }
    }
    return query;
}

bool addUintOption(coap_pdu_t* pdu, coap_option_num_t number, quint32 value) {
    uint8_t buffer[4];
    const unsigned int length = coap_encode_var_safe(buffer, sizeof(buffer), value);
    return coap_add_option(pdu, number, length, buffer) != 0;
}

bool addLargeRequestBody(coap_session_t* session, coap_pdu_t* pdu, const QByteArray& body) {
    if (body.isEmpty()) {
        return true;
    }
    auto* kept = new QByteArray(body);
    return coap_add_data_large_request(session, pdu, static_cast<size_t>(kept->size()),
                                       reinterpret_cast<const uint8_t*>(kept->constData()),
                                       releaseBody, kept) != 0;
}

bool addLargeResponseBody(coap_resource_t* resource, coap_session_t* session,
                          const coap_pdu_t* request, coap_pdu_t* response,
                          const coap_string_t* query, int contentFormat, const QByteArray& body) {
    // coap_add_data_large_response() omits Content-Format when it is 0 (text/plain): LwM2M
    // peers need it explicit, so add it here and tell libcoap "none".
    uint16_t mediaType = static_cast<uint16_t>(contentFormat);
    if (contentFormat == format::kText) {
        coap_add_option(response, COAP_OPTION_CONTENT_FORMAT, 0, nullptr);
    } else if (contentFormat < 0) {
        mediaType = 0;
    }
    auto* kept = new QByteArray(body);
    return coap_add_data_large_response(resource, session, request, response, query, mediaType, -1,
                                        0, static_cast<size_t>(kept->size()),
                                        reinterpret_cast<const uint8_t*>(kept->constData()),
                                        releaseBody, kept) != 0;
}

void dropWithoutAnswer(const coap_pdu_t* request, coap_pdu_t* response) {
    // No-Response suppressing classes 2, 4 and 5 (RFC 7967 2.1) on the request plus a NON
    // answer makes libcoap drop the answer without even an empty ACK. The request PDU is
    // libcoap's own mutable copy and it reads nothing cached from it afterwards.
    auto* mutableRequest = const_cast<coap_pdu_t*>(request);
    const uint8_t suppressAll = 26;
    size_t length = 0;
    const uint8_t* data = nullptr;
    // Options cannot follow a payload, and an existing No-Response may ask for answers.
    const bool marked =
        !coap_get_data(request, &length, &data) &&
        uintOption(request, COAP_OPTION_NORESPONSE).value_or(suppressAll) == suppressAll &&
        (uintOption(request, COAP_OPTION_NORESPONSE).has_value() ||
         coap_add_option(mutableRequest, COAP_OPTION_NORESPONSE, 1, &suppressAll) != 0);
    if (marked) {
        coap_pdu_set_type(response, COAP_MESSAGE_NON);
        coap_pdu_set_code(response, COAP_RESPONSE_CODE_SERVICE_UNAVAILABLE);
        return;
    }
    // The request carries a payload, so no option can be added to it any more. libcoap
    // discards a 5.08 whose Hop-Limit is 1 as a proxy loop (logging a warning): same effect.
    const uint8_t lastHop = 1;
    coap_pdu_set_code(response, codeFromNumber(508));
    coap_add_option(response, COAP_OPTION_HOP_LIMIT, 1, &lastHop);
    // libcoap prints this payload with %s: keep the terminating NUL in it.
    coap_add_data(response, sizeof("silent"), reinterpret_cast<const uint8_t*>("silent"));
}

QString addressToString(const coap_address_t* address) {
    if (address == nullptr) {
        return {};
    }
    char text[INET6_ADDRSTRLEN] = {};
    switch (address->addr.sa.sa_family) {
        case AF_INET:
            if (inet_ntop(AF_INET, &address->addr.sin.sin_addr, text, sizeof(text)) == nullptr) {
                return {};
            }
            return QStringLiteral("%1:%2")
                .arg(QString::fromLatin1(text))
                .arg(ntohs(address->addr.sin.sin_port));
        case AF_INET6:
            if (inet_ntop(AF_INET6, &address->addr.sin6.sin6_addr, text, sizeof(text)) == nullptr) {
                return {};
            }
            return QStringLiteral("[%1]:%2")
                .arg(QString::fromLatin1(text))
                .arg(ntohs(address->addr.sin6.sin6_port));
        default:
            return {};
    }
}

bool addressFromString(const QString& host, quint16 port, coap_address_t* out) {
    coap_address_init(out);
    QByteArray text = host.toLatin1();
    if (text == "localhost") {
        text = "127.0.0.1";
    }
    if (text.startsWith('[') && text.endsWith(']')) {
        text = text.mid(1, text.size() - 2);
    }
    if (inet_pton(AF_INET, text.constData(), &out->addr.sin.sin_addr) == 1) {
        out->addr.sin.sin_family = AF_INET;
        out->addr.sin.sin_port = htons(port);
        out->size = sizeof(out->addr.sin);
        return true;
    }
    if (inet_pton(AF_INET6, text.constData(), &out->addr.sin6.sin6_addr) == 1) {
        out->addr.sin6.sin6_family = AF_INET6;
        out->addr.sin6.sin6_port = htons(port);
        out->size = sizeof(out->addr.sin6);
        return true;
    }
    return false;
}

std::optional<quint16> localPort(const coap_session_t* session) {
    const coap_address_t* local = coap_session_get_addr_local(session);
    if (local == nullptr) {
        return std::nullopt;
    }
    if (local->addr.sa.sa_family == AF_INET) {
        return ntohs(local->addr.sin.sin_port);
    }
    if (local->addr.sa.sa_family == AF_INET6) {
        return ntohs(local->addr.sin6.sin6_port);
    }
    return std::nullopt;
}

}  // namespace lwm2mgw::peers
