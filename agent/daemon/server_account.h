#pragma once

#include "coap_uri.h"
#include "gateway_config.h"

#include <lwm2m-gateway/security_mode_plugin.h>

#include <QList>
#include <QString>
#include <optional>

namespace lwm2mgw {

// One upstream LwM2M server an endpoint registers at: a Server Object (/1) instance and the
// Security Object (/0) instance with the same Short Server ID.
struct ServerAccount {
    int shortServerId = 0;
    // Left empty in listings: UpstreamClient fetches /0/x/5 only while opening a session.
    SecurityInstance security;
    // Where the account lives in the credential store; empty for a configured (--upstream) one.
    QString storeEndpoint;
    int securityInstanceId = -1;
    CoapUri uri;
    QString binding = QStringLiteral("U");
    CommunicationRetryPolicy retryPolicy;
    // /1/x/1 Lifetime of a stored account, used for the gateway's own registration there; 0 for
    // a configured (--upstream) account, which registers with upstream/lifetime.
    int lifetimeSeconds = 0;
    // /1/x/16 Bootstrap on Registration Failure (LwM2M 1.1 default true when absent). A
    // configured account has no Server instance and never asks for a bootstrap.
    bool bootstrapOnRegistrationFailure = false;
    // The Server Object instance (/1/x) of a stored account; a configured account is shown as
    // /1/0. And its /1/x/6 Notification Storing When Disabled or Offline.
    int serverInstanceId = 0;
    bool notificationStoring = false;
    // /1/x/13-15, LwM2M 1.1: registrations with a Registration Priority Order start one after
    // another in increasing order (registration_order.h); a configured account has none.
    std::optional<quint32> registrationPriorityOrder;
    int initialRegistrationDelaySeconds = 0;
    bool registrationFailureBlock = false;
};

// Whether two listings name the same server the same way (store row, URI, mode, public
// material, retry policy, lifetime), so a registration made with one need not be redone for the
// other. Secret keys are not compared: a changed key takes effect at the next handshake.
bool sameServerAccount(const ServerAccount& a, const ServerAccount& b);

// Which servers an endpoint (the gateway's own or a proxied sensor's) is registered at. The
// static, configured directory is one implementation; the credential store's accounts another.
class ServerAccountDirectory {
public:
    virtual ~ServerAccountDirectory() = default;
    virtual QList<ServerAccount> accountsFor(const QString& endpoint) const = 0;
    // The account's secret key (/0/x/5), raw bytes; empty when it has none.
    virtual std::string secretKeyFor(const ServerAccount& account) const = 0;
};

// Splits --upstream URIs into the coap:// ones StaticServerAccounts serves and the coaps:// ones,
// which name stored accounts (their credentials come from provisioning).
void splitUpstreamUris(const QStringList& uris, QStringList& nosec, QStringList& secured);

// --upstream / [upstream] servers: every endpoint goes to every configured server, NoSec.
class StaticServerAccounts final : public ServerAccountDirectory {
public:
    // Returns an error for the first URI that is unusable, empty on success.
    QString configure(const QStringList& uris, const CommunicationRetryPolicy& policy);
    QList<ServerAccount> accountsFor(const QString& endpoint) const override;
    std::string secretKeyFor(const ServerAccount&) const override { return {}; }

private:
    QList<ServerAccount> accounts_;
};

}  // namespace lwm2mgw
