#include "endpoint_view.h"

#include <algorithm>

#include "coap_message.h"
#include "downstream_registration.h"
#include "plugin_host.h"
#include "upstream_registration.h"

#include <QDateTime>

namespace lwm2mgw::dbus {

namespace {

qint64 unixMs(const QDateTime& time) {
    return time.isValid() ? time.toMSecsSinceEpoch() : 0;
}

// Higher is worse: an endpoint is as healthy as its least healthy server registration.
int severity(UpstreamState state) {
    switch (state) {
        case UpstreamState::Registered:
        case UpstreamState::Updating:
            return 0;
        case UpstreamState::Waiting:
        case UpstreamState::Registering:
        case UpstreamState::Deregistering:
        case UpstreamState::Deregistered:
            return 1;
        case UpstreamState::RetryWait:
            return 2;
        case UpstreamState::Failed:
            return 3;
    }
    return 3;
}

}  // namespace

QVariantMap serverView(const UpstreamRegistration& registration) {
    const ServerAccount& account = registration.account();
    QVariantMap view{
        {QStringLiteral("server_uri"), QString::fromStdString(account.security.serverUri)},
        {QStringLiteral("short_server_id"), account.shortServerId},
        {QStringLiteral("security_mode"), securityModeName(account.security.mode)},
        {QStringLiteral("state"), upstreamStateText(registration.state())},
        {QStringLiteral("location"), registration.location()},
    };
    if (registration.state() == UpstreamState::RetryWait) {
        view.insert(QStringLiteral("next_attempt"), unixMs(registration.nextAttemptAt()));
    }
    if (registration.state() == UpstreamState::RetryWait ||
        registration.state() == UpstreamState::Failed) {
        view.insert(QStringLiteral("reason"), registration.lastError());
    }
    return view;
}

QList<QVariantMap> serversView(const QList<UpstreamRegistration*>& registrations) {
    QList<QVariantMap> views;
    for (const UpstreamRegistration* registration : registrations) {
        views.append(serverView(*registration));
    }
    // QMultiHash order is arbitrary; Short Server ID order is what an operator expects.
    std::sort(views.begin(), views.end(), [](const QVariantMap& a, const QVariantMap& b) {
        return a.value(QStringLiteral("short_server_id")).toInt() <
               b.value(QStringLiteral("short_server_id")).toInt();
    });
    return views;
}

QString aggregateState(const QList<UpstreamRegistration*>& registrations) {
    if (registrations.isEmpty()) {
        return QStringLiteral("no-upstream");
    }
    int worst = 0;
    for (const UpstreamRegistration* registration : registrations) {
        worst = std::max(worst, severity(registration->state()));
    }
    static const char* const names[] = {"registered", "registering", "retrying", "failed"};
    return QString::fromLatin1(names[worst]);
}

QVariantMap endpointView(const DownstreamRegistration& sensor, const QString& upstreamEndpoint,
                         const QList<UpstreamRegistration*>& upstream, bool details) {
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const qint64 remaining = std::max<qint64>(sensor.expiry.remainingMs(), 0);
    QVariantMap view{
        {QStringLiteral("endpoint"), sensor.endpoint},
        {QStringLiteral("upstream_endpoint"), upstreamEndpoint},
        {QStringLiteral("registration_id"), QStringLiteral("rd/") + sensor.id},
        {QStringLiteral("peer"), sensor.session()
                                     ? addressText(coap_session_get_addr_remote(sensor.session()))
                                     : QString()},
        {QStringLiteral("security_mode"),
         sensor.plugin ? QString::fromUtf8(sensor.plugin->name().data(),
                                           static_cast<qsizetype>(sensor.plugin->name().size()))
                       : QString()},
        {QStringLiteral("lifetime"), sensor.lifetimeSeconds},
        {QStringLiteral("lwm2m_version"), sensor.lwm2mVersion},
        {QStringLiteral("binding"), sensor.binding},
        {QStringLiteral("queue_mode"), sensor.queueMode},
        {QStringLiteral("registered_at"), unixMs(sensor.registeredAt)},
        {QStringLiteral("last_update_at"), unixMs(sensor.lastUpdateAt)},
        {QStringLiteral("expires_at"), remaining > 0 ? now + remaining : now},
        {QStringLiteral("state"), aggregateState(upstream)},
        {QStringLiteral("servers"), QVariant::fromValue(serversView(upstream))},
    };
    if (details) {
        view.insert(QStringLiteral("object_links"), QString::fromUtf8(sensor.objectLinks));
        view.insert(QStringLiteral("root_path"), sensor.rootPath);
    }
    return view;
}

QVariantMap pluginView(const PluginReport& report) {
    return {
        {QStringLiteral("file"), report.file},
        {QStringLiteral("name"), report.name},
        {QStringLiteral("mode"), securityModeName(report.mode)},
        {QStringLiteral("loaded"), report.loaded},
        {QStringLiteral("reason"), report.reason},
    };
}

}  // namespace lwm2mgw::dbus
