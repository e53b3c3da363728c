#pragma once

#include "gateway_config.h"
#include "relayed_answer.h"
#include "upstream_registration.h"

#include <coap3/coap.h>

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <functional>

namespace lwm2mgw {

class UpstreamClient;
class RegistrationRegistry;
struct DownstreamRegistration;

struct RelayCounters {
    quint64 requestsRelayed = 0;
    quint64 notificationsRelayed = 0;
    quint64 sendsRelayed = 0;
    quint64 sensorTimeouts = 0;
};

// Carries a server's requests on an endpoint's upstream session to the sensor and the answers
// back, Observe included; and a sensor's Send (POST /dp) up. Payloads are never decoded: method,
// path, query, Content-Format, Accept and body pass through; tokens are mapped per hop.
// A relayed request is answered upstream as a separate response (RFC 7252 5.2.2), since the
// sensor's answer arrives later on another socket.
class RequestRelay : public QObject, public UpstreamRequestSink {
    Q_OBJECT
public:
    using UpstreamLookup = std::function<UpstreamRegistration*(const QString& endpoint)>;

    RequestRelay(RegistrationRegistry& registry, const GatewayConfig& config,
                 UpstreamClient& upstream, QObject* parent = nullptr);
    ~RequestRelay() override;

    void setUpstreamLookup(UpstreamLookup lookup) { upstreamLookup_ = std::move(lookup); }

    // UpstreamRequestSink
    void handleServerRequest(UpstreamRegistration& registration, coap_resource_t* resource,
                             coap_session_t* session, const coap_pdu_t* request,
                             const coap_string_t* query, coap_pdu_t* response) override;
    void serverSessionEnding(UpstreamRegistration& registration, coap_session_t* session) override;
    void serverRefused(UpstreamRegistration& registration, const coap_pdu_t* sent,
                       coap_nack_reason_t reason) override;

    // Downstream side.
    coap_response_t handleSensorResponse(coap_session_t* session, const coap_pdu_t* received);
    void handleSensorNack(coap_session_t* session, const coap_pdu_t* sent,
                          coap_nack_reason_t reason);
    void handleSensorSend(DownstreamRegistration& registration, coap_resource_t* resource,
                          coap_session_t* session, const coap_pdu_t* request,
                          const coap_string_t* query, coap_pdu_t* response);
    // The sensor left: answer what is pending with 4.04 and end its observations.
    void endpointEnding(const DownstreamRegistration& registration);

    const RelayCounters& counters() const { return counters_; }
    int pendingCount() const {
        return static_cast<int>(byUpstream_.size() + sendsByDownstream_.size());
    }
    int observationCount() const { return static_cast<int>(observationsByUpstream_.size()); }

private:
    enum class ExchangeKind { Request, ObserveRegistration, ObserveCancellation };
    struct Exchange;
    struct Observation;
    struct PendingSend;

    struct LastAnswer {
        coap_mid_t mid;
        QByteArray token;
        RelayedAnswer answer;
        std::optional<quint32> observe;
    };

    void answerUpstream(Exchange* exchange, RelayedAnswer answer);
    void sendEmptyAck(Exchange* exchange);
    void dropExchange(Exchange* exchange);
    void relayNotification(Observation* observation, const coap_pdu_t* received);
    void endObservation(Observation* observation, bool cancelDownstream);
    void answerSensor(PendingSend* send, RelayedAnswer answer);
    void sweepDeadlines();
    void armSweep();

    RegistrationRegistry& registry_;
    const GatewayConfig& config_;
    UpstreamClient& upstream_;
    UpstreamLookup upstreamLookup_;
    QHash<QByteArray, Exchange*> byUpstream_;
    QHash<QByteArray, Exchange*> byDownstream_;
    QHash<QByteArray, Observation*> observationsByUpstream_;
    QHash<QByteArray, Observation*> observationsByDownstream_;
    QHash<QByteArray, PendingSend*> sendsByDownstream_;
    // The last piggybacked answer per upstream session, resent if the server retransmits.
    QHash<coap_session_t*, LastAnswer> lastAnswers_;
    QTimer sweepTimer_;
    RelayCounters counters_;
};

}  // namespace lwm2mgw
