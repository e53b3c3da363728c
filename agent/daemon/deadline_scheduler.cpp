#include "deadline_scheduler.h"

#include <QDeadlineTimer>

#include <algorithm>
#include <limits>

namespace lwm2mgw {

namespace {
qint64 nowMs() {
    return QDeadlineTimer::current().deadline();
}
}  // namespace

DeadlineScheduler::DeadlineScheduler(QObject* parent) : QObject(parent) {
    timer_.setSingleShot(true);
    connect(&timer_, &QTimer::timeout, this, &DeadlineScheduler::fire);
}

DeadlineScheduler& DeadlineScheduler::instance() {
    static DeadlineScheduler scheduler;
    return scheduler;
}

DeadlineScheduler::Handle DeadlineScheduler::schedule(qint64 delayMs,
                                                      std::function<void()> callback) {
    const Handle handle = next_++;
    const auto it = byDeadline_.emplace(nowMs() + std::max<qint64>(delayMs, 0),
                                        Entry{handle, std::move(callback)});
    byHandle_.emplace(handle, it);
    if (it == byDeadline_.begin()) {
        arm();
    }
    return handle;
}

void DeadlineScheduler::cancel(Handle handle) {
    const auto found = byHandle_.find(handle);
    if (found == byHandle_.end()) {
        return;
    }
    byDeadline_.erase(found->second);
    byHandle_.erase(found);
}

qint64 DeadlineScheduler::remainingMs(Handle handle) const {
    const auto found = byHandle_.find(handle);
    return found == byHandle_.end() ? -1 : std::max<qint64>(found->second->first - nowMs(), 0);
}

void DeadlineScheduler::fire() {
    const qint64 now = nowMs();
    while (!byDeadline_.empty() && byDeadline_.begin()->first <= now) {
        Entry entry = std::move(byDeadline_.begin()->second);
        byHandle_.erase(entry.handle);
        byDeadline_.erase(byDeadline_.begin());
        entry.callback();  // May schedule or cancel others.
    }
    arm();
}

void DeadlineScheduler::arm() {
    if (byDeadline_.empty()) {
        timer_.stop();
        return;
    }
    const qint64 delay = std::clamp<qint64>(byDeadline_.begin()->first - nowMs(), 0,
                                            std::numeric_limits<int>::max());
    timer_.start(static_cast<int>(delay));
}

void ScheduledDeadline::start(qint64 delayMs, std::function<void()> callback) {
    stop();
    handle_ = DeadlineScheduler::instance().schedule(delayMs, std::move(callback));
}

void ScheduledDeadline::stop() {
    DeadlineScheduler::instance().cancel(handle_);
    handle_ = 0;
}

bool ScheduledDeadline::isActive() const {
    return DeadlineScheduler::instance().isScheduled(handle_);
}

}  // namespace lwm2mgw
