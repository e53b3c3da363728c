#include "bus_choice.h"

#include <cstring>

namespace lwm2mgw::dbus {

QString BusChoice::describe() const {
    switch (kind) {
        case Kind::System:
            return QStringLiteral("system bus");
        case Kind::Session:
            return QStringLiteral("session bus");
        case Kind::Address:
            return QStringLiteral("bus %1").arg(address);
    }
    return {};
}

QDBusConnection BusChoice::connect(const QString& connectionName) const {
    switch (kind) {
        case Kind::System:
            return QDBusConnection::connectToBus(QDBusConnection::SystemBus, connectionName);
        case Kind::Session:
            return QDBusConnection::connectToBus(QDBusConnection::SessionBus, connectionName);
        case Kind::Address:
            break;
    }
    return QDBusConnection::connectToBus(address, connectionName);
}

std::optional<BusChoice> takeBusOptions(int& argc, char** argv, QString& error) {
    BusChoice choice;
    bool session = false;
    bool address = false;
    int kept = 1;
    for (int i = 1; i < argc; ++i) {
        const char* argument = argv[i];
        if (std::strcmp(argument, "--") == 0) {
            // Everything after "--" belongs to the daemon's parser.
            while (i < argc) {
                argv[kept++] = argv[i++];
            }
            break;
        }
        if (std::strcmp(argument, "--session") == 0) {
            session = true;
        } else if (std::strcmp(argument, "--address") == 0) {
            if (i + 1 >= argc || argv[i + 1][0] == '\0') {
                error =
                    QStringLiteral("--address needs a D-Bus address, e.g. unix:path=/run/test-bus");
                return std::nullopt;
            }
            address = true;
            choice.address = QString::fromLocal8Bit(argv[++i]);
        } else if (std::strncmp(argument, "--address=", 10) == 0) {
            if (argument[10] == '\0') {
                error =
                    QStringLiteral("--address needs a D-Bus address, e.g. unix:path=/run/test-bus");
                return std::nullopt;
            }
            address = true;
            choice.address = QString::fromLocal8Bit(argument + 10);
        } else {
            argv[kept++] = argv[i];
        }
    }
    if (session && address) {
        error = QStringLiteral("--session and --address exclude each other");
        return std::nullopt;
    }
    choice.kind = session ? BusChoice::Kind::Session
                          : (address ? BusChoice::Kind::Address : BusChoice::Kind::System);
    argv[kept] = nullptr;
    argc = kept;
    return choice;
}

QString busOptionsHelp() {
    return QStringLiteral(
        "\nD-Bus (control interface org.lwm2mgateway.Gateway1, system bus by default):\n"
        "  --session        Use the session bus (tests, a developer's desktop).\n"
        "  --address ADDR   Use the bus at ADDR, e.g. unix:path=/tmp/test-bus.\n");
}

}  // namespace lwm2mgw::dbus
