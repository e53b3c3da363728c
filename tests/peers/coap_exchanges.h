#pragma once

#include <coap3/coap.h>

#include <QByteArray>
#include <QElapsedTimer>
#include <QHash>
#include <QMetaType>
#include <QObject>
#include <QStringList>
#include <QTimer>

#include <functional>
#include <map>
#include <unordered_map>

namespace lwm2mgw::peers {

// What a peer learns about one of its requests.
struct Response {
    int code = 0;  // e.g. 205 for 2.05; 0 on timeout or RST
    int contentFormat = -1;
    QByteArray payload;
    int observe = -1;
    bool confirmable = false;  // the message type it came in
    bool timedOut = false;
    bool reset = false;
    QStringList locationPath;  // Location-Path options, e.g. {"rd", "5"} after a Register

    static Response fromPdu(const coap_pdu_t* pdu);
};

// Requests a peer has sent and not yet seen answered, keyed by (session, token) as RFC 7252
// 5.3.2 matches responses. Observations (RFC 7641) stay after their first response and get
// every further notification. One QTimer covers every deadline.
class ExchangeTable : public QObject {
    Q_OBJECT
public:
    using Callback = std::function<void(const Response&)>;

    explicit ExchangeTable(QObject* parent = nullptr);
    ~ExchangeTable() override;

    // timeoutMs <= 0: wait for libcoap's own CON give-up only. With onNotify set, the exchange
    // is an observation: the first 2.xx carrying Observe goes to done, later ones to onNotify.
    quint64 add(coap_session_t* session, const QByteArray& token, int timeoutMs, Callback done,
                Callback onNotify = {});
    // Returns false when the response matches nothing: the caller answers it with RST.
    bool deliver(coap_session_t* session, const coap_pdu_t* received);
    void fail(coap_session_t* session, const QByteArray& token, coap_nack_reason_t reason);
    // Turns an observation into a pending cancel: the next response without Observe ends it.
    bool expectCancelResponse(quint64 handle, int timeoutMs, Callback done);
    bool forget(quint64 handle);
    void forgetSession(coap_session_t* session);
    void clear();

    bool contains(quint64 handle) const { return entries_.count(handle) != 0; }
    coap_session_t* session(quint64 handle) const;
    QByteArray token(quint64 handle) const;
    int size() const { return static_cast<int>(entries_.size()); }

private:
    struct Entry {
        coap_session_t* session = nullptr;
        QByteArray token;
        qint64 deadline = 0;  // 0: none
        Callback done;
        Callback onNotify;
        bool established = false;
        bool cancelling = false;
    };

    static QByteArray key(coap_session_t* session, const QByteArray& token);
    void setDeadline(quint64 handle, Entry& entry, int timeoutMs);
    void clearDeadline(Entry& entry, quint64 handle);
    Entry take(quint64 handle);
    void expire();
    void arm();

    quint64 nextHandle_ = 1;
    std::unordered_map<quint64, Entry> entries_;
    QHash<QByteArray, quint64> byKey_;
    std::multimap<qint64, quint64> deadlines_;
    QElapsedTimer clock_;
    QTimer timer_;
};

}  // namespace lwm2mgw::peers

Q_DECLARE_METATYPE(lwm2mgw::peers::Response)
