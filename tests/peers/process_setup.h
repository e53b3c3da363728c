#pragma once

#include <QObject>
#include <QSocketNotifier>

namespace lwm2mgw::peers {

// Raises RLIMIT_NOFILE to its hard limit: every sensor session holds its own UDP socket.
// Returns the resulting soft limit.
quint64 raiseFileLimit();

// SIGINT/SIGTERM delivered on the Qt loop through a self-pipe, so shutdown work (such as
// de-registering) runs as ordinary event-driven code.
class UnixSignalWatcher : public QObject {
    Q_OBJECT
public:
    explicit UnixSignalWatcher(QObject* parent = nullptr);
    ~UnixSignalWatcher() override;

signals:
    void terminationRequested(int signalNumber);

private:
    static void onSignal(int signalNumber);
    void readPipe();

    static int writeFd_;
    int readFd_ = -1;
    QSocketNotifier* notifier_ = nullptr;
};

}  // namespace lwm2mgw::peers
