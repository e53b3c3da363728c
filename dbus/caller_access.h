#pragma once

#include <sys/types.h>
#include <QString>

namespace lwm2mgw::dbus {

// Whether a caller's uid may change the gateway: root, or a member of `adminGroup` (as its primary
// group or in the group database). The system bus policy enforces the same rule; this is the
// daemon's own check behind it, for a bus whose policy is missing or too open.
bool uidMayAdminister(uid_t uid, const QString& adminGroup);

}  // namespace lwm2mgw::dbus
