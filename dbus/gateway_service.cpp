#include "gateway_service.h"

#include "caller_access.h"
#include "dbus_names.h"
#include "downstream_server.h"
#include "endpoint_view.h"
#include "gateway.h"
#include "gateway1_adaptor.h"
#include "gateway1_credentials_adaptor.h"
#include "registration_registry.h"
#include "request_relay.h"
#include "upstream_registration.h"

#include <QDBusConnectionInterface>
#include <QDBusReply>
#include <QLoggingCategory>

#include <algorithm>

Q_LOGGING_CATEGORY(lcDbus, "lwm2mgw.dbus")

namespace lwm2mgw::dbus {

namespace {

// Far beyond any real endpoint name; keeps a hostile caller from making the daemon log megabytes.
constexpr qsizetype kMaxEndpointNameLength = 1024;

QString endReason(RegistrationEnd end) {
    switch (end) {
        case RegistrationEnd::Deregistered:
            return QStringLiteral("deregistered");
        case RegistrationEnd::Expired:
            return QStringLiteral("expired");
        case RegistrationEnd::Replaced:
            return QStringLiteral("replaced");
        case RegistrationEnd::Shutdown:
            return QStringLiteral("shutdown");
    }
    return {};
}

}  // namespace

GatewayService::GatewayService(Gateway& gateway, QString version, bool checkCallers,
                               QObject* parent)
    : QObject(parent),
      gateway_(gateway),
      version_(std::move(version)),
      checkCallers_(checkCallers) {
    // The adaptors are children of this object; QDBusConnection exports them with it.
    new Gateway1Adaptor(this);
    new Gateway1CredentialsAdaptor(this);
    RegistrationRegistry& registry = gateway_.registry();
    connect(&registry, &RegistrationRegistry::registered, this,
            [this](DownstreamRegistration* registration) {
                emit EndpointRegistered(registration->endpoint);
            });
    connect(&registry, &RegistrationRegistry::ending, this, &GatewayService::onEnding);
    connect(&gateway_, &Gateway::upstreamStarted, this, &GatewayService::watchUpstream);
    connect(&gateway_, &Gateway::bootstrapFinished, this, &GatewayService::onBootstrapFinished);
    connect(&gateway_, &Gateway::bootstrapFailed, this, &GatewayService::onBootstrapFailed);
    // The gateway's own registrations were created by Gateway::start(), before this object.
    for (UpstreamRegistration* registration :
         gateway_.upstreamRegistrations(gateway_.config().endpointName)) {
        watchUpstream(registration);
    }
}

GatewayService::~GatewayService() = default;

QString GatewayService::publish(QDBusConnection connection) {
    // Object first: a client that sees the name appear must find the object behind it.
    if (!connection.registerObject(kObjectPath, this, QDBusConnection::ExportAdaptors)) {
        return QStringLiteral("cannot export %1 on the bus: %2")
            .arg(kObjectPath, connection.lastError().message());
    }
    if (!connection.registerService(kServiceName)) {
        const QString reason = connection.lastError().isValid()
                                   ? connection.lastError().message()
                                   : QStringLiteral("the name is already taken");
        connection.unregisterObject(kObjectPath);
        return QStringLiteral(
                   "cannot take the bus name %1 (%2); is another lwm2m-gatewayd running, and does "
                   "the bus policy (/usr/share/dbus-1/system.d/%1.conf) let this user own it?")
            .arg(kServiceName, reason);
    }
    return {};
}

void GatewayService::watchUpstream(UpstreamRegistration* registration) {
    connect(registration, &UpstreamRegistration::stateChanged, this, [this, registration] {
        emit UpstreamStateChanged(registration->localEndpoint(), serverView(*registration));
    });
}

void GatewayService::onEnding(DownstreamRegistration* registration, RegistrationEnd end) {
    const QString reason =
        registration->endpoint == deregistering_ ? QStringLiteral("operator") : endReason(end);
    emit EndpointGone(registration->endpoint, reason);
}

void GatewayService::fail(const QString& name, const QString& text) {
    if (!calledFromDBus()) {
        qCWarning(lcDbus).noquote() << name << text;
        return;
    }
    qCInfo(lcDbus).noquote() << message().member() << "from" << message().service()
                             << "refused:" << name << text;
    sendErrorReply(name, text);
}

bool GatewayService::mayChange(const QString& what) {
    if (!checkCallers_ || !calledFromDBus()) {
        return true;
    }
    const QDBusReply<uint> uid = connection().interface()->serviceUid(message().service());
    if (uid.isValid() && uidMayAdminister(static_cast<uid_t>(uid.value()), kAdminGroup)) {
        return true;
    }
    fail(error::kAccessDenied,
         QStringLiteral("only root and members of group %1 may %2; ask an administrator to run "
                        "'adduser <user> %1' (then log in again)")
             .arg(kAdminGroup, what));
    return false;
}

bool GatewayService::validEndpointName(const QString& endpoint) {
    if (endpoint.trimmed().isEmpty()) {
        fail(error::kInvalidArgument, QStringLiteral("the endpoint name is empty"));
        return false;
    }
    if (endpoint.size() > kMaxEndpointNameLength) {
        fail(error::kInvalidArgument,
             QStringLiteral("the endpoint name is %1 characters long; at most %2 are accepted")
                 .arg(endpoint.size())
                 .arg(kMaxEndpointNameLength));
        return false;
    }
    return true;
}

QString GatewayService::gatewayEndpoint() const {
    return gateway_.config().endpointName;
}

QList<QVariantMap> GatewayService::plugins() const {
    QList<QVariantMap> views;
    for (const PluginReport& report : gateway_.pluginReports()) {
        views.append(pluginView(report));
    }
    return views;
}

QStringList GatewayService::listeners() const {
    return gateway_.config().listenUris;
}

QMap<QString, uint> GatewayService::endpointCounts() const {
    QMap<QString, uint> counts;
    const QList<DownstreamRegistration*> sensors = gateway_.registry().registrations();
    for (const DownstreamRegistration* sensor : sensors) {
        ++counts[aggregateState(gateway_.upstreamRegistrations(sensor->endpoint))];
    }
    counts.insert(QStringLiteral("total"), static_cast<uint>(sensors.size()));
    return counts;
}

QList<QVariantMap> GatewayService::ListEndpoints() {
    QList<QVariantMap> views;
    QList<DownstreamRegistration*> sensors = gateway_.registry().registrations();
    std::sort(sensors.begin(), sensors.end(),
              [](const DownstreamRegistration* a, const DownstreamRegistration* b) {
                  return a->endpoint < b->endpoint;
              });
    for (const DownstreamRegistration* sensor : sensors) {
        views.append(endpointView(*sensor,
                                  gateway_.config().upstreamEndpointPrefix + sensor->endpoint,
                                  gateway_.upstreamRegistrations(sensor->endpoint), false));
    }
    return views;
}

QVariantMap GatewayService::GetEndpoint(const QString& endpoint) {
    if (!validEndpointName(endpoint)) {
        return {};
    }
    const DownstreamRegistration* sensor = gateway_.registry().byEndpoint(endpoint);
    if (!sensor) {
        fail(error::kNotFound,
             QStringLiteral("no sensor is registered as '%1'; 'lwm2m-gatewayctl endpoints' lists "
                            "those that are")
                 .arg(endpoint));
        return {};
    }
    return endpointView(*sensor, gateway_.config().upstreamEndpointPrefix + sensor->endpoint,
                        gateway_.upstreamRegistrations(endpoint), true);
}

QList<QVariantMap> GatewayService::ListServers() {
    QList<QVariantMap> servers =
        serversView(gateway_.upstreamRegistrations(gateway_.config().endpointName));
    const QList<DownstreamRegistration*> sensors = gateway_.registry().registrations();
    for (QVariantMap& server : servers) {
        const int id = server.value(QStringLiteral("short_server_id")).toInt();
        uint registered = 0;
        for (const DownstreamRegistration* sensor : sensors) {
            for (const UpstreamRegistration* upstream :
                 gateway_.upstreamRegistrations(sensor->endpoint)) {
                const bool up = upstream->state() == UpstreamState::Registered ||
                                upstream->state() == UpstreamState::Updating;
                if (upstream->account().shortServerId == id && up) {
                    ++registered;
                }
            }
        }
        server.insert(QStringLiteral("endpoints_registered"), registered);
    }
    return servers;
}

void GatewayService::Deregister(const QString& endpoint) {
    if (!validEndpointName(endpoint) || !mayChange(QStringLiteral("de-register endpoints"))) {
        return;
    }
    if (endpoint == gateway_.config().endpointName) {
        fail(error::kInvalidArgument,
             QStringLiteral(
                 "'%1' is the gateway's own endpoint; its registration ends when the service stops")
                 .arg(endpoint));
        return;
    }
    if (!gateway_.registry().byEndpoint(endpoint)) {
        fail(error::kNotFound, QStringLiteral("no sensor is registered as '%1'").arg(endpoint));
        return;
    }
    deregistering_ = endpoint;
    const bool done = gateway_.deregisterEndpoint(endpoint);
    deregistering_.clear();
    if (!done) {
        fail(error::kFailed,
             QStringLiteral("the registration of '%1' could not be ended; see the journal")
                 .arg(endpoint));
        return;
    }
    qCInfo(lcDbus).noquote() << endpoint << "de-registered at the request of"
                             << message().service();
}

void GatewayService::TriggerUpdate(const QString& endpoint) {
    if (!validEndpointName(endpoint) ||
        !mayChange(QStringLiteral("trigger registration updates"))) {
        return;
    }
    if (endpoint != gateway_.config().endpointName && !gateway_.registry().byEndpoint(endpoint)) {
        fail(error::kNotFound, QStringLiteral("no sensor is registered as '%1'").arg(endpoint));
        return;
    }
    const QList<UpstreamRegistration*> upstream = gateway_.upstreamRegistrations(endpoint);
    if (upstream.isEmpty()) {
        fail(error::kFailed,
             QStringLiteral("'%1' has no upstream server to update; configure upstream/servers")
                 .arg(endpoint));
        return;
    }
    for (UpstreamRegistration* registration : upstream) {
        registration->triggerUpdate();
    }
}

void GatewayService::StartBootstrap(const QString& endpoint) {
    // Empty means the gateway's own endpoint.
    if ((!endpoint.isEmpty() && !validEndpointName(endpoint)) ||
        !mayChange(QStringLiteral("start bootstrap"))) {
        return;
    }
    const QString target = endpoint.isEmpty() ? gateway_.config().endpointName : endpoint;
    if (target != gateway_.config().endpointName && !gateway_.registry().byEndpoint(target)) {
        fail(error::kNotFound, QStringLiteral("no sensor is registered as '%1'").arg(target));
        return;
    }
    if (const QString reason = gateway_.requestBootstrap(target); !reason.isEmpty()) {
        fail(error::kFailed, QStringLiteral("cannot bootstrap %1: %2").arg(target, reason));
        return;
    }
    qCInfo(lcDbus).noquote() << "bootstrap of" << target << "requested by" << message().service();
}

void GatewayService::onBootstrapFinished(const QString& endpoint) {
    emit BootstrapFinished(endpoint == gateway_.config().endpointName ? QString() : endpoint);
}

void GatewayService::onBootstrapFailed(const QString& endpoint, const QString& reason) {
    emit BootstrapFailed(endpoint == gateway_.config().endpointName ? QString() : endpoint, reason);
}

QStringList GatewayService::Reload() {
    if (!mayChange(QStringLiteral("reload the configuration"))) {
        return {};
    }
    QStringList changes;
    if (const QString error = gateway_.reload(changes); !error.isEmpty()) {
        fail(error::kInvalidArgument,
             QStringLiteral("the configuration was not reloaded, nothing changed: %1").arg(error));
        return {};
    }
    qCInfo(lcDbus).noquote() << "configuration reloaded at the request of" << message().service();
    return changes;
}

QVariantMap GatewayService::GetCounters() {
    const RelayCounters counters = gateway_.relayCounters();
    DownstreamSessionCounters sessions;
    for (const DownstreamServer* server : gateway_.downstreamServers()) {
        const DownstreamSessionCounters& each = server->counters();
        sessions.admitted += each.admitted;
        sessions.refusedByPolicy += each.refusedByPolicy;
        sessions.closedBeforeAdmission += each.closedBeforeAdmission;
        sessions.refusedEndpointMismatch += each.refusedEndpointMismatch;
    }
    const CounterMap refusals{
        {QStringLiteral("policy"), sessions.refusedByPolicy},
        {QStringLiteral("handshake"), sessions.closedBeforeAdmission},
        {QStringLiteral("endpoint_mismatch"), sessions.refusedEndpointMismatch},
    };
    return {
        {QStringLiteral("requests_proxied"), QVariant::fromValue(counters.requestsRelayed)},
        {QStringLiteral("notifications_relayed"),
         QVariant::fromValue(counters.notificationsRelayed)},
        {QStringLiteral("sends_relayed"), QVariant::fromValue(counters.sendsRelayed)},
        {QStringLiteral("sensor_timeouts"), QVariant::fromValue(counters.sensorTimeouts)},
        {QStringLiteral("handshakes"), QVariant::fromValue(sessions.admitted)},
        {QStringLiteral("refusals"), QVariant::fromValue(refusals)},
    };
}

}  // namespace lwm2mgw::dbus
