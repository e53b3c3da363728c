#include "account_rows.h"

#include <string>

namespace lwm2mgw::credstore::detail {

namespace {

constexpr const char* kSelectSecurity = R"sql(
SELECT instance_id, server_uri, bootstrap_server, security_mode, public_key_or_identity,
       server_public_key, sms_security_mode, sms_binding_key_parameters, sms_server_number,
       short_server_id, client_hold_off_time, bootstrap_account_timeout, matching_type, sni,
       certificate_usage, oscore_security_mode, length(secret_key) > 0,
       sms_binding_secret_keys IS NOT NULL
FROM security_instance WHERE endpoint = ?1 ORDER BY instance_id
)sql";

SecurityObjectInstance securityFromRow(const Statement& row) {
    SecurityObjectInstance s;
    s.instanceId = static_cast<std::uint16_t>(row.intColumn(0));
    s.serverUri = row.textColumn(1);
    s.bootstrapServer = row.intColumn(2) != 0;
    s.securityMode = static_cast<SecurityMode>(row.intColumn(3));
    s.publicKeyOrIdentity = row.blobColumn(4);
    s.serverPublicKey = row.blobColumn(5);
    s.smsSecurityMode = row.optionalIntColumn<std::uint8_t>(6);
    s.smsBindingKeyParameters = row.optionalBlobColumn(7);
    s.smsServerNumber = row.optionalTextColumn(8);
    s.shortServerId = row.optionalIntColumn<std::uint16_t>(9);
    s.clientHoldOffTime = row.optionalIntColumn<std::uint32_t>(10);
    s.bootstrapAccountTimeout = row.optionalIntColumn<std::uint32_t>(11);
    s.matchingType = row.optionalIntColumn<std::uint8_t>(12);
    s.sni = row.optionalTextColumn(13);
    s.certificateUsage = row.optionalIntColumn<std::uint8_t>(14);
    s.oscoreSecurityMode = row.optionalTextColumn(15);
    s.hasSecretKey = row.intColumn(16) != 0;
    s.hasSmsBindingSecretKeys = row.intColumn(17) != 0;
    return s;
}

Result<void> attachCiphersuites(Connection& connection, std::string_view endpoint,
                                std::vector<SecurityObjectInstance>& instances) {
    auto query = Statement::prepare(connection,
                                    "SELECT instance_id, ciphersuite FROM security_ciphersuite "
                                    "WHERE endpoint = ?1 "
                                    "ORDER BY instance_id, resource_instance_id",
                                    "reading ciphersuites");
    if (!query) {
        return query.error();
    }
    query->bindText(1, endpoint);
    for (;;) {
        auto row = query->next();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return {};
        }
        const auto id = static_cast<std::uint16_t>(query->intColumn(0));
        for (auto& s : instances) {
            if (s.instanceId == id) {
                s.ciphersuites.push_back(static_cast<std::uint16_t>(query->intColumn(1)));
            }
        }
    }
}

ServerObjectInstance serverFromRow(const Statement& row) {
    ServerObjectInstance s;
    s.instanceId = static_cast<std::uint16_t>(row.intColumn(0));
    s.shortServerId = static_cast<std::uint16_t>(row.intColumn(1));
    s.lifetime = static_cast<std::uint32_t>(row.intColumn(2));
    s.defaultMinimumPeriod = row.optionalIntColumn<std::uint32_t>(3);
    s.defaultMaximumPeriod = row.optionalIntColumn<std::uint32_t>(4);
    s.disableTimeout = row.optionalIntColumn<std::uint32_t>(5);
    s.notificationStoring = row.intColumn(6) != 0;
    s.binding = row.textColumn(7);
    s.apnLink = row.optionalTextColumn(8);
    s.registrationPriorityOrder = row.optionalIntColumn<std::uint32_t>(9);
    s.initialRegistrationDelay = row.optionalIntColumn<std::uint32_t>(10);
    s.registrationFailureBlock = row.optionalIntColumn<bool>(11);
    s.bootstrapOnRegistrationFailure = row.optionalIntColumn<bool>(12);
    s.communicationRetryCount = static_cast<std::uint32_t>(row.intColumn(13));
    s.communicationRetryTimer = static_cast<std::uint32_t>(row.intColumn(14));
    s.communicationSequenceDelayTimer = static_cast<std::uint32_t>(row.intColumn(15));
    s.communicationSequenceRetryCount = static_cast<std::uint32_t>(row.intColumn(16));
    s.trigger = row.optionalIntColumn<bool>(17);
    s.preferredTransport = row.optionalTextColumn(18);
    s.muteSend = row.intColumn(19) != 0;
    return s;
}

Result<void> insertSecurity(Connection& connection, std::string_view endpoint,
                            const SecurityObjectEntry& entry) {
    const std::string where = "writing /0/" + std::to_string(entry.instance.instanceId) +
                              " of endpoint '" + std::string(endpoint) + "'";
    auto insert = Statement::prepare(connection, R"sql(
INSERT INTO security_instance (
    endpoint, instance_id, server_uri, bootstrap_server, security_mode, public_key_or_identity,
    server_public_key, secret_key, sms_security_mode, sms_binding_key_parameters,
    sms_binding_secret_keys, sms_server_number, short_server_id, client_hold_off_time,
    bootstrap_account_timeout, matching_type, sni, certificate_usage, oscore_security_mode)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)
)sql",
                                     where);
    if (!insert) {
        return insert.error();
    }
    const auto& s = entry.instance;
    insert->bindText(1, endpoint);
    insert->bindInt(2, s.instanceId);
    insert->bindText(3, s.serverUri);
    insert->bindInt(4, s.bootstrapServer ? 1 : 0);
    insert->bindInt(5, static_cast<std::int32_t>(s.securityMode));
    insert->bindBlob(6, s.publicKeyOrIdentity);
    insert->bindBlob(7, s.serverPublicKey);
    insert->bindSecret(8, entry.secrets.secretKey);
    insert->bindOptionalInt(9, s.smsSecurityMode);
    insert->bindOptionalBlob(10, s.smsBindingKeyParameters);
    if (entry.secrets.smsBindingSecretKeys) {
        insert->bindSecret(11, *entry.secrets.smsBindingSecretKeys);
    } else {
        insert->bindNull(11);
    }
    insert->bindOptionalText(12, s.smsServerNumber);
    insert->bindOptionalInt(13, s.shortServerId);
    insert->bindOptionalInt(14, s.clientHoldOffTime);
    insert->bindOptionalInt(15, s.bootstrapAccountTimeout);
    insert->bindOptionalInt(16, s.matchingType);
    insert->bindOptionalText(17, s.sni);
    insert->bindOptionalInt(18, s.certificateUsage);
    insert->bindOptionalText(19, s.oscoreSecurityMode);
    if (auto r = insert->run(); !r) {
        return r;
    }

    if (s.ciphersuites.empty()) {
        return {};
    }
    auto suite = Statement::prepare(connection,
                                    "INSERT INTO security_ciphersuite (endpoint, instance_id, "
                                    "resource_instance_id, ciphersuite) VALUES (?1, ?2, ?3, ?4)",
                                    where);
    if (!suite) {
        return suite.error();
    }
    for (std::size_t i = 0; i < s.ciphersuites.size(); ++i) {
        suite->reset();
        suite->bindText(1, endpoint);
        suite->bindInt(2, s.instanceId);
        suite->bindInt(3, static_cast<std::int64_t>(i));
        suite->bindInt(4, s.ciphersuites[i]);
        if (auto r = suite->run(); !r) {
            return r;
        }
    }
    return {};
}

Result<void> insertServer(Connection& connection, std::string_view endpoint,
                          const ServerObjectInstance& s) {
    auto insert = Statement::prepare(connection, R"sql(
INSERT INTO server_instance (
    endpoint, instance_id, short_server_id, lifetime, default_minimum_period,
    default_maximum_period, disable_timeout, notification_storing, binding, apn_link,
    registration_priority_order, initial_registration_delay, registration_failure_block,
    bootstrap_on_registration_failure, communication_retry_count, communication_retry_timer,
    communication_sequence_delay_timer, communication_sequence_retry_count, sms_trigger,
    preferred_transport, mute_send)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
        ?20, ?21)
)sql",
                                     "writing /1/" + std::to_string(s.instanceId) +
                                         " of endpoint '" + std::string(endpoint) + "'");
    if (!insert) {
        return insert.error();
    }
    insert->bindText(1, endpoint);
    insert->bindInt(2, s.instanceId);
    insert->bindInt(3, s.shortServerId);
    insert->bindInt(4, s.lifetime);
    insert->bindOptionalInt(5, s.defaultMinimumPeriod);
    insert->bindOptionalInt(6, s.defaultMaximumPeriod);
    insert->bindOptionalInt(7, s.disableTimeout);
    insert->bindInt(8, s.notificationStoring ? 1 : 0);
    insert->bindText(9, s.binding);
    insert->bindOptionalText(10, s.apnLink);
    insert->bindOptionalInt(11, s.registrationPriorityOrder);
    insert->bindOptionalInt(12, s.initialRegistrationDelay);
    insert->bindOptionalInt(13, s.registrationFailureBlock);
    insert->bindOptionalInt(14, s.bootstrapOnRegistrationFailure);
    insert->bindInt(15, s.communicationRetryCount);
    insert->bindInt(16, s.communicationRetryTimer);
    insert->bindInt(17, s.communicationSequenceDelayTimer);
    insert->bindInt(18, s.communicationSequenceRetryCount);
    insert->bindOptionalInt(19, s.trigger);
    insert->bindOptionalText(20, s.preferredTransport);
    insert->bindInt(21, s.muteSend ? 1 : 0);
    return insert->run();
}

Result<int> deleteFrom(Connection& connection, const char* sql, std::string_view endpoint) {
    auto remove = Statement::prepare(
        connection, sql, "removing instances of endpoint '" + std::string(endpoint) + "'");
    if (!remove) {
        return remove.error();
    }
    remove->bindText(1, endpoint);
    if (auto r = remove->run(); !r) {
        return r.error();
    }
    return remove->changes();
}

}  // namespace

Result<std::vector<SecurityObjectInstance>> readSecurityInstances(Connection& connection,
                                                                  std::string_view endpoint) {
    auto query = Statement::prepare(connection, kSelectSecurity, "reading Security instances");
    if (!query) {
        return query.error();
    }
    query->bindText(1, endpoint);
    std::vector<SecurityObjectInstance> instances;
    for (;;) {
        auto row = query->next();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            break;
        }
        instances.push_back(securityFromRow(*query));
    }
    if (auto r = attachCiphersuites(connection, endpoint, instances); !r) {
        return r.error();
    }
    return instances;
}

Result<std::vector<ServerObjectInstance>> readServerInstances(Connection& connection,
                                                              std::string_view endpoint) {
    auto query = Statement::prepare(connection, R"sql(
SELECT instance_id, short_server_id, lifetime, default_minimum_period, default_maximum_period,
       disable_timeout, notification_storing, binding, apn_link, registration_priority_order,
       initial_registration_delay, registration_failure_block, bootstrap_on_registration_failure,
       communication_retry_count, communication_retry_timer, communication_sequence_delay_timer,
       communication_sequence_retry_count, sms_trigger, preferred_transport, mute_send
FROM server_instance WHERE endpoint = ?1 ORDER BY instance_id
)sql",
                                    "reading Server instances");
    if (!query) {
        return query.error();
    }
    query->bindText(1, endpoint);
    std::vector<ServerObjectInstance> instances;
    for (;;) {
        auto row = query->next();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return instances;
        }
        instances.push_back(serverFromRow(*query));
    }
}

Result<std::optional<SecurityObjectSecrets>> readSecrets(Connection& connection,
                                                         std::string_view endpoint,
                                                         std::uint16_t instanceId) {
    auto query = Statement::prepare(connection,
                                    "SELECT secret_key, sms_binding_secret_keys "
                                    "FROM security_instance "
                                    "WHERE endpoint = ?1 AND instance_id = ?2",
                                    "reading secrets of /0/" + std::to_string(instanceId));
    if (!query) {
        return query.error();
    }
    query->bindText(1, endpoint);
    query->bindInt(2, instanceId);
    auto row = query->next();
    if (!row) {
        return row.error();
    }
    if (!*row) {
        return std::optional<SecurityObjectSecrets>{};
    }
    SecurityObjectSecrets secrets;
    secrets.secretKey = query->secretColumn(0);
    if (!query->isNull(1)) {
        secrets.smsBindingSecretKeys = query->secretColumn(1);
    }
    return std::optional<SecurityObjectSecrets>(std::move(secrets));
}

Result<EndpointAccounts> readEndpointAccounts(Connection& connection, std::string_view endpoint) {
    EndpointAccounts accounts;
    accounts.endpoint = std::string(endpoint);
    auto security = readSecurityInstances(connection, endpoint);
    if (!security) {
        return security.error();
    }
    for (auto& instance : *security) {
        auto secrets = readSecrets(connection, endpoint, instance.instanceId);
        if (!secrets) {
            return secrets.error();
        }
        SecurityObjectEntry entry{std::move(instance), {}};
        if (*secrets) {
            entry.secrets = std::move(**secrets);
        }
        accounts.security.push_back(std::move(entry));
    }
    auto servers = readServerInstances(connection, endpoint);
    if (!servers) {
        return servers.error();
    }
    accounts.servers = std::move(*servers);
    return accounts;
}

Result<void> writeEndpointAccounts(Connection& connection, const EndpointAccounts& accounts) {
    if (auto r = deleteEndpointAccounts(connection, accounts.endpoint); !r) {
        return r.error();
    }
    for (const auto& entry : accounts.security) {
        if (auto r = insertSecurity(connection, accounts.endpoint, entry); !r) {
            return r;
        }
    }
    for (const auto& server : accounts.servers) {
        if (auto r = insertServer(connection, accounts.endpoint, server); !r) {
            return r;
        }
    }
    return {};
}

Result<bool> deleteEndpointAccounts(Connection& connection, std::string_view endpoint) {
    // Servers first: their (deferred) reference to the Security instances goes with them.
    auto servers =
        deleteFrom(connection, "DELETE FROM server_instance WHERE endpoint = ?1", endpoint);
    if (!servers) {
        return servers.error();
    }
    auto security =
        deleteFrom(connection, "DELETE FROM security_instance WHERE endpoint = ?1", endpoint);
    if (!security) {
        return security.error();
    }
    return *servers + *security > 0;
}

}  // namespace lwm2mgw::credstore::detail
