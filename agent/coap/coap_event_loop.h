#pragma once

#include <coap3/coap.h>

#include <QObject>
#include <QSocketNotifier>
#include <QTimer>

namespace lwm2mgw {

// Drives one libcoap context from the Qt event loop: a QSocketNotifier on the context's epoll
// fd and a single-shot QTimer armed from coap_io_prepare_epoll(). No thread, no polling: an
// idle context costs no CPU.
class CoapEventLoop : public QObject {
    Q_OBJECT
public:
    // Takes ownership of the context; it is freed with this object.
    explicit CoapEventLoop(coap_context_t* context, QObject* parent = nullptr);
    ~CoapEventLoop() override;
    CoapEventLoop(const CoapEventLoop&) = delete;
    CoapEventLoop& operator=(const CoapEventLoop&) = delete;

    coap_context_t* context() const { return context_; }

    // Call after queueing PDUs from outside a libcoap callback, so retransmission timers that
    // the send created are honoured.
    void rearm();

private:
    void process();

    coap_context_t* context_;
    QSocketNotifier* notifier_ = nullptr;
    QTimer timer_;
    bool processing_ = false;
};

// libcoap's global state: started once per process, its log routed to a Qt logging category.
void initCoapLibrary();

}  // namespace lwm2mgw
