// lwm2m-gatewayctl: the command-line client of lwm2m-gatewayd's D-Bus interface.
#include "bus_choice.h"
#include "client.h"
#include "commands.h"
#include "dbus_types.h"
#include "exit_codes.h"
#include "monitor.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <cstdio>

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("lwm2m-gatewayctl"));
    QCoreApplication::setApplicationVersion(QStringLiteral(LWM2MGW_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Control and inspect lwm2m-gatewayd over D-Bus."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption jsonOption(
        QStringLiteral("json"), QStringLiteral("Print JSON for scripts instead of tables."));
    const QCommandLineOption sessionOption(
        QStringLiteral("session"),
        QStringLiteral("Use the session bus (tests, a developer's desktop)."));
    const QCommandLineOption addressOption(
        QStringLiteral("address"),
        QStringLiteral("Use the bus at ADDR, e.g. unix:path=/tmp/test-bus."),
        QStringLiteral("ADDR"));
    const QCommandLineOption timeoutOption(
        QStringLiteral("timeout"),
        QStringLiteral("Seconds to wait for the daemon's answer (default 25)."),
        QStringLiteral("SECONDS"), QStringLiteral("25"));
    parser.addOptions({jsonOption, sessionOption, addressOption, timeoutOption});
    parser.addPositionalArgument(QStringLiteral("command"),
                                 QStringLiteral("What to do; see Commands below."),
                                 QStringLiteral("COMMAND [ARGS...]"));
    // Options stop at the command, so an endpoint name starting with "-" is taken literally.
    parser.setOptionsAfterPositionalArgumentsMode(QCommandLineParser::ParseAsPositionalArguments);
    if (!parser.parse(QCoreApplication::arguments())) {
        std::fprintf(stderr, "lwm2m-gatewayctl: %s\n", qPrintable(parser.errorText()));
        return lwm2mgw::ctl::kUsage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        std::fprintf(stdout, "%s%s", qPrintable(parser.helpText()),
                     qPrintable(lwm2mgw::ctl::commandsHelp()));
        return lwm2mgw::ctl::kOk;
    }
    if (parser.isSet(QStringLiteral("version"))) {
        std::fprintf(stdout, "lwm2m-gatewayctl %s\n", LWM2MGW_VERSION);
        return lwm2mgw::ctl::kOk;
    }
    bool timeoutOk = false;
    const int timeoutSeconds = parser.value(timeoutOption).toInt(&timeoutOk);
    if (!timeoutOk || timeoutSeconds < 1 || timeoutSeconds > 3600) {
        std::fprintf(stderr, "lwm2m-gatewayctl: --timeout must be 1..3600 seconds\n");
        return lwm2mgw::ctl::kUsage;
    }
    if (parser.isSet(sessionOption) && parser.isSet(addressOption)) {
        std::fprintf(stderr, "lwm2m-gatewayctl: --session and --address exclude each other\n");
        return lwm2mgw::ctl::kUsage;
    }
    lwm2mgw::dbus::BusChoice bus;
    if (parser.isSet(sessionOption)) {
        bus.kind = lwm2mgw::dbus::BusChoice::Kind::Session;
    } else if (parser.isSet(addressOption)) {
        bus.kind = lwm2mgw::dbus::BusChoice::Kind::Address;
        bus.address = parser.value(addressOption);
    }
    const QStringList command = parser.positionalArguments();
    if (command.isEmpty()) {
        std::fprintf(stderr, "lwm2m-gatewayctl: no command given (see lwm2m-gatewayctl --help)\n");
        return lwm2mgw::ctl::kUsage;
    }

    // Before the connection exists: QtDBus's thread must inherit the blocked signals.
    const int stopSignalFd =
        command.first() == QLatin1String("monitor") ? lwm2mgw::ctl::blockStopSignals() : -1;
    lwm2mgw::dbus::registerDbusTypes();
    QDBusConnection connection = bus.connect(QStringLiteral("lwm2m-gatewayctl"));
    if (!connection.isConnected()) {
        std::fprintf(stderr, "lwm2m-gatewayctl: cannot connect to the %s: %s\n",
                     qPrintable(bus.describe()), qPrintable(connection.lastError().message()));
        return lwm2mgw::ctl::kUnreachable;
    }
    lwm2mgw::ctl::Client client(connection, parser.isSet(jsonOption), timeoutSeconds * 1000);
    return lwm2mgw::ctl::runCommand(client, command, stopSignalFd);
}
