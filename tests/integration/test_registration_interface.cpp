// The gateway's registration interface (/rd) as an independent LwM2M client sees it: Debian's
// coap-client-notls (libcoap3-bin) sends raw CoAP, well-formed and not, and a raw UDP socket
// sends datagrams that are not CoAP at all.
#include "gateway_process.h"
#include "test_lwm2m_server.h"

#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTest>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using lwm2mgw::peers::TestLwm2mServer;
using lwm2mgw::testing::GatewayProcess;

namespace {

struct CoapClientResult {
    int exitCode = -1;
    QString output;  // what coap-client printed: the response code line and payload
};

}  // namespace

class TestRegistrationInterface : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void registerUpdateDeregister();
    void refusesBadRegistrations_data();
    void refusesBadRegistrations();
    void unknownRegistrationAndWrongMethods();
    void survivesGarbageDatagrams();

private:
    CoapClientResult coapClient(const QStringList& arguments);
    QString uri(const QString& pathAndQuery) const {
        return QStringLiteral("coap://127.0.0.1:%1/%2").arg(port_).arg(pathAndQuery);
    }

    TestLwm2mServer server_;
    GatewayProcess gateway_;
    quint16 port_ = 0;
    QString coapClientPath_;
};

void TestRegistrationInterface::initTestCase() {
    coapClientPath_ = QStandardPaths::findExecutable(QStringLiteral("coap-client-notls"));
    QVERIFY2(!coapClientPath_.isEmpty(),
             "coap-client-notls (Debian package libcoap3-bin) is required");
    QVERIFY(server_.listen());
    port_ = lwm2mgw::testing::freeUdpPort();
    QVERIFY2(gateway_.start({{QStringLiteral("downstream/listen"),
                              QStringLiteral("coap://127.0.0.1:%1").arg(port_)},
                             {QStringLiteral("upstream/servers"),
                              QStringLiteral("coap://127.0.0.1:%1").arg(server_.port())}}),
             qPrintable(gateway_.log()));
}

void TestRegistrationInterface::cleanupTestCase() {
    QCOMPARE(gateway_.stop(), 0);
}

CoapClientResult TestRegistrationInterface::coapClient(const QStringList& arguments) {
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(coapClientPath_,
                  QStringList{QStringLiteral("-B"), QStringLiteral("5")} + arguments);
    CoapClientResult result;
    // Keep the event loop running: the in-process upstream server must answer the gateway.
    if (!process.waitForStarted(5000) ||
        !QTest::qWaitFor([&] { return process.state() == QProcess::NotRunning; }, 15000)) {
        process.kill();
        process.waitForFinished(1000);
        return result;
    }
    result.exitCode = process.exitCode();
    result.output = QString::fromUtf8(process.readAll()).trimmed();
    return result;
}

void TestRegistrationInterface::registerUpdateDeregister() {
    // -v 6 prints the response PDU, which carries the Location-Path.
    const CoapClientResult registered =
        coapClient({"-m", "post", "-t", "40", "-e", R"(</>;rt="oma.lwm2m";ct=110,</1/0>,</3/0>)",
                    "-v", "6", uri(QStringLiteral("rd?ep=raw-sensor&lt=120&lwm2m=1.1&b=U"))});
    QVERIFY2(registered.output.contains(QStringLiteral("c:2.01")), qPrintable(registered.output));
    const QRegularExpression location(
        QStringLiteral("Location-Path:rd, Location-Path:([0-9a-z]+)"));
    const auto match = location.match(registered.output);
    QVERIFY2(match.hasMatch(), qPrintable(registered.output));
    const QString id = match.captured(1);
    QTRY_VERIFY_WITH_TIMEOUT(server_.client(QStringLiteral("raw-sensor")).has_value(), 10000);
    QCOMPARE(server_.client(QStringLiteral("raw-sensor"))->lifetime, 120);

    const CoapClientResult updated =
        coapClient({"-m", "post", "-v", "6", uri(QStringLiteral("rd/%1?lt=300").arg(id))});
    QVERIFY2(updated.output.contains(QStringLiteral("c:2.04")), qPrintable(updated.output));
    QTRY_COMPARE_WITH_TIMEOUT(server_.client(QStringLiteral("raw-sensor"))->lifetime, 300, 10000);

    const CoapClientResult badUpdate =
        coapClient({"-m", "post", uri(QStringLiteral("rd/%1?lt=-5").arg(id))});
    QVERIFY2(badUpdate.output.startsWith(QStringLiteral("4.00")), qPrintable(badUpdate.output));
    QCOMPARE(server_.client(QStringLiteral("raw-sensor"))->lifetime, 300);  // Unchanged.

    const CoapClientResult removed =
        coapClient({"-m", "delete", "-v", "6", uri(QStringLiteral("rd/%1").arg(id))});
    QVERIFY2(removed.output.contains(QStringLiteral("c:2.02")), qPrintable(removed.output));
    QTRY_VERIFY_WITH_TIMEOUT(!server_.client(QStringLiteral("raw-sensor")).has_value(), 10000);
}

void TestRegistrationInterface::refusesBadRegistrations_data() {
    QTest::addColumn<QString>("pathAndQuery");
    QTest::addColumn<QString>("payload");
    QTest::addColumn<QString>("expected");
    QTest::newRow("missing ep") << "rd?lt=60"
                                << "</3/0>"
                                << "4.00";
    QTest::newRow("empty ep") << "rd?ep=&lt=60"
                              << "</3/0>"
                              << "4.00";
    QTest::newRow("lifetime not a number") << "rd?ep=bad-lt&lt=soon"
                                           << "</3/0>"
                                           << "4.00";
    QTest::newRow("zero lifetime") << "rd?ep=zero-lt&lt=0"
                                   << "</3/0>"
                                   << "4.00";
    QTest::newRow("LwM2M 1.2") << "rd?ep=future&lwm2m=1.2"
                               << "</3/0>"
                               << "4.12";
    QTest::newRow("LwM2M 2.0") << "rd?ep=future2&lwm2m=2.0"
                               << "</3/0>"
                               << "4.12";
    QTest::newRow("malformed version") << "rd?ep=odd&lwm2m=one"
                                       << "</3/0>"
                                       << "4.00";
    QTest::newRow("bad binding") << "rd?ep=bind&b=X"
                                 << "</3/0>"
                                 << "4.00";
    QTest::newRow("unterminated link") << "rd?ep=links1"
                                       << "</3/0"
                                       << "4.00";
    QTest::newRow("object id too large") << "rd?ep=links2"
                                         << "</70000/0>"
                                         << "4.00";
    QTest::newRow("not a path") << "rd?ep=links3"
                                << "<abc>"
                                << "4.00";
    QTest::newRow("unterminated quote") << "rd?ep=links4"
                                        << R"(</>;rt="oma.lwm2m)"
                                        << "4.00";
}

void TestRegistrationInterface::refusesBadRegistrations() {
    QFETCH(QString, pathAndQuery);
    QFETCH(QString, payload);
    QFETCH(QString, expected);
    const QStringList before = server_.endpoints();
    const CoapClientResult result = coapClient({"-m", "post", "-e", payload, uri(pathAndQuery)});
    QVERIFY2(result.output.startsWith(expected), qPrintable(result.output));
    QTest::qWait(200);
    QCOMPARE(server_.endpoints(), before);  // Nothing reached the upstream server.
    QVERIFY(gateway_.isRunning());
}

void TestRegistrationInterface::unknownRegistrationAndWrongMethods() {
    QVERIFY(coapClient({"-m", "post", uri(QStringLiteral("rd/doesnotexist?lt=60"))})
                .output.startsWith("4.04"));
    QVERIFY(coapClient({"-m", "delete", uri(QStringLiteral("rd/doesnotexist"))})
                .output.startsWith("4.04"));
    QVERIFY(coapClient({"-m", "get", uri(QStringLiteral("rd"))}).output.startsWith("4.05"));
    QVERIFY(
        coapClient({"-m", "put", "-e", "x", uri(QStringLiteral("rd"))}).output.startsWith("4.05"));
    QVERIFY(coapClient({"-m", "get", uri(QStringLiteral("rd/abc"))}).output.startsWith("4.05"));
    QVERIFY(coapClient({"-m", "get", uri(QStringLiteral("elsewhere"))}).output.startsWith("4.04"));
    // Send from a peer that never registered.
    QVERIFY(coapClient({"-m", "post", "-t", "110", "-e", "[]", uri(QStringLiteral("dp"))})
                .output.startsWith("4.03"));
}

void TestRegistrationInterface::survivesGarbageDatagrams() {
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    QVERIFY(fd >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port_);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const QList<QByteArray> garbage{
        QByteArray(),                                   // empty datagram
        QByteArray("\x00", 1),                          // version 0
        QByteArray("\x40\x02\x00", 3),                  // truncated header
        QByteArray("\x4f\x02\x12\x34", 4),              // token length 15 (reserved)
        QByteArray("\x40\x02\x12\x34\xbd\xff\xff", 7),  // option length running past the end
        QByteArray("\x40\x02\x12\x35\xb2rd\xff", 8),    // payload marker without payload
        QByteArray(2000, '\xff'),
    };
    for (const QByteArray& datagram : garbage) {
        ::sendto(fd, datagram.constData(), static_cast<size_t>(datagram.size()), 0,
                 reinterpret_cast<const sockaddr*>(&address), sizeof address);
    }
    ::close(fd);
    QTest::qWait(200);
    QVERIFY(gateway_.isRunning());
    const CoapClientResult result = coapClient({"-m", "post", "-e", "</3/0>", "-v", "6",
                                                uri(QStringLiteral("rd?ep=after-garbage&lt=60"))});
    QVERIFY2(result.output.contains(QStringLiteral("c:2.01")), qPrintable(result.output));
    QTRY_VERIFY_WITH_TIMEOUT(server_.client(QStringLiteral("after-garbage")).has_value(), 10000);
}

QTEST_GUILESS_MAIN(TestRegistrationInterface)
#include "test_registration_interface.moc"
