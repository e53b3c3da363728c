// The real daemon as LwM2M bootstrap client of its own endpoint (Core 6.1, client-initiated):
// with a fresh store and --bootstrap only, it sends Bootstrap-Request, serves the in-tree
// Bootstrap-Server's sequence into one credential-store transaction, then registers at the
// server the sequence named. Refused sequences and malformed writes leave the store unchanged.
#include "bootstrap_payloads.h"
#include "coap_pdu_util.h"
#include "gateway_process.h"
#include "peer_process.h"
#include "test_bootstrap_server.h"
#include "test_lwm2m_server.h"

#include <lwm2m-gateway/credstore/credential_store.h>

#include <QTemporaryDir>
#include <QTest>

using lwm2mgw::peers::SenmlItem;
using lwm2mgw::peers::TestBootstrapServer;
using lwm2mgw::peers::TestLwm2mServer;
using lwm2mgw::testing::GatewayProcess;
using lwm2mgw::testing::PeerProcess;
namespace format = lwm2mgw::peers::format;
namespace tlv = lwm2mgw::peers::tlv;
namespace cs = lwm2mgw::credstore;

namespace {

const QString kEndpoint = QStringLiteral("lwm2m-gateway");

QByteArray securityTlv(quint16 lwm2mPort) {
    const QByteArray uri = "coap://127.0.0.1:" + QByteArray::number(lwm2mPort);
    return tlv::resource(0, uri) + tlv::resource(1, tlv::boolean(false)) +
           tlv::resource(2, tlv::integer(3)) + tlv::resource(3, {}) + tlv::resource(4, {}) +
           tlv::resource(10, tlv::integer(101));
}

// A PSK account (/0/x/2 = 0) with identity and key, as a Bootstrap-Server writes one.
QByteArray pskSecurityTlv(const QByteArray& uri, const QByteArray& identity,
                          const QByteArray& key) {
    return tlv::resource(0, uri) + tlv::resource(1, tlv::boolean(false)) +
           tlv::resource(2, tlv::integer(0)) + tlv::resource(3, identity) + tlv::resource(4, {}) +
           tlv::resource(5, key) + tlv::resource(10, tlv::integer(101));
}

QByteArray serverTlv() {
    return tlv::resource(0, tlv::integer(101)) + tlv::resource(1, tlv::integer(120)) +
           tlv::resource(6, tlv::boolean(false)) + tlv::resource(7, "U");
}

QByteArray securityCbor(quint16 lwm2mPort) {
    return lwm2mgw::peers::senmlCbor({
        {QStringLiteral("/0/1/0"), QStringLiteral("coap://127.0.0.1:%1").arg(lwm2mPort)},
        {QStringLiteral("/0/1/1"), false},
        {QStringLiteral("/0/1/2"), qint64{3}},
        {QStringLiteral("/0/1/10"), qint64{101}},
    });
}

QByteArray serverCbor() {
    return lwm2mgw::peers::senmlCbor({
        {QStringLiteral("/1/1/0"), qint64{101}},
        {QStringLiteral("/1/1/1"), qint64{120}},
        {QStringLiteral("/1/1/6"), false},
        {QStringLiteral("/1/1/7"), QStringLiteral("U")},
    });
}

}  // namespace

class TestBootstrap : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void bootstrapsAndRegisters_data();
    void bootstrapsAndRegisters();
    void refusedSequenceLeavesStoreUnchanged();
    void bootstrappedPskAccountRegistersOverDtls();

private:
    bool startGateway();
    std::string storePath() const {
        return directory_->filePath(QStringLiteral("credentials.db")).toStdString();
    }

    std::unique_ptr<QTemporaryDir> directory_;
    std::unique_ptr<TestLwm2mServer> server_;
    std::unique_ptr<TestBootstrapServer> bootstrap_;
    std::unique_ptr<GatewayProcess> gateway_;
};

void TestBootstrap::init() {
    directory_ = std::make_unique<QTemporaryDir>();
    server_ = std::make_unique<TestLwm2mServer>();
    bootstrap_ = std::make_unique<TestBootstrapServer>();
    gateway_ = std::make_unique<GatewayProcess>();
    QVERIFY(server_->listen());
    QVERIFY(bootstrap_->listen());
}

void TestBootstrap::cleanup() {
    gateway_.reset();
    bootstrap_.reset();
    server_.reset();
    directory_.reset();
}

bool TestBootstrap::startGateway() {
    const quint16 downstream = lwm2mgw::testing::freeUdpPort();
    return gateway_->start(
        {{QStringLiteral("downstream/listen"),
          QStringLiteral("coap://127.0.0.1:%1").arg(downstream)},
         {QStringLiteral("upstream/communication_retry_timer"), QStringLiteral("1")}},
        {QStringLiteral("--store"), QString::fromStdString(storePath()),
         QStringLiteral("--bootstrap"),
         QStringLiteral("coap://127.0.0.1:%1").arg(bootstrap_->port())});
}

void TestBootstrap::bootstrapsAndRegisters_data() {
    QTest::addColumn<int>("contentFormat");
    QTest::newRow("TLV") << format::kTlv;
    QTest::newRow("SenML CBOR") << format::kSenmlCbor;
}

void TestBootstrap::bootstrapsAndRegisters() {
    QFETCH(int, contentFormat);
    const bool cbor = contentFormat == format::kSenmlCbor;
    bootstrap_->setSequence({
        TestBootstrapServer::deleteStep(QStringLiteral("/")),
        TestBootstrapServer::writeStep(
            QStringLiteral("/0/1"), contentFormat,
            cbor ? securityCbor(server_->port()) : securityTlv(server_->port())),
        TestBootstrapServer::writeStep(QStringLiteral("/1/1"), contentFormat,
                                       cbor ? serverCbor() : serverTlv()),
        TestBootstrapServer::discoverStep(QStringLiteral("/")),
        TestBootstrapServer::finishStep(),
    });
    QVERIFY2(startGateway(), qPrintable(gateway_->log()));
    QTRY_VERIFY_WITH_TIMEOUT(bootstrap_->sequenceDone(), 15000);
    QCOMPARE(bootstrap_->lastRequestQuery().value(QStringLiteral("ep")), kEndpoint);
    QCOMPARE(bootstrap_->lastRequestQuery().value(QStringLiteral("pct")), QStringLiteral("112"));
    QCOMPARE(bootstrap_->answerCodes(), (QList<int>{202, 204, 204, 205, 204}));
    const QByteArray discovered = bootstrap_->answers().at(3).payload;
    QCOMPARE(bootstrap_->answers().at(3).contentFormat, format::kLinkFormat);
    QVERIFY2(discovered.startsWith("</>;lwm2m=1.1,"), discovered.constData());
    QVERIFY2(discovered.contains("</0/1>;ssid=101;uri=\"coap://127.0.0.1:" +
                                 QByteArray::number(server_->port()) + "\""),
             discovered.constData());
    QVERIFY2(discovered.contains("</1/1>;ssid=101"), discovered.constData());
    QVERIFY2(discovered.contains("</3/0>"), discovered.constData());

    QTRY_VERIFY_WITH_TIMEOUT(server_->client(kEndpoint).has_value(), 10000);
    QCOMPARE(gateway_->stop(), 0);

    cs::OpenOptions readOnly;
    readOnly.readOnly = true;
    auto store = cs::CredentialStore::open(storePath(), readOnly);
    QVERIFY2(store, store ? "" : store.error().message.c_str());
    auto servers = store->serverInstances(kEndpoint.toStdString());
    QVERIFY(servers);
    QCOMPARE(servers->size(), size_t{1});
    QCOMPARE(servers->front().instanceId, std::uint16_t{1});
    QCOMPARE(servers->front().shortServerId, std::uint16_t{101});
    QCOMPARE(servers->front().lifetime, std::uint32_t{120});
    QCOMPARE(servers->front().binding, std::string("U"));
    auto security = store->securityInstances(kEndpoint.toStdString());
    QVERIFY(security);
    QCOMPARE(security->size(), size_t{2});  // the bootstrap account survives Delete "/"
}

void TestBootstrap::bootstrappedPskAccountRegistersOverDtls() {
    // Debian's coap-server-openssl as the LwM2M server the bootstrap names: DTLS-PSK on port + 1.
    const quint16 port = lwm2mgw::testing::freeUdpPortPair();
    const QByteArray key = "bootstrapped-key";
    const QByteArray identity = "bootstrapped-gw";
    PeerProcess server(QStringLiteral("coap-server-openssl"),
                       {QStringLiteral("-A"), QStringLiteral("127.0.0.1"), QStringLiteral("-p"),
                        QString::number(port), QStringLiteral("-k"), QString::fromLatin1(key),
                        QStringLiteral("-v"), QStringLiteral("7")});
    const QByteArray uri = "coaps://127.0.0.1:" + QByteArray::number(port + 1);
    bootstrap_->setSequence({
        TestBootstrapServer::deleteStep(QStringLiteral("/")),
        TestBootstrapServer::writeStep(QStringLiteral("/0/1"), format::kTlv,
                                       pskSecurityTlv(uri, identity, key)),
        TestBootstrapServer::writeStep(QStringLiteral("/1/1"), format::kTlv, serverTlv()),
        TestBootstrapServer::finishStep(),
    });
    QVERIFY2(startGateway(), qPrintable(gateway_->log()));
    QTRY_VERIFY_WITH_TIMEOUT(bootstrap_->sequenceDone(), 15000);
    QCOMPARE(bootstrap_->answerCodes(), (QList<int>{202, 204, 204, 204}));
    // The Register arrives over the handshake made with the bootstrapped identity and key.
    QVERIFY2(server.waitFor(QStringLiteral("ep=") + kEndpoint),
             qPrintable(server.output() + "\n--- gateway ---\n" + gateway_->log()));
    QVERIFY2(server.output().contains(QString::fromLatin1(identity)), qPrintable(server.output()));
    QCOMPARE(gateway_->stop(), 0);
    QVERIFY2(!gateway_->log().contains(QString::fromLatin1(key)), "the key reached the log");
}

void TestBootstrap::refusedSequenceLeavesStoreUnchanged() {
    // 0xC8: resource, 8-bit id, 8-bit length; the length (5) runs past the body.
    const QByteArray malformed = QByteArray::fromHex("c8000561");
    bootstrap_->setSequence({
        TestBootstrapServer::writeStep(QStringLiteral("/0/1"), format::kTlv, malformed),
        TestBootstrapServer::writeStep(QStringLiteral("/5/0"), format::kTlv, serverTlv()),
        TestBootstrapServer::readStep(QStringLiteral("/0"), format::kTlv),
        // A Server instance whose Short Server ID no Security instance has.
        TestBootstrapServer::writeStep(QStringLiteral("/1/1"), format::kTlv, serverTlv()),
        TestBootstrapServer::readStep(QStringLiteral("/1/1"), format::kTlv),
        TestBootstrapServer::finishStep(),
    });
    QVERIFY2(startGateway(), qPrintable(gateway_->log()));
    QTRY_VERIFY_WITH_TIMEOUT(bootstrap_->sequenceDone(), 15000);
    QCOMPARE(bootstrap_->answerCodes(), (QList<int>{400, 404, 405, 204, 205, 406}));
    // Bootstrap-Read of /1/1 sees the buffered write: resources 0, 1, 6, 7 first, then the rest.
    QCOMPARE(bootstrap_->answers().at(4).contentFormat, format::kTlv);
    QVERIFY(bootstrap_->answers().at(4).payload.startsWith(serverTlv()));
    // The refused Finish is followed by a new Bootstrap-Request after the back-off.
    QTRY_VERIFY_WITH_TIMEOUT(bootstrap_->bootstrapRequests() >= 2, 10000);
    QVERIFY(!server_->client(kEndpoint).has_value());
    QCOMPARE(gateway_->stop(), 0);
    QVERIFY2(!gateway_->log().contains(QStringLiteral("\\x")), "no raw bytes in the log");

    cs::OpenOptions readOnly;
    readOnly.readOnly = true;
    auto store = cs::CredentialStore::open(storePath(), readOnly);
    QVERIFY2(store, store ? "" : store.error().message.c_str());
    auto servers = store->serverInstances(kEndpoint.toStdString());
    QVERIFY(servers);
    QVERIFY(servers->empty());
    auto security = store->securityInstances(kEndpoint.toStdString());
    QVERIFY(security);
    QCOMPARE(security->size(), size_t{1});
    QVERIFY(security->front().bootstrapServer);
    QCOMPARE(QString::fromStdString(security->front().serverUri),
             QStringLiteral("coap://127.0.0.1:%1").arg(bootstrap_->port()));
}

QTEST_GUILESS_MAIN(TestBootstrap)
#include "test_bootstrap.moc"
