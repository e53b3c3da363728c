#include "coap_uri.h"

#include <netdb.h>

#include <cstring>

namespace lwm2mgw {

QString CoapUri::toString() const {
    const QString hostPart =
        host.contains(QLatin1Char(':')) ? QLatin1Char('[') + host + QLatin1Char(']') : host;
    QString text = (secure ? QStringLiteral("coaps://") : QStringLiteral("coap://")) + hostPart +
                   QLatin1Char(':') + QString::number(port);
    if (!path.isEmpty()) {
        text += QLatin1Char('/') + path;
    }
    return text;
}

std::optional<CoapUri> parseCoapUri(const QString& text, QString& error) {
    const QByteArray bytes = text.trimmed().toUtf8();
    coap_uri_t parsed;
    if (bytes.isEmpty() || coap_split_uri(reinterpret_cast<const uint8_t*>(bytes.constData()),
                                          static_cast<size_t>(bytes.size()), &parsed) < 0) {
        error = QStringLiteral("'%1' is not a CoAP URI").arg(text);
        return std::nullopt;
    }
    if (parsed.scheme != COAP_URI_SCHEME_COAP && parsed.scheme != COAP_URI_SCHEME_COAPS) {
        error = QStringLiteral("'%1': only coap:// and coaps:// (UDP) are served").arg(text);
        return std::nullopt;
    }
    if (parsed.host.length == 0) {
        error = QStringLiteral("'%1' has no host").arg(text);
        return std::nullopt;
    }
    CoapUri uri;
    uri.secure = parsed.scheme == COAP_URI_SCHEME_COAPS;
    uri.host = QString::fromUtf8(reinterpret_cast<const char*>(parsed.host.s),
                                 static_cast<qsizetype>(parsed.host.length));
    uri.port = parsed.port;
    uri.path = QString::fromUtf8(reinterpret_cast<const char*>(parsed.path.s),
                                 static_cast<qsizetype>(parsed.path.length));
    uri.query = QString::fromUtf8(reinterpret_cast<const char*>(parsed.query.s),
                                  static_cast<qsizetype>(parsed.query.length));
    return uri;
}

bool resolveCoapUri(const CoapUri& uri, coap_address_t& address, QString& error) {
    addrinfo hints;
    std::memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* results = nullptr;
    const QByteArray host = uri.host.toUtf8();
    const QByteArray port = QByteArray::number(uri.port);
    const int status = getaddrinfo(host.constData(), port.constData(), &hints, &results);
    if (status != 0 || !results) {
        error = QStringLiteral("cannot resolve '%1': %2")
                    .arg(uri.host, QString::fromUtf8(gai_strerror(status)));
        return false;
    }
    coap_address_init(&address);
    address.size = results->ai_addrlen;
    std::memcpy(&address.addr, results->ai_addr, results->ai_addrlen);
    freeaddrinfo(results);
    return true;
}

}  // namespace lwm2mgw
