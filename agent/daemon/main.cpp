// lwm2m-gatewayd: the LwM2M gateway daemon.
#include "gateway.h"
#include "gateway_config.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QSocketNotifier>

#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

namespace {

int signalPipe[2] = {-1, -1};

void onSignal(int) {
    const char byte = 1;
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

}  // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("lwm2m-gatewayd"));
    QCoreApplication::setApplicationVersion(QStringLiteral(LWM2MGW_VERSION));
    qSetMessagePattern(QStringLiteral("%{if-category}%{category}: %{endif}%{message}"));
    // Debug output on demand only: QT_LOGGING_RULES="lwm2mgw.*.debug=true" overrides this.
    QLoggingCategory::setFilterRules(QStringLiteral("lwm2mgw.*.debug=false\nlwm2mgw.coap.info=false"));

    int exitCode = 0;
    std::optional<lwm2mgw::GatewayConfig> config = lwm2mgw::GatewayConfig::fromCommandLine(app, exitCode);
    if (!config) {
        return exitCode;
    }
    raiseFileLimit();
    std::signal(SIGPIPE, SIG_IGN);

    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, signalPipe) != 0) {
        std::perror("socketpair");
        return 1;
    }
    lwm2mgw::Gateway gateway(std::move(*config));
    QSocketNotifier signalNotifier(signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&signalNotifier, &QSocketNotifier::activated, &gateway, [&] {
        char byte;
        [[maybe_unused]] const ssize_t got = ::read(signalPipe[0], &byte, 1);
        gateway.stop();
    });
    QObject::connect(&gateway, &lwm2mgw::Gateway::stopped, &app, &QCoreApplication::quit);
    struct sigaction action{};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);

    if (const QString error = gateway.start(); !error.isEmpty()) {
        std::fprintf(stderr, "lwm2m-gatewayd: %s\n", qPrintable(error));
        return 1;
    }
    return app.exec();
}
