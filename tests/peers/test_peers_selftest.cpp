// The test peers against each other, no gateway in between: a TestSensor registers straight
// to a TestLwm2mServer, which then drives every LwM2M operation the peers support.
#include "coap_pdu_util.h"
#include "senml_json.h"
#include "test_lwm2m_server.h"
#include "test_sensor.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

#include <memory>
#include <optional>

using lwm2mgw::CoapEventLoop;
using lwm2mgw::peers::ResourceType;
using lwm2mgw::peers::Response;
using lwm2mgw::peers::TestLwm2mServer;
using lwm2mgw::peers::TestSensor;
namespace format = lwm2mgw::peers::format;

namespace {

constexpr int kWaitMs = 10000;
const QString kEndpoint = QStringLiteral("selftest-sensor");

// Name -> SenML record object, for payload checks.
QJsonObject senmlByName(const QByteArray& payload, const QString& name) {
    QString base;
    for (const QJsonValue& value : QJsonDocument::fromJson(payload).array()) {
        const QJsonObject record = value.toObject();
        if (record.contains(QStringLiteral("bn"))) {
            base = record.value(QStringLiteral("bn")).toString();
        }
        if (base + record.value(QStringLiteral("n")).toString() == name) {
            return record;
        }
    }
    return {};
}

}  // namespace

class PeersSelfTest : public QObject {
    Q_OBJECT

private:
    using Start = std::function<quint64(TestLwm2mServer::Callback)>;

    // Runs one request to completion on the event loop.
    std::optional<Response> call(const Start& start) {
        std::optional<Response> result;
        if (start([&result](const Response& response) { result = response; }) == 0) {
            return std::nullopt;
        }
        static_cast<void>(QTest::qWaitFor([&result] { return result.has_value(); }, kWaitMs));
        return result;
    }

    std::unique_ptr<TestSensor> makeSensor() {
        auto created = std::make_unique<TestSensor>(loop_.get());
        return created;
    }

    bool registerSensor(TestSensor& target, const QString& endpoint, qint64 lifetime = 60,
                        const QString& version = QStringLiteral("1.1")) {
        QSignalSpy serverSpy(server_.get(), &TestLwm2mServer::registered);
        QSignalSpy sensorSpy(&target, &TestSensor::registered);
        if (!target.registerTo(serverUri(), endpoint, lifetime, version)) {
            return false;
        }
        return QTest::qWaitFor(
            [&] { return !sensorSpy.isEmpty() && serverSpy.contains(QVariantList{endpoint}); },
            kWaitMs);
    }

    QString serverUri() const { return QStringLiteral("coap://127.0.0.1:%1").arg(server_->port()); }

    QString coapClient() const {
        const QString fromEnvironment = qEnvironmentVariable("LWM2MGW_COAP_CLIENT");
        return fromEnvironment.isEmpty()
                   ? QStandardPaths::findExecutable(QStringLiteral("coap-client-notls"))
                   : fromEnvironment;
    }

    std::unique_ptr<TestLwm2mServer> server_;
    std::unique_ptr<CoapEventLoop> loop_;
    std::unique_ptr<TestSensor> sensor_;

private slots:
    void init() {
        server_ = std::make_unique<TestLwm2mServer>();
        QVERIFY(server_->listen(QStringLiteral("127.0.0.1"), 0));
        QVERIFY(server_->port() != 0);
        loop_.reset(TestSensor::createEventLoop());
        QVERIFY(loop_ != nullptr);
        sensor_ = makeSensor();
        QVERIFY(registerSensor(*sensor_, kEndpoint));
    }

    void cleanup() {
        sensor_.reset();  // sensors go before their loop
        loop_.reset();
        server_.reset();
    }

    void registrationIsRecorded() {
        const auto record = server_->client(kEndpoint);
        QVERIFY(record.has_value());
        QCOMPARE(record->lifetime, 60);
        QCOMPARE(record->lwm2mVersion, QStringLiteral("1.1"));
        QCOMPARE(record->binding, QStringLiteral("U"));
        QCOMPARE(record->registrations, 1);
        QVERIFY(record->location.startsWith(QStringLiteral("/rd/")));
        QCOMPARE(sensor_->location(), record->location);
        QCOMPARE(record->peerAddress, QStringLiteral("127.0.0.1:%1").arg(sensor_->localPort()));
        QVERIFY(record->links.startsWith("</>;rt=\"oma.lwm2m\";ct=110,"));
        QVERIFY(record->links.contains("</1/0>"));
        QVERIFY(record->links.contains("</3/0>"));
        QCOMPARE(server_->endpoints(), QStringList{kEndpoint});
    }

    void lwm2m10RegistrationHasNoRootLink() {
        auto old = makeSensor();
        QVERIFY(registerSensor(*old, QStringLiteral("old-one"), 60, QStringLiteral("1.0")));
        const auto record = server_->client(QStringLiteral("old-one"));
        QVERIFY(record.has_value());
        QCOMPARE(record->lwm2mVersion, QStringLiteral("1.0"));
        QCOMPARE(record->links, QByteArray("</1/0>,</3/0>"));
    }

    void read() {
        auto response = call([&](auto done) { return server_->read(kEndpoint, "/3/0/0", done); });
        QVERIFY(response);
        QCOMPARE(response->code, 205);
        QCOMPARE(response->contentFormat, format::kText);
        QCOMPARE(response->payload, QByteArray("lwm2m-gateway tests"));

        response = call([&](auto done) { return server_->read(kEndpoint, "/3/0", done); });
        QVERIFY(response);
        QCOMPARE(response->code, 205);
        QCOMPARE(response->contentFormat, format::kSenmlJson);
        QCOMPARE(senmlByName(response->payload, "/3/0/1").value("vs").toString(),
                 QStringLiteral("test-sensor"));
        QVERIFY(senmlByName(response->payload, "/3/0/4").isEmpty());  // executable

        response = call([&](auto done) { return server_->read(kEndpoint, "/3/0/99", done); });
        QVERIFY(response);
        QCOMPARE(response->code, 404);
        response = call([&](auto done) { return server_->read(kEndpoint, "/42", done); });
        QCOMPARE(response->code, 404);
        response =
            call([&](auto done) { return server_->read(kEndpoint, "/3/0/0", done, format::kTlv); });
        QCOMPARE(response->code, 406);
        response = call([&](auto done) { return server_->read(kEndpoint, "/3/0/4", done); });
        QCOMPARE(response->code, 405);
        response = call([&](auto done) { return server_->read(kEndpoint, "/not/a/path", done); });
        QCOMPARE(response->code, 404);
        QCOMPARE(sensor_->requestsServed(COAP_REQUEST_GET), 7U);
    }

    void write() {
        auto response = call([&](auto done) {
            return server_->write(kEndpoint, "/3/0/13", format::kText, "1234", done);
        });
        QVERIFY(response);
        QCOMPARE(response->code, 204);
        QCOMPARE(sensor_->resourceValue("/3/0/13"), QByteArray("1234"));

        response = call([&](auto done) {
            return server_->write(kEndpoint, "/3/0/13", format::kText, "not a number", done);
        });
        QCOMPARE(response->code, 400);

        response = call([&](auto done) {
            return server_->writePartial(kEndpoint, "/1/0", format::kSenmlJson,
                                         R"([{"bn":"/1/0/","n":"1","v":120}])", done);
        });
        QCOMPARE(response->code, 204);
        QCOMPARE(sensor_->resourceValue("/1/0/1"), QByteArray("120"));
        QCOMPARE(sensor_->resourceValue("/1/0/7"), QByteArray("U"));

        // Replace drops what the payload leaves out.
        response = call([&](auto done) {
            return server_->write(kEndpoint, "/1/0", format::kSenmlJson,
                                  R"([{"bn":"/1/0/","n":"0","v":1},{"n":"1","v":300}])", done);
        });
        QCOMPARE(response->code, 204);
        QCOMPARE(sensor_->resourceValue("/1/0/1"), QByteArray("300"));
        QVERIFY(!sensor_->resourceValue("/1/0/7").has_value());

        response = call([&](auto done) {
            return server_->write(kEndpoint, "/3/0/4", format::kText, "1", done);
        });
        QCOMPARE(response->code, 405);
    }

    void execute() {
        QSignalSpy executed(sensor_.get(), &TestSensor::executed);
        auto response =
            call([&](auto done) { return server_->execute(kEndpoint, "/3/0/4", "5='now'", done); });
        QVERIFY(response);
        QCOMPARE(response->code, 204);
        QCOMPARE(sensor_->executionCount("/3/0/4"), 1);
        QCOMPARE(sensor_->executeArguments("/3/0/4"), QList<QByteArray>{"5='now'"});
        QCOMPARE(executed.size(), 1);

        response = call([&](auto done) { return server_->execute(kEndpoint, "/3/0/0", {}, done); });
        QCOMPARE(response->code, 405);
    }

    void createAndDelete() {
        sensor_->addObject(3303);
        auto response = call([&](auto done) {
            return server_->create(kEndpoint, "/3303", format::kSenmlJson,
                                   R"([{"bn":"/3303/7/","n":"5700","v":21.5}])", done);
        });
        QVERIFY(response);
        QCOMPARE(response->code, 201);
        QCOMPARE(response->locationPath, (QStringList{"3303", "7"}));
        response = call([&](auto done) { return server_->read(kEndpoint, "/3303/7/5700", done); });
        QCOMPARE(response->payload, QByteArray("21.5"));

        response = call([&](auto done) {
            return server_->create(kEndpoint, "/3303", format::kSenmlJson,
                                   R"([{"n":"5700","v":3}])", done);
        });
        QCOMPARE(response->code, 201);
        QCOMPARE(response->locationPath, (QStringList{"3303", "0"}));

        response = call([&](auto done) {
            return server_->create(kEndpoint, "/3303", format::kSenmlJson,
                                   R"([{"bn":"/3303/7/","n":"5700","v":1}])", done);
        });
        QCOMPARE(response->code, 400);  // instance exists

        response = call([&](auto done) { return server_->remove(kEndpoint, "/3303/7", done); });
        QCOMPARE(response->code, 202);
        response = call([&](auto done) { return server_->read(kEndpoint, "/3303/7", done); });
        QCOMPARE(response->code, 404);
        response = call([&](auto done) { return server_->remove(kEndpoint, "/3303/7", done); });
        QCOMPARE(response->code, 404);
        response = call([&](auto done) { return server_->remove(kEndpoint, "/3303", done); });
        QCOMPARE(response->code, 405);
        response = call([&](auto done) {
            return server_->create(kEndpoint, "/9999", format::kSenmlJson, "[]", done);
        });
        QCOMPARE(response->code, 404);
    }

    void discoverAndWriteAttributes() {
        auto response = call([&](auto done) {
            return server_->writeAttributes(kEndpoint, "/3/0/13", {"pmin=10", "pmax=60"}, done);
        });
        QVERIFY(response);
        QCOMPARE(response->code, 204);
        response = call([&](auto done) {
            return server_->writeAttributes(kEndpoint, "/3/0", {"pmax=300"}, done);
        });
        QCOMPARE(response->code, 204);

        response = call([&](auto done) { return server_->discover(kEndpoint, "/3/0", done); });
        QCOMPARE(response->code, 205);
        QCOMPARE(response->contentFormat, format::kLinkFormat);
        const QList<QByteArray> links = response->payload.split(',');
        QVERIFY(links.contains("</3/0>;pmax=300"));
        QVERIFY(links.contains("</3/0/13>;pmax=60;pmin=10"));
        QVERIFY(links.contains("</3/0/4>"));

        response = call([&](auto done) { return server_->discover(kEndpoint, "/3", done); });
        QVERIFY(response->payload.startsWith("</3>,</3/0>;pmax=300,"));

        response = call([&](auto done) {
            return server_->writeAttributes(kEndpoint, "/3/0/13", {"pmin"}, done);
        });
        QCOMPARE(response->code, 204);
        response = call([&](auto done) { return server_->discover(kEndpoint, "/3/0/13", done); });
        QCOMPARE(response->payload, QByteArray("</3/0/13>;pmax=60"));

        response = call([&](auto done) {
            return server_->writeAttributes(kEndpoint, "/3/0/13", {"bogus=1"}, done);
        });
        QCOMPARE(response->code, 400);
        response = call([&](auto done) {
            return server_->writeAttributes(kEndpoint, "/3/0/13", {"pmin=soon"}, done);
        });
        QCOMPARE(response->code, 400);
    }

    void observeNotifiesThreeTimes() {
        QList<Response> notifications;
        QSignalSpy signalled(server_.get(), &TestLwm2mServer::notification);
        auto first = call([&](auto done) {
            return server_->observe(kEndpoint, "/3/0/13", done, [&](const Response& response) {
                notifications.append(response);
            });
        });
        QVERIFY(first);
        QCOMPARE(first->code, 205);
        QVERIFY(first->observe >= 0);
        QCOMPARE(sensor_->observationCount(), 1);

        for (int i = 1; i <= 3; ++i) {
            QVERIFY(sensor_->setResource("/3/0/13", QByteArray::number(1000 + i)));
            QTRY_COMPARE_WITH_TIMEOUT(notifications.size(), i, kWaitMs);
            QCOMPARE(notifications.last().payload, QByteArray::number(1000 + i));
            QCOMPARE(notifications.last().contentFormat, format::kText);
            QVERIFY(notifications.last().observe >
                    (i == 1 ? first->observe : notifications[i - 2].observe));
        }
        QCOMPARE(signalled.size(), 3);
        QCOMPARE(signalled.last().at(1).toString(), QStringLiteral("/3/0/13"));
    }

    void cancelObserveByGet() {
        int notified = 0;
        std::optional<Response> first;
        const quint64 handle = server_->observe(
            kEndpoint, "/3/0/13", [&](const Response& response) { first = response; },
            [&](const Response&) { ++notified; });
        QVERIFY(handle != 0);
        QTRY_VERIFY_WITH_TIMEOUT(first.has_value(), kWaitMs);
        QVERIFY(sensor_->setResource("/3/0/13", "1"));
        QTRY_COMPARE_WITH_TIMEOUT(notified, 1, kWaitMs);

        std::optional<Response> cancelled;
        QVERIFY(server_->cancelObserve(handle, TestLwm2mServer::CancelBy::Get,
                                       [&](const Response& response) { cancelled = response; }));
        QTRY_VERIFY_WITH_TIMEOUT(cancelled.has_value(), kWaitMs);
        QCOMPARE(cancelled->code, 205);
        QCOMPARE(cancelled->observe, -1);
        QCOMPARE(sensor_->observationCount(), 0);

        QVERIFY(sensor_->setResource("/3/0/13", "2"));
        // A round trip after the change: a stray notification would have arrived before it.
        auto barrier = call([&](auto done) { return server_->read(kEndpoint, "/3/0/13", done); });
        QCOMPARE(barrier->payload, QByteArray("2"));
        QCOMPARE(notified, 1);
    }

    void cancelObserveByReset() {
        int notified = 0;
        std::optional<Response> first;
        const quint64 handle = server_->observe(
            kEndpoint, "/3/0", [&](const Response& response) { first = response; },
            [&](const Response&) { ++notified; });
        QTRY_VERIFY_WITH_TIMEOUT(first.has_value(), kWaitMs);
        QCOMPARE(first->contentFormat, format::kSenmlJson);
        QVERIFY(sensor_->setResource("/3/0/13", "7"));  // below the observed instance
        QTRY_COMPARE_WITH_TIMEOUT(notified, 1, kWaitMs);

        QSignalSpy ended(sensor_.get(), &TestSensor::observationEnded);
        QVERIFY(server_->cancelObserve(handle, TestLwm2mServer::CancelBy::Reset));
        QVERIFY(sensor_->setResource("/3/0/13", "8"));
        QVERIFY(ended.wait(kWaitMs));  // the notification got RST
        QCOMPARE(sensor_->observationCount(), 0);
        QCOMPARE(notified, 1);
    }

    void observeEndsWhenInstanceIsDeleted() {
        sensor_->setResource("/3303/0/5700", "20", ResourceType::Float);
        QList<Response> notifications;
        std::optional<Response> first;
        server_->observe(
            kEndpoint, "/3303/0", [&](const Response& response) { first = response; },
            [&](const Response& response) { notifications.append(response); });
        QTRY_VERIFY_WITH_TIMEOUT(first.has_value(), kWaitMs);
        auto response =
            call([&](auto done) { return server_->remove(kEndpoint, "/3303/0", done); });
        QCOMPARE(response->code, 202);
        QTRY_COMPARE_WITH_TIMEOUT(notifications.size(), 1, kWaitMs);
        QCOMPARE(notifications.front().code, 404);
        QCOMPARE(sensor_->observationCount(), 0);
    }

    void composite() {
        auto response = call([&](auto done) {
            return server_->readComposite(kEndpoint, {"/3/0/0", "/1/0/1", "/77/0/1"}, done);
        });
        QVERIFY(response);
        QCOMPARE(response->code, 205);
        QCOMPARE(response->contentFormat, format::kSenmlJson);
        QCOMPARE(senmlByName(response->payload, "/3/0/0").value("vs").toString(),
                 QStringLiteral("lwm2m-gateway tests"));
        QCOMPARE(senmlByName(response->payload, "/1/0/1").value("v").toInt(), 60);

        response = call([&](auto done) {
            return server_->writeComposite(
                kEndpoint, R"([{"n":"/3/0/13","v":42},{"n":"/1/0/1","v":99}])", done);
        });
        QCOMPARE(response->code, 204);
        QCOMPARE(sensor_->resourceValue("/3/0/13"), QByteArray("42"));
        QCOMPARE(sensor_->resourceValue("/1/0/1"), QByteArray("99"));

        response = call([&](auto done) {
            return server_->writeComposite(kEndpoint, R"([{"n":"/9/9/9","v":1}])", done);
        });
        QCOMPARE(response->code, 404);

        QList<Response> notifications;
        std::optional<Response> first;
        server_->observeComposite(
            kEndpoint, {"/3/0/13", "/1/0/1"}, [&](const Response& r) { first = r; },
            [&](const Response& r) { notifications.append(r); });
        QTRY_VERIFY_WITH_TIMEOUT(first.has_value(), kWaitMs);
        QCOMPARE(first->code, 205);
        sensor_->setResource("/1/0/1", "100");
        QTRY_COMPARE_WITH_TIMEOUT(notifications.size(), 1, kWaitMs);
        QCOMPARE(senmlByName(notifications.front().payload, "/1/0/1").value("v").toInt(), 100);
    }

    void blockwiseReadAndWrite() {
        QByteArray big(6 * 1024, '\0');
        for (qsizetype i = 0; i < big.size(); ++i) {
            big[i] = static_cast<char>(i * 7 % 251);
        }
        QVERIFY(sensor_->setResource("/19/0/0", big, ResourceType::Opaque));
        auto response = call([&](auto done) { return server_->read(kEndpoint, "/19/0/0", done); });
        QVERIFY(response);
        QCOMPARE(response->code, 205);
        QCOMPARE(response->contentFormat, format::kOpaque);
        QCOMPARE(response->payload.size(), big.size());
        QCOMPARE(response->payload, big);

        const QByteArray text = QByteArray("0123456789abcdef").repeated(384);  // 6 KiB
        QVERIFY(sensor_->setResource("/3/0/3", text));
        response = call([&](auto done) { return server_->read(kEndpoint, "/3/0/3", done); });
        QCOMPARE(response->contentFormat, format::kText);
        QCOMPARE(response->payload, text);

        QByteArray upload = big;
        std::reverse(upload.begin(), upload.end());
        response = call([&](auto done) {
            return server_->write(kEndpoint, "/19/0/0", format::kOpaque, upload, done);
        });
        QCOMPARE(response->code, 204);
        QCOMPARE(sensor_->resourceValue("/19/0/0"), upload);

        response = call([&](auto done) { return server_->read(kEndpoint, "/19/0", done); });
        QCOMPARE(response->code, 205);
        QVERIFY(response->payload.size() > 8 * 1024);  // base64 in SenML
    }

    void blockwiseNotification() {
        const QByteArray big = QByteArray("large-value-").repeated(300);  // 3.6 KiB
        QVERIFY(sensor_->setResource("/3/0/3", "small"));
        QList<Response> notifications;
        std::optional<Response> first;
        server_->observe(
            kEndpoint, "/3/0/3", [&](const Response& response) { first = response; },
            [&](const Response& response) { notifications.append(response); });
        QTRY_VERIFY_WITH_TIMEOUT(first.has_value(), kWaitMs);
        QVERIFY(sensor_->setResource("/3/0/3", big));
        QTRY_COMPARE_WITH_TIMEOUT(notifications.size(), 1, kWaitMs);
        QCOMPARE(notifications.front().payload, big);  // rest fetched with GET Block2
        QVERIFY(sensor_->setResource("/3/0/3", "small again"));
        QTRY_COMPARE_WITH_TIMEOUT(notifications.size(), 2, kWaitMs);
        QCOMPARE(notifications.last().payload, QByteArray("small again"));
    }

    void blockwiseRegister() {
        auto crowded = makeSensor();
        for (int i = 0; i < 200; ++i) {
            crowded->addObjectInstance(3303, i);
        }
        QVERIFY(registerSensor(*crowded, QStringLiteral("crowded")));
        const auto record = server_->client(QStringLiteral("crowded"));
        QVERIFY(record->links.size() > 2048);
        QVERIFY(record->links.endsWith("</3303/199>"));
        QVERIFY(crowded->update(true));
        QTRY_COMPARE_WITH_TIMEOUT(server_->client(QStringLiteral("crowded"))->updates, 1, kWaitMs);
    }

    void send() {
        QSignalSpy received(server_.get(), &TestLwm2mServer::sendReceived);
        QSignalSpy completed(sensor_.get(), &TestSensor::sendCompleted);
        const QByteArray payload = R"([{"bn":"/3/0/","n":"13","v":77}])";
        QVERIFY(sensor_->send(payload));
        QVERIFY(completed.wait(kWaitMs));
        QCOMPARE(completed.front().front().toInt(), 204);
        QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, kWaitMs);
        const auto sends = server_->sends(kEndpoint);
        QCOMPARE(sends.size(), 1);
        QCOMPARE(sends.front().contentFormat, format::kSenmlJson);
        QCOMPARE(sends.front().payload, payload);
    }

    void deregister() {
        QSignalSpy serverSide(server_.get(), &TestLwm2mServer::deregistered);
        QSignalSpy sensorSide(sensor_.get(), &TestSensor::deregistered);
        QVERIFY(sensor_->deregister());
        QVERIFY(sensorSide.wait(kWaitMs));
        QTRY_COMPARE_WITH_TIMEOUT(serverSide.size(), 1, kWaitMs);
        QCOMPARE(serverSide.front().front().toString(), kEndpoint);
        QVERIFY(!server_->client(kEndpoint).has_value());
        QVERIFY(!sensor_->isRegistered());
        QCOMPARE(server_->counters().deregisters, 1);
        QVERIFY(!sensor_->send("[]"));
    }

    void lifetimeExpiry() {
        auto shortLived = makeSensor();
        shortLived->setAutoUpdate(false);
        QSignalSpy expired(server_.get(), &TestLwm2mServer::expired);
        QVERIFY(registerSensor(*shortLived, QStringLiteral("short-lived"), 1));
        QVERIFY(expired.wait(5000));
        QCOMPARE(expired.front().front().toString(), QStringLiteral("short-lived"));
        QVERIFY(!server_->client(QStringLiteral("short-lived")).has_value());
        QVERIFY(server_->client(kEndpoint).has_value());

        // Its late Update gets 4.04 and the sensor registers again by itself.
        QSignalSpy failed(shortLived.get(), &TestSensor::updateFailed);
        QSignalSpy again(shortLived.get(), &TestSensor::registered);
        QVERIFY(shortLived->update());
        QVERIFY(again.wait(kWaitMs));
        QCOMPARE(failed.front().front().toInt(), 404);
        QCOMPARE(server_->client(QStringLiteral("short-lived"))->registrations, 1);
    }

    void automaticUpdate() {
        auto frequent = makeSensor();
        QSignalSpy updated(server_.get(), &TestLwm2mServer::updated);
        QVERIFY(registerSensor(*frequent, QStringLiteral("frequent"), 1));
        QTRY_VERIFY_WITH_TIMEOUT(updated.contains(QVariantList{QStringLiteral("frequent")}), 5000);
        QVERIFY(server_->client(QStringLiteral("frequent"))->updates >= 1);
    }

    void reRegisterReplaces() {
        const QString firstLocation = server_->client(kEndpoint)->location;
        QVERIFY(registerSensor(*sensor_, kEndpoint));
        const auto record = server_->client(kEndpoint);
        QCOMPARE(record->registrations, 2);
        QVERIFY(record->location != firstLocation);
        QCOMPARE(server_->endpoints().size(), 1);
    }

    void refusedRegistration() {
        server_->setAcceptRegistrations(false);
        auto refused = makeSensor();
        QSignalSpy failed(refused.get(), &TestSensor::registrationFailed);
        QVERIFY(refused->registerTo(serverUri(), QStringLiteral("refused"), 60));
        QVERIFY(failed.wait(kWaitMs));
        QCOMPARE(failed.front().front().toInt(), 503);

        server_->setAcceptRegistrations(false, TestLwm2mServer::Refusal::Drop);
        auto dropped = makeSensor();
        dropped->setRequestTimeout(1500);
        QSignalSpy timedOut(dropped.get(), &TestSensor::registrationFailed);
        QVERIFY(dropped->registerTo(serverUri(), QStringLiteral("dropped"), 60));
        QVERIFY(timedOut.wait(kWaitMs));
        QCOMPARE(timedOut.front().front().toInt(), 0);
        QVERIFY(server_->counters().refusedRegisters >= 2);

        server_->setAcceptRegistrations(true);
        QVERIFY(registerSensor(*dropped, QStringLiteral("dropped")));
    }

    void silentSensorTimesOut() {
        server_->setRequestTimeout(1000);
        sensor_->setSilent(true);
        auto response = call([&](auto done) { return server_->read(kEndpoint, "/3/0/0", done); });
        QVERIFY(response);
        QVERIFY(response->timedOut);
        QCOMPARE(response->code, 0);
        QVERIFY(sensor_->requestsDropped() >= 1);
        // A request with a payload is dropped as well.
        response = call([&](auto done) {
            return server_->write(kEndpoint, "/3/0/13", format::kText, "5", done);
        });
        QVERIFY(response->timedOut);
        QCOMPARE(server_->counters().requestTimeouts, 2);

        sensor_->setSilent(false);
        response = call([&](auto done) { return server_->read(kEndpoint, "/3/0/0", done); });
        QCOMPARE(response->code, 205);
    }

    void sensorsShareOneLoop() {
        std::vector<std::unique_ptr<TestSensor>> crowd;
        for (int i = 0; i < 3; ++i) {
            crowd.push_back(makeSensor());
            crowd.back()->setResource("/3/0/2", QByteArray("serial-") + QByteArray::number(i));
            QVERIFY(registerSensor(*crowd.back(), QStringLiteral("crowd-%1").arg(i)));
        }
        QSet<QString> peers;
        for (int i = 0; i < 3; ++i) {
            const QString endpoint = QStringLiteral("crowd-%1").arg(i);
            peers.insert(server_->client(endpoint)->peerAddress);
            auto response =
                call([&](auto done) { return server_->read(endpoint, "/3/0/2", done); });
            QCOMPARE(response->payload, QByteArray("serial-") + QByteArray::number(i));
        }
        peers.insert(server_->client(kEndpoint)->peerAddress);
        QCOMPARE(peers.size(), 4);  // one source port per sensor
    }

    void badInputIsRejected() {
        auto response = call([&](auto done) {
            return server_->writePartial(kEndpoint, "/3/0", format::kSenmlJson, "{nope", done);
        });
        QCOMPARE(response->code, 400);
        response = call(
            [&](auto done) { return server_->write(kEndpoint, "/3/0", format::kText, "x", done); });
        QCOMPARE(response->code, 415);
        response = call([&](auto done) {
            return server_->writeComposite(kEndpoint, R"([{"n":"/3/0/13","vs":[1]}])", done);
        });
        QCOMPARE(response->code, 400);
        TestLwm2mServer::RequestOptions options;
        options.contentFormat = format::kSenmlJson;
        options.payload = "[1,2,3]";
        response = call([&](auto done) {
            return server_->request(kEndpoint, COAP_REQUEST_CODE_FETCH, "/", options, done);
        });
        QCOMPARE(response->code, 400);
        response = call([&](auto done) {
            return server_->request(kEndpoint, COAP_REQUEST_CODE_PATCH, "/3/0", {}, done);
        });
        QCOMPARE(response->code, 405);
        response = call([&](auto done) { return server_->read(kEndpoint, "/3/0/0/0/0", done); });
        QCOMPARE(response->code, 404);
        QCOMPARE(server_->request("nobody", COAP_REQUEST_CODE_GET, "/3/0", {}, {}), 0U);
        response = call([&](auto done) { return server_->read(kEndpoint, "/3/0/0", done); });
        QCOMPARE(response->code, 205);
    }

    void restartedServerForgetsEverything() {
        const quint16 port = server_->port();
        server_->close();
        QVERIFY(server_->endpoints().isEmpty());
        QVERIFY(server_->listen(QStringLiteral("127.0.0.1"), port));
        QSignalSpy failed(sensor_.get(), &TestSensor::updateFailed);
        QSignalSpy again(sensor_.get(), &TestSensor::registered);
        QVERIFY(sensor_->update());
        QVERIFY(again.wait(kWaitMs));
        QCOMPARE(failed.front().front().toInt(), 404);
        QCOMPARE(server_->endpoints(), QStringList{kEndpoint});
    }

    void coapClientRegisters() {
        const QString client = coapClient();
        QVERIFY2(!client.isEmpty(),
                 "coap-client-notls not found: install Debian package libcoap3-bin "
                 "(or point LWM2MGW_COAP_CLIENT at it)");
        QVERIFY2(QFileInfo(client).isExecutable(),
                 qPrintable(QStringLiteral("%1 is not an executable coap-client").arg(client)));
        const QString uri =
            QStringLiteral("coap://127.0.0.1:%1/rd?ep=raw&lt=60").arg(server_->port());
        QProcess process;
        process.setProcessChannelMode(QProcess::MergedChannels);
        QSignalSpy finished(&process, &QProcess::finished);
        // -v 6 makes coap-client log the answer's header, code included.
        process.start(client, {"-m", "post", "-v", "6", "-e", "</1/0>,</3/0>", uri});
        QVERIFY2(finished.wait(kWaitMs), "coap-client-notls did not finish");
        const QByteArray output = process.readAll();
        QVERIFY2(process.exitCode() == 0, output.constData());
        QVERIFY2(output.contains("2.01"), output.constData());
        const auto record = server_->client(QStringLiteral("raw"));
        QVERIFY(record.has_value());
        QCOMPARE(record->links, QByteArray("</1/0>,</3/0>"));
        QCOMPARE(record->lwm2mVersion, QStringLiteral("1.0"));

        QProcess missing;
        missing.setProcessChannelMode(QProcess::MergedChannels);
        QSignalSpy missingDone(&missing, &QProcess::finished);
        missing.start(client,
                      {"-m", "post", "-v", "6",
                       QStringLiteral("coap://127.0.0.1:%1/rd?lt=60").arg(server_->port())});
        QVERIFY(missingDone.wait(kWaitMs));
        QVERIFY2(missing.readAll().contains("4.00"), "missing ep must get 4.00");

        QProcess unknown;
        unknown.setProcessChannelMode(QProcess::MergedChannels);
        QSignalSpy unknownDone(&unknown, &QProcess::finished);
        unknown.start(client, {"-m", "post", "-v", "6",
                               QStringLiteral("coap://127.0.0.1:%1/rd/nope").arg(server_->port())});
        QVERIFY(unknownDone.wait(kWaitMs));
        QVERIFY2(unknown.readAll().contains("4.04"), "unknown registration must get 4.04");
    }
};

QTEST_GUILESS_MAIN(PeersSelfTest)
#include "test_peers_selftest.moc"
