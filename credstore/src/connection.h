// The SQLite connection behind a store, plus thin RAII wrappers for statements and
// transactions. Everything here maps SQLite result codes to credstore::Error.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lwm2m-gateway/credstore/result.h"
#include "lwm2m-gateway/credstore/secret.h"

namespace lwm2mgw::credstore::detail {

class Connection {
public:
    Connection(sqlite3* db, std::string path, bool readOnly);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    sqlite3* db() const { return db_; }
    const std::string& path() const { return path_; }
    bool readOnly() const { return readOnly_; }
    std::vector<std::string>& notices() { return notices_; }

    // Runs SQL without results (pragmas, DDL, BEGIN/COMMIT).
    Result<void> exec(std::string_view sql, std::string_view context);

    // An Error for `rc` (an SQLite result code from the last call on this connection).
    // `context` says what was being done; SQLite's message adds what failed, and never carries
    // bound values, so no key material can leak through it.
    Error error(int rc, std::string_view context) const;

    Error readOnlyError(std::string_view context) const;

    // Prepared statements kept for reuse by SQL text: plugins look credentials up at every
    // handshake, and preparing the statement was most of that cost.
    sqlite3_stmt* takeCached(const std::string& sql);
    // Takes a statement back (reset, without bindings); finalizes it if one is kept already.
    void giveBack(std::string sql, sqlite3_stmt* stmt);

private:
    sqlite3* db_;
    std::string path_;
    bool readOnly_;
    std::vector<std::string> notices_;
    std::unordered_map<std::string, sqlite3_stmt*> cached_;
};

class Statement {
public:
    static Result<Statement> prepare(Connection& connection, std::string_view sql,
                                     std::string_view context);
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    // Parameters are 1-based, as in SQLite. Text and blobs are copied by SQLite.
    void bindInt(int index, std::int64_t value);
    void bindText(int index, std::string_view value);
    void bindBlob(int index, std::string_view value);
    // Binds without a copy, so the key does not land in SQLite's heap; `secret` must outlive
    // the statement's execution.
    void bindSecret(int index, const Secret& secret);
    void bindNull(int index);
    template <typename T>
    void bindOptionalInt(int index, const std::optional<T>& value) {
        if (value) {
            bindInt(index, static_cast<std::int64_t>(*value));
        } else {
            bindNull(index);
        }
    }
    void bindOptionalText(int index, const std::optional<std::string>& value);
    void bindOptionalBlob(int index, const std::optional<std::string>& value);

    // Makes the statement ready to run again with new bindings.
    void reset();

    // true: a row is ready; false: done.
    Result<bool> next();
    // Runs to completion, ignoring rows.
    Result<void> run();
    int changes() const;

    bool isNull(int column) const;
    std::int64_t intColumn(int column) const;
    std::string textColumn(int column) const;
    std::string blobColumn(int column) const;
    Secret secretColumn(int column) const;
    template <typename T>
    std::optional<T> optionalIntColumn(int column) const {
        if (isNull(column)) {
            return std::nullopt;
        }
        return static_cast<T>(intColumn(column));
    }
    std::optional<std::string> optionalTextColumn(int column) const;
    std::optional<std::string> optionalBlobColumn(int column) const;

private:
    Statement(Connection& connection, sqlite3_stmt* stmt, std::string sql, std::string context);

    Connection* connection_;
    sqlite3_stmt* stmt_;
    std::string sql_;
    std::string context_;
    int bindError_ = SQLITE_OK;
};

// BEGIN IMMEDIATE on construction (take the write lock up front, so a busy database fails
// before any work rather than at COMMIT); ROLLBACK on destruction unless committed.
class Transaction {
public:
    static Result<Transaction> begin(Connection& connection, std::string_view context);
    Transaction(Transaction&& other) noexcept;
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();

    Result<void> commit();

private:
    Transaction(Connection& connection, std::string context);
    void rollback();

    Connection* connection_;
    std::string context_;
};

}  // namespace lwm2mgw::credstore::detail
