#include "test_support.h"

#include <sys/stat.h>

namespace credstore_test {

RawDb::RawDb(const std::string& path, bool readOnly) {
    const int flags = readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
        sqlite3_close_v2(db_);
        db_ = nullptr;
    } else {
        sqlite3_busy_timeout(db_, 2000);
    }
}

RawDb::~RawDb() {
    sqlite3_close_v2(db_);
}

std::string RawDb::text(const std::string& sql) const {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
        return std::string("ERROR: ") + sqlite3_errmsg(db_);
    }
    std::string result;
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        const auto* value = sqlite3_column_text(stmt, 0);
        result = value != nullptr ? reinterpret_cast<const char*>(value) : "";
    } else if (rc != SQLITE_DONE) {
        result = std::string("ERROR: ") + sqlite3_errmsg(db_);
    }
    sqlite3_finalize(stmt);
    return result;
}

int RawDb::exec(const std::string& sql) const {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
}

std::string dbPath(const QTemporaryDir& dir, const char* name) {
    return dir.filePath(QString::fromLatin1(name)).toStdString();
}

unsigned fileMode(const std::string& path) {
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) {
        return ~0u;
    }
    return static_cast<unsigned>(st.st_mode & 07777);
}

}  // namespace credstore_test
