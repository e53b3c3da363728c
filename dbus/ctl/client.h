#pragma once

#include "gateway1_credentials_proxy.h"
#include "gateway1_proxy.h"

#include <QDBusConnection>
#include <QDBusError>
#include <QJsonValue>
#include <QVariantMap>
#include <cstdio>
#include <memory>

namespace lwm2mgw::ctl {

// The daemon as lwm2m-gatewayctl reaches it: the generated proxies (compiled from the same XML
// as the daemon's adaptors) plus how a failed call is reported and what exit code it gives.
class Client {
public:
    Client(QDBusConnection connection, bool json, int timeoutMs);

    Gateway1Proxy& gateway() { return *gateway_; }
    Gateway1CredentialsProxy& credentials() { return *credentials_; }
    QDBusConnection connection() const { return connection_; }
    bool json() const { return json_; }

    // Every property of org.lwm2mgateway.Gateway1, as JSON; on failure reports and returns nullopt.
    std::optional<QJsonObject> properties(int& exitCode);

    // Reports a failed call on stderr (and, with --json, as {"error","message"} on stdout);
    // returns the exit code for it.
    int report(const QDBusError& error) const;
    // Prints a result: JSON as it is with --json, or the text for people.
    void print(const QJsonValue& value, const QString& text) const;

private:
    QDBusConnection connection_;
    bool json_;
    std::unique_ptr<Gateway1Proxy> gateway_;
    std::unique_ptr<Gateway1CredentialsProxy> credentials_;
};

int exitCodeFor(const QDBusError& error);

}  // namespace lwm2mgw::ctl
