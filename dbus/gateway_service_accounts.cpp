// org.lwm2mgateway.Gateway1.Credentials, upstream part: server accounts (a Security /0 and a
// Server /1 instance with the same Short Server ID) and provisioning files. Every write goes
// through the store's bootstrap-session or provisioning path, so it gets the same consistency
// checks as a Bootstrap-Finish and lands in one transaction; then the gateway is told, so the
// endpoint registers at new accounts and de-registers at removed ones without a restart.
#include "coap_uri.h"
#include "dbus_names.h"
#include "dict_reader.h"
#include "gateway.h"
#include "gateway_service.h"

#include <lwm2m-gateway/credstore/credential_store.h>
#include <lwm2m-gateway/credstore/provisioning.h>

#include <QDBusMessage>
#include <QFile>
#include <QLoggingCategory>

#include <unistd.h>

#include <algorithm>
#include <limits>

Q_DECLARE_LOGGING_CATEGORY(lcDbus)

namespace lwm2mgw::dbus {

namespace {

using credstore::SecurityMode;

// Provisioning files are a few KiB; a descriptor onto something endless must not be read whole.
constexpr qint64 kMaxProvisioningBytes = 4 * 1024 * 1024;

const QList<std::pair<QString, SecurityMode>>& modeNames() {
    static const QList<std::pair<QString, SecurityMode>> names{
        {QStringLiteral("psk"), SecurityMode::PreSharedKey},
        {QStringLiteral("rpk"), SecurityMode::RawPublicKey},
        {QStringLiteral("x509"), SecurityMode::Certificate},
        {QStringLiteral("nosec"), SecurityMode::NoSec},
        {QStringLiteral("est"), SecurityMode::CertificateWithEst}};
    return names;
}

QString modeName(SecurityMode mode) {
    for (const auto& [name, value] : modeNames()) {
        if (value == mode) {
            return name;
        }
    }
    return QString::number(static_cast<int>(mode));
}

std::string bytes(const QByteArray& value) {
    return std::string(value.constData(), static_cast<size_t>(value.size()));
}

QVariantMap accountView(const std::string& endpoint,
                        const credstore::SecurityObjectInstance& security,
                        const credstore::ServerObjectInstance* server) {
    const bool psk = security.securityMode == SecurityMode::PreSharedKey;
    return {
        {QStringLiteral("endpoint"), QString::fromStdString(endpoint)},
        {QStringLiteral("short_server_id"), server ? int(server->shortServerId) : 0},
        {QStringLiteral("server_uri"), QString::fromStdString(security.serverUri)},
        {QStringLiteral("security_mode"), modeName(security.securityMode)},
        {QStringLiteral("bootstrap_server"), security.bootstrapServer},
        {QStringLiteral("identity"),
         psk ? QString::fromUtf8(security.publicKeyOrIdentity.data(),
                                 static_cast<qsizetype>(security.publicKeyOrIdentity.size()))
             : QString()},
        {QStringLiteral("has_secret_key"), security.hasSecretKey},
        {QStringLiteral("lifetime"), server ? uint(server->lifetime) : 0u},
        {QStringLiteral("binding"), server ? QString::fromStdString(server->binding) : QString()},
        {QStringLiteral("security_instance"), int(security.instanceId)},
        {QStringLiteral("server_instance"), server ? int(server->instanceId) : -1},
    };
}

template <typename Instances>
std::uint16_t lowestFreeId(const Instances& instances) {
    std::uint16_t id = 0;
    while (std::any_of(instances.begin(), instances.end(),
                       [id](const auto& each) { return each.instanceId == id; })) {
        ++id;
    }
    return id;
}

}  // namespace

std::optional<credstore::BootstrapSession> GatewayService::beginAccountChange(
    const QString& endpoint, const QString& failure) {
    credstore::CredentialStore* store = storeOrFail();
    if (!store) {
        return std::nullopt;
    }
    auto begun = store->beginBootstrap(endpoint.toStdString());
    if (!begun) {
        failStore(begun.error(), failure);
        return std::nullopt;
    }
    return std::move(begun).value();
}

QList<QVariantMap> GatewayService::ListAccounts() {
    if (!mayChange(QStringLiteral("list server accounts"))) {
        return {};
    }
    const credstore::CredentialStore* store = storeOrFail();
    if (!store) {
        return {};
    }
    auto endpoints = store->endpointsWithAccounts();
    if (!endpoints) {
        failStore(endpoints.error(), QStringLiteral("cannot list the server accounts"));
        return {};
    }
    QList<QVariantMap> list;
    for (const std::string& endpoint : endpoints.value()) {
        auto accounts = store->serverAccounts(endpoint);
        auto bootstrap = store->bootstrapAccount(endpoint);
        if (!accounts || !bootstrap) {
            failStore(accounts ? bootstrap.error() : accounts.error(),
                      QStringLiteral("cannot list the server accounts"));
            return {};
        }
        if (bootstrap.value()) {
            list.append(accountView(endpoint, *bootstrap.value(), nullptr));
        }
        std::vector<credstore::ServerAccount> sorted = std::move(accounts).value();
        std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
            return a.server.shortServerId < b.server.shortServerId;
        });
        for (const credstore::ServerAccount& account : sorted) {
            list.append(accountView(endpoint, account.security, &account.server));
        }
    }
    return list;
}

void GatewayService::AddAccount(const QVariantMap& account) {
    // Never logged as a whole: it may hold a secret key.
    if (!mayChange(QStringLiteral("add server accounts"))) {
        return;
    }
    DictReader reader(account, QStringLiteral("account"));
    const auto endpoint = reader.string(QStringLiteral("endpoint"), true);
    const auto ssid = reader.integer(QStringLiteral("short_server_id"), true, 1, 65534);
    const auto uriText = reader.string(QStringLiteral("server_uri"), true);
    const auto modeText = reader.string(QStringLiteral("security_mode"), false);
    const auto lifetime = reader.integer(QStringLiteral("lifetime"), false, 0,
                                         std::numeric_limits<std::uint32_t>::max());
    const auto binding = reader.string(QStringLiteral("binding"), false);
    const auto identity = reader.bytes(QStringLiteral("identity"), false);
    const auto ownKey = reader.bytes(QStringLiteral("public_key_or_identity"), false);
    const auto serverKey = reader.bytes(QStringLiteral("server_public_key"), false);
    const auto secretKey = reader.bytes(QStringLiteral("secret_key"), false);
    if (!reader.noOtherKeys()) {
        fail(error::kInvalidArgument, reader.error());
        return;
    }
    if (!validEndpointName(*endpoint)) {
        return;
    }
    SecurityMode mode = SecurityMode::NoSec;
    if (modeText) {
        const auto named = std::find_if(modeNames().begin(), modeNames().end(),
                                        [&](const auto& each) { return each.first == *modeText; });
        if (named == modeNames().end()) {
            fail(error::kInvalidArgument,
                 QStringLiteral("account: security_mode must be nosec, psk, rpk or x509, not '%1'")
                     .arg(*modeText));
            return;
        }
        mode = named->second;
    }
    QString uriError;
    const std::optional<CoapUri> uri = parseCoapUri(*uriText, uriError);
    if (!uri) {
        fail(error::kInvalidArgument, QStringLiteral("account: server_uri: ") + uriError);
        return;
    }
    if (uri->secure == (mode == SecurityMode::NoSec)) {
        fail(error::kInvalidArgument,
             QStringLiteral("account: security_mode %1 needs a %2 server_uri")
                 .arg(modeName(mode), mode == SecurityMode::NoSec ? QStringLiteral("coap://")
                                                                  : QStringLiteral("coaps://")));
        return;
    }
    if (identity && ownKey) {
        fail(error::kInvalidArgument,
             QStringLiteral("account: give identity or public_key_or_identity, not both"));
        return;
    }
    const QByteArray keyOrIdentity = identity ? *identity : ownKey.value_or(QByteArray());
    if (mode == SecurityMode::PreSharedKey && keyOrIdentity.isEmpty()) {
        fail(error::kInvalidArgument, QStringLiteral("account: a psk account needs its identity"));
        return;
    }
    if ((mode == SecurityMode::RawPublicKey || mode == SecurityMode::Certificate) &&
        (keyOrIdentity.isEmpty() || !serverKey || serverKey->isEmpty())) {
        fail(error::kInvalidArgument,
             QStringLiteral("account: a %1 account needs public_key_or_identity (the gateway's own "
                            "key or certificate) and server_public_key")
                 .arg(modeName(mode)));
        return;
    }
    const QString what = QStringLiteral("account %1 of %2").arg(*ssid).arg(*endpoint);
    std::optional<credstore::BootstrapSession> begun =
        beginAccountChange(*endpoint, QStringLiteral("cannot store the ") + what);
    if (!begun) {
        return;
    }
    credstore::BootstrapSession& session = *begun;
    const std::vector<credstore::SecurityObjectInstance> securities = session.securityInstances();
    const std::vector<credstore::ServerObjectInstance> servers = session.serverInstances();
    const auto sameSsid = [&](const credstore::SecurityObjectInstance& each) {
        return each.shortServerId && *each.shortServerId == *ssid;
    };
    const auto oldSecurity = std::find_if(securities.begin(), securities.end(), sameSsid);
    if (oldSecurity != securities.end() && oldSecurity->bootstrapServer) {
        fail(error::kInvalidArgument,
             QStringLiteral("account: short server id %1 is the Bootstrap-Server account's")
                 .arg(*ssid));
        return;
    }
    const bool keepSecret = oldSecurity != securities.end() && oldSecurity->securityMode == mode &&
                            oldSecurity->hasSecretKey;
    if (mode != SecurityMode::NoSec && (!secretKey || secretKey->isEmpty()) && !keepSecret) {
        fail(error::kInvalidArgument,
             QStringLiteral("account: a %1 account needs secret_key (%2)")
                 .arg(modeName(mode), mode == SecurityMode::PreSharedKey
                                          ? QStringLiteral("the pre-shared key")
                                          : QStringLiteral("the gateway's private key")));
        return;
    }
    credstore::SecurityObjectInstance security;
    security.instanceId =
        oldSecurity != securities.end() ? oldSecurity->instanceId : lowestFreeId(securities);
    security.serverUri = uriText->toStdString();
    security.securityMode = mode;
    security.publicKeyOrIdentity = bytes(keyOrIdentity);
    security.serverPublicKey = bytes(serverKey.value_or(QByteArray()));
    security.shortServerId = static_cast<std::uint16_t>(*ssid);
    std::optional<credstore::SecurityObjectSecrets> secrets;
    if (secretKey && !secretKey->isEmpty()) {
        secrets.emplace();
        secrets->secretKey = credstore::Secret(bytes(*secretKey));
    } else if (!keepSecret) {
        secrets.emplace();  // NoSec: no key, and none left over from a replaced account
    }
    const auto oldServer = std::find_if(
        servers.begin(), servers.end(),
        [&](const credstore::ServerObjectInstance& each) { return each.shortServerId == *ssid; });
    credstore::ServerObjectInstance server =
        oldServer != servers.end() ? *oldServer : credstore::ServerObjectInstance{};
    if (oldServer == servers.end()) {
        server.instanceId = lowestFreeId(servers);
        server.shortServerId = static_cast<std::uint16_t>(*ssid);
    }
    if (lifetime) {
        server.lifetime = static_cast<std::uint32_t>(*lifetime);
    }
    if (binding) {
        server.binding = binding->toStdString();
    }
    credstore::Result<void> written = session.writeSecurity(security, std::move(secrets));
    if (written) {
        written = session.writeServer(server);
    }
    if (written) {
        written = session.commit(
            [this](SecurityMode each) { return modeAvailable(static_cast<int>(each)); });
    }
    if (!written) {
        failStore(written.error(), QStringLiteral("cannot store the ") + what);
        return;
    }
    qCInfo(lcDbus).noquote() << "stored" << what
                             << QStringLiteral("(%1, %2)").arg(uri->toString(), modeName(mode))
                             << "at the request of" << message().service();
    gateway_.serverAccountsChanged(*endpoint);
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
    const QString what = QStringLiteral("account %1 of %2").arg(shortServerId).arg(endpoint);
    std::optional<credstore::BootstrapSession> begun =
        beginAccountChange(endpoint, QStringLiteral("cannot remove the ") + what);
    if (!begun) {
        return;
    }
    credstore::BootstrapSession& session = *begun;
    const std::vector<credstore::SecurityObjectInstance> securities = session.securityInstances();
    const std::vector<credstore::ServerObjectInstance> servers = session.serverInstances();
    const auto security = std::find_if(securities.begin(), securities.end(), [&](const auto& each) {
        return !each.bootstrapServer && each.shortServerId && *each.shortServerId == shortServerId;
    });
    const auto server = std::find_if(servers.begin(), servers.end(), [&](const auto& each) {
        return each.shortServerId == shortServerId;
    });
    if (security == securities.end() && server == servers.end()) {
        fail(error::kNotFound, QStringLiteral("%1 has no account with short server id %2; "
                                              "'lwm2m-gatewayctl accounts list' shows the accounts")
                                   .arg(endpoint)
                                   .arg(shortServerId));
        return;
    }
    const bool hasBootstrap = std::any_of(securities.begin(), securities.end(),
                                          [](const auto& each) { return each.bootstrapServer; });
    if (!hasBootstrap && servers.size() <= 1 && server != servers.end()) {
        // A Bootstrap-Finish must leave an account; an operator may take the last one away, and
        // the endpoint falls back to the gateway's accounts (its downstream credentials stay).
        auto emptied = gateway_.credentialStore()->removeAccounts(endpoint.toStdString());
        if (!emptied) {
            failStore(emptied.error(), QStringLiteral("cannot remove the ") + what);
            return;
        }
        qCInfo(lcDbus).noquote() << "removed" << what << "(its last) at the request of"
                                 << message().service() << "- it uses the gateway's accounts now";
        gateway_.serverAccountsChanged(endpoint);
        return;
    }
    credstore::Result<void> removed;
    if (server != servers.end()) {
        removed = session.deletePath("/1/" + std::to_string(server->instanceId));
    }
    if (removed && security != securities.end()) {
        removed = session.deletePath("/0/" + std::to_string(security->instanceId));
    }
    if (removed) {
        removed = session.commit(
            [this](SecurityMode each) { return modeAvailable(static_cast<int>(each)); });
    }
    if (!removed) {
        failStore(removed.error(), QStringLiteral("cannot remove the ") + what);
        return;
    }
    qCInfo(lcDbus).noquote() << "removed" << what << "at the request of" << message().service();
    gateway_.serverAccountsChanged(endpoint);
}

QVariantMap GatewayService::ImportProvisioningFile(const QDBusUnixFileDescriptor& file) {
    if (!mayChange(QStringLiteral("import provisioning files"))) {
        return {};
    }
    if (!file.isValid()) {
        fail(error::kInvalidArgument, QStringLiteral("the file descriptor passed is not valid"));
        return {};
    }
    credstore::CredentialStore* store = storeOrFail();
    if (!store) {
        return {};
    }
    // A copy of the caller's descriptor: QFile closes its own.
    QFile input;
    const int fd = ::dup(file.fileDescriptor());
    if (fd < 0 || !input.open(fd, QIODevice::ReadOnly, QFileDevice::AutoCloseHandle)) {
        if (fd >= 0) {
            ::close(fd);
        }
        fail(error::kInvalidArgument, QStringLiteral("the file passed cannot be read"));
        return {};
    }
    const QByteArray json = input.read(kMaxProvisioningBytes + 1);
    if (json.size() > kMaxProvisioningBytes) {
        fail(error::kInvalidArgument,
             QStringLiteral("the provisioning file is larger than %1 bytes")
                 .arg(kMaxProvisioningBytes));
        return {};
    }
    const std::string_view text(json.constData(), static_cast<size_t>(json.size()));
    // Parsed first for the endpoint names the gateway must be told about; the import parses
    // (and checks) again inside its transaction.
    auto parsed = credstore::parseProvisioning(text);
    if (!parsed) {
        failStore(parsed.error(), QStringLiteral("the provisioning file was not imported"));
        return {};
    }
    auto imported = credstore::importProvisioning(
        *store, text, [this](SecurityMode each) { return modeAvailable(static_cast<int>(each)); });
    if (!imported) {
        failStore(imported.error(), QStringLiteral("the provisioning file was not imported"));
        return {};
    }
    QStringList names;
    for (const credstore::EndpointAccounts& endpoint : parsed.value()) {
        names << QString::fromStdString(endpoint.endpoint);
    }
    qCInfo(lcDbus).noquote() << "imported a provisioning file for"
                             << names.join(QStringLiteral(", ")) << "at the request of"
                             << message().service();
    for (const QString& name : names) {
        gateway_.serverAccountsChanged(name);
    }
    return {{QStringLiteral("endpoints"), uint(imported->endpoints)},
            {QStringLiteral("security_instances"), uint(imported->securityInstances)},
            {QStringLiteral("server_instances"), uint(imported->serverInstances)},
            {QStringLiteral("endpoint_names"), names}};
}

}  // namespace lwm2mgw::dbus
