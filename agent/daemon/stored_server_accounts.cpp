#include "stored_server_accounts.h"

#include <QLoggingCategory>

#include <algorithm>
#include <limits>

Q_DECLARE_LOGGING_CATEGORY(lcUpstream)

namespace lwm2mgw {

StoredServerAccounts::StoredServerAccounts(const credstore::CredentialStore& store,
                                           QString gatewayEndpoint,
                                           const ServerAccountDirectory& configured)
    : store_(store), gatewayEndpoint_(std::move(gatewayEndpoint)), configured_(configured) {}

QList<ServerAccount> StoredServerAccounts::storedAccounts(const QString& endpoint) const {
    const QByteArray name = endpoint.toUtf8();
    auto stored =
        store_.serverAccounts(std::string_view(name.constData(), static_cast<size_t>(name.size())));
    if (!stored) {
        qCWarning(lcUpstream).noquote()
            << "cannot read server accounts of" << endpoint
            << "from the credential store:" << QString::fromStdString(stored.error().message);
        return {};
    }
    QList<ServerAccount> accounts;
    for (const credstore::ServerAccount& entry : stored.value()) {
        if (entry.security.bootstrapServer) {
            continue;
        }
        QString error;
        const std::optional<CoapUri> uri =
            parseCoapUri(QString::fromStdString(entry.security.serverUri), error);
        if (!uri) {
            qCWarning(lcUpstream).noquote() << "server account" << entry.server.shortServerId
                                            << "of" << endpoint << "is unusable:" << error;
            continue;
        }
        ServerAccount account;
        account.shortServerId = entry.server.shortServerId;
        account.uri = *uri;
        account.binding = QString::fromStdString(entry.server.binding);
        account.storeEndpoint = endpoint;
        account.securityInstanceId = entry.security.instanceId;
        account.security.serverUri = entry.security.serverUri;
        account.security.mode = static_cast<SecurityMode>(entry.security.securityMode);
        account.security.publicKeyOrIdentity = entry.security.publicKeyOrIdentity;
        account.security.serverPublicKey = entry.security.serverPublicKey;
        account.retryPolicy.retryCount = static_cast<int>(entry.server.communicationRetryCount);
        account.retryPolicy.retryTimerSeconds =
            static_cast<int>(entry.server.communicationRetryTimer);
        account.retryPolicy.sequenceDelaySeconds =
            static_cast<int>(entry.server.communicationSequenceDelayTimer);
        account.retryPolicy.sequenceRetryCount =
            static_cast<int>(entry.server.communicationSequenceRetryCount);
        account.lifetimeSeconds = static_cast<int>(
            std::min<std::uint32_t>(entry.server.lifetime, std::numeric_limits<int>::max()));
        account.bootstrapOnRegistrationFailure =
            entry.server.bootstrapOnRegistrationFailure.value_or(true);
        account.serverInstanceId = entry.server.instanceId;
        account.notificationStoring = entry.server.notificationStoring;
        account.registrationPriorityOrder = entry.server.registrationPriorityOrder;
        account.initialRegistrationDelaySeconds = static_cast<int>(
            std::min<std::uint32_t>(entry.server.initialRegistrationDelay.value_or(0), 24 * 3600));
        account.registrationFailureBlock = entry.server.registrationFailureBlock.value_or(false);
        accounts.append(account);
    }
    return accounts;
}

QList<ServerAccount> StoredServerAccounts::accountsFor(const QString& endpoint) const {
    QList<ServerAccount> accounts = storedAccounts(endpoint);
    if (accounts.isEmpty() && endpoint != gatewayEndpoint_) {
        accounts = storedAccounts(gatewayEndpoint_);
    }
    return accounts.isEmpty() ? configured_.accountsFor(endpoint) : accounts;
}

std::string StoredServerAccounts::secretKeyFor(const ServerAccount& account) const {
    if (account.storeEndpoint.isEmpty() || account.securityInstanceId < 0) {
        return configured_.secretKeyFor(account);
    }
    const QByteArray name = account.storeEndpoint.toUtf8();
    auto secret =
        store_.secretKeyFor(std::string_view(name.constData(), static_cast<size_t>(name.size())),
                            static_cast<std::uint16_t>(account.securityInstanceId));
    if (!secret || !secret.value()) {
        return {};
    }
    return std::string(secret.value()->view());
}

}  // namespace lwm2mgw
