#pragma once

// The daemon's state as the dictionaries org.lwm2mgateway.Gateway1.xml documents. Pure
// functions of the registrations: no D-Bus here, so the shapes are easy to check.
#include <QList>
#include <QString>
#include <QVariantMap>

namespace lwm2mgw {
class UpstreamRegistration;
struct DownstreamRegistration;
struct PluginReport;
}  // namespace lwm2mgw

namespace lwm2mgw::dbus {

// The "server" dictionary: one endpoint's state at one upstream server.
QVariantMap serverView(const UpstreamRegistration& registration);
QList<QVariantMap> serversView(const QList<UpstreamRegistration*>& registrations);

// The endpoint's "state": the worst over its servers, "no-upstream" without any.
QString aggregateState(const QList<UpstreamRegistration*>& registrations);

// The "endpoint" dictionary; `details` adds object_links and root_path (GetEndpoint).
QVariantMap endpointView(const DownstreamRegistration& sensor, const QString& upstreamEndpoint,
                         const QList<UpstreamRegistration*>& upstream, bool details);

QVariantMap pluginView(const PluginReport& report);

}  // namespace lwm2mgw::dbus
