#pragma once

// Names of the control interface, shared by the daemon's service and lwm2m-gatewayctl. The
// introspection XML beside this file is the contract they belong to.
#include <QString>

namespace lwm2mgw::dbus {

inline const QString kServiceName = QStringLiteral("org.lwm2mgateway.Gateway1");
inline const QString kObjectPath = QStringLiteral("/org/lwm2mgateway/Gateway1");
inline const QString kInterface = QStringLiteral("org.lwm2mgateway.Gateway1");
inline const QString kCredentialsInterface =
    QStringLiteral("org.lwm2mgateway.Gateway1.Credentials");
// Members of this group (and root) may call the mutating methods on the system bus.
inline const QString kAdminGroup = QStringLiteral("lwm2m-gateway");

namespace error {
inline const QString kNotFound = QStringLiteral("org.lwm2mgateway.Error.NotFound");
inline const QString kInvalidArgument = QStringLiteral("org.lwm2mgateway.Error.InvalidArgument");
inline const QString kAccessDenied = QStringLiteral("org.lwm2mgateway.Error.AccessDenied");
inline const QString kNotSupported = QStringLiteral("org.lwm2mgateway.Error.NotSupported");
inline const QString kFailed = QStringLiteral("org.lwm2mgateway.Error.Failed");
inline const QString kReadOnly = QStringLiteral("org.lwm2mgateway.Error.ReadOnly");
inline const QString kDiskFull = QStringLiteral("org.lwm2mgateway.Error.DiskFull");
}  // namespace error

}  // namespace lwm2mgw::dbus
