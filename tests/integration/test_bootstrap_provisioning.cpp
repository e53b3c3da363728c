// Secured --upstream and --bootstrap whose credentials come from a factory provisioning file
// (--provisioning), over DTLS-PSK against Debian's coap-server-openssl: the gateway's Register
// (and its Bootstrap-Request) arrive with the provisioned identity; a coaps:// URI with no
// provisioned account is refused at start; a malformed provisioning file stores nothing.
#include "gateway_process.h"
#include "peer_process.h"

#include <lwm2m-gateway/credstore/credential_store.h>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using lwm2mgw::testing::GatewayProcess;
namespace cs = lwm2mgw::credstore;

namespace {

const QString kGateway = QStringLiteral("lwm2m-gateway");
const QString kIdentity = QStringLiteral("factory-gw-identity");
const QString kKey = QStringLiteral("factory-key-16by");

// coap-server-openssl with a PSK: plain CoAP on `port`, DTLS on port + 1; -v 7 logs requests.
class PskServer : public lwm2mgw::testing::PeerProcess {
public:
    explicit PskServer(quint16 port)
        : PeerProcess(QStringLiteral("coap-server-openssl"),
                      {QStringLiteral("-A"), QStringLiteral("127.0.0.1"), QStringLiteral("-p"),
                       QString::number(port), QStringLiteral("-k"), kKey, QStringLiteral("-v"),
                       QStringLiteral("7")}) {}
};

QJsonObject pskAccount(int instanceId, const QString& uri, bool bootstrap) {
    QJsonObject account{
        {QStringLiteral("instanceId"), instanceId},
        {QStringLiteral("serverUri"), uri},
        {QStringLiteral("bootstrapServer"), bootstrap},
        {QStringLiteral("securityMode"), QStringLiteral("psk")},
        {QStringLiteral("publicKeyOrIdentity"), QJsonObject{{QStringLiteral("text"), kIdentity}}},
        {QStringLiteral("secretKey"), QJsonObject{{QStringLiteral("text"), kKey}}}};
    if (!bootstrap) {
        account.insert(QStringLiteral("shortServerId"), 1);
    }
    return account;
}

QJsonObject serverInstance() {
    return {{QStringLiteral("instanceId"), 0},
            {QStringLiteral("shortServerId"), 1},
            {QStringLiteral("lifetime"), 300},
            {QStringLiteral("notificationStoring"), false},
            {QStringLiteral("binding"), QStringLiteral("U")}};
}

}  // namespace

class TestBootstrapProvisioning : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void securedUpstreamFromProvisioning();
    void securedBootstrapFromProvisioning();
    void securedUriWithoutAccountIsRefused();
    void malformedProvisioningStoresNothing();

private:
    QString storePath() const { return directory_->filePath(QStringLiteral("credentials.db")); }
    QString writeProvisioning(const QJsonArray& security, const QJsonArray& servers);
    bool startGateway(GatewayProcess& gateway, const QStringList& arguments);

    std::unique_ptr<QTemporaryDir> directory_;
    QString provisioningPath_;
};

void TestBootstrapProvisioning::initTestCase() {
    if (QStandardPaths::findExecutable(QStringLiteral("coap-server-openssl")).isEmpty()) {
        QFAIL("coap-server-openssl is missing (Debian package libcoap3-bin)");
    }
}

void TestBootstrapProvisioning::init() {
    directory_ = std::make_unique<QTemporaryDir>();
    provisioningPath_ = directory_->filePath(QStringLiteral("provisioning.json"));
}

QString TestBootstrapProvisioning::writeProvisioning(const QJsonArray& security,
                                                     const QJsonArray& servers) {
    const QJsonObject endpoint{{QStringLiteral("endpoint"), kGateway},
                               {QStringLiteral("security"), security},
                               {QStringLiteral("server"), servers}};
    const QJsonObject document{
        {QStringLiteral("format"), QStringLiteral("lwm2m-gateway-provisioning")},
        {QStringLiteral("version"), 1},
        {QStringLiteral("endpoints"), QJsonArray{endpoint}}};
    QFile file(provisioningPath_);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        return {};
    }
    file.write(QJsonDocument(document).toJson());
    return provisioningPath_;
}

bool TestBootstrapProvisioning::startGateway(GatewayProcess& gateway,
                                             const QStringList& arguments) {
    return gateway.start(
        {{QStringLiteral("downstream/listen"),
          QStringLiteral("coap://127.0.0.1:%1").arg(lwm2mgw::testing::freeUdpPort())}},
        QStringList{QStringLiteral("--store"), storePath(), QStringLiteral("--provisioning"),
                    provisioningPath_} +
            arguments);
}

void TestBootstrapProvisioning::securedUpstreamFromProvisioning() {
    const quint16 port = lwm2mgw::testing::freeUdpPortPair();
    PskServer server(port);
    const QString uri = QStringLiteral("coaps://127.0.0.1:%1").arg(port + 1);
    QVERIFY(!writeProvisioning({pskAccount(0, uri, false)}, {serverInstance()}).isEmpty());
    QTest::qWait(300);
    GatewayProcess gateway;
    QVERIFY2(startGateway(gateway, {QStringLiteral("--upstream"), uri}), qPrintable(gateway.log()));
    QVERIFY2(server.waitFor(QStringLiteral("ep=") + kGateway),
             qPrintable(server.output() + "\n--- gateway ---\n" + gateway.log()));
    QVERIFY2(server.output().contains(kIdentity), qPrintable(server.output()));
    // A reload (SIGHUP) takes the same coaps:// --upstream as the stored account it names.
    ::kill(static_cast<pid_t>(gateway.processId()), SIGHUP);
    QVERIFY2(gateway.waitForLog(QStringLiteral("reload: nothing changed")),
             qPrintable(gateway.log()));
    QVERIFY2(!gateway.log().contains(QStringLiteral("reload refused")), qPrintable(gateway.log()));
    QCOMPARE(gateway.stop(), 0);
    QVERIFY(gateway.log().contains(QStringLiteral("imported")));
    QVERIFY(!gateway.log().contains(kKey));
}

void TestBootstrapProvisioning::securedBootstrapFromProvisioning() {
    const quint16 port = lwm2mgw::testing::freeUdpPortPair();
    PskServer server(port);
    const QString uri = QStringLiteral("coaps://127.0.0.1:%1").arg(port + 1);
    QVERIFY(!writeProvisioning({pskAccount(0, uri, true)}, {}).isEmpty());
    QTest::qWait(300);
    GatewayProcess gateway;
    QVERIFY2(startGateway(gateway, {QStringLiteral("--bootstrap"), uri}),
             qPrintable(gateway.log()));
    // coap-server has no /bs: what counts is the handshake with the provisioned identity and
    // the Bootstrap-Request arriving over it.
    QVERIFY2(server.waitFor(QStringLiteral("ep=") + kGateway),
             qPrintable(server.output() + "\n--- gateway ---\n" + gateway.log()));
    const QString output = server.output();
    QVERIFY2(output.contains(QStringLiteral("Uri-Path:bs")) && output.contains(kIdentity),
             qPrintable(output));
    QCOMPARE(gateway.stop(), 0);
    QVERIFY(!gateway.log().contains(kKey));
}

void TestBootstrapProvisioning::securedUriWithoutAccountIsRefused() {
    QVERIFY(!writeProvisioning({pskAccount(0, QStringLiteral("coaps://127.0.0.1:5999"), false)},
                               {serverInstance()})
                 .isEmpty());
    for (const QString& option : {QStringLiteral("--upstream"), QStringLiteral("--bootstrap")}) {
        GatewayProcess gateway;
        QVERIFY(!startGateway(gateway, {option, QStringLiteral("coaps://127.0.0.1:5998")}));
        QVERIFY2(gateway.log().contains(QStringLiteral("provisioning file")),
                 qPrintable(gateway.log()));
        QVERIFY(gateway.stop() != 0);
    }
}

void TestBootstrapProvisioning::malformedProvisioningStoresNothing() {
    // A Server instance whose Short Server ID no Security instance has: the import is refused
    // as a whole, the daemon does not start, and the store holds no account.
    QJsonObject orphan = serverInstance();
    orphan.insert(QStringLiteral("shortServerId"), 9);
    QVERIFY(!writeProvisioning({pskAccount(0, QStringLiteral("coaps://127.0.0.1:5999"), false)},
                               {orphan})
                 .isEmpty());
    GatewayProcess gateway;
    QVERIFY(!startGateway(gateway, {}));
    QVERIFY2(gateway.log().contains(QStringLiteral("provisioning file")),
             qPrintable(gateway.log()));
    QVERIFY(!gateway.log().contains(kKey));
    gateway.stop();
    auto store = cs::CredentialStore::open(storePath().toStdString());
    QVERIFY(store);
    auto endpoints = store->endpointsWithAccounts();
    QVERIFY(endpoints);
    QVERIFY(endpoints->empty());
}

QTEST_GUILESS_MAIN(TestBootstrapProvisioning)
#include "test_bootstrap_provisioning.moc"
