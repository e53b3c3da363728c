#pragma once

#include "deadline_scheduler.h"
#include "server_account.h"
#include "upstream_session_owner.h"

#include <coap3/coap.h>

#include <QByteArray>
#include <QDateTime>
#include <QHash>
#include <QObject>
#include <QTimer>
#include <functional>

namespace lwm2mgw {

class UpstreamClient;
class UpstreamRegistration;

// What an endpoint registers upstream with: the sensor's (or the gateway's own) parameters.
struct UpstreamRegistrationParams {
    QString endpoint;  // as the server sees it, prefix included
    int lifetimeSeconds = 86400;
    QString binding = QStringLiteral("U");
    QString lwm2mVersion = QStringLiteral("1.1");
    QByteArray objectLinks;
    bool queueMode = false;
};

enum class UpstreamState {
    Waiting,  // not started: its turn in the Registration Priority Order has not come
    Registering,
    Registered,
    Updating,
    RetryWait,
    Failed,
    Deregistering,
    Deregistered
};
QString upstreamStateText(UpstreamState state);

// Who serves the requests a server sends on an endpoint's session: the relay for a sensor, the
// gateway's own objects for the gateway.
class UpstreamRequestSink {
public:
    virtual void handleServerRequest(UpstreamRegistration& registration, coap_resource_t* resource,
                                     coap_session_t* session, const coap_pdu_t* request,
                                     const coap_string_t* query, coap_pdu_t* response) = 0;
    // The session is going away (re-registration from a fresh session, de-registration): drop
    // everything tied to it.
    virtual void serverSessionEnding(UpstreamRegistration& registration,
                                     coap_session_t* session) = 0;
    // A response or notification the gateway sent on the session was refused (RST) or never
    // acknowledged.
    virtual void serverRefused(UpstreamRegistration& registration, const coap_pdu_t* sent,
                               coap_nack_reason_t reason) = 0;

protected:
    ~UpstreamRequestSink() = default;
};

// The gateway as LwM2M client of one server for one endpoint: Register, Update before the
// lifetime runs out, De-register; retries with the LwM2M 1.1 back-off (Communication Retry
// Count / Timer, Sequence Delay / Retry Count); a 4.04 to an Update means register again.
class UpstreamRegistration : public QObject, public UpstreamSessionOwner {
    Q_OBJECT
public:
    using ResponseCallback =
        std::function<void(const coap_pdu_t* response, coap_nack_reason_t failure)>;

    UpstreamRegistration(UpstreamClient& client, QString localEndpoint, ServerAccount account,
                         UpstreamRegistrationParams params, UpstreamRequestSink* sink);
    ~UpstreamRegistration() override;

    void start();
    bool started() const { return started_; }
    // Never started because a registration before it in the Registration Priority Order failed
    // and has Registration Failure Block set (/1/x/15): Failed, with `reason`.
    void block(const QString& reason);
    // The endpoint's own parameters changed (a sensor's Update): tell the server.
    void update(const UpstreamRegistrationParams& params, bool objectLinksChanged);
    // An Update now with what the server already has (operator's request, or the lifetime timer).
    void triggerUpdate();
    // Ends with finished(), after the server answered or the attempt failed.
    void deregister();

    // A new CON request on this session, with a fresh token, or nullptr without a session.
    coap_pdu_t* newRequest(coap_pdu_code_t method);
    // Sends a PDU made by newRequest(); the callback gets the response, or nullptr and why not.
    bool send(coap_pdu_t* pdu, ResponseCallback callback);

    const QString& localEndpoint() const { return localEndpoint_; }
    const ServerAccount& account() const { return account_; }
    const UpstreamRegistrationParams& params() const { return params_; }
    UpstreamState state() const { return state_; }
    QString location() const { return location_; }
    QString lastError() const { return lastError_; }
    QDateTime nextAttemptAt() const { return nextAttemptAt_; }
    coap_session_t* session() const { return session_; }
    UpstreamRequestSink* sink() const { return sink_; }

    // Called by UpstreamClient for traffic on this registration's session.
    coap_response_t handleResponse(const coap_pdu_t* sent, const coap_pdu_t* received) override;
    void handleNack(const coap_pdu_t* sent, coap_nack_reason_t reason) override;
    void serveRequest(coap_resource_t* resource, coap_session_t* session, const coap_pdu_t* request,
                      const coap_string_t* query, coap_pdu_t* response) override {
        sink_->handleServerRequest(*this, resource, session, request, query, response);
    }

signals:
    void stateChanged(lwm2mgw::UpstreamState state);
    void finished();

private:
    void attemptRegister();
    void sendUpdate(bool withLinks);
    void onRegisterResult(const coap_pdu_t* response, coap_nack_reason_t failure);
    void onUpdateResult(const coap_pdu_t* response, coap_nack_reason_t failure);
    void scheduleRetry(const QString& reason);
    void scheduleUpdate();
    void setState(UpstreamState state);
    void openSession();
    void closeSession();
    QByteArray lifetimeQuery() const;

    UpstreamClient& client_;
    QString localEndpoint_;
    ServerAccount account_;
    UpstreamRegistrationParams params_;
    UpstreamRequestSink* sink_;
    coap_session_t* session_ = nullptr;
    UpstreamState state_ = UpstreamState::Waiting;
    bool started_ = false;
    QString location_;
    QString lastError_;
    QDateTime nextAttemptAt_;
    ScheduledDeadline retryTimer_;
    ScheduledDeadline updateTimer_;
    int attemptsInSequence_ = 0;
    int sequencesFailed_ = 0;
    bool updatePending_ = false;
    bool linksPending_ = false;
    // deregister() came while a Register was in flight: De-register once it is answered.
    bool deregisterAfterRegister_ = false;
    QHash<QByteArray, ResponseCallback> pending_;
};

}  // namespace lwm2mgw
