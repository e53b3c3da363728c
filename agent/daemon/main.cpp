// lwm2m-gatewayd: the LwM2M gateway daemon.
#include "bus_choice.h"
#include "dbus_names.h"
#include "dbus_types.h"
#include "gateway.h"
#include "gateway_config.h"
#include "gateway_service.h"

#include <QCoreApplication>
#include <QDBusConnectionInterface>
#include <QLoggingCategory>
#include <QSocketNotifier>

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

namespace {

int signalPipe[2] = {-1, -1};

// The signal number goes through the pipe: SIGHUP reloads, SIGINT / SIGTERM stop.
void onSignal(int signalNumber) {
    const char byte = static_cast<char>(signalNumber);
    [[maybe_unused]] const ssize_t written = ::write(signalPipe[1], &byte, 1);
}

// One socket per proxied endpoint and server: the soft limit of 1024 would cap the fleet.
void raiseFileLimit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

// Pre-shared and private keys live in this process's memory (GnuTLS and libcoap hold copies):
// no core dump, and no /proc/<pid>/mem or ptrace for the service's own user.
void keepMemoryPrivate() {
    const rlimit none{0, 0};
    setrlimit(RLIMIT_CORE, &none);
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

bool helpRequested(const QStringList& arguments) {
    return arguments.contains(QStringLiteral("--help")) ||
           arguments.contains(QStringLiteral("-h")) ||
           arguments.contains(QStringLiteral("--help-all"));
}

}  // namespace

int main(int argc, char** argv) {
    // The bus options are the control interface's, not the gateway configuration's.
    QString busError;
    const std::optional<lwm2mgw::dbus::BusChoice> bus =
        lwm2mgw::dbus::takeBusOptions(argc, argv, busError);
    if (!bus) {
        std::fprintf(stderr, "lwm2m-gatewayd: %s\n", qPrintable(busError));
        return 2;
    }
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("lwm2m-gatewayd"));
    QCoreApplication::setApplicationVersion(QStringLiteral(LWM2MGW_VERSION));
    qSetMessagePattern(QStringLiteral("%{if-category}%{category}: %{endif}%{message}"));
    // Debug output on demand only: log/rules and QT_LOGGING_RULES="lwm2mgw.*.debug=true" add.
    lwm2mgw::Gateway::applyLogRules(QString());

    int exitCode = 0;
    std::optional<lwm2mgw::GatewayConfig> config =
        lwm2mgw::GatewayConfig::fromCommandLine(app, exitCode);
    if (!config) {
        if (exitCode == 0 && helpRequested(app.arguments())) {
            std::fprintf(stdout, "%s", qPrintable(lwm2mgw::dbus::busOptionsHelp()));
        }
        return exitCode;
    }
    lwm2mgw::Gateway::applyLogRules(config->configFile);
    raiseFileLimit();
    keepMemoryPrivate();
    std::signal(SIGPIPE, SIG_IGN);

    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, signalPipe) != 0) {
        std::perror("socketpair");
        return 1;
    }
    lwm2mgw::Gateway gateway(std::move(*config));
    QSocketNotifier signalNotifier(signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&signalNotifier, &QSocketNotifier::activated, &gateway, [&] {
        char byte = 0;
        if (::read(signalPipe[0], &byte, 1) == 1 && byte == SIGHUP) {
            // systemctl reload: the same as D-Bus Reload; the changes are logged by reload().
            QStringList changes;
            if (const QString error = gateway.reload(changes); !error.isEmpty()) {
                std::fprintf(stderr, "lwm2m-gatewayd: reload refused, nothing changed: %s\n",
                             qPrintable(error));
            }
            return;
        }
        gateway.stop();
    });
    QObject::connect(&gateway, &lwm2mgw::Gateway::stopped, &app, &QCoreApplication::quit);
    struct sigaction action {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGHUP, &action, nullptr);

    // Without --session / --address the system bus is only wished for: a daemon started by hand
    // or by a test without a system bus still serves its sensors.
    const bool busRequired = bus->kind != lwm2mgw::dbus::BusChoice::Kind::System;
    lwm2mgw::dbus::registerDbusTypes();
    QDBusConnection connection = bus->connect(QStringLiteral("lwm2mgw-control"));
    if (!connection.isConnected()) {
        std::fprintf(stderr, "lwm2m-gatewayd: cannot connect to the %s: %s\n",
                     qPrintable(bus->describe()), qPrintable(connection.lastError().message()));
        if (busRequired) {
            return 1;
        }
    } else if (connection.interface()->isServiceRegistered(lwm2mgw::dbus::kServiceName)) {
        // Checked before any network traffic, so a second instance leaves the first's sensors
        // alone.
        std::fprintf(
            stderr,
            "lwm2m-gatewayd: %s is already taken on the %s: another lwm2m-gatewayd is running\n",
            qPrintable(lwm2mgw::dbus::kServiceName), qPrintable(bus->describe()));
        if (busRequired) {
            return 1;
        }
    }

    if (const QString error = gateway.start(); !error.isEmpty()) {
        std::fprintf(stderr, "lwm2m-gatewayd: %s\n", qPrintable(error));
        return 1;
    }
    // Published after start(): once the name is on the bus (what Type=dbus waits for), the
    // listeners are open and every call can be answered.
    lwm2mgw::dbus::GatewayService service(gateway, QCoreApplication::applicationVersion(),
                                          bus->kind != lwm2mgw::dbus::BusChoice::Kind::Session);
    if (connection.isConnected()) {
        if (const QString error = service.publish(connection); !error.isEmpty()) {
            std::fprintf(stderr, "lwm2m-gatewayd: %s\n", qPrintable(error));
            if (busRequired) {
                return 1;
            }
        } else {
            std::fprintf(stderr, "lwm2m-gatewayd: control interface %s on the %s\n",
                         qPrintable(lwm2mgw::dbus::kServiceName), qPrintable(bus->describe()));
        }
    }
    return app.exec();
}
