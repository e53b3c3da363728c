// Key material never shows up in listings, error messages, or (once deleted) the file.
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <lwm2m-gateway/credstore/provisioning.h>

#include "test_support.h"

using namespace credstore_test;

class CredstoreSecretsTest : public QObject {
    Q_OBJECT
private slots:
    void listingsCarryNoSecrets();
    void errorsCarryNoSecrets();
    void deletedKeysLeaveTheFile();
    void secretWipesOnMove();
};

namespace {

const std::vector<std::string> kAllKeys = {kBootstrapKey, kServerKey, kPskKey,
                                           std::string(32, '\x5a')};

// Every byte a listing could hand to a D-Bus layer.
std::string dump(const SecurityObjectInstance& s) {
    std::string out = s.serverUri + s.publicKeyOrIdentity + s.serverPublicKey;
    for (const auto* field :
         {&s.smsBindingKeyParameters, &s.smsServerNumber, &s.sni, &s.oscoreSecurityMode}) {
        out += field->value_or("");
    }
    return out;
}

std::string dump(const ServerObjectInstance& s) {
    return s.binding + s.apnLink.value_or("") + s.preferredTransport.value_or("");
}

void expectNoKey(const std::string& text, const char* where) {
    for (const auto& key : kAllKeys) {
        QVERIFY2(text.find(key) == std::string::npos, where);
        // Not even a recognisable part of one.
        QVERIFY2(text.find(key.substr(0, 12)) == std::string::npos, where);
    }
}

}  // namespace

void CredstoreSecretsTest::listingsCarryNoSecrets() {
    QTemporaryDir dir;
    auto store = CredentialStore::open(dbPath(dir));
    CREDSTORE_VERIFY_OK(store);
    auto accounts = sampleAccounts("gw");
    accounts.security.push_back(fullSecurityEntry(2, 102));
    accounts.servers.push_back(fullServerInstance(1, 102));
    CREDSTORE_VERIFY_OK(store->replaceEndpoints(endpoints(std::move(accounts)), allModes));
    CREDSTORE_VERIFY_OK(store->addPsk("sensor", "sensor-identity", Secret(kPskKey)));

    std::string everything;
    for (const auto& s : store->securityInstances("gw").value()) {
        everything += dump(s);
    }
    for (const auto& s : store->serverInstances("gw").value()) {
        everything += dump(s);
    }
    for (const auto& a : store->serverAccounts("gw").value()) {
        everything += dump(a.server) + dump(a.security);
    }
    everything += dump(store->bootstrapAccount("gw").value().value());
    for (const auto& p : store->pskCredentials().value()) {
        everything += p.identity + p.endpoint;
    }
    for (const auto& e : store->endpointsWithAccounts().value()) {
        everything += e;
    }
    auto session = store->beginBootstrap("gw");
    CREDSTORE_VERIFY_OK(session);
    for (const auto& s : session->securityInstances()) {
        everything += dump(s);
    }
    for (const auto& n : store->openNotices()) {
        everything += n;
    }
    QVERIFY(everything.find("sensor-identity") != std::string::npos);  // the dump works
    expectNoKey(everything, "listing");
    // The explicit call does give the key.
    QCOMPARE(std::string(store->secretKeyFor("gw", 0)->value().view()), kBootstrapKey);
}

void CredstoreSecretsTest::errorsCarryNoSecrets() {
    QTemporaryDir dir;
    auto store = CredentialStore::open(dbPath(dir));
    CREDSTORE_VERIFY_OK(store);
    CREDSTORE_VERIFY_OK(store->addPsk("sensor", "sensor-identity", Secret(kPskKey)));
    std::vector<std::string> messages;
    const auto collect = [&](const auto& result) {
        QVERIFY(!result.ok());
        messages.push_back(result.error().message);
    };
    collect(store->addPsk("sensor", "sensor-identity", Secret(kPskKey)));  // duplicate
    collect(store->addPsk("sensor", std::string(70000, 'i'), Secret(kPskKey)));
    collect(store->addPsk("sensor", "other-identity", Secret(std::string(2000, 'k'))));
    collect(store->addPsk("", "other-identity", Secret(kPskKey)));

    // Inconsistent and invalid sessions whose instances carry keys.
    auto session = store->beginBootstrap("gw");
    CREDSTORE_VERIFY_OK(session);
    auto security = serverSecurityEntry(1, 101);
    security.instance.matchingType = 9;
    collect(session->writeSecurity(security.instance, security.secrets.copy()));
    CREDSTORE_VERIFY_OK(session->writeServer(serverInstance(0, 555)));
    CREDSTORE_VERIFY_OK(
        session->writeSecurity(bootstrapEntry(0).instance, bootstrapEntry(0).secrets.copy()));
    collect(session->commit(allModes));
    collect(session->commit([](SecurityMode) { return false; }));

    // Provisioning files with keys next to the error.
    const std::string hexKey = "53524b4559";  // any hex would do; the text key is the check
    collect(importProvisioning(*store,
                               R"({"format": "lwm2m-gateway-provisioning", "version": 1,
        "endpoints": [{"endpoint": "gw", "security": [{"instanceId": 0,
        "serverUri": "coap://bs", "bootstrapServer": true, "securityMode": 0,
        "secretKey": {"text": ")" + kBootstrapKey.substr(0, 12) +
                                   R"("}, "matchingType": "x"}]}]})",
                               allModes));
    collect(importProvisioning(*store, "{\"secretKey\": \"" + kBootstrapKey.substr(0, 12) + "\" x",
                               allModes));
    collect(importProvisioning(*store,
                               R"({"format": "lwm2m-gateway-provisioning", "version": 1,
        "endpoints": [{"endpoint": "gw", "security": [{"instanceId": 0,
        "serverUri": "coap://bs", "bootstrapServer": true, "securityMode": 0,
        "secretKey": {"hex": ")" + hexKey +
                                   R"(", "text": ")" + kBootstrapKey.substr(0, 12) + R"("}}]}]})",
                               allModes));

    QVERIFY(messages.size() >= 10);
    for (const auto& m : messages) {
        qInfo("%s", m.c_str());
        expectNoKey(m, m.c_str());
    }
}

void CredstoreSecretsTest::deletedKeysLeaveTheFile() {
    // secure_delete: a removed key is overwritten in the database file, not just unlinked.
    QTemporaryDir dir;
    const std::string path = dbPath(dir);
    {
        auto store = CredentialStore::open(path);
        CREDSTORE_VERIFY_OK(store);
        CREDSTORE_VERIFY_OK(store->addPsk("sensor", "sensor-identity", Secret(kPskKey)));
        CREDSTORE_VERIFY_OK(store->replaceEndpoints(endpoints(sampleAccounts("gw")), allModes));
    }
    const auto contents = [&] {
        QFile file(QString::fromStdString(path));
        return file.open(QIODevice::ReadOnly) ? file.readAll().toStdString() : std::string();
    };
    QVERIFY(contents().find(kPskKey) != std::string::npos);  // stored as is (file is 0600)
    {
        auto store = CredentialStore::open(path);
        CREDSTORE_VERIFY_OK(store);
        QVERIFY(store->removePsk("sensor-identity").value());
        auto session = store->beginBootstrap("gw");
        CREDSTORE_VERIFY_OK(session->deletePath("/"));
        CREDSTORE_VERIFY_OK(session->commit(allModes));
    }
    const std::string after = contents();
    QVERIFY(!after.empty());
    QVERIFY(after.find(kPskKey) == std::string::npos);
    QVERIFY(after.find(kServerKey) == std::string::npos);
    QVERIFY(after.find(kBootstrapKey) != std::string::npos);  // still in use
}

void CredstoreSecretsTest::secretWipesOnMove() {
    Secret a(kPskKey);
    Secret b(std::move(a));
    QVERIFY(a.empty());  // NOLINT(bugprone-use-after-move): checking the moved-from state
    QCOMPARE(std::string(b.view()), kPskKey);
    std::string raw = kServerKey;
    Secret c = Secret::adopt(std::move(raw));
    QVERIFY(raw.empty());
    QCOMPARE(std::string(c.view()), kServerKey);
    QVERIFY(c == c.copy());
}

QTEST_GUILESS_MAIN(CredstoreSecretsTest)
#include "credstore_secrets_test.moc"
