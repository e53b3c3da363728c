// QtTest helpers for the credstore tests: raw SQLite access to inspect (and damage) files.
#pragma once

#include <sqlite3.h>

#include <QString>
#include <QtTest>

#include <string>

#include "fixtures.h"

namespace credstore_test {

// Fails the current test with the error message when `result` is an error.
#define CREDSTORE_VERIFY_OK(result)                                                      \
    do {                                                                                 \
        const auto& credstoreResult_ = (result);                                         \
        QVERIFY2(credstoreResult_.ok(),                                                  \
                 credstoreResult_.ok() ? "" : credstoreResult_.error().message.c_str()); \
    } while (false)

// A second, plain SQLite connection to a store's file.
class RawDb {
public:
    explicit RawDb(const std::string& path, bool readOnly = false);
    ~RawDb();
    RawDb(const RawDb&) = delete;
    RawDb& operator=(const RawDb&) = delete;

    sqlite3* handle() const { return db_; }
    bool isOpen() const { return db_ != nullptr; }
    // First column of the first row, as text ("" when no row); "ERROR: ..." on failure.
    std::string text(const std::string& sql) const;
    // sqlite3_exec result code.
    int exec(const std::string& sql) const;

private:
    sqlite3* db_ = nullptr;
};

std::string dbPath(const QTemporaryDir& dir, const char* name = "credentials.db");
unsigned fileMode(const std::string& path);  // st_mode & 07777, or ~0u if absent

}  // namespace credstore_test
