// Factory provisioning import: the documented example works; malformed JSON, wrong types and
// inconsistent content change nothing.
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <lwm2m-gateway/credstore/provisioning.h>

#include "test_support.h"

using namespace credstore_test;

// Declared before the JSON raw strings below, which moc cannot tokenise.
class CredstoreProvisioningTest : public QObject {
    Q_OBJECT
private slots:
    void init();
    void cleanup();
    void documentedExampleImports();
    void importReplacesListedEndpointsOnly();
    void fromFile();
    void badInputChangesNothing_data();
    void badInputChangesNothing();

private:
    std::optional<QTemporaryDir> dir_;
    std::optional<CredentialStore> store_;

    // Everything the store holds for the endpoints these tests use.
    std::vector<EndpointAccounts> everything() {
        std::vector<EndpointAccounts> all;
        for (const char* ep : {"urn:dev:ops:0004A3-gateway-0001", "sensor-0042", "gw", "other"}) {
            auto s = snapshot(*store_, ep);
            if (s) {
                all.push_back(std::move(*s));
            }
        }
        return all;
    }
};

namespace {

// The JSON example from PROVISIONING.md, so the documentation cannot drift from the code.
std::string documentedExample() {
    QFile doc(QStringLiteral(CREDSTORE_PROVISIONING_DOC));
    if (!doc.open(QIODevice::ReadOnly)) {
        return {};
    }
    const QString text = QString::fromUtf8(doc.readAll());
    const auto match = QRegularExpression(QStringLiteral("```json\\n(.*?)```"),
                                          QRegularExpression::DotMatchesEverythingOption)
                           .match(text);
    return match.hasMatch() ? match.captured(1).toStdString() : std::string();
}

const char* kGoodOther = R"({
  "format": "lwm2m-gateway-provisioning", "version": 1,
  "endpoints": [{
    "endpoint": "other",
    "security": [{"instanceId": 0, "serverUri": "coap://a", "bootstrapServer": true,
                  "securityMode": 3}]
  }]
})";

bool onlyPskAndNoSec(SecurityMode mode) {
    return mode == SecurityMode::PreSharedKey || mode == SecurityMode::NoSec;
}

}  // namespace

void CredstoreProvisioningTest::init() {
    dir_.emplace();
    auto store = CredentialStore::open(dbPath(*dir_));
    QVERIFY(store.ok());
    store_.emplace(std::move(store).value());
    QVERIFY(store_->replaceEndpoints(endpoints(sampleAccounts("gw")), allModes).ok());
}

void CredstoreProvisioningTest::cleanup() {
    store_.reset();
    dir_.reset();
}

void CredstoreProvisioningTest::documentedExampleImports() {
    const std::string json = documentedExample();
    QVERIFY(!json.empty());
    auto summary = importProvisioning(*store_, json, onlyPskAndNoSec);
    CREDSTORE_VERIFY_OK(summary);
    QCOMPARE(summary->endpoints, 2);
    QCOMPARE(summary->securityInstances, 3);
    QCOMPARE(summary->serverInstances, 2);

    const std::string gw = "urn:dev:ops:0004A3-gateway-0001";
    auto security = store_->securityInstances(gw);
    CREDSTORE_VERIFY_OK(security);
    QCOMPARE(security->size(), 2u);
    QVERIFY((*security)[0].bootstrapServer);
    QCOMPARE((*security)[0].publicKeyOrIdentity, std::string("gateway-0001"));
    QCOMPARE((*security)[0].clientHoldOffTime, std::optional<std::uint32_t>(10));
    QCOMPARE((*security)[1].ciphersuites, (std::vector<std::uint16_t>{49320, 49326}));
    QCOMPARE(std::string(store_->secretKeyFor(gw, 0)->value().view()),
             std::string("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f", 16));
    QCOMPARE(std::string(store_->secretKeyFor(gw, 1)->value().view()),
             std::string("\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f", 16));
    auto servers = store_->serverInstances(gw);
    QCOMPARE(servers->size(), 1u);
    QCOMPARE(servers->front().communicationRetryCount, 3u);
    QCOMPARE(servers->front().communicationRetryTimer, 60u);  // spec default
    QVERIFY(servers->front().notificationStoring);
    QCOMPARE(store_->serverAccounts("sensor-0042")->size(), 1u);
    // The endpoint not in the file is untouched.
    auto old = snapshot(*store_, "gw");
    QVERIFY(*old == sampleAccounts("gw"));
}

void CredstoreProvisioningTest::importReplacesListedEndpointsOnly() {
    const std::string replaceGw = R"({
      "format": "lwm2m-gateway-provisioning", "version": 1,
      "endpoints": [{
        "endpoint": "gw",
        "security": [{"instanceId": 3, "serverUri": "coap://b", "bootstrapServer": false,
                      "securityMode": "nosec", "shortServerId": 9}],
        "server": [{"instanceId": 2, "shortServerId": 9, "lifetime": 60,
                    "notificationStoring": false, "binding": "UQ"}]
      }]
    })";
    CREDSTORE_VERIFY_OK(importProvisioning(*store_, replaceGw, allModes));
    auto security = store_->securityInstances("gw");
    QCOMPARE(security->size(), 1u);
    QCOMPARE(security->front().instanceId, 3);
    QVERIFY(!store_->bootstrapAccount("gw")->has_value());
}

void CredstoreProvisioningTest::fromFile() {
    const QString path = dir_->filePath(QStringLiteral("factory.json"));
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(kGoodOther);
    }
    CREDSTORE_VERIFY_OK(importProvisioningFile(*store_, path.toStdString(), allModes));
    QCOMPARE(store_->securityInstances("other")->size(), 1u);
    auto missing = importProvisioningFile(*store_, "/nonexistent/factory.json", allModes);
    QCOMPARE(missing.error().code, ErrorCode::Io);
}

void CredstoreProvisioningTest::badInputChangesNothing_data() {
    QTest::addColumn<QString>("json");
    QTest::addColumn<int>("code");
    const auto parse = static_cast<int>(ErrorCode::ParseError);
    const auto invalid = static_cast<int>(ErrorCode::InvalidArgument);
    const auto inconsistent = static_cast<int>(ErrorCode::Inconsistent);
    const auto wrap = [](const char* endpointJson) {
        return QStringLiteral(R"({"format": "lwm2m-gateway-provisioning", "version": 1,
                                  "endpoints": [%1, {"endpoint": "other", "security": [
                                     {"instanceId": 0, "serverUri": "coap://a",
                                      "bootstrapServer": true, "securityMode": 3}]}]})")
            .arg(QString::fromUtf8(endpointJson));
    };
    const char* bs = R"({"instanceId": 0, "serverUri": "coap://bs", "bootstrapServer": true,
                         "securityMode": 0, "secretKey": {"text": "PSKKEY-leak-check"}})";
    const auto withSecurity = [&](const char* extra) {
        return wrap(QStringLiteral(R"({"endpoint": "gw", "security": [%1, %2]})")
                        .arg(QString::fromUtf8(bs), QString::fromUtf8(extra))
                        .toUtf8()
                        .constData());
    };

    // Malformed JSON.
    QTest::newRow("truncated") << QString::fromUtf8(kGoodOther).left(60) << parse;
    QTest::newRow("not an object") << QStringLiteral("[1, 2]") << parse;
    QTest::newRow("trailing comma") << QStringLiteral(R"({"format": "x",})") << parse;
    QTest::newRow("empty") << QString() << parse;
    // Wrong shape or types.
    QTest::newRow("wrong format") << QStringLiteral(R"({"format": "x", "version": 1,
                                                       "endpoints": []})")
                                  << parse;
    QTest::newRow("future version") << QStringLiteral(R"({"format": "lwm2m-gateway-provisioning",
                                                         "version": 2, "endpoints": []})")
                                    << parse;
    QTest::newRow("endpoints not array")
        << QStringLiteral(R"({"format": "lwm2m-gateway-provisioning", "version": 1,
                              "endpoints": {"gw": {}}})")
        << parse;
    QTest::newRow("ssid is a string") << withSecurity(R"({"instanceId": 1, "serverUri": "coap://s",
        "bootstrapServer": false, "securityMode": 0, "shortServerId": "101"})")
                                      << parse;
    QTest::newRow("ssid fractional") << withSecurity(R"({"instanceId": 1, "serverUri": "coap://s",
        "bootstrapServer": false, "securityMode": 0, "shortServerId": 101.5})")
                                     << parse;
    QTest::newRow("ssid out of range") << withSecurity(R"({"instanceId": 1,
        "serverUri": "coap://s", "bootstrapServer": false, "securityMode": 0,
        "shortServerId": 70000})") << parse;
    QTest::newRow("bootstrap flag is 1") << withSecurity(R"({"instanceId": 1,
        "serverUri": "coap://s", "bootstrapServer": 1, "securityMode": 0, "shortServerId": 5})")
                                         << parse;
    QTest::newRow("unknown mode name") << withSecurity(R"({"instanceId": 1,
        "serverUri": "coap://s", "bootstrapServer": false, "securityMode": "tls",
        "shortServerId": 5})") << parse;
    QTest::newRow("key as plain string") << withSecurity(R"({"instanceId": 1,
        "serverUri": "coap://s", "bootstrapServer": false, "securityMode": 0,
        "shortServerId": 5, "secretKey": "PSKKEY-leak-check"})")
                                         << parse;
    QTest::newRow("bad hex") << withSecurity(R"({"instanceId": 1, "serverUri": "coap://s",
        "bootstrapServer": false, "securityMode": 0, "shortServerId": 5,
        "secretKey": {"hex": "PSKKEY-leak-check"}})")
                             << parse;
    QTest::newRow("bad base64") << withSecurity(R"({"instanceId": 1, "serverUri": "coap://s",
        "bootstrapServer": false, "securityMode": 0, "shortServerId": 5,
        "secretKey": {"base64": "PSKKEY*leak*check"}})")
                                << parse;
    QTest::newRow("two encodings") << withSecurity(R"({"instanceId": 1, "serverUri": "coap://s",
        "bootstrapServer": false, "securityMode": 0, "shortServerId": 5,
        "secretKey": {"hex": "00", "text": "PSKKEY-leak-check"}})")
                                   << parse;
    QTest::newRow("unknown key") << withSecurity(R"({"instanceId": 1, "serverUri": "coap://s",
        "bootstrapServer": false, "securityMode": 0, "shortServerId": 5, "secretkey": {"hex": ""}})")
                                 << parse;
    QTest::newRow("missing serverUri") << withSecurity(R"({"instanceId": 1,
        "bootstrapServer": false, "securityMode": 0, "shortServerId": 5})")
                                       << parse;
    QTest::newRow("ciphersuite not a number") << withSecurity(R"({"instanceId": 1,
        "serverUri": "coap://s", "bootstrapServer": false, "securityMode": 0,
        "shortServerId": 5, "ciphersuites": ["TLS_PSK"]})")
                                              << parse;
    // Values the parser accepts but the LwM2M checks do not.
    QTest::newRow("non-bootstrap without ssid") << withSecurity(R"({"instanceId": 1,
        "serverUri": "coap://s", "bootstrapServer": false, "securityMode": 0})")
                                                << invalid;
    QTest::newRow("bad object link") << withSecurity(R"({"instanceId": 1, "serverUri": "coap://s",
        "bootstrapServer": false, "securityMode": 0, "shortServerId": 5,
        "oscoreSecurityMode": "21"})")
                                     << invalid;
    // Inconsistent content.
    QTest::newRow("server without security")
        << wrap(R"({"endpoint": "gw", "server": [{"instanceId": 0, "shortServerId": 5,
                    "lifetime": 60, "notificationStoring": false, "binding": "U"}]})")
        << inconsistent;
    QTest::newRow("no account at all") << wrap(R"({"endpoint": "gw"})") << inconsistent;
    QTest::newRow("duplicate instance") << withSecurity(bs) << inconsistent;
    QTest::newRow("duplicate endpoint") << wrap(R"({"endpoint": "other", "security": [
        {"instanceId": 0, "serverUri": "coap://a", "bootstrapServer": true,
         "securityMode": 3}]})") << invalid;
    QTest::newRow("mode unavailable") << withSecurity(R"({"instanceId": 1,
        "serverUri": "coap://s", "bootstrapServer": false, "securityMode": "est",
        "shortServerId": 5})") << static_cast<int>(ErrorCode::ModeUnavailable);
}

void CredstoreProvisioningTest::badInputChangesNothing() {
    QFETCH(QString, json);
    QFETCH(int, code);
    const auto before = everything();
    const QByteArray utf8 = json.toUtf8();
    auto result = importProvisioning(
        *store_, std::string_view(utf8.constData(), static_cast<std::size_t>(utf8.size())),
        onlyPskAndNoSec);
    QVERIFY(!result);
    qInfo("%s", result.error().message.c_str());
    QCOMPARE(static_cast<int>(result.error().code), code);
    QVERIFY2(result.error().message.find("leak-check") == std::string::npos,
             result.error().message.c_str());
    QVERIFY(everything() == before);
    QVERIFY(store_->securityInstances("other")->empty());  // the valid endpoint did not land
}

QTEST_GUILESS_MAIN(CredstoreProvisioningTest)
#include "credstore_provisioning_test.moc"
