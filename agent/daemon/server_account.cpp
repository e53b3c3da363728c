#include "server_account.h"

namespace lwm2mgw {

bool sameServerAccount(const ServerAccount& a, const ServerAccount& b) {
    return a.shortServerId == b.shortServerId && a.storeEndpoint == b.storeEndpoint &&
           a.securityInstanceId == b.securityInstanceId && a.uri.toString() == b.uri.toString() &&
           a.binding == b.binding && a.security.mode == b.security.mode &&
           a.security.publicKeyOrIdentity == b.security.publicKeyOrIdentity &&
           a.security.serverPublicKey == b.security.serverPublicKey &&
           a.retryPolicy.retryCount == b.retryPolicy.retryCount &&
           a.retryPolicy.retryTimerSeconds == b.retryPolicy.retryTimerSeconds &&
           a.retryPolicy.sequenceDelaySeconds == b.retryPolicy.sequenceDelaySeconds &&
           a.retryPolicy.sequenceRetryCount == b.retryPolicy.sequenceRetryCount &&
           a.lifetimeSeconds == b.lifetimeSeconds;
}

void splitUpstreamUris(const QStringList& uris, QStringList& nosec, QStringList& secured) {
    for (const QString& uri : uris) {
        (uri.startsWith(QLatin1String("coaps:"), Qt::CaseInsensitive) ? secured : nosec)
            .append(uri);
    }
}

QString StaticServerAccounts::configure(const QStringList& uris,
                                        const CommunicationRetryPolicy& policy) {
    accounts_.clear();
    int shortServerId = 1;
    for (const QString& text : uris) {
        QString error;
        const std::optional<CoapUri> uri = parseCoapUri(text, error);
        if (!uri) {
            return error;
        }
        if (uri->secure) {
            return QStringLiteral(
                       "%1: a coaps:// server needs a server account with credentials "
                       "(Security Object), not a bare --upstream URI")
                .arg(text);
        }
        ServerAccount account;
        account.shortServerId = shortServerId++;
        account.uri = *uri;
        account.security.serverUri = text.toStdString();
        account.security.mode = SecurityMode::NoSec;
        account.retryPolicy = policy;
        accounts_.append(account);
    }
    return {};
}

QList<ServerAccount> StaticServerAccounts::accountsFor(const QString&) const {
    return accounts_;
}

}  // namespace lwm2mgw
