#include "ctl_process.h"

#include <QProcess>
#include <QStandardPaths>
#include <QTest>

#include <unistd.h>

namespace lwm2mgw::testing {

bool canRunAsNobody() {
    return ::geteuid() == 0 && !QStandardPaths::findExecutable(QStringLiteral("setpriv")).isEmpty();
}

namespace {

CtlResult finish(QProcess& process) {
    CtlResult result;
    if (!process.waitForStarted(5000) ||
        !QTest::qWaitFor([&] { return process.state() == QProcess::NotRunning; }, 30000)) {
        process.kill();
        process.waitForFinished(1000);
        return result;
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = QString::fromUtf8(process.readAllStandardOutput());
    result.err = QString::fromUtf8(process.readAllStandardError());
    return result;
}

}  // namespace

CtlResult runCtlAsUser(const QString& user, const QStringList& arguments) {
    QProcess process;
    process.start(
        QStringLiteral("setpriv"),
        QStringList{QStringLiteral("--reuid=") + user, QStringLiteral("--regid=") + user,
                    QStringLiteral("--init-groups"), QStringLiteral(LWM2MGW_TEST_GATEWAYCTL)} +
            arguments);
    return finish(process);
}

CtlResult runCtl(const QStringList& arguments, bool asNobody, const QStringList& environment) {
    QProcess process;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const QString& assignment : environment) {
        env.insert(assignment.section(QLatin1Char('='), 0, 0),
                   assignment.section(QLatin1Char('='), 1));
    }
    process.setProcessEnvironment(env);
    if (asNobody) {
        process.start(
            QStringLiteral("setpriv"),
            QStringList{QStringLiteral("--reuid=nobody"), QStringLiteral("--regid=nogroup"),
                        QStringLiteral("--clear-groups"), QStringLiteral(LWM2MGW_TEST_GATEWAYCTL)} +
                arguments);
    } else {
        process.start(QStringLiteral(LWM2MGW_TEST_GATEWAYCTL), arguments);
    }
    return finish(process);
}

}  // namespace lwm2mgw::testing
