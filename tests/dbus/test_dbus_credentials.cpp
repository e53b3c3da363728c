// The Credentials interface and Reload of the real lwm2m-gatewayd with a real credential store
// file, on a private dbus-daemon, between in-tree LwM2M test servers and test sensors: each
// method with good and bad input, the store file checked afterwards (opened read-only beside the
// daemon), and the registrations that follow an account change, an import and a reload.
#include "ctl_process.h"
#include "gateway_bus.h"
#include "gateway_process.h"
#include "private_bus.h"
#include "test_bootstrap_server.h"
#include "test_lwm2m_server.h"
#include "test_sensor.h"

#include <lwm2m-gateway/credstore/credential_store.h>

#include <QDBusArgument>
#include <QDBusConnection>
#include <QDBusMessage>
#include <QDBusMetaType>
#include <QDBusUnixFileDescriptor>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>

using lwm2mgw::peers::TestBootstrapServer;
using lwm2mgw::peers::TestLwm2mServer;
using lwm2mgw::peers::TestSensor;
using lwm2mgw::testing::GatewayProcess;
using lwm2mgw::testing::kCredentialsInterface;
using lwm2mgw::testing::kGatewayInterface;
using lwm2mgw::testing::PrivateBus;
using lwm2mgw::testing::runCtl;
namespace credstore = lwm2mgw::credstore;

namespace {

const QString kInvalid = QStringLiteral("org.lwm2mgateway.Error.InvalidArgument");
const QString kNotFound = QStringLiteral("org.lwm2mgateway.Error.NotFound");
const QString kGatewayName = QStringLiteral("gw-cred-test");
const QByteArray kPskKey = QByteArrayLiteral("\x5e\xc7\x07\x11\x42\x99\xaa\x01");

QString uriOf(const TestLwm2mServer& server) {
    return QStringLiteral("coap://127.0.0.1:%1").arg(server.port());
}

// Runs a tool (openssl) to make test key material; returns stdout, empty on failure.
QByteArray run(const QString& program, const QStringList& arguments) {
    QProcess process;
    process.start(program, arguments);
    if (!process.waitForFinished(20000) || process.exitCode() != 0) {
        return {};
    }
    return process.readAllStandardOutput();
}

QString provisioning(const QString& endpoint, const QString& uri, int ssid) {
    return QStringLiteral(R"({"format":"lwm2m-gateway-provisioning","version":1,"endpoints":[
        {"endpoint":"%1","security":[{"instanceId":0,"serverUri":"%2","bootstrapServer":false,
         "securityMode":"nosec","shortServerId":%3}],
         "server":[{"instanceId":0,"shortServerId":%3,"lifetime":300,
         "notificationStoring":false,"binding":"U"}]}]})")
        .arg(endpoint, uri)
        .arg(ssid);
}

}  // namespace

class TestDbusCredentials : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanup();
    void cleanupTestCase();

    void downstreamCredentialsAddListRemove();
    void badCredentialsChangeNothing();
    void accountAddRegistersAndRemoveDeregisters();
    void badAccountsChangeNothing();
    void removingTheLastAccountFallsBackToTheGateways();
    void importRegistersAndBadFilesChangeNothing();
    void reloadAddsAServerWithoutDroppingTheSensor();
    void badReloadChangesNothing();
    void startBootstrapSaysWhyItCannot();
    void startBootstrapEndsInASignal();
    void ctlDrivesTheStore();

private:
    QDBusMessage call(const QString& method, const QVariantList& arguments = {},
                      const QString& interface = kCredentialsInterface);
    QString errorOf(const QString& method, const QVariantList& arguments,
                    const QString& interface = kCredentialsInterface) {
        const QDBusMessage reply = call(method, arguments, interface);
        return reply.type() == QDBusMessage::ErrorMessage ? reply.errorName()
                                                          : QStringLiteral("ok");
    }
    QList<QVariantMap> list(const QString& method);
    // Everything the store holds, secrets' presence included, as text: what "unchanged" means.
    QString storeSnapshot();
    TestSensor* newSensor(const QString& endpoint, TestLwm2mServer& expectedAt);
    void writeConfig(const QStringList& upstream, const QString& extra = {});
    QStringList ctlBus() const { return {QStringLiteral("--address"), bus_.address()}; }

    PrivateBus bus_;
    QTemporaryDir files_;
    std::unique_ptr<TestLwm2mServer> serverA_;
    std::unique_ptr<TestLwm2mServer> serverB_;
    std::unique_ptr<TestLwm2mServer> serverC_;
    std::unique_ptr<GatewayProcess> gateway_;
    std::unique_ptr<QDBusConnection> connection_;
    lwm2mgw::CoapEventLoop* sensorLoop_ = nullptr;
    quint16 gatewayPort_ = 0;
    QString storePath_;
};

void TestDbusCredentials::initTestCase() {
    QVERIFY(files_.isValid());
    const QString error = bus_.start(PrivateBus::Kind::Open);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    serverA_ = std::make_unique<TestLwm2mServer>();
    serverB_ = std::make_unique<TestLwm2mServer>();
    serverC_ = std::make_unique<TestLwm2mServer>();
    QVERIFY(serverA_->listen() && serverB_->listen() && serverC_->listen());
    gatewayPort_ = lwm2mgw::testing::freeUdpPort();
    storePath_ = files_.filePath(QStringLiteral("credentials.sqlite"));
    gateway_ = std::make_unique<GatewayProcess>();
    QVERIFY2(gateway_->start({{QStringLiteral("gateway/endpoint"), kGatewayName},
                              {QStringLiteral("gateway/store"), storePath_},
                              {QStringLiteral("downstream/listen"),
                               QStringLiteral("coap://127.0.0.1:%1").arg(gatewayPort_)},
                              {QStringLiteral("upstream/servers"), uriOf(*serverA_)},
                              {QStringLiteral("coap/ack_timeout_ms"), QStringLiteral("1000")}},
                             {QStringLiteral("--address"), bus_.address()}),
             qPrintable(gateway_->log()));
    QVERIFY2(gateway_->waitForLog(QStringLiteral("control interface org.lwm2mgateway.Gateway1")),
             qPrintable(gateway_->log()));
    qDBusRegisterMetaType<QList<QVariantMap>>();
    connection_ = std::make_unique<QDBusConnection>(
        QDBusConnection::connectToBus(bus_.address(), QStringLiteral("test")));
    QVERIFY(connection_->isConnected());
    sensorLoop_ = TestSensor::createEventLoop(this);
    QTRY_VERIFY_WITH_TIMEOUT(serverA_->client(kGatewayName).has_value(), 10000);
}

void TestDbusCredentials::cleanup() {
    if (QTest::currentTestFailed() && gateway_) {
        qWarning().noquote() << "gateway log (last lines):\n" + gateway_->logTail(30);
    }
}

void TestDbusCredentials::cleanupTestCase() {
    if (gateway_) {
        QCOMPARE(gateway_->stop(), 0);
    }
}

QDBusMessage TestDbusCredentials::call(const QString& method, const QVariantList& arguments,
                                       const QString& interface) {
    return lwm2mgw::testing::callGateway(*connection_, interface, method, arguments);
}

QList<QVariantMap> TestDbusCredentials::list(const QString& method) {
    QList<QVariantMap> entries;
    const QDBusMessage reply = call(method);
    if (reply.type() == QDBusMessage::ReplyMessage) {
        reply.arguments().first().value<QDBusArgument>() >> entries;
    }
    return entries;
}

QString TestDbusCredentials::storeSnapshot() {
    credstore::OpenOptions options;
    options.readOnly = true;
    auto store = credstore::CredentialStore::open(storePath_.toStdString(), options);
    if (!store) {
        return QStringLiteral("cannot open: ") + QString::fromStdString(store.error().message);
    }
    QStringList lines;
    for (const auto& psk : store->pskCredentials().value()) {
        lines << QStringLiteral("psk %1 %2")
                     .arg(QString::fromStdString(psk.identity),
                          QString::fromStdString(psk.endpoint));
    }
    for (const auto& rpk : store->rpkCredentials().value()) {
        lines << QStringLiteral("rpk %1 %2")
                     .arg(QString::fromLatin1(
                              QByteArray::fromStdString(rpk.subjectPublicKeyInfoDer).toHex()),
                          QString::fromStdString(rpk.endpoint));
    }
    for (const auto& anchor : store->trustAnchors().value()) {
        lines << QStringLiteral("anchor %1").arg(QString::fromStdString(anchor.label));
    }
    for (const std::string& endpoint : store->endpointsWithAccounts().value()) {
        for (const auto& security : store->securityInstances(endpoint).value()) {
            lines << QStringLiteral("/0 %1 %2 %3 %4 %5")
                         .arg(QString::fromStdString(endpoint))
                         .arg(security.instanceId)
                         .arg(QString::fromStdString(security.serverUri))
                         .arg(security.shortServerId.value_or(0))
                         .arg(security.hasSecretKey);
        }
        for (const auto& server : store->serverInstances(endpoint).value()) {
            lines << QStringLiteral("/1 %1 %2 %3 %4")
                         .arg(QString::fromStdString(endpoint))
                         .arg(server.instanceId)
                         .arg(server.shortServerId)
                         .arg(server.lifetime);
        }
    }
    return lines.join(QLatin1Char('\n'));
}

TestSensor* TestDbusCredentials::newSensor(const QString& endpoint, TestLwm2mServer& expectedAt) {
    auto* sensor = new TestSensor(sensorLoop_, this);
    if (!sensor->registerTo(QStringLiteral("coap://127.0.0.1:%1").arg(gatewayPort_), endpoint,
                            60) ||
        !QTest::qWaitFor([&] { return expectedAt.client(endpoint).has_value(); }, 10000)) {
        return nullptr;
    }
    // Also registered as the gateway sees it (the server's 2.01 processed), so what a test
    // changes next starts from a settled state even on a loaded machine.
    const bool settled = QTest::qWaitFor(
        [&] {
            const QDBusMessage reply =
                call(QStringLiteral("GetEndpoint"), {endpoint}, kGatewayInterface);
            if (reply.type() != QDBusMessage::ReplyMessage) {
                return false;
            }
            QVariantMap details;
            reply.arguments().first().value<QDBusArgument>() >> details;
            return details.value(QStringLiteral("state")).toString() == QLatin1String("registered");
        },
        10000);
    return settled ? sensor : nullptr;
}

void TestDbusCredentials::writeConfig(const QStringList& upstream, const QString& extra) {
    QFile config(gateway_->configPath());
    QVERIFY(config.open(QIODevice::WriteOnly | QIODevice::Truncate));
    config.write(QStringLiteral("[coap]\nack_timeout_ms=1000\n"
                                "[downstream]\nlisten=coap://127.0.0.1:%1\n"
                                "[gateway]\nendpoint=%2\nstore=%3\n"
                                "[upstream]\nservers=%4\n%5")
                     .arg(gatewayPort_)
                     .arg(kGatewayName, storePath_, upstream.join(QStringLiteral(", ")), extra)
                     .toUtf8());
}

void TestDbusCredentials::downstreamCredentialsAddListRemove() {
    const QByteArray pem =
        run(QStringLiteral("openssl"),
            {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
             QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
             QStringLiteral("ec_paramgen_curve:P-256"), QStringLiteral("-nodes"),
             QStringLiteral("-keyout"), files_.filePath(QStringLiteral("ca.key")),
             QStringLiteral("-subj"), QStringLiteral("/CN=Test CA"), QStringLiteral("-days"),
             QStringLiteral("2")});
    QVERIFY(pem.startsWith("-----BEGIN CERTIFICATE"));
    const QByteArray spki = run(
        QStringLiteral("openssl"),
        {QStringLiteral("pkey"), QStringLiteral("-in"), files_.filePath(QStringLiteral("ca.key")),
         QStringLiteral("-pubout"), QStringLiteral("-outform"), QStringLiteral("DER")});
    QVERIFY(!spki.isEmpty());

    QCOMPARE(errorOf(QStringLiteral("AddCredential"),
                     {QVariantMap{{QStringLiteral("mode"), QStringLiteral("psk")},
                                  {QStringLiteral("endpoint"), QStringLiteral("psk-sensor")},
                                  {QStringLiteral("identity"), QStringLiteral("psk-id-1")},
                                  {QStringLiteral("key"), kPskKey}}}),
             QStringLiteral("ok"));
    QCOMPARE(errorOf(QStringLiteral("AddCredential"),
                     {QVariantMap{{QStringLiteral("mode"), QStringLiteral("rpk")},
                                  {QStringLiteral("endpoint"), QStringLiteral("rpk-sensor")},
                                  {QStringLiteral("public_key"), spki}}}),
             QStringLiteral("ok"));
    QCOMPARE(errorOf(QStringLiteral("AddCredential"),
                     {QVariantMap{{QStringLiteral("mode"), QStringLiteral("x509")},
                                  {QStringLiteral("label"), QStringLiteral("test-ca")},
                                  {QStringLiteral("certificate"), pem}}}),
             QStringLiteral("ok"));

    const QList<QVariantMap> credentials = list(QStringLiteral("ListCredentials"));
    QCOMPARE(credentials.size(), 3);
    QString rpkId;
    for (const QVariantMap& credential : credentials) {
        for (const QVariant& value : credential) {
            // Never the key, in any form.
            QVERIFY(!value.toByteArray().contains(kPskKey));
            QVERIFY(!value.toString().contains(QString::fromLatin1(kPskKey.toHex())));
        }
        const QString mode = credential.value(QStringLiteral("mode")).toString();
        if (mode == QLatin1String("psk")) {
            QCOMPARE(credential.value(QStringLiteral("identity")).toString(),
                     QStringLiteral("psk-id-1"));
            QCOMPARE(credential.value(QStringLiteral("endpoint")).toString(),
                     QStringLiteral("psk-sensor"));
        } else if (mode == QLatin1String("rpk")) {
            rpkId = credential.value(QStringLiteral("id")).toString();
            QCOMPARE(rpkId.size(), 64);
            QCOMPARE(credential.value(QStringLiteral("endpoint")).toString(),
                     QStringLiteral("rpk-sensor"));
        } else {
            QCOMPARE(mode, QStringLiteral("x509"));
            QCOMPARE(credential.value(QStringLiteral("subject")).toString(),
                     QStringLiteral("CN=Test CA"));
            const qint64 expiry = credential.value(QStringLiteral("not_after")).toLongLong();
            QVERIFY(expiry > QDateTime::currentMSecsSinceEpoch() + 86400000LL);
        }
    }
    QVERIFY2(storeSnapshot().contains(QLatin1String("psk psk-id-1 psk-sensor")),
             qPrintable(storeSnapshot()));
    QVERIFY(storeSnapshot().contains(QLatin1String("anchor test-ca")));

    QCOMPARE(errorOf(QStringLiteral("RemoveCredential"),
                     {QStringLiteral("psk"), QStringLiteral("psk-id-1")}),
             QStringLiteral("ok"));
    QCOMPARE(errorOf(QStringLiteral("RemoveCredential"), {QStringLiteral("rpk"), rpkId}),
             QStringLiteral("ok"));
    QCOMPARE(errorOf(QStringLiteral("RemoveCredential"),
                     {QStringLiteral("x509"), QStringLiteral("test-ca")}),
             QStringLiteral("ok"));
    QCOMPARE(list(QStringLiteral("ListCredentials")).size(), 0);
    QCOMPARE(errorOf(QStringLiteral("RemoveCredential"),
                     {QStringLiteral("psk"), QStringLiteral("psk-id-1")}),
             kNotFound);
    QVERIFY2(!storeSnapshot().contains(QLatin1String("psk ")), qPrintable(storeSnapshot()));
    QVERIFY(!gateway_->log().contains(QString::fromLatin1(kPskKey.toHex())));
}

void TestDbusCredentials::badCredentialsChangeNothing() {
    QCOMPARE(errorOf(QStringLiteral("AddCredential"),
                     {QVariantMap{{QStringLiteral("mode"), QStringLiteral("psk")},
                                  {QStringLiteral("endpoint"), QStringLiteral("dup-sensor")},
                                  {QStringLiteral("identity"), QStringLiteral("dup-id")},
                                  {QStringLiteral("key"), kPskKey}}}),
             QStringLiteral("ok"));
    const QString before = storeSnapshot();
    const auto psk = [](const QVariantMap& extra) {
        QVariantMap credential{{QStringLiteral("mode"), QStringLiteral("psk")},
                               {QStringLiteral("endpoint"), QStringLiteral("bad-sensor")},
                               {QStringLiteral("identity"), QStringLiteral("bad-id")},
                               {QStringLiteral("key"), kPskKey}};
        for (auto it = extra.begin(); it != extra.end(); ++it) {
            if (it.value().isNull()) {
                credential.remove(it.key());
            } else {
                credential.insert(it.key(), it.value());
            }
        }
        return credential;
    };
    const QList<std::pair<QVariantMap, QString>> cases{
        {QVariantMap{}, QStringLiteral("'mode'")},
        {psk({{QStringLiteral("mode"), QStringLiteral("wep")}}),
         QStringLiteral("psk, rpk or x509")},
        {psk({{QStringLiteral("key"), QVariant()}}), QStringLiteral("'key'")},
        {psk({{QStringLiteral("key"), 42}}), QStringLiteral("'key' must be bytes")},
        {psk({{QStringLiteral("key"), QByteArray()}}), QStringLiteral("1 to 1024 bytes")},
        {psk({{QStringLiteral("colour"), QStringLiteral("red")}}),
         QStringLiteral("unknown key 'colour'")},
        {psk({{QStringLiteral("endpoint"), QString()}}), QStringLiteral("endpoint name is empty")},
        {psk({{QStringLiteral("identity"), QStringLiteral("dup-id")}}), QStringLiteral("dup-id")},
        {QVariantMap{{QStringLiteral("mode"), QStringLiteral("rpk")},
                     {QStringLiteral("endpoint"), QStringLiteral("bad-sensor")},
                     {QStringLiteral("public_key"), QByteArray("not a key")}},
         QStringLiteral("SubjectPublicKeyInfo")},
        {QVariantMap{
             {QStringLiteral("mode"), QStringLiteral("x509")},
             {QStringLiteral("label"), QStringLiteral("bad")},
             {QStringLiteral("certificate"), QByteArray("-----BEGIN CERTIFICATE-----\nxx\n")}},
         QStringLiteral("CERTIFICATE")},
    };
    for (const auto& [credential, needle] : cases) {
        const QDBusMessage reply = call(QStringLiteral("AddCredential"), {credential});
        QCOMPARE(reply.errorName(), kInvalid);
        QVERIFY2(reply.errorMessage().contains(needle), qPrintable(reply.errorMessage()));
        QVERIFY(!reply.errorMessage().contains(QString::fromLatin1(kPskKey.toHex())));
    }
    QCOMPARE(errorOf(QStringLiteral("RemoveCredential"),
                     {QStringLiteral("psk"), QStringLiteral("nope")}),
             kNotFound);
    QCOMPARE(
        errorOf(QStringLiteral("RemoveCredential"), {QStringLiteral("rpk"), QStringLiteral("00")}),
        kNotFound);
    QCOMPARE(
        errorOf(QStringLiteral("RemoveCredential"), {QStringLiteral("wep"), QStringLiteral("x")}),
        kInvalid);
    QCOMPARE(errorOf(QStringLiteral("RemoveCredential"), {QStringLiteral("psk"), QString()}),
             kInvalid);
    QCOMPARE(storeSnapshot(), before);
    QCOMPARE(errorOf(QStringLiteral("RemoveCredential"),
                     {QStringLiteral("psk"), QStringLiteral("dup-id")}),
             QStringLiteral("ok"));
}

void TestDbusCredentials::accountAddRegistersAndRemoveDeregisters() {
    QVERIFY(newSensor(QStringLiteral("acct-sensor"), *serverA_));
    QSignalSpy goneFromA(serverA_.get(), &TestLwm2mServer::deregistered);
    // Accounts of its own replace the gateway's (README: which accounts an endpoint uses).
    const QVariantMap atB{{QStringLiteral("endpoint"), QStringLiteral("acct-sensor")},
                          {QStringLiteral("short_server_id"), 2},
                          {QStringLiteral("server_uri"), uriOf(*serverB_)},
                          {QStringLiteral("lifetime"), 600u}};
    QCOMPARE(errorOf(QStringLiteral("AddAccount"), {atB}), QStringLiteral("ok"));
    QTRY_VERIFY_WITH_TIMEOUT(serverB_->client(QStringLiteral("acct-sensor")).has_value(), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(!serverA_->client(QStringLiteral("acct-sensor")).has_value(), 10000);
    // A second account of its own, at A.
    QCOMPARE(errorOf(QStringLiteral("AddAccount"),
                     {QVariantMap{{QStringLiteral("endpoint"), QStringLiteral("acct-sensor")},
                                  {QStringLiteral("short_server_id"), 3},
                                  {QStringLiteral("server_uri"), uriOf(*serverA_)}}}),
             QStringLiteral("ok"));
    QTRY_VERIFY_WITH_TIMEOUT(serverA_->client(QStringLiteral("acct-sensor")).has_value(), 10000);

    const QList<QVariantMap> accounts = list(QStringLiteral("ListAccounts"));
    QStringList seen;
    for (const QVariantMap& account : accounts) {
        seen << QStringLiteral("%1 %2 %3 %4")
                    .arg(account.value(QStringLiteral("endpoint")).toString())
                    .arg(account.value(QStringLiteral("short_server_id")).toInt())
                    .arg(account.value(QStringLiteral("server_uri")).toString())
                    .arg(account.value(QStringLiteral("lifetime")).toUInt());
        QVERIFY(!account.contains(QStringLiteral("secret_key")));
    }
    QVERIFY2(seen.contains(QStringLiteral("acct-sensor 2 %1 600").arg(uriOf(*serverB_))),
             qPrintable(seen.join(QLatin1Char('|'))));
    QVERIFY2(seen.contains(QStringLiteral("acct-sensor 3 %1 86400").arg(uriOf(*serverA_))),
             qPrintable(seen.join(QLatin1Char('|'))));

    // Removing the account at B de-registers the sensor there and only there.
    QSignalSpy goneFromB(serverB_.get(), &TestLwm2mServer::deregistered);
    const int registrationsAtA = serverA_->client(QStringLiteral("acct-sensor"))->registrations;
    QCOMPARE(errorOf(QStringLiteral("RemoveAccount"), {QStringLiteral("acct-sensor"), 2}),
             QStringLiteral("ok"));
    QTRY_VERIFY_WITH_TIMEOUT(!serverB_->client(QStringLiteral("acct-sensor")).has_value(), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(!goneFromB.isEmpty(), 5000);
    QCOMPARE(goneFromB.first().first().toString(), QStringLiteral("acct-sensor"));
    QTest::qWait(300);
    QCOMPARE(serverA_->client(QStringLiteral("acct-sensor"))->registrations, registrationsAtA);
    QVERIFY2(!storeSnapshot().contains(uriOf(*serverB_)), qPrintable(storeSnapshot()));

    // A secured account: the key goes in, never out.
    QCOMPARE(
        errorOf(QStringLiteral("AddAccount"),
                {QVariantMap{{QStringLiteral("endpoint"), QStringLiteral("psk-only")},
                             {QStringLiteral("short_server_id"), 9},
                             {QStringLiteral("server_uri"), QStringLiteral("coaps://127.0.0.1:9")},
                             {QStringLiteral("security_mode"), QStringLiteral("psk")},
                             {QStringLiteral("identity"), QStringLiteral("gw-psk")},
                             {QStringLiteral("secret_key"), kPskKey}}}),
        QStringLiteral("ok"));
    for (const QVariantMap& account : list(QStringLiteral("ListAccounts"))) {
        if (account.value(QStringLiteral("endpoint")).toString() == QLatin1String("psk-only")) {
            QCOMPARE(account.value(QStringLiteral("identity")).toString(),
                     QStringLiteral("gw-psk"));
            QVERIFY(account.value(QStringLiteral("has_secret_key")).toBool());
        }
        for (const QVariant& value : account) {
            QVERIFY(!value.toByteArray().contains(kPskKey));
        }
    }
    QVERIFY(storeSnapshot().contains(QLatin1String("/0 psk-only 0 coaps://127.0.0.1:9 9 1")));
}

void TestDbusCredentials::badAccountsChangeNothing() {
    const QString before = storeSnapshot();
    const auto account = [&](const QVariantMap& extra) {
        QVariantMap result{{QStringLiteral("endpoint"), QStringLiteral("acct-sensor")},
                           {QStringLiteral("short_server_id"), 4},
                           {QStringLiteral("server_uri"), uriOf(*serverC_)}};
        for (auto it = extra.begin(); it != extra.end(); ++it) {
            if (it.value().isNull()) {
                result.remove(it.key());
            } else {
                result.insert(it.key(), it.value());
            }
        }
        return result;
    };
    const QList<std::pair<QVariantMap, QString>> cases{
        {account({{QStringLiteral("endpoint"), QVariant()}}), QStringLiteral("'endpoint'")},
        {account({{QStringLiteral("short_server_id"), 0}}), QStringLiteral("outside 1..65534")},
        {account({{QStringLiteral("short_server_id"), QStringLiteral("4")}}),
         QStringLiteral("must be an integer")},
        {account({{QStringLiteral("server_uri"), QStringLiteral("http://x")}}),
         QStringLiteral("server_uri")},
        {account({{QStringLiteral("server_uri"), QStringLiteral("coaps://127.0.0.1:5684")}}),
         QStringLiteral("coap://")},
        {account({{QStringLiteral("security_mode"), QStringLiteral("psk")},
                  {QStringLiteral("server_uri"), QStringLiteral("coaps://127.0.0.1:5684")},
                  {QStringLiteral("identity"), QStringLiteral("x")}}),
         QStringLiteral("secret_key")},
        {account({{QStringLiteral("security_mode"), QStringLiteral("wep")}}),
         QStringLiteral("wep")},
        {account({{QStringLiteral("binding"), QStringLiteral("XYZ")}}), QStringLiteral("inding")},
        {account({{QStringLiteral("password"), QStringLiteral("x")}}),
         QStringLiteral("unknown key 'password'")},
    };
    for (const auto& [bad, needle] : cases) {
        const QDBusMessage reply = call(QStringLiteral("AddAccount"), {bad});
        QCOMPARE(reply.errorName(), kInvalid);
        QVERIFY2(reply.errorMessage().contains(needle), qPrintable(reply.errorMessage()));
    }
    QCOMPARE(errorOf(QStringLiteral("RemoveAccount"), {QStringLiteral("acct-sensor"), 77}),
             kNotFound);
    QCOMPARE(storeSnapshot(), before);
    QVERIFY(serverA_->client(QStringLiteral("acct-sensor")).has_value());
}

void TestDbusCredentials::removingTheLastAccountFallsBackToTheGateways() {
    QSignalSpy registeredAtA(serverA_.get(), &TestLwm2mServer::registered);
    // Its own account 3 at A is its last; without it the sensor uses the gateway's servers
    // (upstream/servers: A again, under the gateway's configured account).
    QCOMPARE(errorOf(QStringLiteral("RemoveAccount"), {QStringLiteral("acct-sensor"), 3}),
             QStringLiteral("ok"));
    for (const QVariantMap& account : list(QStringLiteral("ListAccounts"))) {
        QVERIFY(account.value(QStringLiteral("endpoint")).toString() !=
                QLatin1String("acct-sensor"));
    }
    QTRY_VERIFY_WITH_TIMEOUT(registeredAtA.contains(QVariantList{QStringLiteral("acct-sensor")}),
                             10000);
    QVERIFY(serverA_->client(QStringLiteral("acct-sensor")).has_value());
    QCOMPARE(errorOf(QStringLiteral("RemoveAccount"), {QStringLiteral("acct-sensor"), 3}),
             kNotFound);
}

void TestDbusCredentials::importRegistersAndBadFilesChangeNothing() {
    QVERIFY(newSensor(QStringLiteral("import-sensor"), *serverA_));
    const auto import = [&](const QString& name, const QByteArray& content) {
        QFile file(files_.filePath(name));
        file.open(QIODevice::WriteOnly);
        file.write(content);
        file.close();
        file.open(QIODevice::ReadOnly);
        return call(QStringLiteral("ImportProvisioningFile"),
                    {QVariant::fromValue(QDBusUnixFileDescriptor(file.handle()))});
    };
    const QString before = storeSnapshot();
    const QDBusMessage garbage = import(QStringLiteral("bad.json"), "{\"format\":");
    QCOMPARE(garbage.errorName(), kInvalid);
    QString inconsistent = provisioning(QStringLiteral("import-sensor"), uriOf(*serverB_), 5);
    inconsistent.replace(QStringLiteral("\"shortServerId\":5,\"lifetime\""),
                         QStringLiteral("\"shortServerId\":6,\"lifetime\""));
    const QDBusMessage refused = import(QStringLiteral("inconsistent.json"), inconsistent.toUtf8());
    QCOMPARE(refused.errorName(), kInvalid);
    QVERIFY2(refused.errorMessage().contains(QLatin1String("Short Server ID")),
             qPrintable(refused.errorMessage()));
    QCOMPARE(storeSnapshot(), before);

    const QDBusMessage reply =
        import(QStringLiteral("good.json"),
               provisioning(QStringLiteral("import-sensor"), uriOf(*serverB_), 5).toUtf8());
    QCOMPARE(reply.type(), QDBusMessage::ReplyMessage);
    QVariantMap summary;
    reply.arguments().first().value<QDBusArgument>() >> summary;
    QCOMPARE(summary.value(QStringLiteral("endpoints")).toUInt(), 1u);
    QCOMPARE(summary.value(QStringLiteral("endpoint_names")).toStringList(),
             QStringList{QStringLiteral("import-sensor")});
    QTRY_VERIFY_WITH_TIMEOUT(serverB_->client(QStringLiteral("import-sensor")).has_value(), 10000);
    QVERIFY(
        storeSnapshot().contains(QStringLiteral("/0 import-sensor 0 %1 5").arg(uriOf(*serverB_))));
}

void TestDbusCredentials::reloadAddsAServerWithoutDroppingTheSensor() {
    QVERIFY(newSensor(QStringLiteral("reload-sensor"), *serverA_));
    const int atA = serverA_->client(QStringLiteral("reload-sensor"))->registrations;
    QSignalSpy goneFromA(serverA_.get(), &TestLwm2mServer::deregistered);
    writeConfig({uriOf(*serverA_), uriOf(*serverC_)},
                QStringLiteral("[log]\nrules=lwm2mgw.dbus.debug=true\n"));
    const QDBusMessage reply = call(QStringLiteral("Reload"), {}, kGatewayInterface);
    QCOMPARE(reply.type(), QDBusMessage::ReplyMessage);
    const QStringList changes = reply.arguments().first().toStringList();
    QVERIFY2(changes.join(QLatin1Char('|')).contains(QLatin1String("upstream/servers")),
             qPrintable(changes.join(QLatin1Char('|'))));
    QVERIFY2(changes.join(QLatin1Char('|')).contains(QLatin1String("log/rules")),
             qPrintable(changes.join(QLatin1Char('|'))));
    QTRY_VERIFY_WITH_TIMEOUT(serverC_->client(QStringLiteral("reload-sensor")).has_value(), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(serverC_->client(kGatewayName).has_value(), 10000);
    // At A nothing happened: no de-registration, no new Register.
    QCOMPARE(serverA_->client(QStringLiteral("reload-sensor"))->registrations, atA);
    QVERIFY(!goneFromA.contains(QVariantList{QStringLiteral("reload-sensor")}));

    // SIGHUP runs the same reload: back to A alone.
    QSignalSpy goneFromC(serverC_.get(), &TestLwm2mServer::deregistered);
    writeConfig({uriOf(*serverA_)}, QStringLiteral("[gateway]\n"));
    ::kill(static_cast<pid_t>(gateway_->processId()), SIGHUP);
    QTRY_VERIFY_WITH_TIMEOUT(!serverC_->client(QStringLiteral("reload-sensor")).has_value(), 10000);
    QVERIFY(gateway_->isRunning());
    QCOMPARE(serverA_->client(QStringLiteral("reload-sensor"))->registrations, atA);
}

void TestDbusCredentials::badReloadChangesNothing() {
    writeConfig({uriOf(*serverA_), uriOf(*serverC_)}, QStringLiteral("lifetime=soon\n"));
    const QDBusMessage reply = call(QStringLiteral("Reload"), {}, kGatewayInterface);
    QCOMPARE(reply.errorName(), kInvalid);
    QVERIFY2(reply.errorMessage().contains(QLatin1String("upstream/lifetime")),
             qPrintable(reply.errorMessage()));
    QTest::qWait(500);
    QVERIFY(!serverC_->client(kGatewayName).has_value());

    // What cannot change live is reported, and kept as it runs.
    writeConfig({uriOf(*serverA_)}, QString());
    QFile config(gateway_->configPath());
    QVERIFY(config.open(QIODevice::Append));
    config.write("[proxy]\nresponse_timeout_ms=4321\n");
    config.close();
    const QDBusMessage restart = call(QStringLiteral("Reload"), {}, kGatewayInterface);
    QCOMPARE(restart.type(), QDBusMessage::ReplyMessage);
    const QString changes = restart.arguments().first().toStringList().join(QLatin1Char('|'));
    QVERIFY2(changes.contains(QLatin1String("proxy/response_timeout_ms changed")) &&
                 changes.contains(QLatin1String("needs a restart")),
             qPrintable(changes));
    QVERIFY(serverA_->client(kGatewayName).has_value());
}

void TestDbusCredentials::startBootstrapSaysWhyItCannot() {
    const QDBusMessage own = call(QStringLiteral("StartBootstrap"), {QString()}, kGatewayInterface);
    QCOMPARE(own.errorName(), QStringLiteral("org.lwm2mgateway.Error.Failed"));
    QVERIFY2(own.errorMessage().contains(QLatin1String("ootstrap")),
             qPrintable(own.errorMessage()));
    QCOMPARE(errorOf(QStringLiteral("StartBootstrap"), {QStringLiteral("no-such-sensor")},
                     kGatewayInterface),
             kNotFound);
}

// Receives BootstrapFinished / BootstrapFailed on the test's connection.
class BootstrapLog : public QObject {
    Q_OBJECT
public:
    QStringList events;
public slots:
    void finished(const QString& endpoint) { events << QStringLiteral("finished:") + endpoint; }
    void failed(const QString& endpoint, const QString& reason) {
        events << QStringLiteral("failed:%1:%2").arg(endpoint, reason);
    }
};

void TestDbusCredentials::startBootstrapEndsInASignal() {
    TestBootstrapServer bootstrapServer;
    QVERIFY(bootstrapServer.listen());
    bootstrapServer.setSequence({TestBootstrapServer::finishStep()});
    // A Bootstrap-Server account for the gateway's own endpoint, by import (AddAccount writes
    // server accounts only). Its registrations stay at the configured server meanwhile.
    const QString document =
        QStringLiteral(R"({"format":"lwm2m-gateway-provisioning","version":1,"endpoints":[
        {"endpoint":"%1","security":[{"instanceId":0,"serverUri":"coap://127.0.0.1:%2",
         "bootstrapServer":true,"securityMode":"nosec"}]}]})")
            .arg(kGatewayName)
            .arg(bootstrapServer.port());
    QFile file(files_.filePath(QStringLiteral("bootstrap.json")));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(document.toUtf8());
    file.close();
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(call(QStringLiteral("ImportProvisioningFile"),
                  {QVariant::fromValue(QDBusUnixFileDescriptor(file.handle()))})
                 .type(),
             QDBusMessage::ReplyMessage);
    BootstrapLog log;
    QVERIFY(connection_->connect(lwm2mgw::testing::kGatewayService, lwm2mgw::testing::kGatewayPath,
                                 kGatewayInterface, QStringLiteral("BootstrapFinished"), &log,
                                 SLOT(finished(QString))));
    QVERIFY(connection_->connect(lwm2mgw::testing::kGatewayService, lwm2mgw::testing::kGatewayPath,
                                 kGatewayInterface, QStringLiteral("BootstrapFailed"), &log,
                                 SLOT(failed(QString, QString))));
    QCOMPARE(errorOf(QStringLiteral("StartBootstrap"), {QString()}, kGatewayInterface),
             QStringLiteral("ok"));
    QTRY_VERIFY_WITH_TIMEOUT(bootstrapServer.bootstrapRequests() >= 1, 10000);
    QCOMPARE(bootstrapServer.lastRequestQuery().value(QStringLiteral("ep")), kGatewayName);
    QTRY_VERIFY_WITH_TIMEOUT(!log.events.isEmpty(), 10000);
    QCOMPARE(log.events.first(), QStringLiteral("finished:"));
}

void TestDbusCredentials::ctlDrivesTheStore() {
    QProcess ctl;
    ctl.start(QStringLiteral(LWM2MGW_TEST_GATEWAYCTL),
              ctlBus() + QStringList{QStringLiteral("credentials"), QStringLiteral("add"),
                                     QStringLiteral("psk"), QStringLiteral("ctl-sensor"),
                                     QStringLiteral("ctl-id")});
    QVERIFY(ctl.waitForStarted(5000));
    ctl.write("00112233445566778899\n");
    ctl.closeWriteChannel();
    QVERIFY(QTest::qWaitFor([&] { return ctl.state() == QProcess::NotRunning; }, 20000));
    QCOMPARE(ctl.exitCode(), 0);
    const auto listed =
        runCtl(ctlBus() + QStringList{QStringLiteral("--json"), QStringLiteral("credentials"),
                                      QStringLiteral("list")});
    QCOMPARE(listed.exitCode, 0);
    QVERIFY2(listed.out.contains(QLatin1String("\"ctl-id\"")) &&
                 !listed.out.contains(QLatin1String("00112233")),
             qPrintable(listed.out));
    const auto table =
        runCtl(ctlBus() + QStringList{QStringLiteral("credentials"), QStringLiteral("list")});
    QVERIFY2(table.out.startsWith(QLatin1String("MODE")) &&
                 table.out.contains(QLatin1String("ctl-sensor")),
             qPrintable(table.out));
    QCOMPARE(runCtl(ctlBus() + QStringList{QStringLiteral("credentials"), QStringLiteral("remove"),
                                           QStringLiteral("psk"), QStringLiteral("ctl-id")})
                 .exitCode,
             0);
    QCOMPARE(runCtl(ctlBus() + QStringList{QStringLiteral("credentials"), QStringLiteral("remove"),
                                           QStringLiteral("psk"), QStringLiteral("ctl-id")})
                 .exitCode,
             4);

    QCOMPARE(runCtl(ctlBus() + QStringList{QStringLiteral("accounts"), QStringLiteral("add"),
                                           QStringLiteral("ctl-ep"), QStringLiteral("1"),
                                           uriOf(*serverC_)})
                 .exitCode,
             0);
    const auto accounts =
        runCtl(ctlBus() + QStringList{QStringLiteral("accounts"), QStringLiteral("list")});
    QCOMPARE(accounts.exitCode, 0);
    QVERIFY2(accounts.out.contains(QLatin1String("ctl-ep")), qPrintable(accounts.out));
    QCOMPARE(runCtl(ctlBus() + QStringList{QStringLiteral("accounts"), QStringLiteral("add"),
                                           QStringLiteral("ctl-ep"), QStringLiteral("1"),
                                           QStringLiteral("ftp://x")})
                 .exitCode,
             2);
    QCOMPARE(runCtl(ctlBus() + QStringList{QStringLiteral("accounts"), QStringLiteral("remove"),
                                           QStringLiteral("ctl-ep"), QStringLiteral("8")})
                 .exitCode,
             4);

    QFile file(files_.filePath(QStringLiteral("ctl.json")));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(provisioning(QStringLiteral("ctl-import"), uriOf(*serverC_), 1).toUtf8());
    file.close();
    const auto imported = runCtl(ctlBus() + QStringList{QStringLiteral("--json"),
                                                        QStringLiteral("import"), file.fileName()});
    QCOMPARE(imported.exitCode, 0);
    QCOMPARE(QJsonDocument::fromJson(imported.out.toUtf8())
                 .object()[QStringLiteral("endpoints")]
                 .toInt(),
             1);

    const auto reload =
        runCtl(ctlBus() + QStringList{QStringLiteral("--json"), QStringLiteral("reload")});
    QCOMPARE(reload.exitCode, 0);
    QVERIFY(
        QJsonDocument::fromJson(reload.out.toUtf8()).object()[QStringLiteral("changes")].isArray());
    QCOMPARE(runCtl(ctlBus() + QStringList{QStringLiteral("bootstrap"), QStringLiteral("gone-ep")})
                 .exitCode,
             4);
    const auto status =
        runCtl(ctlBus() + QStringList{QStringLiteral("--json"), QStringLiteral("status")});
    QCOMPARE(status.exitCode, 0);
    const QJsonObject counters = QJsonDocument::fromJson(status.out.toUtf8())
                                     .object()[QStringLiteral("counters")]
                                     .toObject();
    QVERIFY2(counters[QStringLiteral("handshakes")].toInteger() >= 1, qPrintable(status.out));
    QVERIFY2(counters[QStringLiteral("refusals")].toObject().contains(QStringLiteral("handshake")),
             qPrintable(status.out));
}

QTEST_GUILESS_MAIN(TestDbusCredentials)
#include "test_dbus_credentials.moc"
