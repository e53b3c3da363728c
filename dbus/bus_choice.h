#pragma once

#include <QDBusConnection>
#include <QString>
#include <optional>

namespace lwm2mgw::dbus {

// Which bus the daemon and lwm2m-gatewayctl talk on: the system bus in production, the session
// bus (--session) on a developer's desktop and in tests, or a private bus (--address ADDR).
struct BusChoice {
    enum class Kind { System, Session, Address };
    Kind kind = Kind::System;
    QString address;

    // "system bus", "session bus", "bus unix:path=/tmp/x"
    QString describe() const;
    // Connects under `connectionName`; check isConnected() and lastError() on the result.
    QDBusConnection connect(const QString& connectionName) const;
};

// Takes --session, --address ADDR and --address=ADDR out of argv before QCoreApplication sees
// it (the daemon's own command-line parser does not know them). Returns nullopt and sets
// `error` for --address without a value or for both options at once.
std::optional<BusChoice> takeBusOptions(int& argc, char** argv, QString& error);

// The lines --help shows for the options above.
QString busOptionsHelp();

}  // namespace lwm2mgw::dbus
