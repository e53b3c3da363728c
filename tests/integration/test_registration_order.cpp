// LwM2M 1.1 /1/x/13-15 through the real daemon and a real store: the gateway's own stored
// accounts with a Registration Priority Order register one after another in increasing order,
// each its Initial Registration Delay Timer after the one before; an account without an order
// registers at once; a failed registration with Registration Failure Block keeps the rest from
// starting (they show as failed with the reason), one without it lets the next one go.
#include "gateway_process.h"
#include "test_lwm2m_server.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <optional>

using lwm2mgw::peers::TestLwm2mServer;
using lwm2mgw::testing::GatewayProcess;

namespace {

const QString kGateway = QStringLiteral("gw-order");

struct Account {
    int shortServerId;
    quint16 port;
    std::optional<int> order;
    int delaySeconds = 0;
    bool block = false;
};

QByteArray provisioning(const QList<Account>& accounts) {
    QJsonArray security;
    QJsonArray servers;
    for (const Account& account : accounts) {
        security.append(QJsonObject{
            {QStringLiteral("instanceId"), account.shortServerId},
            {QStringLiteral("serverUri"), QStringLiteral("coap://127.0.0.1:%1").arg(account.port)},
            {QStringLiteral("bootstrapServer"), false},
            {QStringLiteral("securityMode"), QStringLiteral("nosec")},
            {QStringLiteral("shortServerId"), account.shortServerId}});
        QJsonObject server{{QStringLiteral("instanceId"), account.shortServerId},
                           {QStringLiteral("shortServerId"), account.shortServerId},
                           {QStringLiteral("lifetime"), 300},
                           {QStringLiteral("notificationStoring"), false},
                           {QStringLiteral("binding"), QStringLiteral("U")},
                           {QStringLiteral("bootstrapOnRegistrationFailure"), false},
                           {QStringLiteral("communicationRetryCount"), 1},
                           {QStringLiteral("communicationRetryTimer"), 1},
                           {QStringLiteral("communicationSequenceRetryCount"), 1},
                           {QStringLiteral("registrationFailureBlock"), account.block}};
        if (account.order) {
            server.insert(QStringLiteral("registrationPriorityOrder"), *account.order);
            server.insert(QStringLiteral("initialRegistrationDelayTimer"), account.delaySeconds);
        }
        servers.append(server);
    }
    const QJsonObject endpoint{{QStringLiteral("endpoint"), kGateway},
                               {QStringLiteral("security"), security},
                               {QStringLiteral("server"), servers}};
    return QJsonDocument(
               QJsonObject{{QStringLiteral("format"), QStringLiteral("lwm2m-gateway-provisioning")},
                           {QStringLiteral("version"), 1},
                           {QStringLiteral("endpoints"), QJsonArray{endpoint}}})
        .toJson();
}

// When each server saw the gateway's Register, in ms on one clock; -1 until it did.
class RegisterTimes {
public:
    explicit RegisterTimes(const QList<TestLwm2mServer*>& servers) {
        clock_.start();
        for (TestLwm2mServer* server : servers) {
            times_[server] = -1;
            QObject::connect(server, &TestLwm2mServer::registered, server,
                             [this, server](const QString& endpoint) {
                                 if (endpoint == kGateway && times_[server] < 0) {
                                     times_[server] = clock_.elapsed();
                                 }
                             });
        }
    }
    qint64 at(TestLwm2mServer* server) const { return times_.value(server, -1); }

private:
    QElapsedTimer clock_;
    QHash<TestLwm2mServer*, qint64> times_;
};

}  // namespace

class TestRegistrationOrder : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void registersInPriorityOrderAfterTheDelays();
    void failureBlockKeepsTheRestFromStarting();
    void failureWithoutBlockLetsTheNextOneGo();

private:
    bool startGateway(const QList<Account>& accounts);

    std::unique_ptr<QTemporaryDir> directory_;
    std::unique_ptr<GatewayProcess> gateway_;
};

void TestRegistrationOrder::init() {
    directory_ = std::make_unique<QTemporaryDir>();
    gateway_ = std::make_unique<GatewayProcess>();
}

void TestRegistrationOrder::cleanup() {
    if (QTest::currentTestFailed()) {
        qWarning().noquote() << "gateway log (last lines):\n" + gateway_->logTail(30);
    }
    gateway_->stop();
}

bool TestRegistrationOrder::startGateway(const QList<Account>& accounts) {
    const QString file = directory_->filePath(QStringLiteral("provisioning.json"));
    QFile out(file);
    if (!out.open(QIODevice::WriteOnly) || out.write(provisioning(accounts)) < 0) {
        return false;
    }
    out.close();
    return gateway_->start(
        {{QStringLiteral("gateway/endpoint"), kGateway},
         {QStringLiteral("downstream/listen"),
          QStringLiteral("coap://127.0.0.1:%1").arg(lwm2mgw::testing::freeUdpPort())},
         {QStringLiteral("coap/ack_timeout_ms"), QStringLiteral("1000")},
         {QStringLiteral("coap/max_retransmit"), QStringLiteral("1")}},
        {QStringLiteral("--store"), directory_->filePath(QStringLiteral("credentials.db")),
         QStringLiteral("--provisioning"), file});
}

void TestRegistrationOrder::registersInPriorityOrderAfterTheDelays() {
    TestLwm2mServer first, second, unordered;
    QVERIFY(first.listen() && second.listen() && unordered.listen());
    RegisterTimes times({&first, &second, &unordered});
    // Listed out of order on purpose: the order comes from /1/x/13, not from the instance ids.
    QVERIFY2(startGateway({{1, second.port(), 7, 0, false},
                           {2, first.port(), 3, 2, false},
                           {3, unordered.port(), std::nullopt}}),
             qPrintable(gateway_->log()));
    QTRY_VERIFY_WITH_TIMEOUT(times.at(&second) >= 0, 15000);
    QVERIFY(times.at(&unordered) >= 0 && times.at(&first) >= 0);
    // The unordered one and the first one's 2 s delay start together; the second waits for
    // the first one's 2.01.
    QVERIFY2(times.at(&first) - times.at(&unordered) >= 1500,
             qPrintable(QStringLiteral("first %1 ms, unordered %2 ms")
                            .arg(times.at(&first))
                            .arg(times.at(&unordered))));
    QVERIFY(times.at(&second) >= times.at(&first));
}

void TestRegistrationOrder::failureBlockKeepsTheRestFromStarting() {
    TestLwm2mServer next;
    QVERIFY(next.listen());
    const quint16 nobody = lwm2mgw::testing::freeUdpPort();
    RegisterTimes times({&next});
    QVERIFY2(startGateway({{1, nobody, 0, 0, true}, {2, next.port(), 1, 0, false}}),
             qPrintable(gateway_->log()));
    QVERIFY2(gateway_->waitForLog(QStringLiteral("blocks the rest (/1/x/15)"), 20000),
             qPrintable(gateway_->log()));
    QVERIFY(gateway_->log().contains(QStringLiteral("127.0.0.1:%1 not started").arg(next.port())));
    QTest::qWait(1500);
    QCOMPARE(times.at(&next), qint64(-1));
    QCOMPARE(next.counters().registers, 0);
}

void TestRegistrationOrder::failureWithoutBlockLetsTheNextOneGo() {
    TestLwm2mServer next;
    QVERIFY(next.listen());
    const quint16 nobody = lwm2mgw::testing::freeUdpPort();
    RegisterTimes times({&next});
    QVERIFY2(startGateway({{1, nobody, 0, 0, false}, {2, next.port(), 1, 0, false}}),
             qPrintable(gateway_->log()));
    QTRY_VERIFY_WITH_TIMEOUT(times.at(&next) >= 0, 20000);
    QVERIFY(gateway_->log().contains(QStringLiteral("failed after")));
    QVERIFY(!gateway_->log().contains(QStringLiteral("blocks the rest")));
}

QTEST_GUILESS_MAIN(TestRegistrationOrder)
#include "test_registration_order.moc"
