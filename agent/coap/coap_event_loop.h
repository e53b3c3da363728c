#pragma once

#include <coap3/coap.h>

#include <QObject>
#include <QSocketNotifier>
#include <QTimer>

namespace lwm2mgw {

// Drives one libcoap context from the Qt event loop: a QSocketNotifier on the context's epoll
// fd and a single-shot QTimer armed from coap_io_prepare_epoll(). No thread, no polling: an
// idle context costs no CPU.
//
// libcoap 4.3.1 walks every session of a context in coap_io_prepare_epoll(), and
// coap_io_process() does that twice per wake-up. So a wake-up here runs the prepare step once
// (retransmissions due, next timeout for the QTimer) and then the epoll step itself
// (epoll_wait with no wait, coap_io_do_epoll), which is coap_io_process() without the
// repeated walk. PDUs queued with coap_send() need nothing more: libcoap arms the timer fd
// inside its epoll set for their retransmission.
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
    bool processing_ = false;
    bool prepareQueued_ = false;
};

// libcoap's global state: started once per process, its log routed to a Qt logging category.
void initCoapLibrary();

}  // namespace lwm2mgw
