// Bootstrap sessions: atomic commit, isolation, consistency checks, Bootstrap-Delete rules.
#include <QTemporaryDir>
#include <QtTest>

#include <optional>

#include "test_support.h"

using namespace credstore_test;

namespace {

bool onlyPsk(SecurityMode mode) {
    return mode == SecurityMode::PreSharedKey;
}

}  // namespace

class CredstoreSessionTest : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();

    void writeThenCommitIsVisible();
    void everyResourceRoundTrips();
    void abandonLeavesOldState();
    void destroyedSessionLeavesOldState();
    void readersSeeOldStateUntilCommit();
    void serverWithoutSecurityIsRefused();
    void serverPointingAtBootstrapAccountIsRefused();
    void unavailableModeIsRefused();
    void deletingEverythingIsRefused();
    void secondBootstrapAccountIsRefused();
    void deleteRootKeepsBootstrapAccount();
    void deleteSecurityObjectKeepsBootstrapAccount();
    void deleteBootstrapInstanceIsRefused();
    void deleteOtherTargets();
    void failedCommitKeepsSessionOpen();
    void writeWithoutSecretsKeepsThem();
    void invalidWritesAreRefusedAtOnce();
    void concurrentChangeIsRefused();
    void sessionOutlivingStore();
    void endpointsAreIndependent();
    void schemaRefusesBadRowsFromRawSql();
    void removeEndpoint();
    void removeAccountsKeepsDownstreamCredentials();

private:
    std::optional<QTemporaryDir> dir_;
    std::string path_;
    std::optional<CredentialStore> store_;

    void seed() {
        QVERIFY(store_->replaceEndpoints(endpoints(sampleAccounts("gw")), allModes).ok());
    }
    void expectState(const EndpointAccounts& expected) {
        auto state = snapshot(*store_, expected.endpoint);
        QVERIFY2(state.ok(), state.ok() ? "" : state.error().message.c_str());
        QVERIFY(*state == expected);
    }
    BootstrapSession begin(const char* endpoint = "gw") {
        auto session = store_->beginBootstrap(endpoint);
        if (!session) {
            qFatal("beginBootstrap: %s", session.error().message.c_str());
        }
        return std::move(session).value();
    }
};

void CredstoreSessionTest::init() {
    dir_.emplace();
    path_ = dbPath(*dir_);
    auto store = CredentialStore::open(path_);
    QVERIFY(store.ok());
    store_.emplace(std::move(store).value());
}

void CredstoreSessionTest::cleanup() {
    store_.reset();
    dir_.reset();
}

void CredstoreSessionTest::writeThenCommitIsVisible() {
    auto session = begin();
    QVERIFY(session.securityInstances().empty());
    CREDSTORE_VERIFY_OK(
        session.writeSecurity(bootstrapEntry(0).instance, bootstrapEntry(0).secrets.copy()));
    CREDSTORE_VERIFY_OK(session.writeSecurity(serverSecurityEntry(1, 101).instance,
                                              serverSecurityEntry(1, 101).secrets.copy()));
    CREDSTORE_VERIFY_OK(session.writeServer(serverInstance(0, 101)));
    CREDSTORE_VERIFY_OK(session.commit(allModes));
    QVERIFY(!session.isOpen());

    expectState(sampleAccounts("gw"));
    auto accounts = store_->serverAccounts("gw");
    CREDSTORE_VERIFY_OK(accounts);
    QCOMPARE(accounts->size(), 1u);
    QCOMPARE(accounts->front().server.shortServerId, 101);
    QCOMPARE(accounts->front().security.instanceId, 1);
    auto bootstrap = store_->bootstrapAccount("gw");
    CREDSTORE_VERIFY_OK(bootstrap);
    QVERIFY(bootstrap->has_value());
    QCOMPARE((*bootstrap)->instanceId, 0);
    auto key = store_->secretKeyFor("gw", 1);
    CREDSTORE_VERIFY_OK(key);
    QVERIFY(key->has_value());
    QCOMPARE(std::string((*key)->view()), kServerKey);
    auto missing = store_->secretKeyFor("gw", 9);
    CREDSTORE_VERIFY_OK(missing);
    QVERIFY(!missing->has_value());
    auto list = store_->endpointsWithAccounts();
    CREDSTORE_VERIFY_OK(list);
    QCOMPARE(*list, std::vector<std::string>{"gw"});
    // A second commit on a closed session is refused.
    QCOMPARE(session.commit(allModes).error().code, ErrorCode::SessionClosed);
}

void CredstoreSessionTest::everyResourceRoundTrips() {
    auto full = sampleAccounts("gw");
    full.security.push_back(fullSecurityEntry(2, 102));
    full.servers.push_back(fullServerInstance(1, 102));
    auto session = begin();
    for (const auto& entry : full.security) {
        CREDSTORE_VERIFY_OK(session.writeSecurity(entry.instance, entry.secrets.copy()));
    }
    for (const auto& server : full.servers) {
        CREDSTORE_VERIFY_OK(session.writeServer(server));
    }
    CREDSTORE_VERIFY_OK(session.commit(allModes));
    expectState(full);
    // The public listing says a key exists without giving it.
    auto listed = store_->securityInstances("gw");
    CREDSTORE_VERIFY_OK(listed);
    QVERIFY((*listed)[2].hasSecretKey);
    QVERIFY((*listed)[2].hasSmsBindingSecretKeys);
}

void CredstoreSessionTest::abandonLeavesOldState() {
    seed();
    auto session = begin();
    CREDSTORE_VERIFY_OK(session.deletePath("/"));
    CREDSTORE_VERIFY_OK(session.writeSecurity(serverSecurityEntry(5, 500).instance,
                                              serverSecurityEntry(5, 500).secrets.copy()));
    CREDSTORE_VERIFY_OK(session.writeServer(serverInstance(5, 500)));
    session.abandon();
    QCOMPARE(session.commit(allModes).error().code, ErrorCode::SessionClosed);
    expectState(sampleAccounts("gw"));
}

void CredstoreSessionTest::destroyedSessionLeavesOldState() {
    seed();
    {
        auto session = begin();
        CREDSTORE_VERIFY_OK(session.deletePath("/1"));
    }
    expectState(sampleAccounts("gw"));
}

void CredstoreSessionTest::readersSeeOldStateUntilCommit() {
    seed();
    auto other = CredentialStore::open(path_);  // another connection, as another process would
    CREDSTORE_VERIFY_OK(other);

    auto session = begin();
    CREDSTORE_VERIFY_OK(session.deletePath("/1/0"));
    CREDSTORE_VERIFY_OK(session.writeSecurity(serverSecurityEntry(3, 300).instance,
                                              serverSecurityEntry(3, 300).secrets.copy()));
    CREDSTORE_VERIFY_OK(session.writeServer(serverInstance(3, 300)));
    QCOMPARE(session.serverInstances().size(), 1u);

    expectState(sampleAccounts("gw"));
    auto seen = snapshot(*other, "gw");
    CREDSTORE_VERIFY_OK(seen);
    QVERIFY(*seen == sampleAccounts("gw"));
    // Readers are not blocked by the open session either.
    CREDSTORE_VERIFY_OK(other->addPsk("sensor", "sensor-id", Secret(kPskKey)));

    CREDSTORE_VERIFY_OK(session.commit(allModes));
    auto after = other->serverInstances("gw");
    CREDSTORE_VERIFY_OK(after);
    QCOMPARE(after->size(), 1u);
    QCOMPARE(after->front().shortServerId, 300);
}

void CredstoreSessionTest::serverWithoutSecurityIsRefused() {
    seed();
    auto session = begin();
    CREDSTORE_VERIFY_OK(session.writeServer(serverInstance(7, 777)));
    auto r = session.commit(allModes);
    QVERIFY(!r);
    QCOMPARE(r.error().code, ErrorCode::Inconsistent);
    QVERIFY2(QString::fromStdString(r.error().message).contains("/1/7"), r.error().message.c_str());
    expectState(sampleAccounts("gw"));
}

void CredstoreSessionTest::serverPointingAtBootstrapAccountIsRefused() {
    auto session = begin();
    auto bs = bootstrapEntry(0);
    bs.instance.shortServerId = 55;
    CREDSTORE_VERIFY_OK(session.writeSecurity(bs.instance, bs.secrets.copy()));
    CREDSTORE_VERIFY_OK(session.writeServer(serverInstance(0, 55)));
    auto r = session.commit(allModes);
    QCOMPARE(r.error().code, ErrorCode::Inconsistent);
    QVERIFY(QString::fromStdString(r.error().message).contains("Bootstrap-Server account"));
    QVERIFY(store_->securityInstances("gw")->empty());
}

void CredstoreSessionTest::unavailableModeIsRefused() {
    seed();
    auto session = begin();
    auto rpk = serverSecurityEntry(4, 400, SecurityMode::RawPublicKey);
    CREDSTORE_VERIFY_OK(session.writeSecurity(rpk.instance, rpk.secrets.copy()));
    CREDSTORE_VERIFY_OK(session.writeServer(serverInstance(4, 400)));
    auto r = session.commit(onlyPsk);
    QCOMPARE(r.error().code, ErrorCode::ModeUnavailable);
    QVERIFY(QString::fromStdString(r.error().message).contains("Raw Public Key"));
    expectState(sampleAccounts("gw"));
    // The same session commits once the mode is there.
    CREDSTORE_VERIFY_OK(session.commit(allModes));
    QCOMPARE(store_->serverInstances("gw")->size(), 2u);
}

void CredstoreSessionTest::deletingEverythingIsRefused() {
    // Without a bootstrap account, "/" removes every account: refused.
    auto noBootstrap = sampleAccounts("gw");
    noBootstrap.security.erase(noBootstrap.security.begin());
    CREDSTORE_VERIFY_OK(store_->replaceEndpoints(endpoints(noBootstrap.copy()), allModes));
    auto session = begin();
    CREDSTORE_VERIFY_OK(session.deletePath("/"));
    auto r = session.commit(allModes);
    QCOMPARE(r.error().code, ErrorCode::Inconsistent);
    QVERIFY(QString::fromStdString(r.error().message).contains("no Bootstrap-Server account"));
    expectState(noBootstrap);
    // Security without its Server instance is no account either.
    auto session2 = begin();
    CREDSTORE_VERIFY_OK(session2.deletePath("/1"));
    QCOMPARE(session2.commit(allModes).error().code, ErrorCode::Inconsistent);
    expectState(noBootstrap);
}

void CredstoreSessionTest::secondBootstrapAccountIsRefused() {
    seed();
    auto session = begin();
    CREDSTORE_VERIFY_OK(
        session.writeSecurity(bootstrapEntry(9).instance, bootstrapEntry(9).secrets.copy()));
    QCOMPARE(session.commit(allModes).error().code, ErrorCode::Inconsistent);
    expectState(sampleAccounts("gw"));
}

void CredstoreSessionTest::deleteRootKeepsBootstrapAccount() {
    seed();
    auto session = begin();
    CREDSTORE_VERIFY_OK(session.deletePath("/"));
    QCOMPARE(session.securityInstances().size(), 1u);
    QVERIFY(session.securityInstances().front().bootstrapServer);
    QVERIFY(session.serverInstances().empty());
    CREDSTORE_VERIFY_OK(session.commit(allModes));

    EndpointAccounts expected;
    expected.endpoint = "gw";
    expected.security.push_back(bootstrapEntry(0));
    expectState(expected);
    auto key = store_->secretKeyFor("gw", 0);
    CREDSTORE_VERIFY_OK(key);
    QCOMPARE(std::string((*key)->view()), kBootstrapKey);
}

void CredstoreSessionTest::deleteSecurityObjectKeepsBootstrapAccount() {
    seed();
    auto session = begin();
    CREDSTORE_VERIFY_OK(session.deletePath("/0"));
    QCOMPARE(session.securityInstances().size(), 1u);
    QVERIFY(session.securityInstances().front().bootstrapServer);
    QCOMPARE(session.serverInstances().size(), 1u);  // /1 untouched...
    // ...and now dangling, so this commit is refused until /1 goes too.
    QCOMPARE(session.commit(allModes).error().code, ErrorCode::Inconsistent);
    CREDSTORE_VERIFY_OK(session.deletePath("/1"));
    CREDSTORE_VERIFY_OK(session.commit(allModes));
    QCOMPARE(store_->securityInstances("gw")->size(), 1u);
}

void CredstoreSessionTest::deleteBootstrapInstanceIsRefused() {
    seed();
    auto session = begin();
    auto r = session.deletePath("/0/0");
    QCOMPARE(r.error().code, ErrorCode::BootstrapAccountProtected);
    QCOMPARE(session.securityInstances().size(), 2u);
    CREDSTORE_VERIFY_OK(session.deletePath("/0/1"));
    CREDSTORE_VERIFY_OK(session.deletePath("/1/0"));
    CREDSTORE_VERIFY_OK(session.commit(allModes));
    QCOMPARE(store_->securityInstances("gw")->size(), 1u);
}

void CredstoreSessionTest::deleteOtherTargets() {
    seed();
    auto session = begin();
    CREDSTORE_VERIFY_OK(session.deletePath("/0/42"));  // absent: fine, like Bootstrap-Delete
    QCOMPARE(session.deletePath("/3").error().code, ErrorCode::InvalidArgument);
    for (const char* bad : {"", "0", "/0/1/2", "/x", "//", "/0/", "/70000", "/0/-1"}) {
        QVERIFY2(session.deletePath(bad).error().code == ErrorCode::InvalidArgument, bad);
    }
    QCOMPARE(session.securityInstances().size(), 2u);
    QCOMPARE(session.serverInstances().size(), 1u);
}

void CredstoreSessionTest::failedCommitKeepsSessionOpen() {
    seed();
    auto session = begin();
    CREDSTORE_VERIFY_OK(session.writeServer(serverInstance(2, 202)));
    QVERIFY(!session.commit(allModes));
    QVERIFY(session.isOpen());
    CREDSTORE_VERIFY_OK(session.writeSecurity(serverSecurityEntry(2, 202).instance,
                                              serverSecurityEntry(2, 202).secrets.copy()));
    CREDSTORE_VERIFY_OK(session.commit(allModes));
    QCOMPARE(store_->serverAccounts("gw")->size(), 2u);
}

void CredstoreSessionTest::writeWithoutSecretsKeepsThem() {
    seed();
    auto session = begin();
    auto changed = serverSecurityEntry(1, 101).instance;
    changed.serverUri = "coaps://moved.example.net:5684";
    changed.hasSecretKey = false;  // ignored: derived from the secrets kept
    CREDSTORE_VERIFY_OK(session.writeSecurity(changed, std::nullopt));
    // A new instance without secrets gets empty ones.
    auto fresh = serverSecurityEntry(6, 600, SecurityMode::NoSec, "");
    CREDSTORE_VERIFY_OK(session.writeSecurity(fresh.instance, std::nullopt));
    CREDSTORE_VERIFY_OK(session.commit(allModes));
    auto key = store_->secretKeyFor("gw", 1);
    QCOMPARE(std::string((*key)->view()), kServerKey);
    QCOMPARE(store_->securityInstances("gw")->at(1).serverUri, changed.serverUri);
    QVERIFY(store_->securityInstances("gw")->at(1).hasSecretKey);
    QVERIFY(store_->secretKeyFor("gw", 6)->value().empty());
}

void CredstoreSessionTest::invalidWritesAreRefusedAtOnce() {
    seed();
    auto session = begin();
    auto ok = serverSecurityEntry(3, 300);
    const auto tryWrite = [&](auto mutate) {
        auto s = ok.instance;
        mutate(s);
        return session.writeSecurity(s, ok.secrets.copy());
    };
    QCOMPARE(tryWrite([](auto& s) { s.shortServerId = 0; }).error().code,
             ErrorCode::InvalidArgument);
    QCOMPARE(tryWrite([](auto& s) { s.shortServerId = 65535; }).error().code,
             ErrorCode::InvalidArgument);
    QCOMPARE(tryWrite([](auto& s) { s.shortServerId.reset(); }).error().code,
             ErrorCode::InvalidArgument);
    QCOMPARE(tryWrite([](auto& s) { s.matchingType = 4; }).error().code,
             ErrorCode::InvalidArgument);
    QCOMPARE(tryWrite([](auto& s) { s.certificateUsage = 9; }).error().code,
             ErrorCode::InvalidArgument);
    QCOMPARE(tryWrite([](auto& s) { s.securityMode = static_cast<SecurityMode>(5); }).error().code,
             ErrorCode::InvalidArgument);
    QCOMPARE(tryWrite([](auto& s) { s.oscoreSecurityMode = "21"; }).error().code,
             ErrorCode::InvalidArgument);
    QCOMPARE(tryWrite([](auto& s) { s.instanceId = 65535; }).error().code,
             ErrorCode::InvalidArgument);
    QCOMPARE(tryWrite([](auto& s) { s.serverUri.clear(); }).error().code,
             ErrorCode::InvalidArgument);
    auto server = serverInstance(3, 300);
    server.binding = "X";
    QCOMPARE(session.writeServer(server).error().code, ErrorCode::InvalidArgument);
    server.binding = "U";
    server.preferredTransport = "UT";
    QCOMPARE(session.writeServer(server).error().code, ErrorCode::InvalidArgument);
    server.preferredTransport.reset();
    server.apnLink = "11:99999";
    QCOMPARE(session.writeServer(server).error().code, ErrorCode::InvalidArgument);
    QCOMPARE(session.securityInstances().size(), 2u);
    QCOMPARE(session.serverInstances().size(), 1u);
    // A refused write without secrets leaves the kept secrets in place.
    auto bad = serverSecurityEntry(1, 101).instance;
    bad.matchingType = 8;
    QVERIFY(!session.writeSecurity(bad, std::nullopt));
    CREDSTORE_VERIFY_OK(session.commit(allModes));
    QCOMPARE(std::string(store_->secretKeyFor("gw", 1)->value().view()), kServerKey);
}

void CredstoreSessionTest::concurrentChangeIsRefused() {
    seed();
    auto first = begin();
    auto second = begin();
    CREDSTORE_VERIFY_OK(first.deletePath("/1/0"));
    CREDSTORE_VERIFY_OK(first.deletePath("/0/1"));
    CREDSTORE_VERIFY_OK(first.commit(allModes));
    CREDSTORE_VERIFY_OK(second.writeServer(fullServerInstance(0, 101)));
    auto r = second.commit(allModes);
    QCOMPARE(r.error().code, ErrorCode::Conflict);
    QCOMPARE(store_->securityInstances("gw")->size(), 1u);
}

void CredstoreSessionTest::sessionOutlivingStore() {
    seed();
    auto session = begin();
    store_.reset();
    QCOMPARE(session.commit(allModes).error().code, ErrorCode::SessionClosed);
}

void CredstoreSessionTest::endpointsAreIndependent() {
    seed();
    CREDSTORE_VERIFY_OK(store_->replaceEndpoints(endpoints(sampleAccounts("sensor-7")), allModes));
    auto session = begin("sensor-7");
    CREDSTORE_VERIFY_OK(session.deletePath("/"));
    CREDSTORE_VERIFY_OK(session.commit(allModes));
    expectState(sampleAccounts("gw"));
    QCOMPARE(store_->securityInstances("sensor-7")->size(), 1u);
    auto list = store_->endpointsWithAccounts();
    QCOMPARE(*list, (std::vector<std::string>{"gw", "sensor-7"}));
    QCOMPARE(store_->beginBootstrap("").error().code, ErrorCode::InvalidArgument);
}

void CredstoreSessionTest::schemaRefusesBadRowsFromRawSql() {
    // The CHECK/UNIQUE/FK constraints hold even for a writer bypassing the C++ checks.
    seed();
    RawDb raw(path_);
    QCOMPARE(raw.exec("PRAGMA foreign_keys = ON"), SQLITE_OK);
    const std::string security =
        "INSERT INTO security_instance (endpoint, instance_id, server_uri, bootstrap_server, "
        "security_mode, public_key_or_identity, server_public_key, secret_key, short_server_id) "
        "VALUES ('gw', 7, 'coap://x', 0, ";
    QCOMPARE(raw.exec(security + "5, x'', x'', x'', 700)") & 0xff, SQLITE_CONSTRAINT);
    QCOMPARE(raw.exec(security + "3, x'', x'', x'', 0)") & 0xff, SQLITE_CONSTRAINT);
    QCOMPARE(raw.exec(security + "3, x'', x'', x'', NULL)") & 0xff, SQLITE_CONSTRAINT);
    QCOMPARE(raw.exec(security + "3, x'', x'', x'', 101)") & 0xff, SQLITE_CONSTRAINT);
    QCOMPARE(raw.exec(security + "'three', x'', x'', x'', 700)") & 0xff, SQLITE_CONSTRAINT);
    QCOMPARE(raw.exec("INSERT INTO server_instance (endpoint, instance_id, short_server_id, "
                      "lifetime, notification_storing, binding) "
                      "VALUES ('gw', 1, 999, 60, 0, 'U')") &
                 0xff,
             SQLITE_CONSTRAINT);  // no Security instance with Short Server ID 999
    QCOMPARE(raw.exec("INSERT INTO server_instance (endpoint, instance_id, short_server_id, "
                      "lifetime, notification_storing, binding) "
                      "VALUES ('gw', 1, 101, 60, 0, 'U')") &
                 0xff,
             SQLITE_CONSTRAINT);  // Short Server ID 101 already has a Server instance
    QCOMPARE(raw.text("PRAGMA integrity_check"), std::string("ok"));
    expectState(sampleAccounts("gw"));
}

void CredstoreSessionTest::removeEndpoint() {
    seed();
    CREDSTORE_VERIFY_OK(store_->addPsk("gw", "gw-id", Secret(kPskKey)));
    auto removed = store_->removeEndpoint("gw");
    CREDSTORE_VERIFY_OK(removed);
    QVERIFY(*removed);
    QVERIFY(store_->securityInstances("gw")->empty());
    QVERIFY(store_->serverInstances("gw")->empty());
    QVERIFY(!store_->pskKeyForIdentity("gw-id")->has_value());
    QVERIFY(!store_->removeEndpoint("gw").value());
}

void CredstoreSessionTest::removeAccountsKeepsDownstreamCredentials() {
    seed();
    CREDSTORE_VERIFY_OK(store_->addPsk("gw", "gw-id", Secret(kPskKey)));
    auto removed = store_->removeAccounts("gw");
    CREDSTORE_VERIFY_OK(removed);
    QVERIFY(*removed);
    QVERIFY(store_->securityInstances("gw")->empty());
    QVERIFY(store_->serverInstances("gw")->empty());
    QVERIFY(store_->pskKeyForIdentity("gw-id")->has_value());
    QVERIFY(!store_->removeAccounts("gw").value());
    CREDSTORE_VERIFY_OK(store_->checkIntegrity());
}

QTEST_GUILESS_MAIN(CredstoreSessionTest)
#include "credstore_session_test.moc"
