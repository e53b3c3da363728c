#pragma once

#include "coap_event_loop.h"
#include "coap_exchanges.h"

#include <coap3/coap.h>

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QObject>
#include <QString>

#include <memory>

namespace lwm2mgw::peers {

// A LwM2M 1.1 Bootstrap-Server over UDP (NoSec, Core 6.1): answers a client's Bootstrap-Request
// (POST /bs?ep=...) with 2.04 and then plays a scripted sequence of Bootstrap-Delete / -Write /
// -Discover / -Read / -Finish requests on that session, one after the other's answer.
class TestBootstrapServer : public QObject {
    Q_OBJECT
public:
    struct Step {
        coap_pdu_code_t method = COAP_REQUEST_CODE_GET;
        QString path;
        int contentFormat = -1;
        int accept = -1;
        QByteArray payload;
    };
    static Step deleteStep(const QString& path);
    static Step writeStep(const QString& path, int contentFormat, const QByteArray& payload);
    static Step discoverStep(const QString& path);
    static Step readStep(const QString& path, int accept);
    static Step finishStep();

    explicit TestBootstrapServer(QObject* parent = nullptr);
    ~TestBootstrapServer() override;
    TestBootstrapServer(const TestBootstrapServer&) = delete;
    TestBootstrapServer& operator=(const TestBootstrapServer&) = delete;

    bool listen(const QString& host = QStringLiteral("127.0.0.1"), quint16 port = 0);
    quint16 port() const { return port_; }

    // Played once, after the next Bootstrap-Request; later requests get 2.04 and nothing more.
    // Setting a sequence again re-arms the server: a sequence in progress is dropped (its
    // client may be gone) and the answers are cleared.
    void setSequence(const QList<Step>& steps);
    int bootstrapRequests() const { return bootstrapRequests_; }
    QMap<QString, QString> lastRequestQuery() const { return lastQuery_; }
    // The answers to the sequence so far, in order (code 0: timed out).
    const QList<Response>& answers() const { return answers_; }
    QList<int> answerCodes() const;
    bool sequenceDone() const { return done_; }

signals:
    void finished();
    // A Bootstrap-Request arrived (before it is answered).
    void bootstrapRequested(const QString& endpoint);
    // The client answered a request of the sequence; `count` answers so far.
    void answered(int count);

private:
    static TestBootstrapServer* fromSession(const coap_session_t* session);
    static void onRequest(coap_resource_t* resource, coap_session_t* session,
                          const coap_pdu_t* request, const coap_string_t* query,
                          coap_pdu_t* response);
    static coap_response_t onResponse(coap_session_t* session, const coap_pdu_t* sent,
                                      const coap_pdu_t* received, coap_mid_t mid);
    static void onNack(coap_session_t* session, const coap_pdu_t* sent, coap_nack_reason_t reason,
                       coap_mid_t mid);
    void playNext(quint64 generation);
    void releaseSession();

    std::unique_ptr<CoapEventLoop> loop_;
    quint16 port_ = 0;
    coap_session_t* session_ = nullptr;  // referenced while a sequence plays
    ExchangeTable exchanges_;
    QList<Step> steps_;
    qsizetype next_ = 0;
    bool playing_ = false;
    bool done_ = false;
    quint64 generation_ = 0;  // so answers and timers of a dropped sequence are ignored
    int bootstrapRequests_ = 0;
    QMap<QString, QString> lastQuery_;
    QList<Response> answers_;
};

}  // namespace lwm2mgw::peers
