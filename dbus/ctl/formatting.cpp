#include "formatting.h"

#include <QDateTime>
#include <QStringList>

namespace lwm2mgw::ctl {

QString timeText(const QJsonValue& unixMs) {
    const qint64 ms = static_cast<qint64>(unixMs.toDouble());
    if (ms <= 0) {
        return QStringLiteral("-");
    }
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODate);
}

QString serverStateText(const QJsonObject& server) {
    const QString state = server.value(QStringLiteral("state")).toString();
    QString text = state;
    if (server.contains(QStringLiteral("next_attempt"))) {
        const qint64 next =
            static_cast<qint64>(server.value(QStringLiteral("next_attempt")).toDouble());
        const qint64 seconds =
            std::max<qint64>(0, (next - QDateTime::currentMSecsSinceEpoch() + 999) / 1000);
        text += QStringLiteral(" in %1 s").arg(seconds);
    }
    const QString reason = server.value(QStringLiteral("reason")).toString();
    if (!reason.isEmpty()) {
        text += QStringLiteral(": ") + reason;
    }
    return text;
}

QString serversSummary(const QJsonArray& servers) {
    if (servers.isEmpty()) {
        return QStringLiteral("-");
    }
    QStringList parts;
    for (const QJsonValue& server : servers) {
        const QJsonObject object = server.toObject();
        parts << object.value(QStringLiteral("server_uri")).toString() + QLatin1Char(' ') +
                     serverStateText(object);
    }
    return parts.join(QStringLiteral("; "));
}

QString countsText(const QJsonObject& counts) {
    QStringList parts;
    for (auto it = counts.begin(); it != counts.end(); ++it) {
        if (it.key() != QLatin1String("total")) {
            parts << QStringLiteral("%1 %2").arg(it.value().toInt()).arg(it.key());
        }
    }
    const int total = counts.value(QStringLiteral("total")).toInt();
    return parts.isEmpty()
               ? QString::number(total)
               : QStringLiteral("%1 (%2)").arg(total).arg(parts.join(QStringLiteral(", ")));
}

}  // namespace lwm2mgw::ctl
