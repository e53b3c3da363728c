// The control interface of the real lwm2m-gatewayd on a private dbus-daemon, between the in-tree
// LwM2M test server and a test sensor: what the properties and methods answer, the signals,
// the named errors, and that nothing a caller sends harms the daemon. Then lwm2m-gatewayctl
// against the same daemon: tables, JSON, exit codes, monitor, --session.
#include "ctl_process.h"
#include "gateway_bus.h"
#include "gateway_process.h"
#include "private_bus.h"
#include "test_lwm2m_server.h"
#include "test_sensor.h"

#include <QDBusArgument>
#include <QDBusConnection>
#include <QDBusMessage>
#include <QDBusMetaType>
#include <QDBusUnixFileDescriptor>
#include <QDBusVariant>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>
#include <QXmlStreamReader>

#include <memory>

using lwm2mgw::peers::TestLwm2mServer;
using lwm2mgw::peers::TestSensor;
using lwm2mgw::testing::GatewayProcess;
using lwm2mgw::testing::kCredentialsInterface;
using lwm2mgw::testing::kGatewayInterface;
using lwm2mgw::testing::PrivateBus;
using lwm2mgw::testing::runCtl;

namespace {

const QString kGatewayName = QStringLiteral("gw-dbus-test");

// Receives the daemon's signals on the test's own connection.
class SignalLog : public QObject {
    Q_OBJECT
public:
    QStringList events;
public slots:
    void registered(const QString& endpoint) { events << QStringLiteral("registered ") + endpoint; }
    void gone(const QString& endpoint, const QString& reason) {
        events << QStringLiteral("gone %1 %2").arg(endpoint, reason);
    }
    void upstream(const QString& endpoint, const QVariantMap& server) {
        events << QStringLiteral("upstream %1 %2")
                      .arg(endpoint, server.value(QStringLiteral("state")).toString());
    }
};

// Member names of one interface in an introspection document.
QStringList membersOf(const QString& xml, const QString& interface) {
    QStringList members;
    QXmlStreamReader reader(xml);
    bool inside = false;
    while (!reader.atEnd()) {
        reader.readNext();
        if (reader.isStartElement() && reader.name() == QLatin1String("interface")) {
            inside = reader.attributes().value(QLatin1String("name")) == interface;
        } else if (reader.isEndElement() && reader.name() == QLatin1String("interface")) {
            inside = false;
        } else if (inside && reader.isStartElement() &&
                   (reader.name() == QLatin1String("method") ||
                    reader.name() == QLatin1String("signal") ||
                    reader.name() == QLatin1String("property"))) {
            QString member = reader.name().toString() + QLatin1Char(' ') +
                             reader.attributes().value(QLatin1String("name")).toString();
            if (reader.attributes().hasAttribute(QLatin1String("type"))) {
                member +=
                    QLatin1Char(' ') + reader.attributes().value(QLatin1String("type")).toString();
            }
            members << member;
        } else if (inside && reader.isStartElement() && reader.name() == QLatin1String("arg")) {
            members.last() += QStringLiteral(" %1:%2").arg(
                reader.attributes().value(QLatin1String("direction")).toString(),
                reader.attributes().value(QLatin1String("type")).toString());
        }
    }
    members.sort();
    return members;
}

}  // namespace

class TestDbusApi : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanup();
    void cleanupTestCase();

    void propertiesDescribeTheGateway();
    void exportedInterfacesMatchTheXml();
    void sensorShowsWithItsUpstreamState();
    void triggerUpdateReachesTheServer();
    void errorsAreNamedAndChangeNothing();
    void withoutStoreTheStoreMethodsSayWhy();
    void countersCountSessions();
    void deregisterEndsTheRegistrationUpstream();
    void ctlPrintsTablesAndJson();
    void ctlExitCodes();
    void ctlMonitorPrintsSignals();
    void ctlReachesTheSessionBus();
    void daemonRefusesChangesFromOutsideTheGroup();

private:
    QDBusMessage call(const QString& method, const QVariantList& arguments = {},
                      const QString& interface = kGatewayInterface);
    QStringList ctlBus() const { return {QStringLiteral("--address"), bus_.address()}; }
    TestSensor* newSensor(const QString& endpoint);

    PrivateBus bus_;
    std::unique_ptr<TestLwm2mServer> server_;
    std::unique_ptr<GatewayProcess> gateway_;
    std::unique_ptr<QDBusConnection> connection_;
    lwm2mgw::CoapEventLoop* sensorLoop_ = nullptr;
    quint16 gatewayPort_ = 0;
};

void TestDbusApi::initTestCase() {
    const QString error = bus_.start(PrivateBus::Kind::Open);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    server_ = std::make_unique<TestLwm2mServer>();
    QVERIFY(server_->listen(QStringLiteral("127.0.0.1"), 0));
    gatewayPort_ = lwm2mgw::testing::freeUdpPort();
    gateway_ = std::make_unique<GatewayProcess>();
    QVERIFY2(gateway_->start({{QStringLiteral("gateway/endpoint"), kGatewayName},
                              {QStringLiteral("downstream/listen"),
                               QStringLiteral("coap://127.0.0.1:%1").arg(gatewayPort_)},
                              {QStringLiteral("upstream/servers"),
                               QStringLiteral("coap://127.0.0.1:%1").arg(server_->port())},
                              {QStringLiteral("coap/ack_timeout_ms"), QStringLiteral("1000")}},
                             {QStringLiteral("--address"), bus_.address()}),
             qPrintable(gateway_->log()));
    QVERIFY2(gateway_->waitForLog(QStringLiteral("control interface org.lwm2mgateway.Gateway1")),
             qPrintable(gateway_->log()));
    qDBusRegisterMetaType<QList<QVariantMap>>();
    connection_ = std::make_unique<QDBusConnection>(
        QDBusConnection::connectToBus(bus_.address(), QStringLiteral("test")));
    QVERIFY2(connection_->isConnected(), qPrintable(connection_->lastError().message()));
    sensorLoop_ = TestSensor::createEventLoop(this);
    QTRY_VERIFY_WITH_TIMEOUT(server_->client(kGatewayName).has_value(), 10000);
}

void TestDbusApi::cleanup() {
    if (QTest::currentTestFailed() && gateway_) {
        qWarning().noquote() << "gateway log (last lines):\n" + gateway_->logTail(30);
    }
}

void TestDbusApi::cleanupTestCase() {
    if (gateway_) {
        QCOMPARE(gateway_->stop(), 0);
    }
    gateway_.reset();
    server_.reset();
}

QDBusMessage TestDbusApi::call(const QString& method, const QVariantList& arguments,
                               const QString& interface) {
    return lwm2mgw::testing::callGateway(*connection_, interface, method, arguments);
}

TestSensor* TestDbusApi::newSensor(const QString& endpoint) {
    auto* sensor = new TestSensor(sensorLoop_, this);
    if (!sensor->registerTo(QStringLiteral("coap://127.0.0.1:%1").arg(gatewayPort_), endpoint,
                            60) ||
        !QTest::qWaitFor([&] { return server_->client(endpoint).has_value(); }, 10000)) {
        return nullptr;
    }
    return sensor;
}

void TestDbusApi::propertiesDescribeTheGateway() {
    const QDBusMessage reply = call(QStringLiteral("GetAll"), {kGatewayInterface},
                                    QStringLiteral("org.freedesktop.DBus.Properties"));
    QCOMPARE(reply.type(), QDBusMessage::ReplyMessage);
    QVariantMap properties;
    reply.arguments().first().value<QDBusArgument>() >> properties;
    QVERIFY(!properties.value(QStringLiteral("Version")).toString().isEmpty());
    QCOMPARE(properties.value(QStringLiteral("GatewayEndpoint")).toString(), kGatewayName);
    QCOMPARE(properties.value(QStringLiteral("Listeners")).toStringList(),
             QStringList{QStringLiteral("coap://127.0.0.1:%1").arg(gatewayPort_)});
    QList<QVariantMap> plugins;
    properties.value(QStringLiteral("Plugins")).value<QDBusArgument>() >> plugins;
    bool nosecLoaded = false;
    for (const QVariantMap& plugin : plugins) {
        nosecLoaded |= plugin.value(QStringLiteral("mode")).toString() == QLatin1String("nosec") &&
                       plugin.value(QStringLiteral("loaded")).toBool();
    }
    QVERIFY(nosecLoaded);
    QMap<QString, uint> counts;
    properties.value(QStringLiteral("EndpointCounts")).value<QDBusArgument>() >> counts;
    QVERIFY(counts.contains(QStringLiteral("total")));
}

void TestDbusApi::exportedInterfacesMatchTheXml() {
    const QDBusMessage reply = call(QStringLiteral("Introspect"), {},
                                    QStringLiteral("org.freedesktop.DBus.Introspectable"));
    QCOMPARE(reply.type(), QDBusMessage::ReplyMessage);
    const QString live = reply.arguments().first().toString();
    for (const auto& [file, interface] :
         {std::pair{QStringLiteral(LWM2MGW_DBUS_XML_DIR "/org.lwm2mgateway.Gateway1.xml"),
                    kGatewayInterface},
          std::pair{
              QStringLiteral(LWM2MGW_DBUS_XML_DIR "/org.lwm2mgateway.Gateway1.Credentials.xml"),
              kCredentialsInterface}}) {
        QFile xml(file);
        QVERIFY(xml.open(QIODevice::ReadOnly));
        const QStringList contract = membersOf(QString::fromUtf8(xml.readAll()), interface);
        QVERIFY(contract.size() > 5);
        QCOMPARE(membersOf(live, interface), contract);
    }
}

void TestDbusApi::sensorShowsWithItsUpstreamState() {
    SignalLog log;
    QVERIFY(connection_->connect(lwm2mgw::testing::kGatewayService, lwm2mgw::testing::kGatewayPath,
                                 kGatewayInterface, QStringLiteral("EndpointRegistered"), &log,
                                 SLOT(registered(QString))));
    QVERIFY(connection_->connect(lwm2mgw::testing::kGatewayService, lwm2mgw::testing::kGatewayPath,
                                 kGatewayInterface, QStringLiteral("UpstreamStateChanged"), &log,
                                 SLOT(upstream(QString, QVariantMap))));
    QVERIFY(call(QStringLiteral("Ping"), {}, QStringLiteral("org.freedesktop.DBus.Peer")).type() ==
            QDBusMessage::ReplyMessage);
    QVERIFY(newSensor(QStringLiteral("api-sensor")));
    QTRY_VERIFY_WITH_TIMEOUT(log.events.contains(QStringLiteral("upstream api-sensor registered")),
                             5000);
    QVERIFY2(log.events.contains(QStringLiteral("registered api-sensor")),
             qPrintable(log.events.join(QLatin1Char('|'))));

    const QDBusMessage list = call(QStringLiteral("ListEndpoints"));
    QCOMPARE(list.type(), QDBusMessage::ReplyMessage);
    QList<QVariantMap> endpoints;
    list.arguments().first().value<QDBusArgument>() >> endpoints;
    QCOMPARE(endpoints.size(), 1);
    QCOMPARE(endpoints.first().value(QStringLiteral("endpoint")).toString(),
             QStringLiteral("api-sensor"));
    QCOMPARE(endpoints.first().value(QStringLiteral("state")).toString(),
             QStringLiteral("registered"));
    QCOMPARE(endpoints.first().value(QStringLiteral("lifetime")).toInt(), 60);

    const QDBusMessage details =
        call(QStringLiteral("GetEndpoint"), {QStringLiteral("api-sensor")});
    QCOMPARE(details.type(), QDBusMessage::ReplyMessage);
    QVariantMap endpoint;
    details.arguments().first().value<QDBusArgument>() >> endpoint;
    QVERIFY(endpoint.value(QStringLiteral("object_links"))
                .toString()
                .contains(QLatin1String("</3/0>")));
    QList<QVariantMap> servers;
    endpoint.value(QStringLiteral("servers")).value<QDBusArgument>() >> servers;
    QCOMPARE(servers.size(), 1);
    QCOMPARE(servers.first().value(QStringLiteral("server_uri")).toString(),
             QStringLiteral("coap://127.0.0.1:%1").arg(server_->port()));
    QCOMPARE(servers.first().value(QStringLiteral("state")).toString(),
             QStringLiteral("registered"));
    QVERIFY(!servers.first().value(QStringLiteral("location")).toString().isEmpty());
}

void TestDbusApi::triggerUpdateReachesTheServer() {
    const int before = server_->client(QStringLiteral("api-sensor"))->updates;
    QCOMPARE(call(QStringLiteral("TriggerUpdate"), {QStringLiteral("api-sensor")}).type(),
             QDBusMessage::ReplyMessage);
    QTRY_COMPARE_WITH_TIMEOUT(server_->client(QStringLiteral("api-sensor"))->updates, before + 1,
                              5000);
    // The gateway's own registration can be updated too.
    const int ownBefore = server_->client(kGatewayName)->updates;
    QCOMPARE(call(QStringLiteral("TriggerUpdate"), {kGatewayName}).type(),
             QDBusMessage::ReplyMessage);
    QTRY_COMPARE_WITH_TIMEOUT(server_->client(kGatewayName)->updates, ownBefore + 1, 5000);
}

void TestDbusApi::errorsAreNamedAndChangeNothing() {
    struct Case {
        QString method;
        QVariantList arguments;
        QString error;
    };
    const QList<Case> cases{
        {QStringLiteral("GetEndpoint"),
         {QStringLiteral("nobody-here")},
         QStringLiteral("org.lwm2mgateway.Error.NotFound")},
        {QStringLiteral("Deregister"),
         {QStringLiteral("nobody-here")},
         QStringLiteral("org.lwm2mgateway.Error.NotFound")},
        {QStringLiteral("TriggerUpdate"),
         {QStringLiteral("nobody-here")},
         QStringLiteral("org.lwm2mgateway.Error.NotFound")},
        {QStringLiteral("GetEndpoint"),
         {QString()},
         QStringLiteral("org.lwm2mgateway.Error.InvalidArgument")},
        {QStringLiteral("Deregister"),
         {QString(5000, QLatin1Char('x'))},
         QStringLiteral("org.lwm2mgateway.Error.InvalidArgument")},
        {QStringLiteral("Deregister"),
         {kGatewayName},
         QStringLiteral("org.lwm2mgateway.Error.InvalidArgument")},
        // Wrong signatures and unknown members never reach the service.
        {QStringLiteral("Deregister"),
         {42},
         QStringLiteral("org.freedesktop.DBus.Error.UnknownMethod")},
        {QStringLiteral("GetEndpoint"),
         {QStringLiteral("a"), QStringLiteral("b")},
         QStringLiteral("org.freedesktop.DBus.Error.UnknownMethod")},
        {QStringLiteral("FormatDisk"),
         {},
         QStringLiteral("org.freedesktop.DBus.Error.UnknownMethod")},
    };
    for (const Case& each : cases) {
        const QDBusMessage reply = call(each.method, each.arguments);
        QCOMPARE(reply.type(), QDBusMessage::ErrorMessage);
        QCOMPARE(reply.errorName(), each.error);
        QVERIFY2(!reply.errorMessage().isEmpty(), qPrintable(each.method));
    }
    // A property cannot be written.
    const QDBusMessage set = call(QStringLiteral("Set"),
                                  {kGatewayInterface, QStringLiteral("Version"),
                                   QVariant::fromValue(QDBusVariant(QStringLiteral("9")))},
                                  QStringLiteral("org.freedesktop.DBus.Properties"));
    QCOMPARE(set.type(), QDBusMessage::ErrorMessage);
    // Nothing changed, and the daemon is still there.
    QVERIFY(gateway_->isRunning());
    QList<QVariantMap> endpoints;
    call(QStringLiteral("ListEndpoints")).arguments().first().value<QDBusArgument>() >> endpoints;
    QCOMPARE(endpoints.size(), 1);
    QCOMPARE(server_->client(QStringLiteral("api-sensor"))->registrations, 1);
}

void TestDbusApi::withoutStoreTheStoreMethodsSayWhy() {
    // This daemon runs without gateway/store (test_dbus_credentials has one).
    const QString failed = QStringLiteral("org.lwm2mgateway.Error.Failed");
    const QDBusMessage own = call(QStringLiteral("StartBootstrap"), {QString()});
    QCOMPARE(own.errorName(), failed);
    QVERIFY2(own.errorMessage().contains(QLatin1String("credential store")),
             qPrintable(own.errorMessage()));
    QCOMPARE(call(QStringLiteral("StartBootstrap"), {QStringLiteral("nobody-here")}).errorName(),
             QStringLiteral("org.lwm2mgateway.Error.NotFound"));
    QCOMPARE(call(QStringLiteral("ListCredentials"), {}, kCredentialsInterface).errorName(),
             failed);
    QCOMPARE(call(QStringLiteral("ListAccounts"), {}, kCredentialsInterface).errorName(), failed);
    const QVariantMap credential{{QStringLiteral("endpoint"), QStringLiteral("api-sensor")},
                                 {QStringLiteral("mode"), QStringLiteral("psk")},
                                 {QStringLiteral("identity"), QStringLiteral("id")},
                                 {QStringLiteral("key"), QByteArray("\x01\x02", 2)}};
    QCOMPARE(call(QStringLiteral("AddCredential"), {credential}, kCredentialsInterface).errorName(),
             failed);
    // Argument errors come first: they do not depend on the store.
    QCOMPARE(call(QStringLiteral("AddAccount"), {QVariantMap{}}, kCredentialsInterface).errorName(),
             QStringLiteral("org.lwm2mgateway.Error.InvalidArgument"));
    QCOMPARE(call(QStringLiteral("RemoveAccount"), {QStringLiteral("api-sensor"), 0},
                  kCredentialsInterface)
                 .errorName(),
             QStringLiteral("org.lwm2mgateway.Error.InvalidArgument"));
    QFile file(QStringLiteral(LWM2MGW_DBUS_XML_DIR "/org.lwm2mgateway.Gateway1.xml"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QDBusMessage imported =
        call(QStringLiteral("ImportProvisioningFile"),
             {QVariant::fromValue(QDBusUnixFileDescriptor(file.handle()))}, kCredentialsInterface);
    QCOMPARE(imported.errorName(), failed);
    QVERIFY(imported.errorMessage().contains(QLatin1String("gateway/store")));
}

void TestDbusApi::countersCountSessions() {
    const QDBusMessage reply = call(QStringLiteral("GetCounters"));
    QCOMPARE(reply.type(), QDBusMessage::ReplyMessage);
    QVariantMap counters;
    reply.arguments().first().value<QDBusArgument>() >> counters;
    // api-sensor's NoSec session sent requests: admitted once at least.
    QVERIFY(counters.value(QStringLiteral("handshakes")).toULongLong() >= 1);
    QMap<QString, qulonglong> refusals;
    counters.value(QStringLiteral("refusals")).value<QDBusArgument>() >> refusals;
    QCOMPARE(refusals.keys(), (QStringList{QStringLiteral("endpoint_mismatch"),
                                           QStringLiteral("handshake"), QStringLiteral("policy")}));
    QCOMPARE(refusals.value(QStringLiteral("policy")), 0u);
}

void TestDbusApi::deregisterEndsTheRegistrationUpstream() {
    SignalLog log;
    QVERIFY(connection_->connect(lwm2mgw::testing::kGatewayService, lwm2mgw::testing::kGatewayPath,
                                 kGatewayInterface, QStringLiteral("EndpointGone"), &log,
                                 SLOT(gone(QString, QString))));
    QVERIFY(call(QStringLiteral("Ping"), {}, QStringLiteral("org.freedesktop.DBus.Peer")).type() ==
            QDBusMessage::ReplyMessage);
    QSignalSpy deregistered(server_.get(), &TestLwm2mServer::deregistered);
    QCOMPARE(call(QStringLiteral("Deregister"), {QStringLiteral("api-sensor")}).type(),
             QDBusMessage::ReplyMessage);
    QTRY_VERIFY_WITH_TIMEOUT(log.events.contains(QStringLiteral("gone api-sensor operator")), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(!server_->client(QStringLiteral("api-sensor")).has_value(), 5000);
    QCOMPARE(call(QStringLiteral("GetEndpoint"), {QStringLiteral("api-sensor")}).errorName(),
             QStringLiteral("org.lwm2mgateway.Error.NotFound"));
}

void TestDbusApi::ctlPrintsTablesAndJson() {
    QVERIFY(newSensor(QStringLiteral("ctl-sensor")));
    const auto list =
        runCtl(ctlBus() + QStringList{QStringLiteral("--json"), QStringLiteral("endpoints")});
    QCOMPARE(list.exitCode, 0);
    const QJsonArray endpoints = QJsonDocument::fromJson(list.out.toUtf8()).array();
    QCOMPARE(endpoints.size(), 1);
    QCOMPARE(endpoints.first()[QStringLiteral("endpoint")].toString(),
             QStringLiteral("ctl-sensor"));
    QCOMPARE(endpoints.first()[QStringLiteral("servers")][0][QStringLiteral("state")].toString(),
             QStringLiteral("registered"));

    const auto table = runCtl(ctlBus() + QStringList{QStringLiteral("endpoints")});
    QCOMPARE(table.exitCode, 0);
    QVERIFY2(table.out.startsWith(QLatin1String("ENDPOINT")), qPrintable(table.out));
    QVERIFY2(table.out.contains(QRegularExpression(QStringLiteral("\nctl-sensor +registered "))),
             qPrintable(table.out));

    const auto status = runCtl(ctlBus() + QStringList{QStringLiteral("status")});
    QCOMPARE(status.exitCode, 0);
    QVERIFY2(
        status.out.contains(kGatewayName) && status.out.contains(QLatin1String("1 (1 registered)")),
        qPrintable(status.out));

    const auto one =
        runCtl(ctlBus() + QStringList{QStringLiteral("--json"), QStringLiteral("endpoint"),
                                      QStringLiteral("ctl-sensor")});
    QCOMPARE(one.exitCode, 0);
    QVERIFY(QJsonDocument::fromJson(one.out.toUtf8())
                .object()[QStringLiteral("object_links")]
                .toString()
                .contains(QLatin1String("</3/0>")));

    const auto servers = runCtl(ctlBus() + QStringList{QStringLiteral("servers")});
    QCOMPARE(servers.exitCode, 0);
    QVERIFY2(servers.out.contains(QStringLiteral("coap://127.0.0.1:%1").arg(server_->port())),
             qPrintable(servers.out));

    const auto plugins =
        runCtl(ctlBus() + QStringList{QStringLiteral("--json"), QStringLiteral("plugins")});
    QCOMPARE(plugins.exitCode, 0);
    QVERIFY2(plugins.out.contains(QLatin1String("\"nosec\"")), qPrintable(plugins.out));

    const int before = server_->client(QStringLiteral("ctl-sensor"))->updates;
    QCOMPARE(runCtl(ctlBus() + QStringList{QStringLiteral("update"), QStringLiteral("ctl-sensor")})
                 .exitCode,
             0);
    QTRY_COMPARE_WITH_TIMEOUT(server_->client(QStringLiteral("ctl-sensor"))->updates, before + 1,
                              5000);
    QCOMPARE(
        runCtl(ctlBus() + QStringList{QStringLiteral("deregister"), QStringLiteral("ctl-sensor")})
            .exitCode,
        0);
    QTRY_VERIFY_WITH_TIMEOUT(!server_->client(QStringLiteral("ctl-sensor")).has_value(), 5000);
}

void TestDbusApi::ctlExitCodes() {
    const auto notFound =
        runCtl(ctlBus() + QStringList{QStringLiteral("endpoint"), QStringLiteral("missing")});
    QCOMPARE(notFound.exitCode, 4);
    QVERIFY2(notFound.err.contains(QLatin1String("missing")), qPrintable(notFound.err));
    QCOMPARE(runCtl(ctlBus() + QStringList{QStringLiteral("bootstrap")}).exitCode, 1);
    QCOMPARE(runCtl(ctlBus() + QStringList{QStringLiteral("reload")}).exitCode, 0);
    QCOMPARE(runCtl(ctlBus() + QStringList{QStringLiteral("credentials"), QStringLiteral("list")})
                 .exitCode,
             1);
    const auto json =
        runCtl(ctlBus() +
               QStringList{QStringLiteral("--json"), QStringLiteral("import"),
                           QStringLiteral(LWM2MGW_DBUS_XML_DIR "/org.lwm2mgateway.Gateway1.xml")});
    QCOMPARE(json.exitCode, 1);
    QCOMPARE(
        QJsonDocument::fromJson(json.out.toUtf8()).object()[QStringLiteral("error")].toString(),
        QStringLiteral("org.lwm2mgateway.Error.Failed"));
    QCOMPARE(runCtl(ctlBus() + QStringList{QStringLiteral("frobnicate")}).exitCode, 2);
    QCOMPARE(runCtl(ctlBus() + QStringList{QStringLiteral("endpoint")}).exitCode, 2);
    QCOMPARE(runCtl(ctlBus() +
                    QStringList{QStringLiteral("import"), QStringLiteral("/nonexistent/file")})
                 .exitCode,
             2);
    QCOMPARE(runCtl(ctlBus() + QStringList{QStringLiteral("deregister"), QString()}).exitCode, 2);
    // A bus without the daemon, and no bus at all.
    PrivateBus empty;
    QVERIFY(empty.start(PrivateBus::Kind::Open).isEmpty());
    const auto absent =
        runCtl({QStringLiteral("--address"), empty.address(), QStringLiteral("status")});
    QCOMPARE(absent.exitCode, 3);
    QVERIFY2(absent.err.contains(QLatin1String("running")), qPrintable(absent.err));
    QCOMPARE(runCtl({QStringLiteral("--address"), QStringLiteral("unix:path=/nonexistent/bus"),
                     QStringLiteral("status")})
                 .exitCode,
             3);
}

void TestDbusApi::ctlMonitorPrintsSignals() {
    QProcess monitor;
    monitor.start(QStringLiteral(LWM2MGW_TEST_GATEWAYCTL),
                  ctlBus() + QStringList{QStringLiteral("--json"), QStringLiteral("monitor")});
    QVERIFY(monitor.waitForStarted(5000));
    QString err;
    QVERIFY(QTest::qWaitFor(
        [&] {
            err += QString::fromUtf8(monitor.readAllStandardError());
            return err.contains(QLatin1String("monitoring"));
        },
        10000));
    TestSensor* sensor = newSensor(QStringLiteral("monitored"));
    QVERIFY(sensor);
    QVERIFY(sensor->deregister());
    QString out;
    QVERIFY(QTest::qWaitFor(
        [&] {
            out += QString::fromUtf8(monitor.readAllStandardOutput());
            return out.contains(QLatin1String("endpoint-gone"));
        },
        10000));
    monitor.terminate();
    QVERIFY(QTest::qWaitFor([&] { return monitor.state() == QProcess::NotRunning; }, 5000));
    QCOMPARE(monitor.exitCode(), 0);
    out += QString::fromUtf8(monitor.readAllStandardOutput());
    QStringList events;
    for (const QString& line : out.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        const QJsonObject event = QJsonDocument::fromJson(line.toUtf8()).object();
        QVERIFY2(!event.isEmpty(), qPrintable(line));
        events << event[QStringLiteral("event")].toString() + QLatin1Char(' ') +
                      event[QStringLiteral("endpoint")].toString() +
                      (event.contains(QStringLiteral("server"))
                           ? QLatin1Char(' ') +
                                 event[QStringLiteral("server")][QStringLiteral("state")].toString()
                           : QString());
    }
    QVERIFY2(events.contains(QStringLiteral("endpoint-registered monitored")),
             qPrintable(events.join(QLatin1Char('|'))));
    QVERIFY2(events.contains(QStringLiteral("upstream-state monitored registered")),
             qPrintable(events.join(QLatin1Char('|'))));
    QVERIFY2(events.contains(QStringLiteral("endpoint-gone monitored")),
             qPrintable(events.join(QLatin1Char('|'))));
}

void TestDbusApi::ctlReachesTheSessionBus() {
    const auto status =
        runCtl({QStringLiteral("--session"), QStringLiteral("--json"), QStringLiteral("status")},
               false, {QStringLiteral("DBUS_SESSION_BUS_ADDRESS=") + bus_.address()});
    QCOMPARE(status.exitCode, 0);
    QCOMPARE(QJsonDocument::fromJson(status.out.toUtf8())
                 .object()[QStringLiteral("properties")][QStringLiteral("GatewayEndpoint")]
                 .toString(),
             kGatewayName);
}

void TestDbusApi::daemonRefusesChangesFromOutsideTheGroup() {
    if (!lwm2mgw::testing::canRunAsNobody()) {
        QSKIP("needs root and setpriv to run a caller as nobody");
    }
    // This bus lets anybody call anything: the daemon's own check is what refuses.
    QVERIFY(newSensor(QStringLiteral("guarded")));
    const auto read = runCtl(ctlBus() + QStringList{QStringLiteral("endpoints")}, true);
    QCOMPARE(read.exitCode, 0);
    const auto change =
        runCtl(ctlBus() + QStringList{QStringLiteral("--json"), QStringLiteral("deregister"),
                                      QStringLiteral("guarded")},
               true);
    QCOMPARE(change.exitCode, 5);
    QCOMPARE(
        QJsonDocument::fromJson(change.out.toUtf8()).object()[QStringLiteral("error")].toString(),
        QStringLiteral("org.lwm2mgateway.Error.AccessDenied"));
    QVERIFY(server_->client(QStringLiteral("guarded")).has_value());
}

QTEST_GUILESS_MAIN(TestDbusApi)
#include "test_dbus_api.moc"
