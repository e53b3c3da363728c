#pragma once

#include <coap3/coap.h>

#include <QString>
#include <optional>

namespace lwm2mgw {

// A coap:// or coaps:// URI as configuration and Security Object /0/x/0 give it.
struct CoapUri {
    bool secure = false;
    QString host;  // without IPv6 brackets
    quint16 port = 0;
    QString path;   // without leading '/', empty for none
    QString query;  // without '?', empty for none (listener URIs name their mode here)

    QString toString() const;
};

// Returns nullopt and sets `error` for anything but coap:// and coaps:// URIs with a host.
std::optional<CoapUri> parseCoapUri(const QString& text, QString& error);

// Numeric addresses resolve at once; names go through the resolver (start-up only: it blocks).
bool resolveCoapUri(const CoapUri& uri, coap_address_t& address, QString& error);

}  // namespace lwm2mgw
