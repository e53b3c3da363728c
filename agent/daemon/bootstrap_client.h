#pragma once

#include "deadline_scheduler.h"
#include "server_account.h"
#include "upstream_session_owner.h"

#include <lwm2m-gateway/credstore/security_object.h>

#include <QObject>
#include <optional>

namespace lwm2mgw {

class BootstrapRequestHandler;
class UpstreamClient;

// A stored Bootstrap-Server Security instance as an account UpstreamClient can open; nullopt
// and a reason when its URI is unusable.
std::optional<ServerAccount> bootstrapServerAccount(
    const credstore::SecurityObjectInstance& security, const QString& storeEndpoint,
    const CommunicationRetryPolicy& retryPolicy, QString& error);

// The client-initiated bootstrap of one endpoint (Core 6.1.5): opens a session to the
// Bootstrap-Server account, sends Bootstrap-Request (POST /bs?ep=NAME&pct=112), lets the handler
// serve what the server then sends, and reports the result of Bootstrap-Finish. A request left
// unanswered, refused, or a sequence whose Finish was refused, is retried after a back-off that
// doubles from the account's Communication Retry Timer up to its Sequence Delay Timer. A server
// that accepted the request but sends no Finish within the sequence timeout is given up on the
// same way: the buffered writes are dropped, the store keeps its state.
class BootstrapClient : public QObject, public UpstreamSessionOwner {
    Q_OBJECT
public:
    BootstrapClient(UpstreamClient& client, ServerAccount account, QString endpoint,
                    BootstrapRequestHandler& handler, QObject* parent = nullptr);
    ~BootstrapClient() override;

    // Sends the Bootstrap-Request after `holdOffMs` (Client Hold Off Time, /0/x/11).
    void start(qint64 holdOffMs = 0);
    // How long a sequence may run from the server's 2.04 to its Finish; 0: no bound.
    void setSequenceTimeout(qint64 milliseconds) { sequenceTimeoutMs_ = milliseconds; }
    const ServerAccount& account() const { return account_; }
    // Called by the handler's Finished callback.
    void sequenceFinished(bool committed);

    void serveRequest(coap_resource_t* resource, coap_session_t* session, const coap_pdu_t* request,
                      const coap_string_t* query, coap_pdu_t* response) override;
    coap_response_t handleResponse(const coap_pdu_t* sent, const coap_pdu_t* received) override;
    void handleNack(const coap_pdu_t* sent, coap_nack_reason_t reason) override;

signals:
    // The new accounts are in the store; the session is already closed.
    void bootstrapped();
    // One attempt failed (`reason` in words); the next one is already scheduled.
    void attemptFailed(const QString& reason);

private:
    void sendRequest();
    void onRequestResult(const coap_pdu_t* response, const QString& failure);
    void retryLater(const QString& reason);
    void closeSession();

    UpstreamClient& client_;
    ServerAccount account_;
    QString endpoint_;
    BootstrapRequestHandler& handler_;
    coap_session_t* session_ = nullptr;
    QByteArray pendingToken_;
    ScheduledDeadline retryTimer_;
    ScheduledDeadline sequenceTimer_;
    qint64 sequenceTimeoutMs_ = 0;
    int failures_ = 0;
    bool done_ = false;
};

}  // namespace lwm2mgw
