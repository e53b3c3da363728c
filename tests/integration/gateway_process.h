#pragma once

#include "free_udp_port.h"

#include <QMap>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

namespace lwm2mgw::testing {

// The real lwm2m-gatewayd binary, run as a child process with a configuration file of the test's
// choosing. Its log (stderr) is kept so a test can wait for and assert on lines.
class GatewayProcess {
public:
    GatewayProcess();
    ~GatewayProcess();
    GatewayProcess(const GatewayProcess&) = delete;
    GatewayProcess& operator=(const GatewayProcess&) = delete;

    // ini: "section/key" -> value, written to a configuration file passed with --config.
    bool start(const QMap<QString, QString>& ini, const QStringList& arguments = {});
    // SIGTERM, then waits; returns the exit code (-1 when it had to be killed).
    int stop();
    bool isRunning() const { return process_.state() == QProcess::Running; }
    qint64 processId() const { return process_.processId(); }
    // User + system CPU time the daemon used so far, in clock ticks (from /proc/PID/stat).
    qint64 cpuTicks() const;

    QString log();
    bool waitForLog(const QString& needle, int timeoutMs = 10000);
    // The last `lines` lines of the log, for a failed test's report.
    QString logTail(int lines);
    QString configPath() const { return directory_.filePath(QStringLiteral("gateway.ini")); }
    QString directory() const { return directory_.path(); }

private:
    QTemporaryDir directory_;
    QProcess process_;
    QString log_;
};

}  // namespace lwm2mgw::testing
