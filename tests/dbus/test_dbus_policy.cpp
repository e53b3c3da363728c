// The package's system bus policy (dbus/org.lwm2mgateway.Gateway1.conf) on a private dbus-daemon
// configured like Debian's system bus, with the real daemon behind it: a caller outside root and
// the lwm2m-gateway group may read, and is refused by the bus itself for anything that changes;
// a member of the group (not root) gets through the bus and the daemon's own check.
#include "ctl_process.h"
#include "gateway_process.h"
#include "private_bus.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

#include <memory>

using lwm2mgw::testing::CtlResult;
using lwm2mgw::testing::GatewayProcess;
using lwm2mgw::testing::PrivateBus;
using lwm2mgw::testing::runCtl;

class TestDbusPolicy : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void anybodyMayRead();
    void outsiderIsRefusedEveryChange();
    void rootPassesThePolicy();
    void groupMemberMayChange();

private:
    CtlResult asNobody(const QStringList& command) {
        return runCtl(
            QStringList{QStringLiteral("--json"), QStringLiteral("--address"), bus_.address()} +
                command,
            true);
    }

    PrivateBus bus_;
    std::unique_ptr<GatewayProcess> gateway_;
};

void TestDbusPolicy::initTestCase() {
    if (!lwm2mgw::testing::canRunAsNobody()) {
        QSKIP("needs root and setpriv to run a caller as nobody");
    }
    const QString error =
        bus_.start(PrivateBus::Kind::SystemLike, QStringLiteral(LWM2MGW_DBUS_POLICY));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    gateway_ = std::make_unique<GatewayProcess>();
    // No upstream server: the policy is all this test is about.
    QVERIFY2(gateway_->start(
                 {{QStringLiteral("gateway/endpoint"), QStringLiteral("gw-policy-test")},
                  {QStringLiteral("downstream/listen"),
                   QStringLiteral("coap://127.0.0.1:%1").arg(lwm2mgw::testing::freeUdpPort())}},
                 {QStringLiteral("--address"), bus_.address()}),
             qPrintable(gateway_->log()));
    // root may own the name under the policy, so this line says the policy file was accepted.
    QVERIFY2(gateway_->waitForLog(QStringLiteral("control interface org.lwm2mgateway.Gateway1")),
             qPrintable(gateway_->log()));
}

void TestDbusPolicy::cleanupTestCase() {
    if (gateway_) {
        QCOMPARE(gateway_->stop(), 0);
    }
}

void TestDbusPolicy::anybodyMayRead() {
    for (const QString& command : {QStringLiteral("status"), QStringLiteral("endpoints"),
                                   QStringLiteral("servers"), QStringLiteral("plugins")}) {
        const CtlResult result = asNobody({command});
        QVERIFY2(result.exitCode == 0, qPrintable(command + QLatin1Char(' ') + result.err));
    }
    // An unknown endpoint is the daemon's answer, so the read reached it.
    QCOMPARE(asNobody({QStringLiteral("endpoint"), QStringLiteral("x")}).exitCode, 4);
}

void TestDbusPolicy::outsiderIsRefusedEveryChange() {
    const QList<QStringList> changes{
        {QStringLiteral("deregister"), QStringLiteral("x")},
        {QStringLiteral("update"), QStringLiteral("x")},
        {QStringLiteral("bootstrap")},
        {QStringLiteral("reload")},
        {QStringLiteral("credentials"), QStringLiteral("list")},
        {QStringLiteral("credentials"), QStringLiteral("remove"), QStringLiteral("psk"),
         QStringLiteral("x")},
        {QStringLiteral("accounts"), QStringLiteral("list")},
        {QStringLiteral("accounts"), QStringLiteral("remove"), QStringLiteral("x"),
         QStringLiteral("1")},
    };
    for (const QStringList& change : changes) {
        const CtlResult result = asNobody(change);
        QVERIFY2(result.exitCode == 5,
                 qPrintable(change.join(QLatin1Char(' ')) +
                            QStringLiteral(": exit %1 ").arg(result.exitCode) + result.err));
        // Refused by the bus, before the daemon saw it.
        QCOMPARE(QJsonDocument::fromJson(result.out.toUtf8())
                     .object()[QStringLiteral("error")]
                     .toString(),
                 QStringLiteral("org.freedesktop.DBus.Error.AccessDenied"));
        QVERIFY2(result.err.contains(QLatin1String("lwm2m-gateway")), qPrintable(result.err));
    }
    QVERIFY(gateway_->isRunning());
}

void TestDbusPolicy::rootPassesThePolicy() {
    const CtlResult result = runCtl({QStringLiteral("--address"), bus_.address(),
                                     QStringLiteral("deregister"), QStringLiteral("x")});
    QCOMPARE(result.exitCode, 4);  // the daemon's NotFound: the call got through
    QCOMPARE(
        runCtl({QStringLiteral("--address"), bus_.address(), QStringLiteral("reload")}).exitCode,
        0);
}

namespace {

// 0 when the command ran and succeeded.
int runTool(const QString& program, const QStringList& arguments) {
    QProcess process;
    process.start(program, arguments);
    if (!process.waitForFinished(20000)) {
        return -1;
    }
    return process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
}

const QString kMember = QStringLiteral("lwm2mgw-test-member");

}  // namespace

void TestDbusPolicy::groupMemberMayChange() {
    // The package's sysusers file makes the group; on a CI machine without the package, make
    // it here, with a member of our own that has no home and no login.
    if (runTool(QStringLiteral("getent"),
                {QStringLiteral("group"), QStringLiteral("lwm2m-gateway")}) != 0) {
        QCOMPARE(runTool(QStringLiteral("groupadd"),
                         {QStringLiteral("--system"), QStringLiteral("lwm2m-gateway")}),
                 0);
    }
    if (runTool(QStringLiteral("getent"), {QStringLiteral("passwd"), kMember}) != 0) {
        QCOMPARE(runTool(QStringLiteral("useradd"),
                         {QStringLiteral("--system"), QStringLiteral("--user-group"),
                          QStringLiteral("--no-create-home"), QStringLiteral("--shell"),
                          QStringLiteral("/usr/sbin/nologin"), QStringLiteral("--groups"),
                          QStringLiteral("lwm2m-gateway"), kMember}),
                 0);
    }
    const QStringList bus{QStringLiteral("--json"), QStringLiteral("--address"), bus_.address()};
    // Mutating calls reach the daemon and its answer is the daemon's, not AccessDenied.
    const CtlResult reload =
        lwm2mgw::testing::runCtlAsUser(kMember, bus + QStringList{QStringLiteral("reload")});
    QVERIFY2(reload.exitCode == 0, qPrintable(reload.out + reload.err));
    const CtlResult deregister = lwm2mgw::testing::runCtlAsUser(
        kMember, bus + QStringList{QStringLiteral("deregister"), QStringLiteral("x")});
    QCOMPARE(deregister.exitCode, 4);
    QCOMPARE(QJsonDocument::fromJson(deregister.out.toUtf8())
                 .object()[QStringLiteral("error")]
                 .toString(),
             QStringLiteral("org.lwm2mgateway.Error.NotFound"));
    // The same call as nobody is still refused.
    QCOMPARE(asNobody({QStringLiteral("deregister"), QStringLiteral("x")}).exitCode, 5);
}

QTEST_GUILESS_MAIN(TestDbusPolicy)
#include "test_dbus_policy.moc"
