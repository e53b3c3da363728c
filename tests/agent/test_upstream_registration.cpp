// The gateway as LwM2M client of one server for one endpoint: Register, Update, re-Register
// after a 4.04, the LwM2M 1.1 retry back-off, and De-register, against the in-tree server.
#include "coap_event_loop.h"
#include "plugin_host.h"
#include "test_lwm2m_server.h"
#include "upstream_client.h"
#include "upstream_registration.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace lwm2mgw;
using lwm2mgw::peers::TestLwm2mServer;

namespace {

// A UDP port nobody listens on: ICMP port unreachable answers every datagram.
quint16 unusedPort() {
    TestLwm2mServer probe;
    probe.listen();
    return probe.port();  // Closed again when probe goes out of scope.
}

// Requests the server sends to the endpoint are not this test's subject: answer 4.04.
class NoObjects final : public UpstreamRequestSink {
public:
    void handleServerRequest(UpstreamRegistration&, coap_resource_t*, coap_session_t*,
                             const coap_pdu_t*, const coap_string_t*,
                             coap_pdu_t* response) override {
        coap_pdu_set_code(response, COAP_RESPONSE_CODE_NOT_FOUND);
    }
    void serverSessionEnding(UpstreamRegistration&, coap_session_t*) override { ++sessionsEnded; }
    void serverRefused(UpstreamRegistration&, const coap_pdu_t*, coap_nack_reason_t) override {}
    int sessionsEnded = 0;
};

}  // namespace

class TestUpstreamRegistration : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void registersAndUpdates();
    void registersAgainWhenServerLostTheRegistration();
    void retriesWithDoublingTimerThenFails();
    void waitsSequenceDelayBetweenSequences();
    void unreachableServerIsRetried();
    void sensorActivityRestartsAFailedRegistration();
    void deregisters();
    void deregistersWhatARegisterInFlightCreates();

private:
    std::unique_ptr<UpstreamRegistration> makeRegistration(const CommunicationRetryPolicy& policy,
                                                           quint16 port = 0);

    PluginHostImpl plugins_;
    GatewayConfig config_;
    std::unique_ptr<UpstreamClient> client_;
    std::unique_ptr<TestLwm2mServer> server_;
    NoObjects sink_;
};

void TestUpstreamRegistration::initTestCase() {
    initCoapLibrary();
    plugins_.loadDirectory(QStringLiteral(LWM2MGW_TEST_PLUGIN_DIR));
    QVERIFY(plugins_.pluginFor(SecurityMode::NoSec));
    config_.ackTimeoutMs = 300;
    config_.maxRetransmit = 1;
    client_ = std::make_unique<UpstreamClient>(plugins_, config_);
    QVERIFY(client_->isValid());
}

void TestUpstreamRegistration::init() {
    server_ = std::make_unique<TestLwm2mServer>();
    QVERIFY(server_->listen());
}

void TestUpstreamRegistration::cleanup() {
    server_.reset();
}

std::unique_ptr<UpstreamRegistration> TestUpstreamRegistration::makeRegistration(
    const CommunicationRetryPolicy& policy, quint16 port) {
    ServerAccount account;
    account.shortServerId = 1;
    account.uri.host = QStringLiteral("127.0.0.1");
    account.uri.port = port ? port : server_->port();
    account.security.mode = SecurityMode::NoSec;
    account.retryPolicy = policy;
    UpstreamRegistrationParams params;
    params.endpoint = QStringLiteral("ep-under-test");
    params.lifetimeSeconds = 60;
    params.binding = QStringLiteral("U");
    params.lwm2mVersion = QStringLiteral("1.1");
    params.objectLinks = "</1/0>,</3/0>";
    return std::make_unique<UpstreamRegistration>(*client_, QStringLiteral("ep-under-test"),
                                                  account, params, &sink_);
}

void TestUpstreamRegistration::registersAndUpdates() {
    auto registration = makeRegistration({});
    registration->start();
    QTRY_COMPARE_WITH_TIMEOUT(registration->state(), UpstreamState::Registered, 5000);
    const auto record = server_->client(QStringLiteral("ep-under-test"));
    QVERIFY(record);
    QCOMPARE(record->lifetime, 60);
    QCOMPARE(record->lwm2mVersion, QStringLiteral("1.1"));
    QCOMPARE(record->links, QByteArray("</1/0>,</3/0>"));
    QCOMPARE(QStringLiteral("/") + registration->location(), record->location);

    UpstreamRegistrationParams changed = registration->params();
    changed.lifetimeSeconds = 90;
    changed.objectLinks = "</1/0>,</3/0>,</3303/0>";
    registration->update(changed, true);
    QTRY_COMPARE_WITH_TIMEOUT(server_->client(QStringLiteral("ep-under-test"))->lifetime, 90, 5000);
    QCOMPARE(server_->client(QStringLiteral("ep-under-test"))->links, changed.objectLinks);
    QCOMPARE(server_->client(QStringLiteral("ep-under-test"))->registrations,
             1);  // An Update, not a Register.
    QCOMPARE(registration->state(), UpstreamState::Registered);
}

void TestUpstreamRegistration::registersAgainWhenServerLostTheRegistration() {
    auto registration = makeRegistration({});
    registration->start();
    QTRY_COMPARE_WITH_TIMEOUT(registration->state(), UpstreamState::Registered, 5000);
    const quint16 port = server_->port();
    server_->close();
    QVERIFY(server_->listen(QStringLiteral("127.0.0.1"), port));
    QSignalSpy registered(server_.get(), &TestLwm2mServer::registered);
    registration->triggerUpdate();
    QTRY_COMPARE_WITH_TIMEOUT(registered.size(), 1, 5000);
    QTRY_COMPARE_WITH_TIMEOUT(registration->state(), UpstreamState::Registered, 5000);
    QCOMPARE(server_->counters().updates, 0);  // The Update got 4.04, then a Register followed.
}

void TestUpstreamRegistration::retriesWithDoublingTimerThenFails() {
    server_->setAcceptRegistrations(false);
    CommunicationRetryPolicy policy;
    policy.retryCount = 3;
    policy.retryTimerSeconds = 1;
    policy.sequenceRetryCount = 1;
    auto registration = makeRegistration(policy);
    QList<qint64> attempts;
    QElapsedTimer clock;
    clock.start();
    connect(registration.get(), &UpstreamRegistration::stateChanged, this,
            [&](UpstreamState state) {
                if (state == UpstreamState::Registering) {
                    attempts << clock.elapsed();
                }
            });
    QCOMPARE(registration->state(), UpstreamState::Waiting);  // until started
    registration->start();
    QTRY_COMPARE_WITH_TIMEOUT(registration->state(), UpstreamState::Failed, 10000);
    QCOMPARE(server_->counters().refusedRegisters, 3);
    QCOMPARE(attempts.size(), 3);
    // Communication Retry Timer, doubled after each failure of the sequence: 1 s, then 2 s.
    QVERIFY2(attempts[1] - attempts[0] >= 950 && attempts[1] - attempts[0] < 1800,
             qPrintable(QString::number(attempts[1])));
    QVERIFY2(attempts[2] - attempts[1] >= 1950 && attempts[2] - attempts[1] < 3000,
             qPrintable(QString::number(attempts[2] - attempts[1])));
    QVERIFY(registration->lastError().contains(QStringLiteral("5.03")));
    QTest::qWait(1500);
    QCOMPARE(server_->counters().refusedRegisters, 3);  // Failed means no further attempts.
}

void TestUpstreamRegistration::waitsSequenceDelayBetweenSequences() {
    server_->setAcceptRegistrations(false);
    CommunicationRetryPolicy policy;
    policy.retryCount = 1;
    policy.retryTimerSeconds = 1;
    policy.sequenceDelaySeconds = 2;
    policy.sequenceRetryCount = 2;
    auto registration = makeRegistration(policy);
    QElapsedTimer clock;
    clock.start();
    registration->start();
    QTRY_COMPARE_WITH_TIMEOUT(server_->counters().refusedRegisters, 1, 3000);
    QCOMPARE(registration->state(), UpstreamState::RetryWait);
    QVERIFY(registration->nextAttemptAt().isValid());
    QTRY_COMPARE_WITH_TIMEOUT(server_->counters().refusedRegisters, 2, 5000);
    QVERIFY2(clock.elapsed() >= 1950, qPrintable(QString::number(clock.elapsed())));
    QTRY_COMPARE_WITH_TIMEOUT(registration->state(), UpstreamState::Failed, 3000);
}

void TestUpstreamRegistration::unreachableServerIsRetried() {
    CommunicationRetryPolicy policy;
    policy.retryTimerSeconds = 30;
    auto registration = makeRegistration(policy, unusedPort());
    registration->start();
    QTRY_COMPARE_WITH_TIMEOUT(registration->state(), UpstreamState::RetryWait, 5000);
    QVERIFY2(!registration->lastError().isEmpty(), "an operator needs the reason");
    QVERIFY(registration->nextAttemptAt() > QDateTime::currentDateTimeUtc().addSecs(20));
}

void TestUpstreamRegistration::sensorActivityRestartsAFailedRegistration() {
    server_->setAcceptRegistrations(false);
    CommunicationRetryPolicy policy;
    policy.retryCount = 1;
    policy.sequenceRetryCount = 1;
    auto registration = makeRegistration(policy);
    registration->start();
    QTRY_COMPARE_WITH_TIMEOUT(registration->state(), UpstreamState::Failed, 5000);
    server_->setAcceptRegistrations(true);
    registration->update(registration->params(), false);
    QTRY_COMPARE_WITH_TIMEOUT(registration->state(), UpstreamState::Registered, 5000);
}

void TestUpstreamRegistration::deregisters() {
    auto registration = makeRegistration({});
    registration->start();
    QTRY_COMPARE_WITH_TIMEOUT(registration->state(), UpstreamState::Registered, 5000);
    QSignalSpy finished(registration.get(), &UpstreamRegistration::finished);
    QSignalSpy deregistered(server_.get(), &TestLwm2mServer::deregistered);
    registration->deregister();
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 5000);
    QCOMPARE(deregistered.size(), 1);
    QCOMPARE(registration->state(), UpstreamState::Deregistered);
    QVERIFY(!server_->client(QStringLiteral("ep-under-test")));
}

void TestUpstreamRegistration::deregistersWhatARegisterInFlightCreates() {
    auto registration = makeRegistration({});
    QSignalSpy registered(server_.get(), &TestLwm2mServer::registered);
    QSignalSpy deregistered(server_.get(), &TestLwm2mServer::deregistered);
    QSignalSpy finished(registration.get(), &UpstreamRegistration::finished);
    registration->start();
    QCOMPARE(registration->state(), UpstreamState::Registering);
    // The Register is on the wire, unanswered: a sensor leaving now must not leave the server
    // holding a registration until its lifetime ends.
    registration->deregister();
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
    QCOMPARE(registered.size(), 1);
    QCOMPARE(deregistered.size(), 1);
    QCOMPARE(registration->state(), UpstreamState::Deregistered);
    QVERIFY(!server_->client(QStringLiteral("ep-under-test")));
}

QTEST_GUILESS_MAIN(TestUpstreamRegistration)
#include "test_upstream_registration.moc"
