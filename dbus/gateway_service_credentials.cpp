// org.lwm2mgateway.Gateway1.Credentials. Writing the credential store from the daemon is not
// done yet, so every call is checked (caller, arguments) and then answered NotSupported:
// a client can be written against the contract now and will work unchanged later.
#include "dbus_names.h"
#include "gateway_service.h"

namespace lwm2mgw::dbus {

namespace {

QString notSupportedText(const QString& what) {
    return QStringLiteral("%1 over D-Bus is not implemented yet; the daemon reads the credential store "
                          "(gateway/store) as it is, so write it with the provisioning tools and restart")
        .arg(what);
}

}  // namespace

QList<QVariantMap> GatewayService::ListCredentials() {
    if (mayChange(QStringLiteral("list credentials"))) {
        fail(error::kNotSupported,
             notSupportedText(QStringLiteral("listing downstream credentials")));
    }
    return {};
}

void GatewayService::AddCredential(const QVariantMap& credential) {
    Q_UNUSED(credential)  // never logged: it may hold a key
    if (mayChange(QStringLiteral("add credentials"))) {
        fail(error::kNotSupported,
             notSupportedText(QStringLiteral("adding a downstream credential")));
    }
}

void GatewayService::RemoveCredential(const QString& endpoint, const QString& mode) {
    Q_UNUSED(mode)
    if (validEndpointName(endpoint) && mayChange(QStringLiteral("remove credentials"))) {
        fail(error::kNotSupported,
             notSupportedText(QStringLiteral("removing a downstream credential")));
    }
}

QList<QVariantMap> GatewayService::ListAccounts() {
    if (mayChange(QStringLiteral("list server accounts"))) {
        fail(error::kNotSupported, notSupportedText(QStringLiteral("listing server accounts")));
    }
    return {};
}

void GatewayService::AddAccount(const QVariantMap& account) {
    Q_UNUSED(account)  // never logged: it may hold a secret key
    if (mayChange(QStringLiteral("add server accounts"))) {
        fail(error::kNotSupported, notSupportedText(QStringLiteral("adding a server account")));
    }
}

void GatewayService::RemoveAccount(const QString& endpoint, int shortServerId) {
    if (!validEndpointName(endpoint) || !mayChange(QStringLiteral("remove server accounts"))) {
        return;
    }
    if (shortServerId < 1 || shortServerId > 65534) {
        fail(error::kInvalidArgument,
             QStringLiteral("short server id %1 is outside 1..65534").arg(shortServerId));
        return;
    }
    fail(error::kNotSupported, notSupportedText(QStringLiteral("removing a server account")));
}

QVariantMap GatewayService::ImportProvisioningFile(const QDBusUnixFileDescriptor& file) {
    if (!mayChange(QStringLiteral("import provisioning files"))) {
        return {};
    }
    if (!file.isValid()) {
        fail(error::kInvalidArgument, QStringLiteral("the file descriptor passed is not valid"));
        return {};
    }
    fail(error::kNotSupported, notSupportedText(QStringLiteral("importing a provisioning file")));
    return {};
}

}  // namespace lwm2mgw::dbus
