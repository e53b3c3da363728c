// Bootstrap per endpoint through the real daemon, with accounts from a factory provisioning file
// (--provisioning): a proxied sensor bootstrapped on its own behalf and registered at the server
// that bootstrap named; a bootstrap after every registration failed (/1/x/16) and the
// Bootstrap-Server Account Timeout (/0/x/12); the Client Hold Off Time (/0/x/11) and a
// Bootstrap-Server that never sends Finish; the bootstrapped Lifetime (/1/x/1) for the gateway.
#include "bootstrap_payloads.h"
#include "coap_pdu_util.h"
#include "gateway_process.h"
#include "test_bootstrap_server.h"
#include "test_lwm2m_server.h"
#include "test_sensor.h"

#include <lwm2m-gateway/credstore/credential_store.h>

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using lwm2mgw::peers::TestBootstrapServer;
using lwm2mgw::peers::TestLwm2mServer;
using lwm2mgw::peers::TestSensor;
using lwm2mgw::testing::GatewayProcess;
namespace format = lwm2mgw::peers::format;
namespace tlv = lwm2mgw::peers::tlv;
namespace cs = lwm2mgw::credstore;

namespace {

const QString kGateway = QStringLiteral("lwm2m-gateway");
const QString kSensor = QStringLiteral("sensor-7");
const QString kPrefix = QStringLiteral("gw1-");

QByteArray securityTlv(quint16 port, int shortServerId) {
    return tlv::resource(0, "coap://127.0.0.1:" + QByteArray::number(port)) +
           tlv::resource(1, tlv::boolean(false)) + tlv::resource(2, tlv::integer(3)) +
           tlv::resource(10, tlv::integer(shortServerId));
}

QByteArray serverTlv(int shortServerId, int lifetime) {
    return tlv::resource(0, tlv::integer(shortServerId)) +
           tlv::resource(1, tlv::integer(lifetime)) + tlv::resource(6, tlv::boolean(false)) +
           tlv::resource(7, "U");
}

QJsonObject merged(QJsonObject base, const QJsonObject& extra) {
    for (auto it = extra.begin(); it != extra.end(); ++it) {
        base.insert(it.key(), it.value());
    }
    return base;
}

QJsonObject bootstrapAccount(quint16 port, const QJsonObject& extra = {}) {
    return merged({{QStringLiteral("instanceId"), 0},
                   {QStringLiteral("serverUri"), QStringLiteral("coap://127.0.0.1:%1").arg(port)},
                   {QStringLiteral("bootstrapServer"), true},
                   {QStringLiteral("securityMode"), QStringLiteral("nosec")}},
                  extra);
}

QJsonObject serverAccount(int instanceId, quint16 port, int shortServerId) {
    return {{QStringLiteral("instanceId"), instanceId},
            {QStringLiteral("serverUri"), QStringLiteral("coap://127.0.0.1:%1").arg(port)},
            {QStringLiteral("bootstrapServer"), false},
            {QStringLiteral("securityMode"), QStringLiteral("nosec")},
            {QStringLiteral("shortServerId"), shortServerId}};
}

QJsonObject serverInstance(int shortServerId, int lifetime, const QJsonObject& extra = {}) {
    return merged({{QStringLiteral("instanceId"), 0},
                   {QStringLiteral("shortServerId"), shortServerId},
                   {QStringLiteral("lifetime"), lifetime},
                   {QStringLiteral("notificationStoring"), false},
                   {QStringLiteral("binding"), QStringLiteral("U")}},
                  extra);
}

QJsonObject endpointJson(const QString& name, const QJsonArray& security,
                         const QJsonArray& servers = {}) {
    return {{QStringLiteral("endpoint"), name},
            {QStringLiteral("security"), security},
            {QStringLiteral("server"), servers}};
}

}  // namespace

class TestBootstrapEndpoints : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void sensorBootstrapsOnItsOwnBehalf();
    void bootstrapOnRegistrationFailure_data();
    void bootstrapOnRegistrationFailure();
    void holdOffAndMissingFinish();

private:
    QString storePath() const { return directory_->filePath(QStringLiteral("credentials.db")); }
    QString writeProvisioning(const QJsonArray& endpoints);
    bool startGateway(const QMap<QString, QString>& extraIni = {});
    std::optional<cs::CredentialStore> openStore();

    std::unique_ptr<QTemporaryDir> directory_;
    std::unique_ptr<TestLwm2mServer> serverA_;
    std::unique_ptr<TestLwm2mServer> serverB_;
    std::unique_ptr<TestBootstrapServer> bootstrap_;
    std::unique_ptr<GatewayProcess> gateway_;
    QString provisioningPath_;
    quint16 downstreamPort_ = 0;
};

void TestBootstrapEndpoints::init() {
    directory_ = std::make_unique<QTemporaryDir>();
    serverA_ = std::make_unique<TestLwm2mServer>();
    serverB_ = std::make_unique<TestLwm2mServer>();
    bootstrap_ = std::make_unique<TestBootstrapServer>();
    gateway_ = std::make_unique<GatewayProcess>();
    QVERIFY(serverA_->listen());
    QVERIFY(serverB_->listen());
    QVERIFY(bootstrap_->listen());
}

void TestBootstrapEndpoints::cleanup() {
    gateway_.reset();
    bootstrap_.reset();
    serverB_.reset();
    serverA_.reset();
    directory_.reset();
}

QString TestBootstrapEndpoints::writeProvisioning(const QJsonArray& endpoints) {
    provisioningPath_ = directory_->filePath(QStringLiteral("provisioning.json"));
    QFile file(provisioningPath_);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        return {};
    }
    const QJsonObject document{
        {QStringLiteral("format"), QStringLiteral("lwm2m-gateway-provisioning")},
        {QStringLiteral("version"), 1},
        {QStringLiteral("endpoints"), endpoints}};
    file.write(QJsonDocument(document).toJson());
    return provisioningPath_;
}

bool TestBootstrapEndpoints::startGateway(const QMap<QString, QString>& extraIni) {
    downstreamPort_ = lwm2mgw::testing::freeUdpPort();
    QMap<QString, QString> ini{
        {QStringLiteral("downstream/listen"),
         QStringLiteral("coap://127.0.0.1:%1").arg(downstreamPort_)},
        {QStringLiteral("upstream/endpoint_prefix"), kPrefix},
        {QStringLiteral("upstream/communication_retry_timer"), QStringLiteral("1")},
        {QStringLiteral("gateway/provisioning_file"), provisioningPath_},
    };
    ini.insert(extraIni);
    return gateway_->start(ini, {QStringLiteral("--store"), storePath()});
}

std::optional<cs::CredentialStore> TestBootstrapEndpoints::openStore() {
    cs::OpenOptions readOnly;
    readOnly.readOnly = true;
    auto store = cs::CredentialStore::open(storePath().toStdString(), readOnly);
    if (!store) {
        return std::nullopt;
    }
    return std::move(store).value();
}

void TestBootstrapEndpoints::sensorBootstrapsOnItsOwnBehalf() {
    // The gateway registers at A (Lifetime 90 from its Server instance); the sensor has only a
    // bootstrap account of its own, so it is bootstrapped at its Register and moves to B.
    QVERIFY(!writeProvisioning({endpointJson(kGateway, {serverAccount(0, serverA_->port(), 1)},
                                             {serverInstance(1, 90)}),
                                endpointJson(kSensor, {bootstrapAccount(bootstrap_->port())})})
                 .isEmpty());
    bootstrap_->setSequence({
        TestBootstrapServer::writeStep(QStringLiteral("/0/1"), format::kTlv,
                                       securityTlv(serverB_->port(), 201)),
        TestBootstrapServer::writeStep(QStringLiteral("/1/1"), format::kTlv, serverTlv(201, 120)),
        TestBootstrapServer::finishStep(),
    });
    QVERIFY2(startGateway(), qPrintable(gateway_->log()));
    QTRY_VERIFY_WITH_TIMEOUT(serverA_->client(kGateway).has_value(), 10000);
    QCOMPARE(serverA_->client(kGateway)->lifetime, qint64{90});
    QCOMPARE(bootstrap_->bootstrapRequests(), 0);  // the gateway has accounts: no bootstrap

    lwm2mgw::CoapEventLoop* loop = TestSensor::createEventLoop(this);
    TestSensor sensor(loop);
    QVERIFY(sensor.registerTo(QStringLiteral("coap://127.0.0.1:%1").arg(downstreamPort_), kSensor,
                              300));
    QTRY_VERIFY_WITH_TIMEOUT(bootstrap_->sequenceDone(), 10000);
    QCOMPARE(bootstrap_->lastRequestQuery().value(QStringLiteral("ep")), kPrefix + kSensor);
    QCOMPARE(bootstrap_->answerCodes(), (QList<int>{204, 204, 204}));
    QTRY_VERIFY_WITH_TIMEOUT(serverB_->client(kPrefix + kSensor).has_value(), 10000);
    QCOMPARE(serverB_->client(kPrefix + kSensor)->lifetime, qint64{300});  // the sensor's own lt
    // It leaves the gateway's server; the gateway itself stays there and never reaches B.
    QTRY_VERIFY_WITH_TIMEOUT(!serverA_->client(kPrefix + kSensor).has_value(), 10000);
    QVERIFY(serverA_->client(kGateway).has_value());
    QVERIFY(!serverB_->client(kGateway).has_value());
    QVERIFY(gateway_->log().contains(QStringLiteral("provisioning file")));
    QCOMPARE(gateway_->stop(), 0);

    {
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(static_cast<bool>(store->checkIntegrity()));
        auto servers = store->serverInstances(kSensor.toStdString());
        QVERIFY(servers);
        QCOMPARE(servers->size(), size_t{1});
        QCOMPARE(servers->front().shortServerId, std::uint16_t{201});
        auto gatewayServers = store->serverInstances(kGateway.toStdString());
        QVERIFY(gatewayServers);
        QCOMPARE(gatewayServers->size(), size_t{1});
        QCOMPARE(gatewayServers->front().shortServerId, std::uint16_t{1});
    }

    // A restart with the same provisioning file keeps what the bootstrap wrote.
    gateway_ = std::make_unique<GatewayProcess>();
    QVERIFY2(startGateway(), qPrintable(gateway_->log()));
    QVERIFY2(gateway_->log().contains(QStringLiteral("not imported")), qPrintable(gateway_->log()));
    QCOMPARE(gateway_->stop(), 0);
    auto store = openStore();
    QVERIFY(store);
    auto servers = store->serverInstances(kSensor.toStdString());
    QVERIFY(servers);
    QCOMPARE(servers->size(), size_t{1});
    QCOMPARE(servers->front().shortServerId, std::uint16_t{201});
}

void TestBootstrapEndpoints::bootstrapOnRegistrationFailure_data() {
    QTest::addColumn<bool>("bootstrapOnFailure");
    QTest::newRow("/1/x/16 absent (true)") << true;
    QTest::newRow("/1/x/16 false") << false;
}

void TestBootstrapEndpoints::bootstrapOnRegistrationFailure() {
    QFETCH(bool, bootstrapOnFailure);
    // The gateway's only server never answers: one attempt of one sequence, then Failed.
    const quint16 silentPort = lwm2mgw::testing::freeUdpPort();
    QJsonObject server{{QStringLiteral("communicationRetryCount"), 1},
                       {QStringLiteral("communicationRetryTimer"), 1},
                       {QStringLiteral("communicationSequenceRetryCount"), 1}};
    if (!bootstrapOnFailure) {
        server.insert(QStringLiteral("bootstrapOnRegistrationFailure"), false);
    }
    const QJsonObject timeout{{QStringLiteral("bootstrapServerAccountTimeout"), 1}};
    QVERIFY(!writeProvisioning({endpointJson(kGateway,
                                             {bootstrapAccount(bootstrap_->port(), timeout),
                                              serverAccount(1, silentPort, 1)},
                                             {serverInstance(1, 60, server)})})
                 .isEmpty());
    bootstrap_->setSequence({
        TestBootstrapServer::deleteStep(QStringLiteral("/")),
        TestBootstrapServer::writeStep(QStringLiteral("/0/2"), format::kTlv,
                                       securityTlv(serverB_->port(), 2)),
        TestBootstrapServer::writeStep(QStringLiteral("/1/1"), format::kTlv, serverTlv(2, 75)),
        TestBootstrapServer::finishStep(),
    });
    QVERIFY2(startGateway({{QStringLiteral("coap/ack_timeout_ms"), QStringLiteral("1000")},
                           {QStringLiteral("coap/max_retransmit"), QStringLiteral("1")}}),
             qPrintable(gateway_->log()));
    QVERIFY2(gateway_->waitForLog(QStringLiteral("failed after"), 15000),
             qPrintable(gateway_->log()));
    if (!bootstrapOnFailure) {
        QTest::qWait(1500);
        QCOMPARE(bootstrap_->bootstrapRequests(), 0);
        QCOMPARE(gateway_->stop(), 0);
        return;
    }
    QTRY_VERIFY_WITH_TIMEOUT(bootstrap_->sequenceDone(), 10000);
    QCOMPARE(bootstrap_->lastRequestQuery().value(QStringLiteral("ep")), kGateway);
    QCOMPARE(bootstrap_->answerCodes(), (QList<int>{202, 204, 204, 204}));
    QTRY_VERIFY_WITH_TIMEOUT(serverB_->client(kGateway).has_value(), 10000);
    // The gateway registers with the Lifetime the bootstrap gave its Server instance.
    QCOMPARE(serverB_->client(kGateway)->lifetime, qint64{75});
    // /0/x/12 = 1 s: the Bootstrap-Server account is purged after the bootstrap.
    QTRY_VERIFY_WITH_TIMEOUT(
        [this] {
            auto store = openStore();
            if (!store) {
                return false;
            }
            auto account = store->bootstrapAccount(kGateway.toStdString());
            return account && !account.value().has_value();
        }(),
        10000);
    QCOMPARE(gateway_->stop(), 0);
    auto store = openStore();
    QVERIFY(store);
    auto servers = store->serverInstances(kGateway.toStdString());
    QVERIFY(servers);
    QCOMPARE(servers->size(), size_t{1});
    QCOMPARE(servers->front().shortServerId, std::uint16_t{2});
    auto security = store->securityInstances(kGateway.toStdString());
    QVERIFY(security);
    QCOMPARE(security->size(), size_t{1});
    QCOMPARE(security->front().instanceId, std::uint16_t{2});
}

void TestBootstrapEndpoints::holdOffAndMissingFinish() {
    // /0/x/11 = 2 s delays the first Bootstrap-Request; a server that writes but never sends
    // Finish is given up after bootstrap/sequence_timeout and asked again; nothing is stored.
    const QJsonObject holdOff{{QStringLiteral("clientHoldOffTime"), 2}};
    QVERIFY(!writeProvisioning(
                 {endpointJson(kGateway, {bootstrapAccount(bootstrap_->port(), holdOff)})})
                 .isEmpty());
    bootstrap_->setSequence({
        TestBootstrapServer::writeStep(QStringLiteral("/0/1"), format::kTlv,
                                       securityTlv(serverB_->port(), 5)),
        TestBootstrapServer::writeStep(QStringLiteral("/1/1"), format::kTlv, serverTlv(5, 60)),
    });
    QElapsedTimer sinceStart;
    sinceStart.start();
    QVERIFY2(startGateway({{QStringLiteral("bootstrap/sequence_timeout"), QStringLiteral("2")}}),
             qPrintable(gateway_->log()));
    QTRY_VERIFY_WITH_TIMEOUT(bootstrap_->bootstrapRequests() >= 1, 10000);
    QVERIFY2(sinceStart.elapsed() >= 1900, qPrintable(QString::number(sinceStart.elapsed())));
    QTRY_VERIFY_WITH_TIMEOUT(bootstrap_->sequenceDone(), 10000);
    QCOMPARE(bootstrap_->answerCodes(), (QList<int>{204, 204}));
    QVERIFY2(gateway_->waitForLog(QStringLiteral("no Bootstrap-Finish within"), 10000),
             qPrintable(gateway_->log()));
    QTRY_VERIFY_WITH_TIMEOUT(bootstrap_->bootstrapRequests() >= 2, 10000);
    QVERIFY(!serverB_->client(kGateway).has_value());
    QCOMPARE(gateway_->stop(), 0);
    auto store = openStore();
    QVERIFY(store);
    auto servers = store->serverInstances(kGateway.toStdString());
    QVERIFY(servers);
    QVERIFY(servers->empty());
    auto security = store->securityInstances(kGateway.toStdString());
    QVERIFY(security);
    QCOMPARE(security->size(), size_t{1});
    QVERIFY(security->front().bootstrapServer);
}

QTEST_GUILESS_MAIN(TestBootstrapEndpoints)
#include "test_bootstrap_endpoints.moc"
