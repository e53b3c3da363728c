// Downstream credentials: PSK, RPK and trust anchors, each bound to an endpoint name.
#include <QTemporaryDir>
#include <QtTest>

#include "test_support.h"

using namespace credstore_test;

namespace {

// Minimal well-formed DER SEQUENCEs; the store only checks the outer shape.
std::string derSequence(const std::string& content) {
    std::string der = "\x30";
    if (content.size() < 0x80) {
        der += static_cast<char>(content.size());
    } else {
        der += "\x82";
        der += static_cast<char>((content.size() >> 8) & 0xff);
        der += static_cast<char>(content.size() & 0xff);
    }
    return der + content;
}

}  // namespace

class CredstoreDownstreamTest : public QObject {
    Q_OBJECT
private slots:
    void psk();
    void rpk();
    void trustAnchors();
    void readOnlyStoreRefusesWrites();
};

void CredstoreDownstreamTest::psk() {
    QTemporaryDir dir;
    auto store = CredentialStore::open(dbPath(dir));
    CREDSTORE_VERIFY_OK(store);
    CREDSTORE_VERIFY_OK(store->addPsk("sensor-1", "id-1", Secret(kPskKey)));
    CREDSTORE_VERIFY_OK(store->addPsk("sensor-2", std::string("id\0-2", 5), Secret("k2")));

    auto match = store->pskKeyForIdentity("id-1");
    CREDSTORE_VERIFY_OK(match);
    QVERIFY(match->has_value());
    QCOMPARE((*match)->endpoint, std::string("sensor-1"));
    QCOMPARE(std::string((*match)->key.view()), kPskKey);
    auto binary = store->pskKeyForIdentity(std::string("id\0-2", 5));
    QCOMPARE(binary->value().endpoint, std::string("sensor-2"));
    QVERIFY(!store->pskKeyForIdentity("id-3")->has_value());

    auto duplicate = store->addPsk("sensor-9", "id-1", Secret("other"));
    QCOMPARE(duplicate.error().code, ErrorCode::AlreadyExists);
    QCOMPARE(store->pskKeyForIdentity("id-1")->value().endpoint, std::string("sensor-1"));
    QCOMPARE(store->addPsk("sensor-1", "", Secret("k")).error().code, ErrorCode::InvalidArgument);
    QCOMPARE(store->addPsk("sensor-1", "id-x", Secret("")).error().code,
             ErrorCode::InvalidArgument);
    QCOMPARE(store->addPsk("", "id-x", Secret("k")).error().code, ErrorCode::InvalidArgument);

    auto list = store->pskCredentials();
    CREDSTORE_VERIFY_OK(list);
    QCOMPARE(list->size(), 2u);
    QCOMPARE(list->front(), (PskCredentialInfo{"id-1", "sensor-1"}));

    QVERIFY(store->removePsk("id-1").value());
    QVERIFY(!store->removePsk("id-1").value());
    QVERIFY(!store->pskKeyForIdentity("id-1")->has_value());
}

void CredstoreDownstreamTest::rpk() {
    QTemporaryDir dir;
    auto store = CredentialStore::open(dbPath(dir));
    CREDSTORE_VERIFY_OK(store);
    const std::string key1 = derSequence(std::string(89, '\x11'));
    const std::string key2 = derSequence(std::string(300, '\x22'));
    CREDSTORE_VERIFY_OK(store->addRpk("sensor-1", key1));
    CREDSTORE_VERIFY_OK(store->addRpk("sensor-2", key2));
    QCOMPARE(store->endpointForRpk(key1)->value(), std::string("sensor-1"));
    QCOMPARE(store->endpointForRpk(key2)->value(), std::string("sensor-2"));
    QVERIFY(!store->endpointForRpk(derSequence("nope"))->has_value());
    QCOMPARE(store->addRpk("sensor-3", key1).error().code, ErrorCode::AlreadyExists);
    QCOMPARE(store->addRpk("sensor-3", "-----BEGIN PUBLIC KEY-----").error().code,
             ErrorCode::InvalidArgument);
    QCOMPARE(store->addRpk("sensor-3", key1.substr(0, 20)).error().code,
             ErrorCode::InvalidArgument);
    QCOMPARE(store->rpkCredentials()->size(), 2u);
    QVERIFY(store->removeRpk(key1).value());
    QVERIFY(!store->endpointForRpk(key1)->has_value());
}

void CredstoreDownstreamTest::trustAnchors() {
    QTemporaryDir dir;
    auto store = CredentialStore::open(dbPath(dir));
    CREDSTORE_VERIFY_OK(store);
    const TrustAnchor ca{"factory-ca", derSequence(std::string(500, '\x33')), std::nullopt};
    const TrustAnchor pinned{"sensor-7-cert", derSequence(std::string(400, '\x44')),
                             std::string("sensor-7")};
    CREDSTORE_VERIFY_OK(store->addTrustAnchor(ca));
    CREDSTORE_VERIFY_OK(store->addTrustAnchor(pinned));
    auto list = store->trustAnchors();
    CREDSTORE_VERIFY_OK(list);
    QCOMPARE(*list, (std::vector<TrustAnchor>{ca, pinned}));
    QCOMPARE(store->addTrustAnchor({"factory-ca", derSequence("x"), std::nullopt}).error().code,
             ErrorCode::AlreadyExists);
    QCOMPARE(store->addTrustAnchor({"other", ca.certificateDer, std::nullopt}).error().code,
             ErrorCode::AlreadyExists);
    QCOMPARE(store->addTrustAnchor({"", derSequence("x"), std::nullopt}).error().code,
             ErrorCode::InvalidArgument);
    QCOMPARE(
        store->addTrustAnchor({"pem", "-----BEGIN CERTIFICATE-----", std::nullopt}).error().code,
        ErrorCode::InvalidArgument);
    QVERIFY(store->removeTrustAnchor("factory-ca").value());
    QCOMPARE(store->trustAnchors()->size(), 1u);
    // Decommissioning sensor-7 takes its pinned certificate with it.
    QVERIFY(store->removeEndpoint("sensor-7").value());
    QVERIFY(store->trustAnchors()->empty());
}

void CredstoreDownstreamTest::readOnlyStoreRefusesWrites() {
    QTemporaryDir dir;
    const std::string path = dbPath(dir);
    {
        auto store = CredentialStore::open(path);
        CREDSTORE_VERIFY_OK(store);
        CREDSTORE_VERIFY_OK(store->addPsk("sensor-1", "id-1", Secret(kPskKey)));
    }
    OpenOptions options;
    options.readOnly = true;
    auto store = CredentialStore::open(path, options);
    CREDSTORE_VERIFY_OK(store);
    QVERIFY(store->isReadOnly());
    QCOMPARE(store->pskKeyForIdentity("id-1")->value().endpoint, std::string("sensor-1"));
    QCOMPARE(store->addPsk("sensor-2", "id-2", Secret("k")).error().code, ErrorCode::ReadOnly);
    QCOMPARE(store->removePsk("id-1").error().code, ErrorCode::ReadOnly);
    QCOMPARE(store->addRpk("sensor-2", derSequence("k")).error().code, ErrorCode::ReadOnly);
    QCOMPARE(store->addTrustAnchor({"a", derSequence("c"), std::nullopt}).error().code,
             ErrorCode::ReadOnly);
    QCOMPARE(store->removeEndpoint("sensor-1").error().code, ErrorCode::ReadOnly);
    QCOMPARE(store->pskCredentials()->size(), 1u);
}

QTEST_GUILESS_MAIN(CredstoreDownstreamTest)
#include "credstore_downstream_test.moc"
