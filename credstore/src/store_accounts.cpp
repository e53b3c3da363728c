// CredentialStore: reads and writes of Security and Server instances.
#include <algorithm>
#include <string>

#include "account_rows.h"
#include "apply_accounts.h"
#include "connection.h"
#include "lwm2m-gateway/credstore/credential_store.h"
#include "validation.h"

namespace lwm2mgw::credstore {

using detail::Statement;

Result<std::vector<SecurityObjectInstance>> CredentialStore::securityInstances(
    std::string_view endpoint) const {
    return detail::readSecurityInstances(*connection_, endpoint);
}

Result<std::vector<ServerObjectInstance>> CredentialStore::serverInstances(
    std::string_view endpoint) const {
    return detail::readServerInstances(*connection_, endpoint);
}

Result<std::vector<ServerAccount>> CredentialStore::serverAccounts(
    std::string_view endpoint) const {
    // Two reads, one snapshot: without a transaction a commit could land between them.
    if (auto r = connection_->exec("BEGIN", "reading server accounts"); !r) {
        return r.error();
    }
    auto security = detail::readSecurityInstances(*connection_, endpoint);
    auto servers = detail::readServerInstances(*connection_, endpoint);
    (void)connection_->exec("COMMIT", "reading server accounts");
    if (!security) {
        return security.error();
    }
    if (!servers) {
        return servers.error();
    }
    std::vector<ServerAccount> accounts;
    for (auto& server : *servers) {
        const auto match = std::find_if(security->begin(), security->end(), [&](const auto& s) {
            return !s.bootstrapServer && s.shortServerId == server.shortServerId;
        });
        if (match != security->end()) {
            accounts.push_back({std::move(server), *match});
        }
    }
    return accounts;
}

Result<std::optional<SecurityObjectInstance>> CredentialStore::bootstrapAccount(
    std::string_view endpoint) const {
    auto security = detail::readSecurityInstances(*connection_, endpoint);
    if (!security) {
        return security.error();
    }
    for (auto& s : *security) {
        if (s.bootstrapServer) {
            return std::optional<SecurityObjectInstance>(std::move(s));
        }
    }
    return std::optional<SecurityObjectInstance>{};
}

Result<std::vector<std::string>> CredentialStore::endpointsWithAccounts() const {
    auto query = Statement::prepare(
        *connection_, "SELECT DISTINCT endpoint FROM security_instance ORDER BY endpoint",
        "listing endpoints");
    if (!query) {
        return query.error();
    }
    std::vector<std::string> endpoints;
    for (;;) {
        auto row = query->next();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return endpoints;
        }
        endpoints.push_back(query->textColumn(0));
    }
}

Result<std::optional<Secret>> CredentialStore::secretKeyFor(
    std::string_view endpoint, std::uint16_t securityInstanceId) const {
    auto secrets = detail::readSecrets(*connection_, endpoint, securityInstanceId);
    if (!secrets) {
        return secrets.error();
    }
    if (!*secrets) {
        return std::optional<Secret>{};
    }
    return std::optional<Secret>(std::move((*secrets)->secretKey));
}

Result<std::optional<SecurityObjectSecrets>> CredentialStore::secretsFor(
    std::string_view endpoint, std::uint16_t securityInstanceId) const {
    return detail::readSecrets(*connection_, endpoint, securityInstanceId);
}

Result<BootstrapSession> CredentialStore::beginBootstrap(std::string_view endpoint) {
    if (auto e = detail::validateEndpointName(endpoint)) {
        return *e;
    }
    if (connection_->readOnly()) {
        return connection_->readOnlyError("starting a bootstrap session");
    }
    auto current = detail::readEndpointAccounts(*connection_, endpoint);
    if (!current) {
        return current.error();
    }
    return BootstrapSession(connection_, std::move(*current));
}

Result<void> CredentialStore::replaceEndpoints(const std::vector<EndpointAccounts>& endpoints,
                                               const ModeAvailable& modeAvailable) {
    return detail::applyEndpointAccounts(*connection_, endpoints, modeAvailable);
}

Result<bool> CredentialStore::removeAccounts(std::string_view endpoint) {
    auto tx = detail::Transaction::begin(*connection_, "removing an endpoint's accounts");
    if (!tx) {
        return tx.error();
    }
    auto removed = detail::deleteEndpointAccounts(*connection_, endpoint);
    if (!removed) {
        return removed.error();
    }
    if (auto r = tx->commit(); !r) {
        return r.error();
    }
    return *removed;
}

Result<bool> CredentialStore::removeEndpoint(std::string_view endpoint) {
    auto tx = detail::Transaction::begin(*connection_, "removing an endpoint");
    if (!tx) {
        return tx.error();
    }
    auto removed = detail::deleteEndpointAccounts(*connection_, endpoint);
    if (!removed) {
        return removed.error();
    }
    bool any = *removed;
    for (const char* sql : {"DELETE FROM psk_credential WHERE endpoint = ?1",
                            "DELETE FROM rpk_credential WHERE endpoint = ?1",
                            "DELETE FROM trust_anchor WHERE endpoint = ?1"}) {
        auto remove = Statement::prepare(*connection_, sql, "removing an endpoint");
        if (!remove) {
            return remove.error();
        }
        remove->bindText(1, endpoint);
        if (auto r = remove->run(); !r) {
            return r.error();
        }
        any = any || remove->changes() > 0;
    }
    if (auto r = tx->commit(); !r) {
        return r.error();
    }
    return any;
}

}  // namespace lwm2mgw::credstore
