// End to end through the real lwm2m-gatewayd: sensors (LwM2M clients) register to the gateway,
// the gateway registers each at the upstream LwM2M server, and every device-management
// operation the server sends travels to the sensor and back.
#include "gateway_process.h"
#include "test_lwm2m_server.h"
#include "test_sensor.h"

#include <QDeadlineTimer>
#include <QSignalSpy>
#include <QTest>

#include <memory>
#include <optional>

using lwm2mgw::peers::Response;
using lwm2mgw::peers::TestLwm2mServer;
using lwm2mgw::peers::TestSensor;
using lwm2mgw::testing::GatewayProcess;

namespace {

constexpr int kTextPlain = 0;
constexpr int kLinkFormat = 40;
constexpr int kSenmlJson = 110;
constexpr int kTlv = 11542;
constexpr int kProxyTimeoutMs = 1500;

// Runs one request and waits for its answer.
template <typename Start>
std::optional<Response> await(Start start, int timeoutMs = 10000) {
    auto result = std::make_shared<std::optional<Response>>();
    if (start([result](const Response& response) { *result = response; }) == 0) {
        return std::nullopt;
    }
    if (!QTest::qWaitFor([&] { return result->has_value(); }, timeoutMs)) {
        return std::nullopt;
    }
    return *result;
}

}  // namespace

class TestGatewayRelay : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanup();
    void cleanupTestCase();

    void idleGatewayUsesNoCpu();
    void registersEachSensorUpstreamFromItsOwnPort();
    void gatewayRegistersItselfWithItsDeviceObject();
    void gatewayServesItsServerObjectInstance();
    void readsAndDiscovers();
    void writesAndExecutes();
    void createsAndDeletesObjectInstances();
    void writeAttributesShowInDiscover();
    void compositeOperations();
    void observeRelaysNotificationsAndCancels();
    void observeKeepsNonConfirmableNotificationsNon();
    void observeEndsWhenServerResetsANotification();
    void blockwiseBothWays();
    void sensorSendGoesUpstream();
    void silentSensorGives504();
    void deregistrationEndsUpstreamRegistration();
    void lifetimeExpiryEndsUpstreamRegistration();
    void secondRegisterWithSameEndpointReplacesTheFirst();
    void sensorUpdateReachesServer();
    void upstreamServerRestartLeadsToNewRegistration();
    void gatewayDeregistersEverythingOnStop();

private:
    TestSensor* newSensor(const QString& endpoint, qint64 lifetime = 60,
                          const QString& version = QStringLiteral("1.1"));
    QString gatewayUri() const { return QStringLiteral("coap://127.0.0.1:%1").arg(gatewayPort_); }

    std::unique_ptr<TestLwm2mServer> server_;
    std::unique_ptr<GatewayProcess> gateway_;
    lwm2mgw::CoapEventLoop* sensorLoop_ = nullptr;
    quint16 gatewayPort_ = 0;
    quint16 serverPort_ = 0;
};

void TestGatewayRelay::initTestCase() {
    server_ = std::make_unique<TestLwm2mServer>();
    QVERIFY(server_->listen(QStringLiteral("127.0.0.1"), 0));
    serverPort_ = server_->port();
    gatewayPort_ = lwm2mgw::testing::freeUdpPort();
    gateway_ = std::make_unique<GatewayProcess>();
    QVERIFY2(gateway_->start(
                 {{QStringLiteral("gateway/endpoint"), QStringLiteral("gw-under-test")},
                  {QStringLiteral("downstream/listen"), gatewayUri()},
                  {QStringLiteral("upstream/servers"),
                   QStringLiteral("coap://127.0.0.1:%1").arg(serverPort_)},
                  {QStringLiteral("upstream/communication_retry_timer"), QStringLiteral("1")},
                  {QStringLiteral("coap/ack_timeout_ms"), QStringLiteral("1000")},
                  {QStringLiteral("coap/max_retransmit"), QStringLiteral("2")},
                  {QStringLiteral("proxy/response_timeout_ms"), QString::number(kProxyTimeoutMs)}}),
             qPrintable(gateway_->log()));
    sensorLoop_ = TestSensor::createEventLoop(this);
    QTRY_VERIFY_WITH_TIMEOUT(server_->client(QStringLiteral("gw-under-test")).has_value(), 10000);
}

void TestGatewayRelay::cleanup() {
    if (QTest::currentTestFailed() && gateway_) {
        qWarning().noquote() << "gateway log (last lines):\n" + gateway_->logTail(40);
    }
}

void TestGatewayRelay::cleanupTestCase() {
    gateway_.reset();
    server_.reset();
}

TestSensor* TestGatewayRelay::newSensor(const QString& endpoint, qint64 lifetime,
                                        const QString& version) {
    auto* sensor = new TestSensor(sensorLoop_, this);
    QSignalSpy registered(server_.get(), &TestLwm2mServer::registered);
    if (!sensor->registerTo(gatewayUri(), endpoint, lifetime, version)) {
        return nullptr;
    }
    if (!QTest::qWaitFor([&] { return server_->client(endpoint).has_value(); }, 10000)) {
        return nullptr;
    }
    return sensor;
}

void TestGatewayRelay::idleGatewayUsesNoCpu() {
    // Registered sensors, nothing to do: the daemon must sleep in the event loop, not poll.
    TestSensor* sensor = newSensor(QStringLiteral("idle-sensor"), 600);
    QVERIFY(sensor);
    QTest::qWait(300);
    const qint64 before = gateway_->cpuTicks();
    QVERIFY(before >= 0);
    QTest::qWait(3000);
    const qint64 used = gateway_->cpuTicks() - before;
    QVERIFY2(used <= 2, qPrintable(QStringLiteral("%1 ticks of CPU in 3 s idle").arg(used)));
    sensor->deregister();
}

void TestGatewayRelay::registersEachSensorUpstreamFromItsOwnPort() {
    QList<TestSensor*> sensors;
    for (int i = 0; i < 5; ++i) {
        TestSensor* sensor = newSensor(QStringLiteral("port-%1").arg(i), 60, i % 2 ? "1.0" : "1.1");
        QVERIFY(sensor);
        sensors << sensor;
    }
    QSet<QString> peers;
    for (int i = 0; i < 5; ++i) {
        const auto record = server_->client(QStringLiteral("port-%1").arg(i));
        QVERIFY(record);
        QCOMPARE(record->lifetime, 60);
        QCOMPARE(record->lwm2mVersion, i % 2 ? QStringLiteral("1.0") : QStringLiteral("1.1"));
        QVERIFY2(record->links.contains("</3/0>"), record->links.constData());
        peers.insert(record->peerAddress);
    }
    const auto gatewayRecord = server_->client(QStringLiteral("gw-under-test"));
    QVERIFY(gatewayRecord);
    peers.insert(gatewayRecord->peerAddress);
    QCOMPARE(peers.size(), 6);  // Every endpoint is its own peer at the server.
    for (TestSensor* sensor : sensors) {
        sensor->deregister();
    }
    QTRY_VERIFY_WITH_TIMEOUT(!server_->client(QStringLiteral("port-4")).has_value(), 10000);
}

void TestGatewayRelay::gatewayRegistersItselfWithItsDeviceObject() {
    const QString gw = QStringLiteral("gw-under-test");
    const auto record = server_->client(gw);
    QVERIFY(record);
    QVERIFY2(record->links.contains("</3/0>"), record->links.constData());
    auto manufacturer = await([&](auto done) { return server_->read(gw, "/3/0/0", done); });
    QVERIFY(manufacturer);
    QCOMPARE(manufacturer->code, 205);
    QCOMPARE(manufacturer->contentFormat, kTextPlain);
    QCOMPARE(manufacturer->payload, QByteArray("lwm2m-gateway project"));
    auto instance = await([&](auto done) { return server_->read(gw, "/3/0", done, kSenmlJson); });
    QVERIFY(instance);
    QCOMPARE(instance->code, 205);
    QCOMPARE(instance->contentFormat, kSenmlJson);
    QVERIFY(instance->payload.contains("lwm2m-gatewayd"));
    auto tlv = await([&](auto done) { return server_->read(gw, "/3/0", done, kTlv); });
    QVERIFY(tlv);
    QCOMPARE(tlv->contentFormat, kTlv);
    QVERIFY(tlv->payload.contains("lwm2m-gateway project"));
    auto write =
        await([&](auto done) { return server_->write(gw, "/3/0/13", kTextPlain, "1", done); });
    QVERIFY(write);
    QCOMPARE(write->code, 405);
    auto missing = await([&](auto done) { return server_->read(gw, "/5/0", done); });
    QVERIFY(missing);
    QCOMPARE(missing->code, 404);
}

void TestGatewayRelay::gatewayServesItsServerObjectInstance() {
    // A configured (--upstream) server is the gateway's Server instance 0 (/1/0).
    const QString gw = QStringLiteral("gw-under-test");
    const auto record = server_->client(gw);
    QVERIFY(record);
    QVERIFY2(record->links.contains("</1/0>"), record->links.constData());
    auto instance = await([&](auto done) { return server_->read(gw, "/1/0", done, kSenmlJson); });
    QVERIFY(instance);
    QCOMPARE(instance->code, 205);
    QVERIFY2(instance->payload.contains(R"("bn":"/1/0/","n":"0","v":1)") &&
                 instance->payload.contains(R"("n":"6","vb":false)") &&
                 instance->payload.contains(R"("n":"7","vs":"U")"),
             instance->payload.constData());
    auto lifetime = await([&](auto done) { return server_->read(gw, "/1/0/1", done); });
    QVERIFY(lifetime);
    QCOMPARE(lifetime->code, 205);
    QCOMPARE(lifetime->payload, QByteArray::number(record->lifetime));
    auto tlv = await([&](auto done) { return server_->read(gw, "/1/0", done, kTlv); });
    QVERIFY(tlv);
    QCOMPARE(tlv->contentFormat, kTlv);
    // Registration Update Trigger: 2.04, then an Update from the gateway.
    const int updates = server_->counters().updates;
    auto trigger = await([&](auto done) { return server_->execute(gw, "/1/0/8", {}, done); });
    QVERIFY(trigger);
    QCOMPARE(trigger->code, 204);
    QTRY_COMPARE_WITH_TIMEOUT(server_->counters().updates, updates + 1, 5000);
    // Bootstrap-Request Trigger without a credential store: accepted, and the log says why no
    // bootstrap follows.
    auto bootstrap = await([&](auto done) { return server_->execute(gw, "/1/0/9", {}, done); });
    QVERIFY(bootstrap);
    QCOMPARE(bootstrap->code, 204);
    QVERIFY(
        gateway_->waitForLog(QStringLiteral("Bootstrap-Request Trigger (/1/x/9): no bootstrap")));
    // Another server's instance is not this server's to see; the rest is read-only.
    auto other = await([&](auto done) { return server_->read(gw, "/1/7", done); });
    QVERIFY(other);
    QCOMPARE(other->code, 404);
    auto write =
        await([&](auto done) { return server_->write(gw, "/1/0/1", kTextPlain, "60", done); });
    QVERIFY(write);
    QCOMPARE(write->code, 405);
}

void TestGatewayRelay::readsAndDiscovers() {
    TestSensor* sensor = newSensor(QStringLiteral("reader"));
    QVERIFY(sensor);
    sensor->setResource(QStringLiteral("/3/0/1"), "model-7");
    auto single = await([&](auto done) { return server_->read("reader", "/3/0/1", done); });
    QVERIFY(single);
    QCOMPARE(single->code, 205);
    QCOMPARE(single->contentFormat, kTextPlain);
    QCOMPARE(single->payload, QByteArray("model-7"));
    auto instance =
        await([&](auto done) { return server_->read("reader", "/3/0", done, kSenmlJson); });
    QVERIFY(instance);
    QCOMPARE(instance->code, 205);
    QCOMPARE(instance->contentFormat, kSenmlJson);
    QVERIFY(instance->payload.contains("model-7"));
    auto discover = await([&](auto done) { return server_->discover("reader", "/3/0", done); });
    QVERIFY(discover);
    QCOMPARE(discover->code, 205);
    QCOMPARE(discover->contentFormat, kLinkFormat);
    QVERIFY2(discover->payload.contains("</3/0/1>"), discover->payload.constData());
    auto missing = await([&](auto done) { return server_->read("reader", "/3/7", done); });
    QVERIFY(missing);
    QCOMPARE(missing->code, 404);  // The sensor's own answer, carried back.
    QVERIFY(sensor->requestsServed(COAP_REQUEST_GET) >= 4);
    sensor->deregister();
}

void TestGatewayRelay::writesAndExecutes() {
    TestSensor* sensor = newSensor(QStringLiteral("writer"));
    QVERIFY(sensor);
    auto write = await(
        [&](auto done) { return server_->write("writer", "/1/0/1", kTextPlain, "120", done); });
    QVERIFY(write);
    QCOMPARE(write->code, 204);
    QCOMPARE(sensor->resourceValue(QStringLiteral("/1/0/1")).value_or(QByteArray()),
             QByteArray("120"));
    auto partial = await([&](auto done) {
        return server_->writePartial("writer", "/1/0", kSenmlJson, R"([{"n":"/1/0/1","v":240}])",
                                     done);
    });
    QVERIFY(partial);
    QCOMPARE(partial->code, 204);
    QCOMPARE(sensor->resourceValue(QStringLiteral("/1/0/1")).value_or(QByteArray()),
             QByteArray("240"));
    auto execute =
        await([&](auto done) { return server_->execute("writer", "/3/0/4", "0='now'", done); });
    QVERIFY(execute);
    QCOMPARE(execute->code, 204);
    QCOMPARE(sensor->executionCount(QStringLiteral("/3/0/4")), 1);
    QCOMPARE(sensor->executeArguments(QStringLiteral("/3/0/4")).value(0), QByteArray("0='now'"));
    auto notExecutable =
        await([&](auto done) { return server_->execute("writer", "/3/0/0", {}, done); });
    QVERIFY(notExecutable);
    QCOMPARE(notExecutable->code, 405);
    sensor->deregister();
}

void TestGatewayRelay::createsAndDeletesObjectInstances() {
    TestSensor* sensor = newSensor(QStringLiteral("creator"));
    QVERIFY(sensor);
    sensor->addObject(3303);
    QVERIFY(sensor->update(true));
    QTRY_VERIFY_WITH_TIMEOUT(server_->client("creator")->links.contains("</3303>"), 10000);
    auto create = await([&](auto done) {
        return server_->create("creator", "/3303", kSenmlJson, R"([{"n":"/3303/0/5700","v":21.5}])",
                               done);
    });
    QVERIFY(create);
    QCOMPARE(create->code, 201);
    QCOMPARE(create->locationPath, (QStringList{"3303", "0"}));
    auto read = await([&](auto done) { return server_->read("creator", "/3303/0/5700", done); });
    QVERIFY(read);
    QCOMPARE(read->code, 205);
    QCOMPARE(read->payload, QByteArray("21.5"));
    auto remove = await([&](auto done) { return server_->remove("creator", "/3303/0", done); });
    QVERIFY(remove);
    QCOMPARE(remove->code, 202);
    auto gone = await([&](auto done) { return server_->read("creator", "/3303/0", done); });
    QVERIFY(gone);
    QCOMPARE(gone->code, 404);
    sensor->deregister();
}

void TestGatewayRelay::writeAttributesShowInDiscover() {
    TestSensor* sensor = newSensor(QStringLiteral("attributes"));
    QVERIFY(sensor);
    auto attributes = await([&](auto done) {
        return server_->writeAttributes("attributes", "/3/0/13", {"pmin=10", "pmax=60"}, done);
    });
    QVERIFY(attributes);
    QCOMPARE(attributes->code, 204);
    auto discover = await([&](auto done) { return server_->discover("attributes", "/3/0", done); });
    QVERIFY(discover);
    QVERIFY2(discover->payload.contains("pmin=10"), discover->payload.constData());
    QVERIFY2(discover->payload.contains("pmax=60"), discover->payload.constData());
    sensor->deregister();
}

void TestGatewayRelay::compositeOperations() {
    TestSensor* sensor = newSensor(QStringLiteral("composite"));
    QVERIFY(sensor);
    sensor->setResource(QStringLiteral("/3/0/0"), "ACME");
    sensor->setResource(QStringLiteral("/1/0/1"), "300");
    auto read = await([&](auto done) {
        return server_->readComposite("composite", {"/3/0/0", "/1/0/1"}, done);
    });
    QVERIFY(read);
    QCOMPARE(read->code, 205);
    QCOMPARE(read->contentFormat, kSenmlJson);
    QVERIFY(read->payload.contains("ACME"));
    QVERIFY(read->payload.contains("300"));
    auto write = await([&](auto done) {
        return server_->writeComposite(
            "composite", R"([{"n":"/1/0/1","v":77},{"n":"/3/0/0","vs":"Beta"}])", done);
    });
    QVERIFY(write);
    QCOMPARE(write->code, 204);
    QCOMPARE(sensor->resourceValue("/1/0/1").value_or(QByteArray()), QByteArray("77"));
    QCOMPARE(sensor->resourceValue("/3/0/0").value_or(QByteArray()), QByteArray("Beta"));
    sensor->deregister();
}

void TestGatewayRelay::observeRelaysNotificationsAndCancels() {
    TestSensor* sensor = newSensor(QStringLiteral("observed"));
    QVERIFY(sensor);
    sensor->setResource(QStringLiteral("/3/0/13"), "1000");
    QList<Response> notifications;
    std::optional<Response> first;
    const quint64 handle = server_->observe(
        "observed", "/3/0/13", [&](const Response& r) { first = r; },
        [&](const Response& r) { notifications << r; });
    QVERIFY(handle != 0);
    QTRY_VERIFY_WITH_TIMEOUT(first.has_value(), 10000);
    QCOMPARE(first->code, 205);
    QVERIFY(first->observe >= 0);
    QCOMPARE(first->payload, QByteArray("1000"));
    QCOMPARE(sensor->observationCount(), 1);
    for (int i = 1; i <= 3; ++i) {
        sensor->setResource(QStringLiteral("/3/0/13"), QByteArray::number(1000 + i));
        QTRY_COMPARE_WITH_TIMEOUT(notifications.size(), i, 10000);
    }
    int previous = first->observe;
    for (int i = 0; i < 3; ++i) {
        QCOMPARE(notifications[i].code, 205);
        QCOMPARE(notifications[i].payload, QByteArray::number(1001 + i));
        QVERIFY2(notifications[i].observe > previous,
                 "Observe numbers must increase (RFC 7641 4.4)");
        QVERIFY2(notifications[i].confirmable, "the sensor's CON notifications stay CON");
        previous = notifications[i].observe;
    }
    std::optional<Response> cancelled;
    QVERIFY(server_->cancelObserve(handle, TestLwm2mServer::CancelBy::Get,
                                   [&](const Response& r) { cancelled = r; }));
    QTRY_VERIFY_WITH_TIMEOUT(cancelled.has_value(), 10000);
    QCOMPARE(cancelled->code, 205);
    QCOMPARE(cancelled->observe, -1);
    QTRY_COMPARE_WITH_TIMEOUT(sensor->observationCount(), 0, 10000);
    sensor->setResource(QStringLiteral("/3/0/13"), "2000");
    QTest::qWait(300);
    QCOMPARE(notifications.size(), 3);
    sensor->deregister();
}

void TestGatewayRelay::observeKeepsNonConfirmableNotificationsNon() {
    TestSensor* sensor = newSensor(QStringLiteral("observed-non"));
    QVERIFY(sensor);
    sensor->setNotificationsNonConfirmable(true);
    sensor->setResource(QStringLiteral("/3/0/13"), "1000");
    QList<Response> notifications;
    std::optional<Response> first;
    const quint64 handle = server_->observe(
        "observed-non", "/3/0/13", [&](const Response& r) { first = r; },
        [&](const Response& r) { notifications << r; });
    QVERIFY(handle != 0);
    QTRY_VERIFY_WITH_TIMEOUT(first.has_value(), 10000);
    for (int i = 1; i <= 4; ++i) {
        sensor->setResource(QStringLiteral("/3/0/13"), QByteArray::number(1000 + i));
        QTRY_COMPARE_WITH_TIMEOUT(notifications.size(), i, 10000);
        QCOMPARE(notifications.last().payload, QByteArray::number(1000 + i));
    }
    // The first relayed notification is CON (a server that forgot the observation can say so by
    // RST); the rest keep the sensor's NON until a day has passed (RFC 7641 4.5).
    QVERIFY(notifications[0].confirmable);
    for (int i = 1; i < notifications.size(); ++i) {
        QVERIFY2(!notifications[i].confirmable, qPrintable(QString::number(i)));
    }
    QVERIFY(server_->cancelObserve(handle, TestLwm2mServer::CancelBy::Get, [](const Response&) {}));
    QTRY_COMPARE_WITH_TIMEOUT(sensor->observationCount(), 0, 10000);
    sensor->deregister();
}

void TestGatewayRelay::observeEndsWhenServerResetsANotification() {
    TestSensor* sensor = newSensor(QStringLiteral("reset-observer"));
    QVERIFY(sensor);
    std::optional<Response> first;
    int notified = 0;
    const quint64 handle = server_->observe(
        "reset-observer", "/3/0/13", [&](const Response& r) { first = r; },
        [&](const Response&) { ++notified; });
    QTRY_VERIFY_WITH_TIMEOUT(first.has_value(), 10000);
    QCOMPARE(sensor->observationCount(), 1);
    QVERIFY(server_->cancelObserve(handle, TestLwm2mServer::CancelBy::Reset));
    sensor->setResource(QStringLiteral("/3/0/13"), "5");
    // RST upstream -> the gateway cancels downstream (RFC 7641 3.6).
    QTRY_COMPARE_WITH_TIMEOUT(sensor->observationCount(), 0, 10000);
    QCOMPARE(notified, 0);
    sensor->deregister();
}

void TestGatewayRelay::blockwiseBothWays() {
    TestSensor* sensor = newSensor(QStringLiteral("blocks"));
    QVERIFY(sensor);
    QByteArray large;
    for (int i = 0; i < 6 * 1024; ++i) {
        large.append(static_cast<char>('a' + i % 26));
    }
    sensor->setResource(QStringLiteral("/3/0/0"), large);
    auto read = await([&](auto done) { return server_->read("blocks", "/3/0/0", done); });
    QVERIFY(read);
    QCOMPARE(read->code, 205);
    QCOMPARE(read->payload.size(), large.size());
    QCOMPARE(read->payload, large);
    QByteArray upload = large;
    std::reverse(upload.begin(), upload.end());
    auto write = await(
        [&](auto done) { return server_->write("blocks", "/3/0/0", kTextPlain, upload, done); });
    QVERIFY(write);
    QCOMPARE(write->code, 204);
    QCOMPARE(sensor->resourceValue("/3/0/0").value_or(QByteArray()), upload);
    sensor->deregister();
}

void TestGatewayRelay::sensorSendGoesUpstream() {
    TestSensor* sensor = newSensor(QStringLiteral("sender"));
    QVERIFY(sensor);
    QSignalSpy completed(sensor, &TestSensor::sendCompleted);
    const QByteArray senml = R"([{"n":"/3/0/13","v":1700000000}])";
    QVERIFY(sensor->send(senml));
    QTRY_COMPARE_WITH_TIMEOUT(completed.size(), 1, 10000);
    QCOMPARE(completed.first().first().toInt(), 204);
    const auto sends = server_->sends("sender");
    QCOMPARE(sends.size(), 1);
    QCOMPARE(sends.first().contentFormat, kSenmlJson);
    QCOMPARE(sends.first().payload, senml);
    sensor->deregister();
}

void TestGatewayRelay::silentSensorGives504() {
    TestSensor* sensor = newSensor(QStringLiteral("silent"));
    QVERIFY(sensor);
    sensor->setSilent(true);
    auto read = await([&](auto done) { return server_->read("silent", "/3/0/0", done); },
                      kProxyTimeoutMs + 5000);
    QVERIFY(read);
    QCOMPARE(read->code, 504);
    // Awake again, the sensor is reached once libcoap's retransmission of the unanswered request
    // gets through (until then NSTART=1 holds newer requests, which may earn 5.04 themselves).
    sensor->setSilent(false);
    QDeadlineTimer recovery(20000);
    std::optional<Response> again;
    while (!recovery.hasExpired() && (!again || again->code != 205)) {
        again = await([&](auto done) { return server_->read("silent", "/3/0/1", done); });
        QVERIFY(again);
        QVERIFY2(again->code == 205 || again->code == 504,
                 qPrintable(QString::number(again->code)));
    }
    QCOMPARE(again->code, 205);
    sensor->deregister();
}

void TestGatewayRelay::deregistrationEndsUpstreamRegistration() {
    TestSensor* sensor = newSensor(QStringLiteral("leaver"));
    QVERIFY(sensor);
    QSignalSpy deregistered(server_.get(), &TestLwm2mServer::deregistered);
    QVERIFY(sensor->deregister());
    QTRY_VERIFY_WITH_TIMEOUT(deregistered.contains(QVariantList{QStringLiteral("leaver")}), 10000);
    QVERIFY(!server_->client(QStringLiteral("leaver")).has_value());
}

void TestGatewayRelay::lifetimeExpiryEndsUpstreamRegistration() {
    auto* sensor = new TestSensor(sensorLoop_, this);
    sensor->setAutoUpdate(false);
    QVERIFY(sensor->registerTo(gatewayUri(), QStringLiteral("expiring"), 2));
    QTRY_VERIFY_WITH_TIMEOUT(server_->client(QStringLiteral("expiring")).has_value(), 10000);
    // The gateway's expiry (2 s lifetime, 1 s grace), not the server's own, removes it.
    QTRY_VERIFY_WITH_TIMEOUT(!server_->client(QStringLiteral("expiring")).has_value(), 8000);
    QCOMPARE(server_->counters().expiries, 0);
    QVERIFY(gateway_->log().contains(QStringLiteral("registration of expiring expired")));
}

void TestGatewayRelay::secondRegisterWithSameEndpointReplacesTheFirst() {
    TestSensor* first = newSensor(QStringLiteral("twin"));
    QVERIFY(first);
    const QString firstPeer = server_->client("twin")->peerAddress;
    auto* second = new TestSensor(sensorLoop_, this);
    QSignalSpy registered(second, &TestSensor::registered);
    QVERIFY(second->registerTo(gatewayUri(), QStringLiteral("twin"), 60));
    QTRY_COMPARE_WITH_TIMEOUT(registered.size(), 1, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(
        server_->client("twin") && server_->client("twin")->peerAddress != firstPeer, 10000);
    second->setResource(QStringLiteral("/3/0/1"), "second");
    first->setResource(QStringLiteral("/3/0/1"), "first");
    auto read = await([&](auto done) { return server_->read("twin", "/3/0/1", done); });
    QVERIFY(read);
    QCOMPARE(read->payload, QByteArray("second"));
    second->deregister();
}

void TestGatewayRelay::sensorUpdateReachesServer() {
    TestSensor* sensor = newSensor(QStringLiteral("updater"));
    QVERIFY(sensor);
    QSignalSpy updated(server_.get(), &TestLwm2mServer::updated);
    sensor->addObject(3303);
    QVERIFY(sensor->update(true));
    QTRY_VERIFY_WITH_TIMEOUT(updated.contains(QVariantList{QStringLiteral("updater")}), 10000);
    QVERIFY(server_->client("updater")->links.contains("</3303>"));
    sensor->deregister();
}

void TestGatewayRelay::upstreamServerRestartLeadsToNewRegistration() {
    TestSensor* sensor = newSensor(QStringLiteral("survivor"), 4);
    QVERIFY(sensor);
    server_->close();
    QVERIFY(server_->listen(QStringLiteral("127.0.0.1"), serverPort_));
    QVERIFY(!server_->client(QStringLiteral("survivor")).has_value());
    // The sensor's next Update is relayed; the new server answers 4.04 and the gateway registers
    // the endpoint again.
    QTRY_VERIFY_WITH_TIMEOUT(server_->client(QStringLiteral("survivor")).has_value(), 15000);
    auto read = await([&](auto done) { return server_->read("survivor", "/3/0/1", done); });
    QVERIFY(read);
    QCOMPARE(read->code, 205);
    sensor->deregister();
}

void TestGatewayRelay::gatewayDeregistersEverythingOnStop() {
    TestSensor* sensor = newSensor(QStringLiteral("last"));
    QVERIFY(sensor);
    QSignalSpy deregistered(server_.get(), &TestLwm2mServer::deregistered);
    QCOMPARE(gateway_->stop(), 0);
    QVERIFY(deregistered.contains(QVariantList{QStringLiteral("last")}));
    QVERIFY(!server_->client(QStringLiteral("last")).has_value());
}

QTEST_GUILESS_MAIN(TestGatewayRelay)
#include "test_gateway_relay.moc"
