#pragma once

// How the daemon's dictionaries read in lwm2m-gatewayctl's tables.
#include <QJsonArray>
#include <QJsonObject>
#include <QString>

namespace lwm2mgw::ctl {

// Unix ms as UTC ISO 8601, "-" for 0.
QString timeText(const QJsonValue& unixMs);
// "registered", "retrying in 42 s: server unreachable", "failed: 4.03 Forbidden"
QString serverStateText(const QJsonObject& server);
// One line per server: "<uri> <state text>", joined with "; ".
QString serversSummary(const QJsonArray& servers);
// "3 (2 registered, 1 retrying)"
QString countsText(const QJsonObject& counts);

}  // namespace lwm2mgw::ctl
