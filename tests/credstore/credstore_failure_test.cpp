// Full disk and read-only media: clear errors, nothing half-written, reads keep working.
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <cerrno>
#include <cstring>

#include "test_support.h"

using namespace credstore_test;

namespace {

// A small tmpfs, so "disk full" and "read-only filesystem" are the real kernel errors. Needs
// CAP_SYS_ADMIN; tests skip without it.
class TinyTmpfs {
public:
    TinyTmpfs(const QString& where, const char* size) : path_(where.toStdString()) {
        QDir().mkpath(where);
        const std::string options = std::string("size=") + size + ",mode=0700";
        mounted_ =
            ::mount("tmpfs", path_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) == 0;
        error_ = mounted_ ? 0 : errno;
    }
    ~TinyTmpfs() {
        if (mounted_) {
            ::umount2(path_.c_str(), MNT_DETACH);
        }
    }
    TinyTmpfs(const TinyTmpfs&) = delete;
    TinyTmpfs& operator=(const TinyTmpfs&) = delete;

    bool mounted() const { return mounted_; }
    const char* why() const { return std::strerror(error_); }
    std::string file(const char* name) const { return path_ + "/" + name; }
    bool remountReadOnly() {
        return ::mount("tmpfs", path_.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, nullptr) == 0;
    }
    // Fills every free block; returns the filler's path.
    std::string fill() const {
        const std::string filler = file("filler");
        QFile f(QString::fromStdString(filler));
        if (f.open(QIODevice::WriteOnly | QIODevice::Unbuffered)) {
            const QByteArray block(4096, 'f');
            while (f.write(block) == block.size()) {
            }
            // Partial tail blocks too.
            const QByteArray byte(1, 'f');
            while (f.write(byte) == 1) {
            }
        }
        return filler;
    }

private:
    std::string path_;
    bool mounted_ = false;
    int error_ = 0;
};

bool mentions(const Error& error, const char* word) {
    return QString::fromStdString(error.message).contains(QLatin1String(word), Qt::CaseInsensitive);
}

}  // namespace

class CredstoreFailureTest : public QObject {
    Q_OBJECT
private slots:
    void pageLimitActsAsFullDisk();
    void fullFilesystem();
    void newStoreOnFullFilesystem();
    void readOnlyOption();
    void readOnlyFilesystem();
    void unwritableFileFallsBackToReadOnly();
};

void CredstoreFailureTest::pageLimitActsAsFullDisk() {
    QTemporaryDir dir;
    const std::string path = dbPath(dir);
    {
        auto store = CredentialStore::open(path);
        CREDSTORE_VERIFY_OK(store);
        CREDSTORE_VERIFY_OK(store->replaceEndpoints(endpoints(sampleAccounts("gw")), allModes));
    }
    const auto pages = std::stoul(RawDb(path, true).text("PRAGMA page_count"));
    OpenOptions options;
    options.maxPageCount = static_cast<std::uint32_t>(pages + 2);
    auto store = CredentialStore::open(path, options);
    CREDSTORE_VERIFY_OK(store);

    auto session = store->beginBootstrap("gw");
    CREDSTORE_VERIFY_OK(session);
    const auto big = manyAccounts("gw", 300);
    for (const auto& entry : big.security) {
        CREDSTORE_VERIFY_OK(session->writeSecurity(entry.instance, entry.secrets.copy()));
    }
    for (const auto& server : big.servers) {
        CREDSTORE_VERIFY_OK(session->writeServer(server));
    }
    auto r = session->commit(allModes);
    QVERIFY(!r);
    qInfo("%s", r.error().message.c_str());
    QCOMPARE(r.error().code, ErrorCode::DiskFull);
    QVERIFY(mentions(r.error(), "full"));

    // Old state, still readable, file intact; the session may be retried later.
    QVERIFY(session->isOpen());
    auto state = snapshot(*store, "gw");
    CREDSTORE_VERIFY_OK(state);
    QVERIFY(*state == sampleAccounts("gw"));
    CREDSTORE_VERIFY_OK(store->checkIntegrity());
    // Downstream writes hit the same wall with the same error.
    auto bulk = store->replaceEndpoints(endpoints(manyAccounts("sensor", 300)), allModes);
    QCOMPARE(bulk.error().code, ErrorCode::DiskFull);
    QVERIFY(store->securityInstances("sensor")->empty());
    // A small write still fits.
    CREDSTORE_VERIFY_OK(store->addPsk("sensor", "sensor-id", Secret(kPskKey)));
}

void CredstoreFailureTest::fullFilesystem() {
    QTemporaryDir dir;
    TinyTmpfs fs(dir.filePath(QStringLiteral("mnt")), "512k");
    if (!fs.mounted()) {
        QSKIP(qPrintable(QStringLiteral("cannot mount a tmpfs here: %1").arg(fs.why())));
    }
    const std::string path = fs.file("credentials.db");
    auto store = CredentialStore::open(path);
    CREDSTORE_VERIFY_OK(store);
    CREDSTORE_VERIFY_OK(store->replaceEndpoints(endpoints(sampleAccounts("gw")), allModes));
    const std::string filler = fs.fill();

    auto r = store->replaceEndpoints(endpoints(manyAccounts("gw", 300)), allModes);
    QVERIFY(!r);
    qInfo("%s", r.error().message.c_str());
    QCOMPARE(r.error().code, ErrorCode::DiskFull);
    QVERIFY(mentions(r.error(), "full"));
    auto state = snapshot(*store, "gw");
    CREDSTORE_VERIFY_OK(state);
    QVERIFY(*state == sampleAccounts("gw"));
    CREDSTORE_VERIFY_OK(store->checkIntegrity());

    // Space back: the same write goes through on the same store.
    QCOMPARE(::unlink(filler.c_str()), 0);
    CREDSTORE_VERIFY_OK(store->replaceEndpoints(endpoints(manyAccounts("gw", 300)), allModes));
    QCOMPARE(store->serverInstances("gw")->size(), 300u);
    CREDSTORE_VERIFY_OK(store->checkIntegrity());
}

void CredstoreFailureTest::newStoreOnFullFilesystem() {
    QTemporaryDir dir;
    TinyTmpfs fs(dir.filePath(QStringLiteral("mnt")), "256k");
    if (!fs.mounted()) {
        QSKIP(qPrintable(QStringLiteral("cannot mount a tmpfs here: %1").arg(fs.why())));
    }
    const std::string filler = fs.fill();
    const std::string path = fs.file("credentials.db");
    auto store = CredentialStore::open(path);
    QVERIFY(!store);
    qInfo("%s", store.error().message.c_str());
    QCOMPARE(store.error().code, ErrorCode::DiskFull);
    QCOMPARE(::unlink(filler.c_str()), 0);
    // No half-migrated schema was left behind: the next open builds all of it.
    auto retry = CredentialStore::open(path);
    CREDSTORE_VERIFY_OK(retry);
    QCOMPARE(retry->status()->schemaVersion, CredentialStore::currentSchemaVersion());
    CREDSTORE_VERIFY_OK(retry->addPsk("sensor", "sensor-id", Secret(kPskKey)));
}

void CredstoreFailureTest::readOnlyOption() {
    QTemporaryDir dir;
    const std::string path = dbPath(dir);
    {
        auto store = CredentialStore::open(path);
        CREDSTORE_VERIFY_OK(store);
        CREDSTORE_VERIFY_OK(store->replaceEndpoints(endpoints(sampleAccounts("gw")), allModes));
    }
    OpenOptions options;
    options.readOnly = true;
    auto store = CredentialStore::open(path, options);
    CREDSTORE_VERIFY_OK(store);
    QVERIFY(store->isReadOnly());
    QVERIFY(store->status()->readOnly);
    auto state = snapshot(*store, "gw");
    QVERIFY(*state == sampleAccounts("gw"));
    auto session = store->beginBootstrap("gw");
    QCOMPARE(session.error().code, ErrorCode::ReadOnly);
    auto r = store->replaceEndpoints(endpoints(sampleAccounts("other")), allModes);
    QCOMPARE(r.error().code, ErrorCode::ReadOnly);
    QVERIFY(mentions(r.error(), "read-only"));
    QVERIFY(store->securityInstances("other")->empty());
    // A read-only open never creates a file.
    auto absent = CredentialStore::open(dbPath(dir, "absent.db"), options);
    QCOMPARE(absent.error().code, ErrorCode::NotFound);
    QVERIFY(!QFile::exists(QString::fromStdString(dbPath(dir, "absent.db"))));
}

void CredstoreFailureTest::readOnlyFilesystem() {
    QTemporaryDir dir;
    TinyTmpfs fs(dir.filePath(QStringLiteral("mnt")), "1m");
    if (!fs.mounted()) {
        QSKIP(qPrintable(QStringLiteral("cannot mount a tmpfs here: %1").arg(fs.why())));
    }
    const std::string path = fs.file("credentials.db");
    {
        auto store = CredentialStore::open(path);
        CREDSTORE_VERIFY_OK(store);
        CREDSTORE_VERIFY_OK(store->replaceEndpoints(endpoints(sampleAccounts("gw")), allModes));
    }
    QVERIFY(fs.remountReadOnly());

    auto store = CredentialStore::open(path);  // asks for read-write, gets read-only
    CREDSTORE_VERIFY_OK(store);
    QVERIFY(store->isReadOnly());
    QVERIFY(!store->openNotices().empty());
    qInfo("%s", store->openNotices().front().c_str());
    auto state = snapshot(*store, "gw");
    CREDSTORE_VERIFY_OK(state);
    QVERIFY(*state == sampleAccounts("gw"));
    QCOMPARE(store->addPsk("sensor", "id", Secret(kPskKey)).error().code, ErrorCode::ReadOnly);
    QCOMPARE(store->beginBootstrap("gw").error().code, ErrorCode::ReadOnly);
    // A store that does not exist yet cannot be created there, and says why.
    auto fresh = CredentialStore::open(fs.file("new.db"));
    QVERIFY(!fresh);
    qInfo("%s", fresh.error().message.c_str());
    QCOMPARE(fresh.error().code, ErrorCode::ReadOnly);
}

void CredstoreFailureTest::unwritableFileFallsBackToReadOnly() {
    if (geteuid() == 0) {
        QSKIP("root ignores file permissions; readOnlyFilesystem covers this case");
    }
    QTemporaryDir dir;
    const std::string path = dbPath(dir);
    {
        auto store = CredentialStore::open(path);
        CREDSTORE_VERIFY_OK(store);
        CREDSTORE_VERIFY_OK(store->replaceEndpoints(endpoints(sampleAccounts("gw")), allModes));
    }
    QCOMPARE(chmod(path.c_str(), 0400), 0);
    auto store = CredentialStore::open(path);
    CREDSTORE_VERIFY_OK(store);
    QVERIFY(store->isReadOnly());
    QCOMPARE(fileMode(path), 0400u);  // tightened never means widened
    QCOMPARE(store->addPsk("sensor", "id", Secret(kPskKey)).error().code, ErrorCode::ReadOnly);
}

QTEST_GUILESS_MAIN(CredstoreFailureTest)
#include "credstore_failure_test.moc"
