#include "coap_event_loop.h"

#include <QLoggingCategory>

#include <sys/epoll.h>

#include <cerrno>
#include <cstdlib>

Q_LOGGING_CATEGORY(lcCoap, "lwm2mgw.coap", QtWarningMsg)

namespace lwm2mgw {

namespace {

void coapLogHandler(coap_log_t level, const char* message) {
    QByteArray text(message);
    while (text.endsWith('\n') || text.endsWith('\r')) {
        text.chop(1);
    }
    if (level <= LOG_ERR) {
        qCCritical(lcCoap).noquote() << text;
    } else if (level <= LOG_WARNING) {
        qCWarning(lcCoap).noquote() << text;
    } else if (level <= LOG_INFO) {
        qCInfo(lcCoap).noquote() << text;
    } else {
        qCDebug(lcCoap).noquote() << text;
    }
}

}  // namespace

void initCoapLibrary() {
    static bool started = false;
    if (started) {
        return;
    }
    started = true;
    coap_startup();
    coap_set_log_handler(coapLogHandler);
    // libcoap formats every debug line even when nobody reads it: only pay for it when asked.
    coap_set_log_level(lcCoap().isDebugEnabled()  ? LOG_DEBUG
                       : lcCoap().isInfoEnabled() ? LOG_INFO
                                                  : LOG_WARNING);
    coap_dtls_set_log_level(lcCoap().isDebugEnabled() ? LOG_DEBUG : LOG_WARNING);
}

CoapEventLoop::CoapEventLoop(coap_context_t* context, QObject* parent)
    : QObject(parent), context_(context) {
    timer_.setSingleShot(true);
    timer_.setTimerType(Qt::PreciseTimer);
    connect(&timer_, &QTimer::timeout, this, &CoapEventLoop::process);
    const int fd = coap_context_get_coap_fd(context_);
    if (fd >= 0) {
        notifier_ = new QSocketNotifier(fd, QSocketNotifier::Read, this);
        connect(notifier_, &QSocketNotifier::activated, this, &CoapEventLoop::process);
    } else {
        qCCritical(lcCoap) << "libcoap was built without epoll support; cannot drive it";
    }
    prepare();
}

CoapEventLoop::~CoapEventLoop() {
    delete notifier_;
    coap_free_context(context_);
}

namespace {
constexpr qint64 kMinPrepareIntervalMs = 20;
constexpr int kTimerSlackMs = 2;
}  // namespace

void CoapEventLoop::process() {
    if (processing_) {
        return;
    }
    processing_ = true;
    const int fd = coap_context_get_coap_fd(context_);
    constexpr int kMaxEvents = 64;
    epoll_event events[kMaxEvents];
    int count = 0;
    do {
        count = epoll_wait(fd, events, kMaxEvents, 0);
        if (count > 0) {
            coap_io_do_epoll(context_, events, static_cast<size_t>(count));
        }
    } while (count == kMaxEvents || (count < 0 && errno == EINTR));
    processing_ = false;
    if (!sincePrepare_.isValid() || sincePrepare_.elapsed() >= kMinPrepareIntervalMs) {
        prepare();
    } else if (!timer_.isActive()) {
        timer_.start(static_cast<int>(kMinPrepareIntervalMs));
    }
}

void CoapEventLoop::prepare() {
    sincePrepare_.start();
    coap_tick_t now;
    coap_ticks(&now);
    const int ms = static_cast<int>(coap_io_prepare_epoll(context_, now));
    if (ms == 0) {
        timer_.stop();
    } else if (!timer_.isActive() || std::abs(timer_.remainingTime() - ms) > kTimerSlackMs) {
        // Every start() is an insertion into Qt's sorted timer list: skip it when it would not
        // move the deadline noticeably.
        timer_.start(ms);
    }
}

void CoapEventLoop::rearm() {
    if (prepareQueued_) {
        return;
    }
    prepareQueued_ = true;
    QMetaObject::invokeMethod(
        this,
        [this] {
            prepareQueued_ = false;
            prepare();
        },
        Qt::QueuedConnection);
}

}  // namespace lwm2mgw
