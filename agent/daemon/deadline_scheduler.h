#pragma once

#include <QObject>
#include <QTimer>

#include <functional>
#include <map>
#include <unordered_map>

namespace lwm2mgw {

// Many long, rarely firing deadlines (a registration's expiry, an upstream Update) on ONE
// QTimer. Qt keeps its timers in a sorted list and every start() walks it: with two QTimers per
// endpoint, a fleet of a thousand sensors made each short timer of the relay path walk two
// thousand entries.
class DeadlineScheduler : public QObject {
    Q_OBJECT
public:
    using Handle = quint64;

    explicit DeadlineScheduler(QObject* parent = nullptr);

    // Runs `callback` once after `delayMs`. The returned handle is never 0.
    Handle schedule(qint64 delayMs, std::function<void()> callback);
    // Safe with 0, with a handle that fired, and from inside a callback.
    void cancel(Handle handle);
    bool isScheduled(Handle handle) const { return byHandle_.count(handle) != 0; }
    // Milliseconds until `handle` fires, or -1.
    qint64 remainingMs(Handle handle) const;

    // One per process: the daemon runs on one thread.
    static DeadlineScheduler& instance();

private:
    void fire();
    void arm();

    struct Entry {
        Handle handle;
        std::function<void()> callback;
    };
    std::multimap<qint64, Entry> byDeadline_;
    std::unordered_map<Handle, std::multimap<qint64, Entry>::iterator> byHandle_;
    Handle next_ = 1;
    QTimer timer_;
};

// A single pending deadline owned by an object, cancelled when the object goes.
class ScheduledDeadline {
public:
    ScheduledDeadline() = default;
    ~ScheduledDeadline() { stop(); }
    ScheduledDeadline(const ScheduledDeadline&) = delete;
    ScheduledDeadline& operator=(const ScheduledDeadline&) = delete;

    void start(qint64 delayMs, std::function<void()> callback);
    void stop();
    bool isActive() const;
    // Milliseconds until it fires, or -1 when not scheduled.
    qint64 remainingMs() const { return DeadlineScheduler::instance().remainingMs(handle_); }

private:
    DeadlineScheduler::Handle handle_ = 0;
};

}  // namespace lwm2mgw
