// Gateway::reload: what a running gateway re-reads on `systemctl reload` / D-Bus Reload.
#include "gateway.h"

namespace lwm2mgw {

QString Gateway::reload(QStringList& changes) {
    changes.clear();
    return QStringLiteral("reloading is not implemented yet; restart the service");
}

}  // namespace lwm2mgw
