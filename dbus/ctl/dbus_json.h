#pragma once

#include <QJsonValue>
#include <QVariant>

namespace lwm2mgw::ctl {

// What a reply holds as JSON: QtDBus leaves values nested in variants (a{sv} inside a{sv}, aa{sv})
// as QDBusArgument, which has to be walked by hand before QJsonValue can take it.
QJsonValue toJson(const QVariant& value);

}  // namespace lwm2mgw::ctl
