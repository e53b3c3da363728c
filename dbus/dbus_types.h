#pragma once

#include <QList>
#include <QMap>
#include <QString>
#include <QVariantMap>

namespace lwm2mgw::dbus {

// The container types of the interface that QtDBus does not know by itself (aa{sv}, a{su}).
using DictList = QList<QVariantMap>;
using CountMap = QMap<QString, uint>;
// a{st}: GetCounters' refusals by reason.
using CounterMap = QMap<QString, qulonglong>;

// Registers them with QtDBus; call once before the first connection (daemon and client).
void registerDbusTypes();

}  // namespace lwm2mgw::dbus
