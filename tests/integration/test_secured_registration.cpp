// Sensors registering over DTLS with a pre-shared key, through the real daemon and its psk
// plugin, against Debian's OpenSSL- and GnuTLS-based libcoap clients: the identity selects the
// key in the credential store and binds the one endpoint name it may register as.
#include "gateway_process.h"
#include "test_lwm2m_server.h"

#include <lwm2m-gateway/credstore/credential_store.h>

#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using lwm2mgw::peers::TestLwm2mServer;
using lwm2mgw::testing::GatewayProcess;

namespace {

const QString kIdentity = QStringLiteral("psk-sensor-identity");
const QString kKey = QStringLiteral("a-key-of-16bytes");

}  // namespace

class TestSecuredRegistration : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void registersWithTheBoundEndpoint_data();
    void registersWithTheBoundEndpoint();
    void refusesAnotherEndpointName();
    void refusesUnknownIdentity();
    void refusesWrongKey();

private:
    QString coapClient(const QString& client, const QString& identity, const QString& key,
                       const QString& query);
    QString uri(const QString& query) const {
        return QStringLiteral("coaps://127.0.0.1:%1/rd?%2").arg(port_).arg(query);
    }

    QTemporaryDir directory_;
    TestLwm2mServer server_;
    GatewayProcess gateway_;
    quint16 port_ = 0;
};

void TestSecuredRegistration::initTestCase() {
    for (const char* client : {"coap-client-openssl", "coap-client-gnutls"}) {
        QVERIFY2(!QStandardPaths::findExecutable(QString::fromLatin1(client)).isEmpty(),
                 "coap-client-openssl and coap-client-gnutls (Debian package libcoap3-bin) are "
                 "required");
    }
    const std::string storePath =
        directory_.filePath(QStringLiteral("credentials.db")).toStdString();
    {
        auto store = lwm2mgw::credstore::CredentialStore::open(storePath);
        QVERIFY2(store, store ? "" : store.error().message.c_str());
        auto added = store->addPsk("psk-sensor", kIdentity.toStdString(),
                                   lwm2mgw::credstore::Secret(kKey.toStdString()));
        QVERIFY2(added, added ? "" : added.error().message.c_str());
    }
    QVERIFY(server_.listen());
    port_ = lwm2mgw::testing::freeUdpPort();
    QVERIFY2(gateway_.start({{QStringLiteral("downstream/listen"),
                              QStringLiteral("coaps://127.0.0.1:%1?mode=psk").arg(port_)},
                             {QStringLiteral("upstream/servers"),
                              QStringLiteral("coap://127.0.0.1:%1").arg(server_.port())}},
                            {QStringLiteral("--store"), QString::fromStdString(storePath)}),
             qPrintable(gateway_.log()));
    QTRY_VERIFY_WITH_TIMEOUT(server_.client(QStringLiteral("lwm2m-gateway")).has_value(), 10000);
}

void TestSecuredRegistration::cleanupTestCase() {
    QCOMPARE(gateway_.stop(), 0);
}

QString TestSecuredRegistration::coapClient(const QString& client, const QString& identity,
                                            const QString& key, const QString& query) {
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(client, {"-B", "8", "-u", identity, "-k", key, "-m", "post", "-t", "40", "-e",
                           "</1/0>,</3/0>", "-v", "6", uri(query)});
    if (!process.waitForStarted(5000) ||
        !QTest::qWaitFor([&] { return process.state() == QProcess::NotRunning; }, 20000)) {
        process.kill();
        process.waitForFinished(1000);
    }
    return QString::fromUtf8(process.readAll());
}

void TestSecuredRegistration::registersWithTheBoundEndpoint_data() {
    QTest::addColumn<QString>("client");
    QTest::newRow("OpenSSL") << QStringLiteral("coap-client-openssl");
    QTest::newRow("GnuTLS") << QStringLiteral("coap-client-gnutls");
}

void TestSecuredRegistration::registersWithTheBoundEndpoint() {
    QFETCH(QString, client);
    const QString output =
        coapClient(client, kIdentity, kKey, QStringLiteral("ep=psk-sensor&lt=60"));
    QVERIFY2(output.contains(QStringLiteral("c:2.01")), qPrintable(output));
    QTRY_VERIFY_WITH_TIMEOUT(server_.client(QStringLiteral("psk-sensor")).has_value(), 10000);
    QVERIFY(gateway_.log().contains(QStringLiteral("registered psk-sensor")));
}

void TestSecuredRegistration::refusesAnotherEndpointName() {
    const QString output = coapClient(QStringLiteral("coap-client-openssl"), kIdentity, kKey,
                                      QStringLiteral("ep=intruder"));
    QVERIFY2(output.contains(QStringLiteral("c:4.03")), qPrintable(output));
    QVERIFY(gateway_.waitForLog(QStringLiteral("bound to endpoint 'psk-sensor', not 'intruder'")));
    QTest::qWait(300);
    QVERIFY(!server_.client(QStringLiteral("intruder")).has_value());
    QVERIFY2(!gateway_.log().contains(kKey), "the key must never be logged");
}

void TestSecuredRegistration::refusesUnknownIdentity() {
    const QString output =
        coapClient(QStringLiteral("coap-client-openssl"), QStringLiteral("stranger"), kKey,
                   QStringLiteral("ep=stranger"));
    QVERIFY2(!output.contains(QStringLiteral("c:2.01")), qPrintable(output));
    QTest::qWait(300);
    QVERIFY(!server_.client(QStringLiteral("stranger")).has_value());
}

void TestSecuredRegistration::refusesWrongKey() {
    const QString output =
        coapClient(QStringLiteral("coap-client-gnutls"), kIdentity,
                   QStringLiteral("not-the-right-key"), QStringLiteral("ep=psk-sensor-2"));
    QVERIFY2(!output.contains(QStringLiteral("c:2.01")), qPrintable(output));
    QTest::qWait(300);
    QVERIFY(!server_.client(QStringLiteral("psk-sensor-2")).has_value());
    QVERIFY(gateway_.isRunning());
}

QTEST_GUILESS_MAIN(TestSecuredRegistration)
#include "test_secured_registration.moc"
