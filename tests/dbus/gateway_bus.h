#pragma once

#include <QDBusConnection>
#include <QDBusMessage>
#include <QString>
#include <QVariantList>

namespace lwm2mgw::testing {

// The control interface's names as the contract (dbus/*.xml) spells them. Written out here, not
// taken from the daemon's sources, so that a renamed name fails the tests.
inline const QString kGatewayService = QStringLiteral("org.lwm2mgateway.Gateway1");
inline const QString kGatewayPath = QStringLiteral("/org/lwm2mgateway/Gateway1");
inline const QString kGatewayInterface = QStringLiteral("org.lwm2mgateway.Gateway1");
inline const QString kCredentialsInterface =
    QStringLiteral("org.lwm2mgateway.Gateway1.Credentials");

// Calls `method` on the gateway and waits for the answer with this process's event loop
// running (the daemon's peers live in this process). An error "test.NoAnswer" after 12 s.
QDBusMessage callGateway(QDBusConnection& connection, const QString& interface,
                         const QString& method, const QVariantList& arguments);

}  // namespace lwm2mgw::testing
