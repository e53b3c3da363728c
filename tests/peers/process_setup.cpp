#include "process_setup.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>

namespace lwm2mgw::peers {

int UnixSignalWatcher::writeFd_ = -1;

quint64 raiseFileLimit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return 0;
    }
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
        getrlimit(RLIMIT_NOFILE, &limit);
    }
    return static_cast<quint64>(limit.rlim_cur);
}

UnixSignalWatcher::UnixSignalWatcher(QObject* parent) : QObject(parent) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        return;
    }
    readFd_ = fds[0];
    writeFd_ = fds[1];
    notifier_ = new QSocketNotifier(readFd_, QSocketNotifier::Read, this);
    connect(notifier_, &QSocketNotifier::activated, this, &UnixSignalWatcher::readPipe);
    struct sigaction action {};
    action.sa_handler = &UnixSignalWatcher::onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

UnixSignalWatcher::~UnixSignalWatcher() {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    delete notifier_;
    if (readFd_ >= 0) {
        ::close(readFd_);
    }
    if (writeFd_ >= 0) {
        ::close(writeFd_);
        writeFd_ = -1;
    }
}

void UnixSignalWatcher::onSignal(int signalNumber) {
    // Only async-signal-safe work here: one byte into the pipe.
    const auto byte = static_cast<unsigned char>(signalNumber);
    if (writeFd_ >= 0) {
        [[maybe_unused]] const ssize_t written = ::write(writeFd_, &byte, 1);
    }
}

void UnixSignalWatcher::readPipe() {
    unsigned char byte = 0;
    while (::read(readFd_, &byte, 1) == 1) {
        emit terminationRequested(byte);
    }
}

}  // namespace lwm2mgw::peers
