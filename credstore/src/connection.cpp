#include "connection.h"

#include <cerrno>
#include <cstring>
#include <utility>

namespace lwm2mgw::credstore::detail {

namespace {

ErrorCode classify(int rc, int systemErrno) {
    switch (rc & 0xff) {
        case SQLITE_FULL:
            return ErrorCode::DiskFull;
        case SQLITE_READONLY:
        case SQLITE_PERM:
            return ErrorCode::ReadOnly;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
            return ErrorCode::Corrupt;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return ErrorCode::Busy;
        case SQLITE_CONSTRAINT:
            switch (rc) {
                case SQLITE_CONSTRAINT_UNIQUE:
                case SQLITE_CONSTRAINT_PRIMARYKEY:
                    return ErrorCode::AlreadyExists;
                case SQLITE_CONSTRAINT_FOREIGNKEY:
                    return ErrorCode::Inconsistent;
                default:
                    return ErrorCode::InvalidArgument;
            }
        case SQLITE_IOERR:
        case SQLITE_CANTOPEN:
            // The VFS reports ENOSPC and EROFS as plain I/O errors on some paths.
            if (systemErrno == ENOSPC || systemErrno == EDQUOT) {
                return ErrorCode::DiskFull;
            }
            if (systemErrno == EROFS) {
                return ErrorCode::ReadOnly;
            }
            return ErrorCode::Io;
        default:
            return ErrorCode::Io;
    }
}

}  // namespace

Connection::Connection(sqlite3* db, std::string path, bool readOnly)
    : db_(db), path_(std::move(path)), readOnly_(readOnly) {}

Connection::~Connection() {
    for (auto& [sql, stmt] : cached_) {
        sqlite3_finalize(stmt);
    }
    // Closing checkpoints the WAL; a failure here leaves a valid WAL for the next open.
    sqlite3_close_v2(db_);
}

sqlite3_stmt* Connection::takeCached(const std::string& sql) {
    const auto found = cached_.find(sql);
    if (found == cached_.end()) {
        return nullptr;
    }
    sqlite3_stmt* stmt = found->second;
    cached_.erase(found);
    return stmt;
}

void Connection::giveBack(std::string sql, sqlite3_stmt* stmt) {
    sqlite3_reset(stmt);
    // No bound key stays behind (bindSecret binds without a copy).
    sqlite3_clear_bindings(stmt);
    if (!cached_.emplace(std::move(sql), stmt).second) {
        sqlite3_finalize(stmt);  // the same SQL ran nested; one copy is enough
    }
}

Result<void> Connection::exec(std::string_view sql, std::string_view context) {
    std::string text(sql);
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) {
        return error(rc, context);
    }
    return {};
}

Error Connection::error(int rc, std::string_view context) const {
    const int systemErrno = sqlite3_system_errno(db_);
    std::string message = path_;
    message += ": ";
    message += context;
    message += ": ";
    message += sqlite3_errstr(rc);
    const char* detail = sqlite3_errmsg(db_);
    if (detail != nullptr && std::strcmp(detail, sqlite3_errstr(rc)) != 0) {
        message += " (";
        message += detail;
        message += ")";
    }
    const ErrorCode code = classify(rc, systemErrno);
    if ((code == ErrorCode::Io || code == ErrorCode::DiskFull || code == ErrorCode::ReadOnly) &&
        systemErrno != 0) {
        message += ": ";
        message += std::strerror(systemErrno);
    }
    return {code, std::move(message)};
}

Error Connection::readOnlyError(std::string_view context) const {
    return {ErrorCode::ReadOnly, path_ + ": " + std::string(context) + ": the store is read-only"};
}

Result<Statement> Statement::prepare(Connection& connection, std::string_view sql,
                                     std::string_view context) {
    std::string text(sql);
    if (sqlite3_stmt* cached = connection.takeCached(text)) {
        return Statement(connection, cached, std::move(text), std::string(context));
    }
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(connection.db(), sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return connection.error(rc, context);
    }
    return Statement(connection, stmt, std::move(text), std::string(context));
}

Statement::Statement(Connection& connection, sqlite3_stmt* stmt, std::string sql,
                     std::string context)
    : connection_(&connection), stmt_(stmt), sql_(std::move(sql)), context_(std::move(context)) {}

Statement::Statement(Statement&& other) noexcept
    : connection_(other.connection_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      sql_(std::move(other.sql_)),
      context_(std::move(other.context_)),
      bindError_(other.bindError_) {}

Statement::~Statement() {
    if (stmt_) {
        connection_->giveBack(std::move(sql_), stmt_);
    }
}

namespace {
void keepFirstError(int& stored, int rc) {
    if (stored == SQLITE_OK) {
        stored = rc;
    }
}
}  // namespace

void Statement::bindInt(int index, std::int64_t value) {
    keepFirstError(bindError_, sqlite3_bind_int64(stmt_, index, value));
}

void Statement::bindText(int index, std::string_view value) {
    keepFirstError(bindError_, sqlite3_bind_text64(stmt_, index, value.data(), value.size(),
                                                   SQLITE_TRANSIENT, SQLITE_UTF8));
}

void Statement::bindBlob(int index, std::string_view value) {
    // A zero-length blob must still be a blob, not NULL: pass a valid pointer.
    keepFirstError(bindError_, sqlite3_bind_blob64(stmt_, index, value.empty() ? "" : value.data(),
                                                   value.size(), SQLITE_TRANSIENT));
}

void Statement::bindSecret(int index, const Secret& secret) {
    const void* data = secret.empty() ? static_cast<const void*>("") : secret.data();
    keepFirstError(bindError_,
                   sqlite3_bind_blob64(stmt_, index, data, secret.size(), SQLITE_STATIC));
}

void Statement::bindNull(int index) {
    keepFirstError(bindError_, sqlite3_bind_null(stmt_, index));
}

void Statement::bindOptionalText(int index, const std::optional<std::string>& value) {
    if (value) {
        bindText(index, *value);
    } else {
        bindNull(index);
    }
}

void Statement::bindOptionalBlob(int index, const std::optional<std::string>& value) {
    if (value) {
        bindBlob(index, *value);
    } else {
        bindNull(index);
    }
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    bindError_ = SQLITE_OK;
}

Result<bool> Statement::next() {
    if (bindError_ != SQLITE_OK) {
        return connection_->error(bindError_, context_);
    }
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    return connection_->error(rc, context_);
}

Result<void> Statement::run() {
    for (;;) {
        auto row = next();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return {};
        }
    }
}

int Statement::changes() const {
    return sqlite3_changes(connection_->db());
}

bool Statement::isNull(int column) const {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::int64_t Statement::intColumn(int column) const {
    return sqlite3_column_int64(stmt_, column);
}

std::string Statement::textColumn(int column) const {
    const auto* text = sqlite3_column_text(stmt_, column);
    const int size = sqlite3_column_bytes(stmt_, column);
    if (text == nullptr) {
        return {};
    }
    return std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(size));
}

std::string Statement::blobColumn(int column) const {
    const void* blob = sqlite3_column_blob(stmt_, column);
    const int size = sqlite3_column_bytes(stmt_, column);
    if (blob == nullptr) {
        return {};
    }
    return std::string(static_cast<const char*>(blob), static_cast<std::size_t>(size));
}

Secret Statement::secretColumn(int column) const {
    const void* blob = sqlite3_column_blob(stmt_, column);
    const int size = sqlite3_column_bytes(stmt_, column);
    if (blob == nullptr) {
        return {};
    }
    return Secret(std::string_view(static_cast<const char*>(blob), static_cast<std::size_t>(size)));
}

std::optional<std::string> Statement::optionalTextColumn(int column) const {
    if (isNull(column)) {
        return std::nullopt;
    }
    return textColumn(column);
}

std::optional<std::string> Statement::optionalBlobColumn(int column) const {
    if (isNull(column)) {
        return std::nullopt;
    }
    return blobColumn(column);
}

Result<Transaction> Transaction::begin(Connection& connection, std::string_view context) {
    if (connection.readOnly()) {
        return connection.readOnlyError(context);
    }
    if (auto r = connection.exec("BEGIN IMMEDIATE", context); !r) {
        return r.error();
    }
    return Transaction(connection, std::string(context));
}

Transaction::Transaction(Connection& connection, std::string context)
    : connection_(&connection), context_(std::move(context)) {}

Transaction::Transaction(Transaction&& other) noexcept
    : connection_(std::exchange(other.connection_, nullptr)), context_(std::move(other.context_)) {}

Transaction::~Transaction() {
    rollback();
}

Result<void> Transaction::commit() {
    if (connection_ == nullptr) {
        return Error{ErrorCode::Io, "transaction already finished"};
    }
    auto r = connection_->exec("COMMIT", context_);
    if (!r) {
        rollback();  // a failed COMMIT (busy, full, deferred constraint) leaves it open
        return r.error();
    }
    connection_ = nullptr;
    return {};
}

void Transaction::rollback() {
    if (connection_ == nullptr) {
        return;
    }
    // SQLite rolls back by itself after some errors (SQLITE_FULL, I/O); only roll back what is
    // still open, so the error reported stays the first one.
    if (sqlite3_get_autocommit(connection_->db()) == 0) {
        sqlite3_exec(connection_->db(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
    connection_ = nullptr;
}

}  // namespace lwm2mgw::credstore::detail
