#include "schema.h"

#include <string>

namespace lwm2mgw::credstore::detail {

namespace {

// Tables are STRICT (types enforced) and carry the LwM2M ranges as CHECK constraints, so even a
// bug in the C++ validation cannot store a value the spec forbids. Object links are TEXT "o:i".
constexpr const char* kVersion1 = R"sql(
CREATE TABLE security_instance (
    endpoint TEXT NOT NULL CHECK (length(endpoint) BETWEEN 1 AND 255),
    instance_id INTEGER NOT NULL CHECK (instance_id BETWEEN 0 AND 65534),
    server_uri TEXT NOT NULL CHECK (length(server_uri) >= 1),
    bootstrap_server INTEGER NOT NULL CHECK (bootstrap_server IN (0, 1)),
    security_mode INTEGER NOT NULL CHECK (security_mode BETWEEN 0 AND 4),
    public_key_or_identity BLOB NOT NULL,
    server_public_key BLOB NOT NULL,
    secret_key BLOB NOT NULL,
    sms_security_mode INTEGER CHECK (sms_security_mode BETWEEN 0 AND 255),
    sms_binding_key_parameters BLOB,
    sms_binding_secret_keys BLOB,
    sms_server_number TEXT,
    short_server_id INTEGER CHECK (short_server_id BETWEEN 1 AND 65534),
    client_hold_off_time INTEGER CHECK (client_hold_off_time BETWEEN 0 AND 4294967295),
    bootstrap_account_timeout INTEGER CHECK (bootstrap_account_timeout BETWEEN 0 AND 4294967295),
    matching_type INTEGER CHECK (matching_type BETWEEN 0 AND 3),
    sni TEXT,
    certificate_usage INTEGER CHECK (certificate_usage BETWEEN 0 AND 3),
    oscore_security_mode TEXT CHECK (oscore_security_mode GLOB '[0-9]*:[0-9]*'
                                     AND oscore_security_mode NOT GLOB '*[^0-9:]*'
                                     AND oscore_security_mode NOT GLOB '*:*:*'),
    PRIMARY KEY (endpoint, instance_id),
    UNIQUE (endpoint, short_server_id),
    -- Only the bootstrap account may go without a Short Server ID.
    CHECK (bootstrap_server = 1 OR short_server_id IS NOT NULL)
) STRICT;

-- LwM2M allows one Bootstrap-Server account per client.
CREATE UNIQUE INDEX security_instance_one_bootstrap_account
    ON security_instance (endpoint) WHERE bootstrap_server = 1;

-- Resource 16, multi-instance.
CREATE TABLE security_ciphersuite (
    endpoint TEXT NOT NULL,
    instance_id INTEGER NOT NULL,
    resource_instance_id INTEGER NOT NULL CHECK (resource_instance_id BETWEEN 0 AND 65534),
    ciphersuite INTEGER NOT NULL CHECK (ciphersuite BETWEEN 0 AND 65535),
    PRIMARY KEY (endpoint, instance_id, resource_instance_id),
    FOREIGN KEY (endpoint, instance_id) REFERENCES security_instance (endpoint, instance_id)
        ON DELETE CASCADE ON UPDATE CASCADE
) STRICT;

CREATE TABLE server_instance (
    endpoint TEXT NOT NULL CHECK (length(endpoint) BETWEEN 1 AND 255),
    instance_id INTEGER NOT NULL CHECK (instance_id BETWEEN 0 AND 65534),
    short_server_id INTEGER NOT NULL CHECK (short_server_id BETWEEN 1 AND 65534),
    lifetime INTEGER NOT NULL CHECK (lifetime BETWEEN 0 AND 4294967295),
    default_minimum_period INTEGER CHECK (default_minimum_period BETWEEN 0 AND 4294967295),
    default_maximum_period INTEGER CHECK (default_maximum_period BETWEEN 0 AND 4294967295),
    disable_timeout INTEGER CHECK (disable_timeout BETWEEN 0 AND 4294967295),
    notification_storing INTEGER NOT NULL CHECK (notification_storing IN (0, 1)),
    binding TEXT NOT NULL CHECK (length(binding) >= 1 AND binding NOT GLOB '*[^UMHTSNQ]*'),
    apn_link TEXT CHECK (apn_link GLOB '[0-9]*:[0-9]*' AND apn_link NOT GLOB '*[^0-9:]*'
                         AND apn_link NOT GLOB '*:*:*'),
    registration_priority_order INTEGER
        CHECK (registration_priority_order BETWEEN 0 AND 4294967295),
    initial_registration_delay INTEGER CHECK (initial_registration_delay BETWEEN 0 AND 4294967295),
    registration_failure_block INTEGER CHECK (registration_failure_block IN (0, 1)),
    bootstrap_on_registration_failure INTEGER
        CHECK (bootstrap_on_registration_failure IN (0, 1)),
    communication_retry_count INTEGER NOT NULL DEFAULT 5
        CHECK (communication_retry_count BETWEEN 0 AND 4294967295),
    communication_retry_timer INTEGER NOT NULL DEFAULT 60
        CHECK (communication_retry_timer BETWEEN 0 AND 4294967295),
    communication_sequence_delay_timer INTEGER NOT NULL DEFAULT 86400
        CHECK (communication_sequence_delay_timer BETWEEN 0 AND 4294967295),
    communication_sequence_retry_count INTEGER NOT NULL DEFAULT 1
        CHECK (communication_sequence_retry_count BETWEEN 0 AND 4294967295),
    sms_trigger INTEGER CHECK (sms_trigger IN (0, 1)),
    preferred_transport TEXT CHECK (length(preferred_transport) = 1
                                    AND preferred_transport GLOB '[UMHTSNQ]'),
    mute_send INTEGER NOT NULL DEFAULT 0 CHECK (mute_send IN (0, 1)),
    PRIMARY KEY (endpoint, instance_id),
    UNIQUE (endpoint, short_server_id),
    -- Deferred: a bootstrap session replaces both objects in one transaction.
    FOREIGN KEY (endpoint, short_server_id)
        REFERENCES security_instance (endpoint, short_server_id)
        DEFERRABLE INITIALLY DEFERRED
) STRICT;

-- 'LwGC': tells this file apart from any other SQLite database at the same path.
PRAGMA application_id = 1282885443;
)sql";

constexpr const char* kVersion2 = R"sql(
CREATE TABLE psk_credential (
    identity BLOB NOT NULL PRIMARY KEY CHECK (length(identity) BETWEEN 1 AND 65535),
    endpoint TEXT NOT NULL CHECK (length(endpoint) BETWEEN 1 AND 255),
    psk_key BLOB NOT NULL CHECK (length(psk_key) BETWEEN 1 AND 1024)
) STRICT;
CREATE INDEX psk_credential_endpoint ON psk_credential (endpoint);

CREATE TABLE rpk_credential (
    subject_public_key_info BLOB NOT NULL PRIMARY KEY
        CHECK (length(subject_public_key_info) >= 1),
    endpoint TEXT NOT NULL CHECK (length(endpoint) BETWEEN 1 AND 255)
) STRICT;
CREATE INDEX rpk_credential_endpoint ON rpk_credential (endpoint);

CREATE TABLE trust_anchor (
    label TEXT NOT NULL PRIMARY KEY CHECK (length(label) BETWEEN 1 AND 255),
    certificate_der BLOB NOT NULL UNIQUE CHECK (length(certificate_der) >= 1),
    -- NULL: a CA for any endpoint; otherwise only for this one.
    endpoint TEXT CHECK (endpoint IS NULL OR length(endpoint) BETWEEN 1 AND 255)
) STRICT;
)sql";

// Index i migrates version i to version i + 1. Append only; never edit a shipped step.
// A step that rebuilds a table must not rely on foreign_keys (it cannot be turned off inside a
// transaction); it runs PRAGMA foreign_key_check instead, as every step does below.
constexpr const char* kSteps[] = {kVersion1, kVersion2};
static_assert(sizeof kSteps / sizeof kSteps[0] == kSchemaVersion);

Result<void> foreignKeysIntact(Connection& connection, int version) {
    auto check =
        Statement::prepare(connection, "PRAGMA foreign_key_check", "checking foreign keys");
    if (!check) {
        return check.error();
    }
    auto row = check->next();
    if (!row) {
        return row.error();
    }
    if (*row) {
        return Error{ErrorCode::Corrupt, connection.path() + ": migration to schema version " +
                                             std::to_string(version) +
                                             " leaves dangling references in table " +
                                             check->textColumn(0)};
    }
    return {};
}

}  // namespace

Result<int> schemaVersion(Connection& connection) {
    auto query = Statement::prepare(connection, "PRAGMA user_version", "reading schema version");
    if (!query) {
        return query.error();
    }
    auto row = query->next();
    if (!row) {
        return row.error();
    }
    return static_cast<int>(query->intColumn(0));
}

Result<void> migrate(Connection& connection, int targetVersion) {
    for (;;) {
        auto tx = Transaction::begin(connection, "migrating schema");
        if (!tx) {
            return tx.error();
        }
        auto version = schemaVersion(connection);
        if (!version) {
            return version.error();
        }
        if (*version >= targetVersion) {
            return tx->commit();
        }
        if (*version < 0) {
            return Error{ErrorCode::Corrupt, connection.path() + ": negative schema version " +
                                                 std::to_string(*version)};
        }
        const int next = *version + 1;
        const std::string context = "migrating to schema version " + std::to_string(next);
        if (auto r = connection.exec(kSteps[*version], context); !r) {
            return r.error();
        }
        if (auto r = foreignKeysIntact(connection, next); !r) {
            return r.error();
        }
        if (auto r = connection.exec("PRAGMA user_version = " + std::to_string(next), context);
            !r) {
            return r.error();
        }
        if (auto r = tx->commit(); !r) {
            return r.error();
        }
    }
}

}  // namespace lwm2mgw::credstore::detail
