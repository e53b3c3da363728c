// Opening: file modes, pragmas, refusing files that are not (or no longer) ours.
#include <sys/stat.h>
#include <unistd.h>

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include "test_support.h"

using namespace credstore_test;

class CredstoreOpenTest : public QObject {
    Q_OBJECT
private slots:
    void createsOwnerOnlyWhateverTheUmask_data();
    void createsOwnerOnlyWhateverTheUmask();
    void tightensExistingWideFiles();
    void pragmasAndIntegrity();
    void reopenKeepsData();
    void refusesSymlink();
    void refusesNewerSchema();
    void refusesForeignDatabase();
    void refusesGarbage();
    void refusesDamagedFile();
};

void CredstoreOpenTest::createsOwnerOnlyWhateverTheUmask_data() {
    QTest::addColumn<unsigned>("mask");
    QTest::newRow("umask 000") << 0000u;
    QTest::newRow("umask 022") << 0022u;
    QTest::newRow("umask 277") << 0277u;
}

void CredstoreOpenTest::createsOwnerOnlyWhateverTheUmask() {
    QFETCH(unsigned, mask);
    QTemporaryDir dir;
    const std::string path = dbPath(dir);
    const mode_t old = umask(static_cast<mode_t>(mask));
    {
        auto store = CredentialStore::open(path);
        // Write something so -wal and -shm exist while the store is open.
        CREDSTORE_VERIFY_OK(store);
        CREDSTORE_VERIFY_OK(store->replaceEndpoints(endpoints(sampleAccounts("gw")), allModes));
        QCOMPARE(fileMode(path), 0600u);
        QCOMPARE(fileMode(path + "-wal"), 0600u);
        QCOMPARE(fileMode(path + "-shm"), 0600u);
    }
    umask(old);
    QCOMPARE(fileMode(path), 0600u);
}

void CredstoreOpenTest::tightensExistingWideFiles() {
    QTemporaryDir dir;
    const std::string path = dbPath(dir);
    { CREDSTORE_VERIFY_OK(CredentialStore::open(path)); }
    QCOMPARE(chmod(path.c_str(), 0644), 0);
    // A leftover empty WAL from an old crash, world-readable.
    {
        QFile wal(QString::fromStdString(path + "-wal"));
        QVERIFY(wal.open(QIODevice::WriteOnly));
    }
    QCOMPARE(chmod((path + "-wal").c_str(), 0666), 0);

    auto store = CredentialStore::open(path);
    CREDSTORE_VERIFY_OK(store);
    QCOMPARE(fileMode(path), 0600u);
    QCOMPARE(fileMode(path + "-wal"), 0600u);
    QVERIFY(!store->openNotices().empty());
    QVERIFY(QString::fromStdString(store->openNotices().front()).contains("0644"));
}

void CredstoreOpenTest::pragmasAndIntegrity() {
    QTemporaryDir dir;
    const std::string path = dbPath(dir);
    auto store = CredentialStore::open(path);
    CREDSTORE_VERIFY_OK(store);
    auto status = store->status();
    CREDSTORE_VERIFY_OK(status);
    QCOMPARE(status->journalMode, std::string("wal"));
    QVERIFY(status->foreignKeys);
    QCOMPARE(status->synchronous, 2);  // FULL
    QCOMPARE(status->schemaVersion, CredentialStore::currentSchemaVersion());
    QVERIFY(!status->readOnly);
    CREDSTORE_VERIFY_OK(store->checkIntegrity());

    // And as another process would see the file.
    RawDb raw(path);
    QVERIFY(raw.isOpen());
    QCOMPARE(raw.text("PRAGMA journal_mode"), std::string("wal"));
    QCOMPARE(raw.text("PRAGMA integrity_check"), std::string("ok"));
    QCOMPARE(raw.text("PRAGMA user_version"),
             std::to_string(CredentialStore::currentSchemaVersion()));
}

void CredstoreOpenTest::reopenKeepsData() {
    QTemporaryDir dir;
    const std::string path = dbPath(dir);
    {
        auto store = CredentialStore::open(path);
        CREDSTORE_VERIFY_OK(store);
        CREDSTORE_VERIFY_OK(store->replaceEndpoints(endpoints(sampleAccounts("gw")), allModes));
    }
    auto store = CredentialStore::open(path);
    CREDSTORE_VERIFY_OK(store);
    auto state = snapshot(*store, "gw");
    CREDSTORE_VERIFY_OK(state);
    QVERIFY(*state == sampleAccounts("gw"));
}

void CredstoreOpenTest::refusesSymlink() {
    QTemporaryDir dir;
    const std::string target = dbPath(dir, "real.db");
    const std::string link = dbPath(dir, "link.db");
    { CREDSTORE_VERIFY_OK(CredentialStore::open(target)); }
    QCOMPARE(symlink(target.c_str(), link.c_str()), 0);
    auto store = CredentialStore::open(link);
    QVERIFY(!store);
    QVERIFY(QString::fromStdString(store.error().message).contains("symbolic link"));
}

void CredstoreOpenTest::refusesNewerSchema() {
    QTemporaryDir dir;
    const std::string path = dbPath(dir);
    { CREDSTORE_VERIFY_OK(CredentialStore::open(path)); }
    {
        RawDb raw(path);
        QCOMPARE(raw.exec("PRAGMA user_version = 99"), SQLITE_OK);
    }
    auto store = CredentialStore::open(path);
    QVERIFY(!store);
    QCOMPARE(store.error().code, ErrorCode::SchemaTooNew);
    QVERIFY(QString::fromStdString(store.error().message).contains("99"));
    RawDb raw(path);
    QCOMPARE(raw.text("PRAGMA user_version"), std::string("99"));  // left alone
}

void CredstoreOpenTest::refusesForeignDatabase() {
    QTemporaryDir dir;
    const std::string path = dbPath(dir);
    {
        sqlite3* db = nullptr;
        QCOMPARE(sqlite3_open(path.c_str(), &db), SQLITE_OK);
        QCOMPARE(sqlite3_exec(db, "CREATE TABLE songs (title TEXT)", nullptr, nullptr, nullptr),
                 SQLITE_OK);
        sqlite3_close(db);
    }
    auto store = CredentialStore::open(path);
    QVERIFY(!store);
    QCOMPARE(store.error().code, ErrorCode::Corrupt);
    QVERIFY(QString::fromStdString(store.error().message).contains("not a credential store"));
}

void CredstoreOpenTest::refusesGarbage() {
    QTemporaryDir dir;
    const std::string path = dbPath(dir);
    {
        QFile file(QString::fromStdString(path));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray(8192, 'x'));
    }
    auto store = CredentialStore::open(path);
    QVERIFY(!store);
    QCOMPARE(store.error().code, ErrorCode::Corrupt);
    QVERIFY2(QString::fromStdString(store.error().message).contains("not a database"),
             store.error().message.c_str());
}

void CredstoreOpenTest::refusesDamagedFile() {
    QTemporaryDir dir;
    const std::string path = dbPath(dir);
    {
        auto store = CredentialStore::open(path);
        CREDSTORE_VERIFY_OK(store);
        CREDSTORE_VERIFY_OK(store->replaceEndpoints(endpoints(manyAccounts("gw", 200)), allModes));
    }  // closing checkpoints everything into the main file
    {
        QFile file(QString::fromStdString(path));
        QVERIFY(file.open(QIODevice::ReadWrite));
        QVERIFY(file.size() > 8 * 4096);
        // Scribble over the middle of the table pages, keeping the header intact.
        file.seek(5 * 4096 + 100);
        file.write(QByteArray(3 * 4096, '\xA5'));
    }
    auto store = CredentialStore::open(path);
    QVERIFY(!store);
    QCOMPARE(store.error().code, ErrorCode::Corrupt);
    qInfo("damaged file: %s", store.error().message.c_str());
}

QTEST_GUILESS_MAIN(CredstoreOpenTest)
#include "credstore_open_test.moc"
