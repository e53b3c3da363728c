#include "monitor.h"

#include "client.h"
#include "dbus_json.h"
#include "dbus_names.h"
#include "exit_codes.h"
#include "formatting.h"

#include <QCoreApplication>
#include <QDBusConnectionInterface>
#include <QDBusServiceWatcher>
#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSocketNotifier>

#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

namespace lwm2mgw::ctl {

namespace {

// One event: a JSON line for scripts, a time-stamped line for people.
void emitLine(const Client& client, const QString& event, QJsonObject fields,
              const QString& human) {
    const QString now = QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
    if (client.json()) {
        fields.insert(QStringLiteral("event"), event);
        fields.insert(QStringLiteral("time"), now);
        std::fprintf(stdout, "%s\n",
                     QJsonDocument(fields).toJson(QJsonDocument::Compact).constData());
    } else {
        std::fprintf(stdout, "%s %s %s\n", qPrintable(now), qPrintable(event), qPrintable(human));
    }
    std::fflush(stdout);
}

}  // namespace

int blockStopSignals() {
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGINT);
    sigaddset(&stopSignals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
    return signalfd(-1, &stopSignals, SFD_CLOEXEC);
}

int runMonitor(Client& client, int signalFd) {
    // SIGINT/SIGTERM arrive through the signalfd, so the loop ends cleanly with exit code 0.
    if (signalFd < 0) {
        std::perror("lwm2m-gatewayctl: signalfd");
        return kFailed;
    }
    QSocketNotifier stopNotifier(signalFd, QSocketNotifier::Read);
    QObject::connect(&stopNotifier, &QSocketNotifier::activated, QCoreApplication::instance(),
                     &QCoreApplication::quit);

    Gateway1Proxy& gateway = client.gateway();
    QObject::connect(&gateway, &Gateway1Proxy::EndpointRegistered, [&](const QString& endpoint) {
        emitLine(client, QStringLiteral("endpoint-registered"),
                 {{QStringLiteral("endpoint"), endpoint}}, endpoint);
    });
    QObject::connect(
        &gateway, &Gateway1Proxy::EndpointGone,
        [&](const QString& endpoint, const QString& reason) {
            emitLine(client, QStringLiteral("endpoint-gone"),
                     {{QStringLiteral("endpoint"), endpoint}, {QStringLiteral("reason"), reason}},
                     endpoint + QStringLiteral(" (") + reason + QLatin1Char(')'));
        });
    QObject::connect(&gateway, &Gateway1Proxy::UpstreamStateChanged,
                     [&](const QString& endpoint, const QVariantMap& server) {
                         const QJsonObject serverJson = toJson(server).toObject();
                         emitLine(client, QStringLiteral("upstream-state"),
                                  {{QStringLiteral("endpoint"), endpoint},
                                   {QStringLiteral("server"), serverJson}},
                                  endpoint + QLatin1Char(' ') +
                                      serverJson.value(QStringLiteral("server_uri")).toString() +
                                      QLatin1Char(' ') + serverStateText(serverJson));
                     });
    QObject::connect(&gateway, &Gateway1Proxy::BootstrapFinished, [&](const QString& endpoint) {
        emitLine(client, QStringLiteral("bootstrap-finished"),
                 {{QStringLiteral("endpoint"), endpoint}}, endpoint);
    });
    QObject::connect(
        &gateway, &Gateway1Proxy::BootstrapFailed,
        [&](const QString& endpoint, const QString& reason) {
            emitLine(client, QStringLiteral("bootstrap-failed"),
                     {{QStringLiteral("endpoint"), endpoint}, {QStringLiteral("reason"), reason}},
                     endpoint + QStringLiteral(": ") + reason);
        });
    QDBusServiceWatcher watcher(
        dbus::kServiceName, client.connection(),
        QDBusServiceWatcher::WatchForRegistration | QDBusServiceWatcher::WatchForUnregistration);
    QObject::connect(&watcher, &QDBusServiceWatcher::serviceRegistered, [&] {
        emitLine(client, QStringLiteral("daemon-started"), {}, dbus::kServiceName);
    });
    QObject::connect(&watcher, &QDBusServiceWatcher::serviceUnregistered, [&] {
        emitLine(client, QStringLiteral("daemon-stopped"), {}, dbus::kServiceName);
    });

    // A round trip to the bus after the match rules: once it returns, no signal can be missed.
    const bool running = client.connection().interface()->isServiceRegistered(dbus::kServiceName);
    std::fprintf(stderr, "lwm2m-gatewayctl: monitoring %s%s; Ctrl-C ends\n",
                 qPrintable(dbus::kServiceName), running ? "" : " (not running yet)");
    std::fflush(stderr);
    QCoreApplication::exec();
    ::close(signalFd);
    return kOk;
}

}  // namespace lwm2mgw::ctl
