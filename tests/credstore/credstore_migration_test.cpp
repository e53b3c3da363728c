// Every earlier schema version, built with the real migration steps, migrates on open and
// keeps its data; the result has exactly the schema of a fresh store.
#include <fcntl.h>
#include <unistd.h>

#include <QTemporaryDir>
#include <QtTest>

#include "account_rows.h"
#include "connection.h"
#include "schema.h"
#include "test_support.h"

using namespace credstore_test;
namespace detail = lwm2mgw::credstore::detail;

namespace {

std::string schemaOf(const std::string& path) {
    RawDb raw(path, true);
    return raw.text(
        "SELECT group_concat(type || ' ' || name || ': ' || coalesce(sql, ''), char(10)) "
        "FROM (SELECT * FROM sqlite_schema ORDER BY type, name)");
}

// A database at `version`, made the way an older gateway would have made it.
bool buildAtVersion(const std::string& path, int version) {
    const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600);
    if (fd < 0) {
        return false;
    }
    ::close(fd);
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        sqlite3_close_v2(db);
        return false;
    }
    detail::Connection connection(db, path, false);
    if (!connection.exec("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON", "setup")) {
        return false;
    }
    if (version == 0) {
        return true;
    }
    if (!detail::migrate(connection, version)) {
        return false;
    }
    // Version 1 already has the account tables.
    auto tx = detail::Transaction::begin(connection, "seeding");
    if (!tx) {
        return false;
    }
    auto accounts = sampleAccounts("gw-old");
    accounts.security.push_back(fullSecurityEntry(2, 102));
    accounts.servers.push_back(fullServerInstance(1, 102));
    if (!detail::writeEndpointAccounts(connection, accounts)) {
        return false;
    }
    return tx->commit().ok();
}

}  // namespace

class CredstoreMigrationTest : public QObject {
    Q_OBJECT
private slots:
    void migratesFromEveryEarlierVersion_data();
    void migratesFromEveryEarlierVersion();
    void emptyFileIsVersionZero();
    void readOnlyStoreDoesNotMigrate();
};

void CredstoreMigrationTest::migratesFromEveryEarlierVersion_data() {
    QTest::addColumn<int>("version");
    for (int v = 0; v < CredentialStore::currentSchemaVersion(); ++v) {
        QTest::newRow(("from version " + std::to_string(v)).c_str()) << v;
    }
}

void CredstoreMigrationTest::migratesFromEveryEarlierVersion() {
    QFETCH(int, version);
    QTemporaryDir dir;
    const std::string fresh = dbPath(dir, "fresh.db");
    const std::string old = dbPath(dir, "old.db");
    { CREDSTORE_VERIFY_OK(CredentialStore::open(fresh)); }
    QVERIFY(buildAtVersion(old, version));
    {
        RawDb raw(old, true);
        QCOMPARE(raw.text("PRAGMA user_version"), std::to_string(version));
    }

    auto store = CredentialStore::open(old);
    CREDSTORE_VERIFY_OK(store);
    auto status = store->status();
    CREDSTORE_VERIFY_OK(status);
    QCOMPARE(status->schemaVersion, CredentialStore::currentSchemaVersion());
    CREDSTORE_VERIFY_OK(store->checkIntegrity());
    QCOMPARE(schemaOf(old), schemaOf(fresh));

    if (version >= 1) {
        auto expected = sampleAccounts("gw-old");
        expected.security.push_back(fullSecurityEntry(2, 102));
        expected.servers.push_back(fullServerInstance(1, 102));
        auto state = snapshot(*store, "gw-old");
        CREDSTORE_VERIFY_OK(state);
        QVERIFY(*state == expected);
    }
    // Tables added by later steps work.
    CREDSTORE_VERIFY_OK(store->addPsk("sensor-1", "sensor-1-id", Secret(kPskKey)));
    auto match = store->pskKeyForIdentity("sensor-1-id");
    CREDSTORE_VERIFY_OK(match);
    QVERIFY(match->has_value());
}

void CredstoreMigrationTest::emptyFileIsVersionZero() {
    // A zero-length file (touched by an installer) is a new store, not a foreign database.
    QTemporaryDir dir;
    const std::string path = dbPath(dir);
    const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY, 0600);
    QVERIFY(fd >= 0);
    ::close(fd);
    auto store = CredentialStore::open(path);
    CREDSTORE_VERIFY_OK(store);
    QCOMPARE(store->status()->schemaVersion, CredentialStore::currentSchemaVersion());
}

void CredstoreMigrationTest::readOnlyStoreDoesNotMigrate() {
    QTemporaryDir dir;
    const std::string old = dbPath(dir, "old.db");
    QVERIFY(buildAtVersion(old, 1));
    OpenOptions options;
    options.readOnly = true;
    auto store = CredentialStore::open(old, options);
    QVERIFY(!store);
    QCOMPARE(store.error().code, ErrorCode::ReadOnly);
    RawDb raw(old, true);
    QCOMPARE(raw.text("PRAGMA user_version"), std::string("1"));
}

QTEST_GUILESS_MAIN(CredstoreMigrationTest)
#include "credstore_migration_test.moc"
