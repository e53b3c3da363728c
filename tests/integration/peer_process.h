// A long-running independent peer (coap-server-openssl, ...) whose output is collected while the
// test's event loop runs.
#pragma once

#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTest>

namespace lwm2mgw::testing {

class PeerProcess {
public:
    PeerProcess(const QString& program, const QStringList& arguments) {
        process_.setProcessChannelMode(QProcess::MergedChannels);
        process_.start(program, arguments);
        process_.waitForStarted(5000);
    }
    ~PeerProcess() {
        process_.kill();
        process_.waitForFinished(2000);
    }
    PeerProcess(const PeerProcess&) = delete;
    PeerProcess& operator=(const PeerProcess&) = delete;

    QString output() {
        output_ += QString::fromUtf8(process_.readAll());
        return output_;
    }
    bool waitFor(const QString& text, int timeoutMs = 15000) {
        return QTest::qWaitFor([&] { return output().contains(text); }, timeoutMs);
    }

private:
    QProcess process_;
    QString output_;
};

}  // namespace lwm2mgw::testing
