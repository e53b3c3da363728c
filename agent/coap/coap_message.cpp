#include "coap_message.h"

namespace lwm2mgw {

namespace {

QString joinedOptions(const coap_pdu_t* pdu, coap_option_num_t number) {
    QString path;
    coap_opt_iterator_t iterator;
    coap_opt_filter_t filter;
    coap_option_filter_clear(&filter);
    coap_option_filter_set(&filter, number);
    coap_option_iterator_init(pdu, &iterator, &filter);
    while (coap_opt_t* option = coap_option_next(&iterator)) {
        if (!path.isEmpty() || number == COAP_OPTION_URI_PATH) {
            path += QLatin1Char('/');
        }
        path += QString::fromUtf8(reinterpret_cast<const char*>(coap_opt_value(option)),
                                  static_cast<qsizetype>(coap_opt_length(option)));
    }
    return path;
}

}  // namespace

QString uriPathOf(const coap_pdu_t* pdu) {
    QString path = joinedOptions(pdu, COAP_OPTION_URI_PATH);
    return path.isEmpty() ? QStringLiteral("/") : path;
}

QString locationPathOf(const coap_pdu_t* pdu) {
    return joinedOptions(pdu, COAP_OPTION_LOCATION_PATH);
}

QList<QByteArray> uriQueryOf(const coap_pdu_t* pdu) {
    QList<QByteArray> query;
    coap_opt_iterator_t iterator;
    coap_opt_filter_t filter;
    coap_option_filter_clear(&filter);
    coap_option_filter_set(&filter, COAP_OPTION_URI_QUERY);
    coap_option_iterator_init(pdu, &iterator, &filter);
    while (coap_opt_t* option = coap_option_next(&iterator)) {
        query.append(QByteArray(reinterpret_cast<const char*>(coap_opt_value(option)),
                                static_cast<qsizetype>(coap_opt_length(option))));
    }
    return query;
}

std::optional<quint32> uintOptionOf(const coap_pdu_t* pdu, coap_option_num_t number) {
    coap_opt_iterator_t iterator;
    coap_opt_t* option = coap_check_option(pdu, number, &iterator);
    if (!option) {
        return std::nullopt;
    }
    return coap_decode_var_bytes(coap_opt_value(option), coap_opt_length(option));
}

QByteArray tokenOf(const coap_pdu_t* pdu) {
    const coap_bin_const_t token = coap_pdu_get_token(pdu);
    return QByteArray(reinterpret_cast<const char*>(token.s), static_cast<qsizetype>(token.length));
}

QByteArray payloadOf(const coap_pdu_t* pdu) {
    size_t length = 0;
    const uint8_t* data = nullptr;
    size_t offset = 0;
    size_t total = 0;
    if (!coap_get_data_large(pdu, &length, &data, &offset, &total) || !data) {
        return {};
    }
    return QByteArray(reinterpret_cast<const char*>(data), static_cast<qsizetype>(length));
}

bool isRequest(const coap_pdu_t* pdu) {
    const int code = static_cast<int>(coap_pdu_get_code(pdu));
    return code >= 1 && code < 32;
}

int codeNumber(coap_pdu_code_t code) {
    const int raw = static_cast<int>(code);
    return (raw >> 5) * 100 + (raw & 0x1f);
}

coap_pdu_code_t codeFromNumber(int number) {
    return static_cast<coap_pdu_code_t>(COAP_RESPONSE_CODE(number));
}

QString codeText(coap_pdu_code_t code) {
    const int raw = static_cast<int>(code);
    return QStringLiteral("%1.%2").arg(raw >> 5).arg(raw & 0x1f, 2, 10, QLatin1Char('0'));
}

void addPathOptions(coap_pdu_t* pdu, coap_option_num_t number, const QString& path) {
    const QList<QString> segments = path.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    for (const QString& segment : segments) {
        const QByteArray bytes = segment.toUtf8();
        coap_add_option(pdu, number, static_cast<size_t>(bytes.size()),
                        reinterpret_cast<const uint8_t*>(bytes.constData()));
    }
}

void addUintOption(coap_pdu_t* pdu, coap_option_num_t number, quint32 value) {
    uint8_t buffer[4];
    coap_add_option(pdu, number, coap_encode_var_safe(buffer, sizeof buffer, value), buffer);
}

QString addressText(const coap_address_t* address) {
    unsigned char buffer[INET6_ADDRSTRLEN + 8];
    const size_t length = coap_print_addr(address, buffer, sizeof buffer);
    return QString::fromLatin1(reinterpret_cast<const char*>(buffer),
                               static_cast<qsizetype>(length));
}

}  // namespace lwm2mgw
