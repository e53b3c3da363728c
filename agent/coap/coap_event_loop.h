#pragma once

#include <coap3/coap.h>

#include <QElapsedTimer>
#include <QObject>
#include <QSocketNotifier>
#include <QTimer>

namespace lwm2mgw {

// Drives one libcoap context from the Qt event loop: a QSocketNotifier on the context's epoll
// fd and a single-shot QTimer armed from coap_io_prepare_epoll(). No thread, no polling: an
// idle context costs no CPU.
//
// libcoap 4.3.1 walks every session of a context in coap_io_prepare_epoll(); with a thousand
// sensors behind one listener that walk is the gateway's largest cost. coap_io_process() walks
// twice per wake-up. Here a wake-up runs the epoll step (epoll_wait without waiting, then
// coap_io_do_epoll(), which ends with libcoap's own prepare walk and arms the timer fd inside
// its epoll set), and the prepare that arms the QTimer runs at most every
// kMinPrepareIntervalMs: under load the QTimer is only a backstop, since the timer fd already
// wakes the notifier for every retransmission, Observe check and async answer that falls due.
// PDUs queued with coap_send() need nothing more for the same reason.
class CoapEventLoop : public QObject {
    Q_OBJECT
public:
    // Takes ownership of the context; it is freed with this object.
    explicit CoapEventLoop(coap_context_t* context, QObject* parent = nullptr);
    ~CoapEventLoop() override;
    CoapEventLoop(const CoapEventLoop&) = delete;
    CoapEventLoop& operator=(const CoapEventLoop&) = delete;

    coap_context_t* context() const { return context_; }

    // After opening an endpoint or a session (a DTLS handshake has timers of its own): runs the
    // prepare step once, on the next turn of the event loop, however often it is called.
    void rearm();

private:
    void process();
    void prepare();

    coap_context_t* context_;
    QSocketNotifier* notifier_ = nullptr;
    QTimer timer_;
    QElapsedTimer sincePrepare_;
    bool processing_ = false;
    bool prepareQueued_ = false;
};

// libcoap's global state: started once per process, its log routed to a Qt logging category.
void initCoapLibrary();

}  // namespace lwm2mgw
