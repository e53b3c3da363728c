#include "gateway_process.h"

#include <algorithm>

#include <QDeadlineTimer>
#include <QFile>
#include <QTest>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>

namespace lwm2mgw::testing {

qint64 GatewayProcess::cpuTicks() const {
    QFile stat(QStringLiteral("/proc/%1/stat").arg(process_.processId()));
    if (!stat.open(QIODevice::ReadOnly)) {
        return -1;
    }
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const QByteArray text = stat.readAll();
    const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
    return fields.size() > 12 ? fields[11].toLongLong() + fields[12].toLongLong() : -1;
}

GatewayProcess::GatewayProcess() {
    process_.setProcessChannelMode(QProcess::SeparateChannels);
}

GatewayProcess::~GatewayProcess() {
    stop();
}

bool GatewayProcess::start(const QMap<QString, QString>& ini, const QStringList& arguments) {
    QFile config(configPath());
    if (!config.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        return false;
    }
    QMap<QString, QMap<QString, QString>> sections;
    for (auto it = ini.begin(); it != ini.end(); ++it) {
        const qsizetype slash = it.key().indexOf(QLatin1Char('/'));
        sections[it.key().left(slash)][it.key().mid(slash + 1)] = it.value();
    }
    for (auto section = sections.begin(); section != sections.end(); ++section) {
        config.write("[" + section.key().toUtf8() + "]\n");
        for (auto it = section->begin(); it != section->end(); ++it) {
            config.write(it.key().toUtf8() + "=" + it.value().toUtf8() + "\n");
        }
    }
    config.close();
    QStringList all{QStringLiteral("--config"), configPath(), QStringLiteral("--plugin-dir"),
                    QStringLiteral(LWM2MGW_TEST_PLUGIN_DIR)};
    all << arguments;
    log_.clear();
    process_.start(QStringLiteral(LWM2MGW_TEST_GATEWAYD), all);
    if (!process_.waitForStarted(5000)) {
        return false;
    }
    return waitForLog(QStringLiteral(" started"), 10000);
}

int GatewayProcess::stop() {
    if (process_.state() == QProcess::NotRunning) {
        return process_.exitStatus() == QProcess::NormalExit ? process_.exitCode() : -1;
    }
    ::kill(static_cast<pid_t>(process_.processId()), SIGTERM);
    // Keep this process's event loop running: in-process peers must answer its de-registrations.
    if (!QTest::qWaitFor([&] { return process_.state() == QProcess::NotRunning; }, 10000)) {
        process_.kill();
        process_.waitForFinished(2000);
        return -1;
    }
    log();
    return process_.exitStatus() == QProcess::NormalExit ? process_.exitCode() : -1;
}

QString GatewayProcess::log() {
    log_ += QString::fromUtf8(process_.readAllStandardError());
    log_ += QString::fromUtf8(process_.readAllStandardOutput());
    return log_;
}

QString GatewayProcess::logTail(int lines) {
    const QStringList all = log().split(QLatin1Char('\n'));
    return all.mid(std::max<qsizetype>(0, all.size() - lines)).join(QLatin1Char('\n'));
}

bool GatewayProcess::waitForLog(const QString& needle, int timeoutMs) {
    return QTest::qWaitFor(
               [&] { return log().contains(needle) || process_.state() == QProcess::NotRunning; },
               timeoutMs) &&
           log().contains(needle);
}

}  // namespace lwm2mgw::testing
