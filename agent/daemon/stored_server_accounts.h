#pragma once

#include "server_account.h"

#include <lwm2m-gateway/credstore/credential_store.h>

namespace lwm2mgw {

// Server accounts from the credential store, with the rule an operator can rely on:
//  1. a proxied endpoint with accounts of its own (bootstrapped for it) uses those;
//  2. otherwise it uses the gateway's own accounts (a session of its own all the same);
//  3. with no stored account for the gateway either, the configured --upstream servers.
// Bootstrap-server accounts are never registration targets.
class StoredServerAccounts final : public ServerAccountDirectory {
public:
    StoredServerAccounts(const credstore::CredentialStore& store, QString gatewayEndpoint,
                         const ServerAccountDirectory& configured);

    QList<ServerAccount> accountsFor(const QString& endpoint) const override;
    std::string secretKeyFor(const ServerAccount& account) const override;

private:
    QList<ServerAccount> storedAccounts(const QString& endpoint) const;

    const credstore::CredentialStore& store_;
    QString gatewayEndpoint_;
    const ServerAccountDirectory& configured_;
};

}  // namespace lwm2mgw
