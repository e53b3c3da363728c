// CredentialStore::open and the store-wide status calls.
#include <cstdio>
#include <string>
#include <utility>

#include "connection.h"
#include "lwm2m-gateway/credstore/credential_store.h"
#include "schema.h"
#include "secure_file.h"

namespace lwm2mgw::credstore {

namespace {

using detail::Connection;
using detail::Statement;

Result<std::string> singleText(Connection& connection, const char* sql, std::string_view context) {
    auto query = Statement::prepare(connection, sql, context);
    if (!query) {
        return query.error();
    }
    auto row = query->next();
    if (!row) {
        return row.error();
    }
    if (!*row) {
        return std::string{};
    }
    return query->textColumn(0);
}

Result<std::int64_t> singleInt(Connection& connection, const char* sql, std::string_view context) {
    auto query = Statement::prepare(connection, sql, context);
    if (!query) {
        return query.error();
    }
    auto row = query->next();
    if (!row) {
        return row.error();
    }
    return *row ? query->intColumn(0) : 0;
}

Error notOurs(const std::string& path, const std::string& why) {
    return {ErrorCode::Corrupt, path + ": not a credential store (" + why + ")"};
}

// Pragmas are per connection and must be set outside any transaction.
Result<void> configure(Connection& connection, const OpenOptions& options) {
    sqlite3_busy_timeout(connection.db(), options.busyTimeoutMs);
    // trusted_schema off: the schema holds no functions we need, so a tampered file cannot run
    // any. cell_size_check: notice damaged pages early rather than misreading them.
    if (auto r = connection.exec("PRAGMA trusted_schema = OFF; PRAGMA foreign_keys = ON; "
                                 "PRAGMA secure_delete = ON; PRAGMA cell_size_check = ON",
                                 "configuring the connection");
        !r) {
        return r;
    }
    if (!connection.readOnly()) {
        auto mode = singleText(connection, "PRAGMA journal_mode = WAL", "enabling WAL");
        if (!mode) {
            return mode.error();
        }
        if (*mode != "wal") {
            return Error{ErrorCode::Io,
                         connection.path() + ": cannot enable WAL (journal mode " + *mode + ")"};
        }
        // FULL in WAL mode: each commit is fsynced, so a committed account survives power loss.
        if (auto r = connection.exec("PRAGMA synchronous = FULL", "setting synchronous"); !r) {
            return r;
        }
    }
    if (options.maxPageCount > 0) {
        const std::string pragma =
            "PRAGMA max_page_count = " + std::to_string(options.maxPageCount);
        if (auto r = singleInt(connection, pragma.c_str(), "capping the database size"); !r) {
            return r.error();
        }
    }
    return {};
}

// Refuses files that are not (or no longer) a store this build can use.
Result<int> identify(Connection& connection) {
    auto version = detail::schemaVersion(connection);
    if (!version) {
        return version.error();
    }
    if (*version > detail::kSchemaVersion) {
        return Error{ErrorCode::SchemaTooNew,
                     connection.path() + ": schema version " + std::to_string(*version) +
                         " is newer than this gateway's " + std::to_string(detail::kSchemaVersion) +
                         "; refusing to downgrade"};
    }
    auto applicationId = singleInt(connection, "PRAGMA application_id", "identifying the file");
    if (!applicationId) {
        return applicationId.error();
    }
    if (*version == 0) {
        auto objects = singleInt(connection, "SELECT count(*) FROM sqlite_schema", "inspecting");
        if (!objects) {
            return objects.error();
        }
        if (*objects > 0 || *applicationId != 0) {
            return notOurs(connection.path(), "another application's database");
        }
    } else if (*applicationId != detail::kApplicationId) {
        return notOurs(connection.path(), "wrong application id");
    }
    auto check = singleText(connection, "PRAGMA quick_check", "checking the file");
    if (!check) {
        return check.error();
    }
    if (*check != "ok") {
        constexpr std::size_t kMaxDetail = 300;  // SQLite lists every damaged page
        return Error{ErrorCode::Corrupt,
                     connection.path() + ": damaged database: " + check->substr(0, kMaxDetail)};
    }
    return *version;
}

// "file:" URI for `path` with immutable=1.
std::string immutableUri(const std::string& path) {
    std::string uri = "file:";
    for (const char c : path) {
        if (c == '%' || c == '?' || c == '#') {
            char escaped[4];
            std::snprintf(escaped, sizeof escaped, "%%%02X", static_cast<unsigned char>(c));
            uri += escaped;
        } else {
            uri += c;
        }
    }
    return uri + "?immutable=1";
}

Result<std::shared_ptr<Connection>> openConnection(const std::string& path, bool readOnly,
                                                   bool frozen, const OpenOptions& options,
                                                   std::vector<std::string> notices) {
    // NOFOLLOW: the path was checked not to be a symlink; keep SQLite to the same rule.
    // No SQLITE_OPEN_CREATE: the file exists by now, created 0600 by prepareDatabaseFile().
    int flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOFOLLOW |
                SQLITE_OPEN_EXRESCODE | SQLITE_OPEN_PRIVATECACHE;
    std::string name = path;
    if (readOnly && frozen) {
        flags |= SQLITE_OPEN_URI;
        name = immutableUri(path);
    }
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(name.c_str(), &db, flags, nullptr);
    auto connection = std::make_shared<Connection>(db, path, readOnly);
    if (rc != SQLITE_OK) {
        return connection->error(rc, "opening");
    }
    connection->notices() = std::move(notices);
    if (auto r = configure(*connection, options); !r) {
        return r.error();
    }
    auto version = identify(*connection);
    if (!version) {
        return version.error();
    }
    if (*version < detail::kSchemaVersion) {
        if (readOnly) {
            return Error{ErrorCode::ReadOnly,
                         path + ": schema version " + std::to_string(*version) +
                             " needs migrating to " + std::to_string(detail::kSchemaVersion) +
                             ", which a read-only store cannot do"};
        }
        if (auto r = detail::migrate(*connection); !r) {
            return r.error();
        }
    }
    return connection;
}

}  // namespace

int CredentialStore::currentSchemaVersion() {
    return detail::kSchemaVersion;
}

Result<CredentialStore> CredentialStore::open(const std::string& path, const OpenOptions& options) {
    std::vector<std::string> notices;
    auto prepared = detail::prepareDatabaseFile(path, !options.readOnly, notices);
    if (!prepared) {
        return prepared.error();
    }
    const bool readOnly = options.readOnly || !prepared->writable;
    auto connection = openConnection(path, readOnly, prepared->frozen, options, notices);
    if (!connection && !readOnly && connection.error().code == ErrorCode::ReadOnly) {
        // e.g. a read-only filesystem that access() did not reveal: still serve reads.
        notices.push_back(connection.error().message + "; opened read-only");
        connection = openConnection(path, true, prepared->frozen, options, notices);
    }
    if (!connection) {
        return connection.error();
    }
    return CredentialStore(std::move(*connection));
}

CredentialStore::CredentialStore(std::shared_ptr<detail::Connection> connection)
    : connection_(std::move(connection)) {}
CredentialStore::CredentialStore(CredentialStore&&) noexcept = default;
CredentialStore& CredentialStore::operator=(CredentialStore&&) noexcept = default;
CredentialStore::~CredentialStore() = default;

const std::string& CredentialStore::path() const {
    return connection_->path();
}
bool CredentialStore::isReadOnly() const {
    return connection_->readOnly();
}
const std::vector<std::string>& CredentialStore::openNotices() const {
    return connection_->notices();
}

Result<StoreStatus> CredentialStore::status() const {
    StoreStatus status;
    status.readOnly = connection_->readOnly();
    auto version = detail::schemaVersion(*connection_);
    if (!version) {
        return version.error();
    }
    status.schemaVersion = *version;
    auto mode = singleText(*connection_, "PRAGMA journal_mode", "reading status");
    if (!mode) {
        return mode.error();
    }
    status.journalMode = *mode;
    auto foreignKeys = singleInt(*connection_, "PRAGMA foreign_keys", "reading status");
    if (!foreignKeys) {
        return foreignKeys.error();
    }
    status.foreignKeys = *foreignKeys != 0;
    auto synchronous = singleInt(*connection_, "PRAGMA synchronous", "reading status");
    if (!synchronous) {
        return synchronous.error();
    }
    status.synchronous = static_cast<int>(*synchronous);
    return status;
}

Result<void> CredentialStore::checkIntegrity() const {
    auto query = Statement::prepare(*connection_, "PRAGMA integrity_check", "checking integrity");
    if (!query) {
        return query.error();
    }
    std::string problems;
    for (int rows = 0;; ++rows) {
        auto row = query->next();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            break;
        }
        const std::string line = query->textColumn(0);
        if (line == "ok") {
            return {};
        }
        if (rows < 5) {
            problems += (rows > 0 ? "; " : "") + line;
        }
    }
    return Error{ErrorCode::Corrupt, path() + ": integrity check failed: " + problems};
}

}  // namespace lwm2mgw::credstore
