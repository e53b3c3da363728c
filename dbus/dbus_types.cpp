#include "dbus_types.h"

#include <QDBusMetaType>

namespace lwm2mgw::dbus {

void registerDbusTypes() {
    qDBusRegisterMetaType<DictList>();
    qDBusRegisterMetaType<CountMap>();
    qDBusRegisterMetaType<CounterMap>();
}

}  // namespace lwm2mgw::dbus
