#pragma once

#include "coap_event_loop.h"
#include "coap_exchanges.h"

#include <coap3/coap.h>

#include <QByteArray>
#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QTimer>

#include <functional>
#include <map>
#include <memory>
#include <optional>

namespace lwm2mgw::peers {

// An upstream LwM2M 1.1 server over UDP (NoSec): registration interface (Core 6.2), device
// management requests to registered clients (Core 6.3) and Send (Core 6.4.1).
class TestLwm2mServer : public QObject {
    Q_OBJECT
public:
    using Response = peers::Response;
    using Callback = std::function<void(const Response&)>;

    struct ClientRecord {
        QString endpoint;
        QString location;  // "/rd/<id>"
        qint64 lifetime = 0;
        QString binding;
        QString lwm2mVersion;
        QString smsNumber;
        bool queueMode = false;
        QByteArray links;       // raw CoRE link payload of the last Register/Update with one
        QString peerAddress;    // "127.0.0.1:40123": each endpoint has its own source port
        int registrations = 0;  // Registers seen for this endpoint
        int updates = 0;        // Updates since the last Register
    };
    struct SendRecord {
        int contentFormat = -1;
        QByteArray payload;
    };
    struct RequestOptions {
        QStringList query;
        int contentFormat = -1;
        int accept = -1;
        QByteArray payload;
        int observe = -1;  // 0 register, 1 deregister
    };
    struct Counters {
        int registers = 0;
        int refusedRegisters = 0;
        int updates = 0;
        int deregisters = 0;
        int expiries = 0;
        int sends = 0;
        int requestsSent = 0;
        int requestTimeouts = 0;
    };
    enum class CancelBy { Get, Reset };
    enum class Refusal { ServiceUnavailable, Drop };

    explicit TestLwm2mServer(QObject* parent = nullptr);
    ~TestLwm2mServer() override;
    TestLwm2mServer(const TestLwm2mServer&) = delete;
    TestLwm2mServer& operator=(const TestLwm2mServer&) = delete;

    bool listen(const QString& host = QStringLiteral("127.0.0.1"), quint16 port = 0);
    quint16 port() const { return port_; }
    bool isListening() const { return loop_ != nullptr; }
    // Like a restarted server: every registration and pending request is forgotten.
    void close();

    QStringList endpoints() const;
    std::optional<ClientRecord> client(const QString& endpoint) const;
    QList<SendRecord> sends(const QString& endpoint) const;
    const Counters& counters() const { return counters_; }

    // false: Register gets 5.03 (or no answer at all with Refusal::Drop).
    void setAcceptRegistrations(bool accept, Refusal refusal = Refusal::ServiceUnavailable);
    void setRequestTimeout(int milliseconds) { requestTimeoutMs_ = milliseconds; }
    // Outstanding CONs per client session (RFC 7252 4.7 NSTART; default here 8, RFC 1).
    // libcoap 4.3.1 cannot abandon a CON after our timeout and keeps retransmitting it for
    // up to ~93 s; with NSTART 1 that would hold back every later request to the client.
    void setNstart(quint16 nstart) { nstart_ = nstart; }

    // A CON request on the session the client registered from. Returns 0 (and never calls
    // done) when the endpoint is not registered or the request cannot be sent.
    quint64 request(const QString& endpoint, coap_pdu_code_t method, const QString& path,
                    const RequestOptions& options, Callback done, Callback onNotify = {});

    quint64 read(const QString& endpoint, const QString& path, Callback done, int accept = -1);
    quint64 discover(const QString& endpoint, const QString& path, Callback done);
    quint64 write(const QString& endpoint, const QString& path, int contentFormat,
                  const QByteArray& payload, Callback done);
    quint64 writePartial(const QString& endpoint, const QString& path, int contentFormat,
                         const QByteArray& payload, Callback done);
    quint64 execute(const QString& endpoint, const QString& path, const QByteArray& arguments,
                    Callback done);
    quint64 create(const QString& endpoint, const QString& objectPath, int contentFormat,
                   const QByteArray& payload, Callback done);
    quint64 remove(const QString& endpoint, const QString& path, Callback done);
    // e.g. query {"pmin=10", "pmax=60"}
    quint64 writeAttributes(const QString& endpoint, const QString& path, const QStringList& query,
                            Callback done);
    quint64 readComposite(const QString& endpoint, const QStringList& paths, Callback done);
    quint64 writeComposite(const QString& endpoint, const QByteArray& senmlJson, Callback done);
    // done gets the first response; onNotify (and the notification signal) every later one.
    quint64 observe(const QString& endpoint, const QString& path, Callback done,
                    Callback onNotify = {}, int accept = -1);
    quint64 observeComposite(const QString& endpoint, const QStringList& paths, Callback done,
                             Callback onNotify = {});
    // Get: GET/FETCH with Observe=1 and the same token (RFC 7641 3.6); done gets its answer.
    // Reset: forget it now and answer the next notification with RST; done is not called.
    bool cancelObserve(quint64 handle, CancelBy by, Callback done = {});

signals:
    void registered(const QString& endpoint);
    void updated(const QString& endpoint);
    void deregistered(const QString& endpoint);  // also after lifetime expiry
    void expired(const QString& endpoint);
    void notification(const QString& endpoint, const QString& path,
                      const lwm2mgw::peers::Response& response);
    void sendReceived(const QString& endpoint);

private:
    struct Registration {
        ClientRecord record;
        coap_session_t* session = nullptr;  // referenced while registered
        qint64 expiresAt = 0;
        QList<SendRecord> sends;
    };

    static TestLwm2mServer* fromSession(const coap_session_t* session);
    static void onRequest(coap_resource_t* resource, coap_session_t* session,
                          const coap_pdu_t* request, const coap_string_t* query,
                          coap_pdu_t* response);
    static coap_response_t onResponse(coap_session_t* session, const coap_pdu_t* sent,
                                      const coap_pdu_t* received, coap_mid_t mid);
    static void onNack(coap_session_t* session, const coap_pdu_t* sent, coap_nack_reason_t reason,
                       coap_mid_t mid);

    int handleRegister(coap_session_t* session, const coap_pdu_t* request, coap_pdu_t* response,
                       QString* registeredEndpoint);
    int handleUpdate(const QString& id, coap_session_t* session, const coap_pdu_t* request,
                     QString* updatedEndpoint);
    int handleDeregister(const QString& id, QString* removedEndpoint);
    int handleSend(coap_session_t* session, const coap_pdu_t* request, QString* sender);
    void dropRegistration(const QString& endpoint);
    void expireRegistrations();
    void armExpiry();
    void afterSend();

    std::unique_ptr<CoapEventLoop> loop_;
    quint16 port_ = 0;
    std::map<QString, Registration> registrations_;  // by endpoint
    std::map<QString, QString> locations_;           // registration id -> endpoint
    quint64 nextLocation_ = 1;
    ExchangeTable exchanges_;
    std::map<quint64, QString> observedEndpoint_;  // observation handle -> endpoint
    Counters counters_;
    bool acceptRegistrations_ = true;
    Refusal refusal_ = Refusal::ServiceUnavailable;
    int requestTimeoutMs_ = 5000;
    quint16 nstart_ = 8;
    int callbackDepth_ = 0;
    QElapsedTimer clock_;
    QTimer expiryTimer_;
};

}  // namespace lwm2mgw::peers
