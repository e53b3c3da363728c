#include "request_relay.h"

#include "coap_message.h"
#include "downstream_registration.h"
#include "registration_registry.h"
#include "upstream_client.h"

#include <QDeadlineTimer>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcProxy, "lwm2mgw.proxy")

namespace lwm2mgw {

namespace {

constexpr quint32 kObserveRegister = 0;
constexpr quint32 kObserveCancel = 1;
constexpr quint32 kObserveMask = 0xffffff;
constexpr quint32 kNoObserve = 0xffffffff;
constexpr int kSweepIntervalMs = 100;
// RFC 7641 4.5: a notification in a CON message at least every 24 hours.
constexpr qint64 kConfirmableEveryMs = 24LL * 60 * 60 * 1000;

QByteArray exchangeKey(const coap_session_t* session, const QByteArray& token) {
    QByteArray key(reinterpret_cast<const char*>(&session), sizeof session);
    return key + token;
}

qint64 nowMs() {
    return QDeadlineTimer::current().deadline();
}

// Options relayed unchanged. Uri-Path is rebuilt (the sensor may use an alternate path); Block,
// Size, Uri-Host/Port and Proxy options belong to one hop only.
bool isEndToEndRequestOption(coap_option_num_t number) {
    switch (number) {
        case COAP_OPTION_URI_PATH:
        case COAP_OPTION_URI_HOST:
        case COAP_OPTION_URI_PORT:
        case COAP_OPTION_BLOCK1:
        case COAP_OPTION_BLOCK2:
        case COAP_OPTION_SIZE1:
        case COAP_OPTION_SIZE2:
        case COAP_OPTION_PROXY_URI:
        case COAP_OPTION_PROXY_SCHEME:
        case COAP_OPTION_RTAG:
        case COAP_OPTION_HOP_LIMIT:
            return false;
        default:
            return true;
    }
}

// RFC 7641 3.4: is observe value `next` (received now) fresher than `last`?
bool isFresher(quint32 last, quint32 next, qint64 msSinceLast) {
    constexpr quint32 half = 1u << 23;
    return (last < next && next - last < half) || (last > next && last - next > half) ||
           msSinceLast > 128000;
}

void copyRequestOptions(const coap_pdu_t* from, coap_pdu_t* to, bool dropObserve) {
    coap_opt_iterator_t iterator;
    coap_option_iterator_init(from, &iterator, COAP_OPT_ALL);
    while (coap_opt_t* option = coap_option_next(&iterator)) {
        const coap_option_num_t number = iterator.number;
        if (!isEndToEndRequestOption(number) || (dropObserve && number == COAP_OPTION_OBSERVE)) {
            continue;
        }
        coap_add_option(to, number, coap_opt_length(option), coap_opt_value(option));
    }
}

}  // namespace

struct RequestRelay::Exchange {
    ~Exchange() {
        coap_delete_pdu(upstreamRequest);
        coap_delete_string(upstreamQuery);
    }
    ExchangeKind kind = ExchangeKind::Request;
    QPointer<UpstreamRegistration> upstream;
    coap_session_t* upstreamSession = nullptr;
    QByteArray upstreamToken;
    coap_mid_t upstreamMid = COAP_INVALID_MID;
    bool confirmable = false;
    bool acknowledged = false;  // empty ACK sent: the answer goes as a separate response
    qint64 ackDeadlineMs = 0;
    coap_resource_t* resource = nullptr;
    coap_pdu_t* upstreamRequest = nullptr;  // a copy, for Block2 set-up of a large answer
    coap_string_t* upstreamQuery = nullptr;
    coap_session_t* downstreamSession = nullptr;
    QByteArray downstreamToken;
    QString endpoint;
    QString rootPath;
    qint64 deadlineMs = 0;
    std::optional<quint32> observe;
};

struct RequestRelay::Observation {
    QPointer<UpstreamRegistration> upstream;
    coap_session_t* upstreamSession = nullptr;
    QByteArray upstreamToken;
    coap_session_t* downstreamSession = nullptr;
    QByteArray downstreamToken;
    QString endpoint;
    QString path;
    quint32 nextObserve = 2;
    std::optional<quint32> lastSensorObserve;
    QElapsedTimer sinceLastNotification;
    // Started by the last confirmable notification sent upstream; invalid before the first.
    QElapsedTimer sinceLastConfirmable;
};

struct RequestRelay::PendingSend {
    coap_session_t* downstreamSession = nullptr;
    QByteArray downstreamToken;
    coap_async_t* async = nullptr;
    QString endpoint;
    qint64 deadlineMs = 0;
    bool answered = false;
    RelayedAnswer answer;
};

RequestRelay::RequestRelay(RegistrationRegistry& registry, const GatewayConfig& config,
                           UpstreamClient& upstream, QObject* parent)
    : QObject(parent), registry_(registry), config_(config), upstream_(upstream) {
    sweepTimer_.setInterval(kSweepIntervalMs);
    connect(&sweepTimer_, &QTimer::timeout, this, &RequestRelay::sweepDeadlines);
}

RequestRelay::~RequestRelay() {
    const auto exchanges = byUpstream_.values();
    for (Exchange* exchange : exchanges) {
        dropExchange(exchange);
    }
    const auto observations = observationsByUpstream_.values();
    for (Observation* observation : observations) {
        endObservation(observation, false);
    }
    const auto sends = sendsByDownstream_.values();
    for (PendingSend* send : sends) {
        coap_session_release(send->downstreamSession);
        delete send;
    }
}

void RequestRelay::handleServerRequest(UpstreamRegistration& registration,
                                       coap_resource_t* resource, coap_session_t* session,
                                       const coap_pdu_t* request, const coap_string_t* query,
                                       coap_pdu_t* response) {
    const QByteArray token = tokenOf(request);
    const QByteArray upKey = exchangeKey(session, token);
    const coap_mid_t mid = coap_pdu_get_mid(request);
    const bool confirmable = coap_pdu_get_type(request) == COAP_MESSAGE_CON;
    // Whatever is decided below, the answer is sent later by answerUpstream(): an ACK-less,
    // code-less NON is what libcoap drops instead of sending.
    auto deferAnswer = [response] { coap_pdu_set_type(response, COAP_MESSAGE_NON); };
    if (Exchange* pending = byUpstream_.value(upKey)) {
        if (pending->upstreamMid == mid) {
            // The server retransmitted: the sensor is slow, so acknowledge now and answer later.
            sendEmptyAck(pending);
            deferAnswer();
        } else {
            RelayedAnswer::error(503, "a request with this token is already in progress")
                .writeResponse(resource, session, request, query, response);
        }
        return;
    }
    if (const auto cached = lastAnswers_.find(session);
        confirmable && cached != lastAnswers_.end() && cached->mid == mid &&
        cached->token == token) {
        // Our piggybacked answer was lost: send it again rather than repeat the request.
        cached->answer.writeResponse(resource, session, request, query, response, cached->observe);
        return;
    }

    DownstreamRegistration* sensor = registry_.byEndpoint(registration.localEndpoint());
    if (!sensor || !sensor->session()) {
        RelayedAnswer::error(404, "endpoint is not registered at the gateway")
            .writeResponse(resource, session, request, query, response);
        return;
    }
    const coap_pdu_code_t method = coap_pdu_get_code(request);
    const bool mayObserve = method == COAP_REQUEST_CODE_GET || method == COAP_REQUEST_CODE_FETCH;
    const quint32 observe =
        mayObserve ? uintOptionOf(request, COAP_OPTION_OBSERVE).value_or(kNoObserve) : kNoObserve;

    auto* exchange = new Exchange;
    exchange->upstream = &registration;
    exchange->upstreamSession = coap_session_reference(session);
    exchange->upstreamToken = token;
    exchange->downstreamSession = coap_session_reference(sensor->session());
    exchange->endpoint = sensor->endpoint;
    exchange->rootPath = sensor->rootPath;
    exchange->deadlineMs = nowMs() + config_.proxyResponseTimeoutMs;

    bool sent = false;
    if (observe == kObserveCancel) {
        // RFC 7641 3.6: a GET with Observe=1 and the observation's token cancels it.
        if (Observation* observation = observationsByUpstream_.value(upKey)) {
            exchange->kind = ExchangeKind::ObserveCancellation;
            exchange->downstreamToken = observation->downstreamToken;
            coap_binary_t downToken{
                static_cast<size_t>(observation->downstreamToken.size()),
                reinterpret_cast<uint8_t*>(observation->downstreamToken.data())};
            sent = coap_cancel_observe(sensor->session(), &downToken, COAP_MESSAGE_CON) != 0;
            endObservation(observation, false);
        }
    }
    if (!sent) {
        coap_pdu_t* pdu = coap_new_pdu(COAP_MESSAGE_CON, method, sensor->session());
        if (!pdu) {
            delete exchange;
            RelayedAnswer::error(500).writeResponse(resource, session, request, query, response);
            return;
        }
        uint8_t downToken[8];
        size_t downTokenLength = 0;
        coap_session_new_token(sensor->session(), &downTokenLength, downToken);
        coap_add_token(pdu, downTokenLength, downToken);
        exchange->downstreamToken = QByteArray(reinterpret_cast<const char*>(downToken),
                                               static_cast<qsizetype>(downTokenLength));
        addPathOptions(pdu, COAP_OPTION_URI_PATH,
                       sensor->rootPath + QLatin1Char('/') + uriPathOf(request));
        // An unmatched cancel goes on as a plain GET: the sensor answers it as a Read.
        copyRequestOptions(request, pdu, observe == kObserveCancel);
        if (observe == kObserveRegister) {
            exchange->kind = ExchangeKind::ObserveRegistration;
        }
        const QByteArray body = payloadOf(request);
        if (!body.isEmpty()) {
            auto* copy = new QByteArray(body);
            coap_add_data_large_request(
                sensor->session(), pdu, static_cast<size_t>(copy->size()),
                reinterpret_cast<const uint8_t*>(copy->constData()),
                [](coap_session_t*, void* data) { delete static_cast<QByteArray*>(data); }, copy);
        }
        sent = coap_send(sensor->session(), pdu) != COAP_INVALID_MID;
    }
    if (!sent) {
        coap_session_release(exchange->downstreamSession);
        upstream_.releaseLater(exchange->upstreamSession);
        delete exchange;
        RelayedAnswer::error(502, "cannot send to the sensor")
            .writeResponse(resource, session, request, query, response);
        return;
    }
    // The sensor usually answers within milliseconds: hold the ACK back so the answer can ride
    // on it (RFC 7252 5.2.1). A slow sensor gets an empty ACK and a separate response (5.2.2).
    exchange->upstreamMid = mid;
    exchange->confirmable = confirmable;
    exchange->ackDeadlineMs = nowMs() + config_.piggybackWindowMs;
    exchange->resource = resource;
    exchange->upstreamRequest =
        coap_pdu_duplicate(request, session, static_cast<size_t>(token.size()),
                           reinterpret_cast<const uint8_t*>(token.constData()), nullptr);
    exchange->upstreamQuery = coap_get_query(request);
    deferAnswer();
    byUpstream_.insert(upKey, exchange);
    byDownstream_.insert(exchangeKey(exchange->downstreamSession, exchange->downstreamToken),
                         exchange);
    ++counters_.requestsRelayed;
    armSweep();
}

void RequestRelay::sendEmptyAck(Exchange* exchange) {
    if (!exchange->confirmable) {
        return;
    }
    coap_pdu_t* ack = coap_pdu_init(COAP_MESSAGE_ACK, COAP_EMPTY_CODE, exchange->upstreamMid,
                                    coap_session_max_pdu_size(exchange->upstreamSession));
    if (ack && coap_send(exchange->upstreamSession, ack) != COAP_INVALID_MID) {
        exchange->acknowledged = true;
    }
}

coap_response_t RequestRelay::handleSensorResponse(coap_session_t* session,
                                                   const coap_pdu_t* received) {
    const QByteArray downKey = exchangeKey(session, tokenOf(received));
    const bool isNotification = uintOptionOf(received, COAP_OPTION_OBSERVE).has_value();
    if (Exchange* exchange = byDownstream_.value(downKey)) {
        if (exchange->kind == ExchangeKind::ObserveCancellation && isNotification) {
            return COAP_RESPONSE_OK;  // A notification that crossed the cancellation.
        }
        RelayedAnswer answer = RelayedAnswer::fromResponse(received, exchange->rootPath);
        if (exchange->kind == ExchangeKind::ObserveRegistration && isNotification &&
            COAP_RESPONSE_CLASS(answer.code) == 2 && exchange->upstream) {
            auto* observation = new Observation;
            observation->upstream = exchange->upstream;
            observation->upstreamSession = coap_session_reference(exchange->upstreamSession);
            observation->upstreamToken = exchange->upstreamToken;
            observation->downstreamSession = coap_session_reference(exchange->downstreamSession);
            observation->downstreamToken = exchange->downstreamToken;
            observation->endpoint = exchange->endpoint;
            observation->lastSensorObserve = uintOptionOf(received, COAP_OPTION_OBSERVE);
            observation->sinceLastNotification.start();
            observationsByUpstream_.insert(
                exchangeKey(observation->upstreamSession, observation->upstreamToken), observation);
            observationsByDownstream_.insert(downKey, observation);
            exchange->observe = 1;
        }
        answerUpstream(exchange, std::move(answer));
        return COAP_RESPONSE_OK;
    }
    if (Observation* observation = observationsByDownstream_.value(downKey)) {
        relayNotification(observation, received);
        return COAP_RESPONSE_OK;
    }
    // Nobody asked for this (a notification for an ended observation): RST tells the sensor.
    return COAP_RESPONSE_FAIL;
}

void RequestRelay::relayNotification(Observation* observation, const coap_pdu_t* received) {
    const std::optional<quint32> sensorObserve = uintOptionOf(received, COAP_OPTION_OBSERVE);
    if (sensorObserve && observation->lastSensorObserve &&
        !isFresher(*observation->lastSensorObserve, *sensorObserve,
                   observation->sinceLastNotification.elapsed())) {
        qCDebug(lcProxy) << "dropping a reordered notification from" << observation->endpoint;
        return;
    }
    observation->lastSensorObserve = sensorObserve;
    observation->sinceLastNotification.restart();
    const coap_pdu_code_t code = coap_pdu_get_code(received);
    // The sensor's choice of message type is kept: a NON stream stays NON, so a server slower
    // than the sensor does not queue every notification behind one unacknowledged CON (NSTART=1).
    // At least one CON per day (RFC 7641 4.5) lets a server that forgot the observation say so by
    // RST; libcoap reports RSTs for CONs only. Error notifications end the observation: CON.
    const bool confirmable = coap_pdu_get_type(received) == COAP_MESSAGE_CON ||
                             COAP_RESPONSE_CLASS(code) != 2 ||
                             !observation->sinceLastConfirmable.isValid() ||
                             observation->sinceLastConfirmable.hasExpired(kConfirmableEveryMs);
    coap_pdu_t* pdu = coap_new_pdu(confirmable ? COAP_MESSAGE_CON : COAP_MESSAGE_NON, code,
                                   observation->upstreamSession);
    if (!pdu) {
        return;
    }
    coap_add_token(pdu, static_cast<size_t>(observation->upstreamToken.size()),
                   reinterpret_cast<const uint8_t*>(observation->upstreamToken.constData()));
    const RelayedAnswer answer = RelayedAnswer::fromResponse(received);
    if (COAP_RESPONSE_CLASS(code) == 2) {
        addUintOption(pdu, COAP_OPTION_OBSERVE, observation->nextObserve);
        observation->nextObserve = (observation->nextObserve + 1) & kObserveMask;
    }
    if (answer.contentFormat) {
        addUintOption(pdu, COAP_OPTION_CONTENT_FORMAT, *answer.contentFormat);
    }
    if (answer.maxAge) {
        addUintOption(pdu, COAP_OPTION_MAXAGE, *answer.maxAge);
    }
    if (!answer.payload.isEmpty() &&
        !coap_add_data(pdu, static_cast<size_t>(answer.payload.size()),
                       reinterpret_cast<const uint8_t*>(answer.payload.constData()))) {
        qCWarning(lcProxy).noquote()
            << "notification from" << observation->endpoint << "of" << answer.payload.size()
            << "bytes does not fit one datagram; dropped";
        coap_delete_pdu(pdu);
        return;
    }
    if (coap_send(observation->upstreamSession, pdu) != COAP_INVALID_MID) {
        ++counters_.notificationsRelayed;
        if (confirmable) {
            observation->sinceLastConfirmable.start();
        }
    }
    if (COAP_RESPONSE_CLASS(code) != 2) {
        // RFC 7641 3.2: a non-2.xx notification ends the observation.
        endObservation(observation, false);
    }
}

void RequestRelay::handleSensorNack(coap_session_t* session, const coap_pdu_t* sent,
                                    coap_nack_reason_t reason) {
    if (!sent || !isRequest(sent)) {
        return;
    }
    Exchange* exchange = byDownstream_.value(exchangeKey(session, tokenOf(sent)));
    if (!exchange) {
        return;
    }
    if (reason == COAP_NACK_TOO_MANY_RETRIES) {
        ++counters_.sensorTimeouts;
        answerUpstream(exchange, RelayedAnswer::error(504, "the sensor did not answer"));
    } else {
        answerUpstream(exchange, RelayedAnswer::error(502, "the sensor refused the request"));
    }
}

void RequestRelay::answerUpstream(Exchange* exchange, RelayedAnswer answer) {
    coap_session_t* session = exchange->upstreamSession;
    if (!exchange->upstream || !exchange->upstreamRequest) {
        dropExchange(exchange);
        return;
    }
    const bool piggybacked = exchange->confirmable && !exchange->acknowledged;
    const coap_pdu_type_t type = piggybacked             ? COAP_MESSAGE_ACK
                                 : exchange->confirmable ? COAP_MESSAGE_CON
                                                         : COAP_MESSAGE_NON;
    const coap_mid_t mid = piggybacked ? exchange->upstreamMid : coap_new_message_id(session);
    coap_pdu_t* pdu = coap_pdu_init(type, COAP_EMPTY_CODE, mid, coap_session_max_pdu_size(session));
    if (pdu) {
        coap_add_token(pdu, static_cast<size_t>(exchange->upstreamToken.size()),
                       reinterpret_cast<const uint8_t*>(exchange->upstreamToken.constData()));
        answer.writeResponse(exchange->resource, session, exchange->upstreamRequest,
                             exchange->upstreamQuery, pdu, exchange->observe);
        coap_send(session, pdu);
        if (piggybacked) {
            lastAnswers_.insert(session, LastAnswer{mid, exchange->upstreamToken, std::move(answer),
                                                    exchange->observe});
        }
    }
    dropExchange(exchange);
}

void RequestRelay::dropExchange(Exchange* exchange) {
    byUpstream_.remove(exchangeKey(exchange->upstreamSession, exchange->upstreamToken));
    const QByteArray downKey = exchangeKey(exchange->downstreamSession, exchange->downstreamToken);
    if (byDownstream_.value(downKey) == exchange) {
        byDownstream_.remove(downKey);
    }
    coap_session_release(exchange->downstreamSession);
    upstream_.releaseLater(exchange->upstreamSession);
    delete exchange;
}

void RequestRelay::endObservation(Observation* observation, bool cancelDownstream) {
    observationsByUpstream_.remove(
        exchangeKey(observation->upstreamSession, observation->upstreamToken));
    const QByteArray downKey =
        exchangeKey(observation->downstreamSession, observation->downstreamToken);
    if (observationsByDownstream_.value(downKey) == observation) {
        observationsByDownstream_.remove(downKey);
    }
    if (cancelDownstream) {
        coap_binary_t token{static_cast<size_t>(observation->downstreamToken.size()),
                            reinterpret_cast<uint8_t*>(observation->downstreamToken.data())};
        coap_cancel_observe(observation->downstreamSession, &token, COAP_MESSAGE_CON);
    }
    coap_session_release(observation->downstreamSession);
    upstream_.releaseLater(observation->upstreamSession);
    delete observation;
}

void RequestRelay::serverSessionEnding(UpstreamRegistration&, coap_session_t* session) {
    lastAnswers_.remove(session);
    const auto observations = observationsByUpstream_.values();
    for (Observation* observation : observations) {
        if (observation->upstreamSession == session) {
            endObservation(observation, true);
        }
    }
    const auto exchanges = byUpstream_.values();
    for (Exchange* exchange : exchanges) {
        if (exchange->upstreamSession == session) {
            dropExchange(exchange);
        }
    }
}

void RequestRelay::serverRefused(UpstreamRegistration& registration, const coap_pdu_t* sent,
                                 coap_nack_reason_t reason) {
    // A server that resets a notification, or never acknowledges it, no longer observes.
    Observation* observation =
        observationsByUpstream_.value(exchangeKey(registration.session(), tokenOf(sent)));
    if (!observation) {
        return;
    }
    qCInfo(lcProxy).noquote() << "upstream server"
                              << (reason == COAP_NACK_RST ? "reset" : "did not acknowledge")
                              << "a notification of" << observation->endpoint
                              << "- cancelling the observation";
    endObservation(observation, true);
}

void RequestRelay::endpointEnding(const DownstreamRegistration& registration) {
    const auto exchanges = byUpstream_.values();
    for (Exchange* exchange : exchanges) {
        if (exchange->endpoint == registration.endpoint) {
            answerUpstream(exchange, RelayedAnswer::error(404, "the sensor left"));
        }
    }
    const auto observations = observationsByUpstream_.values();
    for (Observation* observation : observations) {
        if (observation->endpoint == registration.endpoint) {
            endObservation(observation, false);
        }
    }
    const auto sends = sendsByDownstream_.values();
    for (PendingSend* send : sends) {
        if (send->endpoint == registration.endpoint && !send->answered) {
            answerSensor(send, RelayedAnswer::error(404));
        }
    }
}

void RequestRelay::handleSensorSend(DownstreamRegistration& registration, coap_resource_t* resource,
                                    coap_session_t* session, const coap_pdu_t* request,
                                    const coap_string_t* query, coap_pdu_t* response) {
    const QByteArray downKey = exchangeKey(session, tokenOf(request));
    if (coap_find_async(session, coap_pdu_get_token(request))) {
        PendingSend* send = sendsByDownstream_.take(downKey);
        if (!send) {
            coap_pdu_set_code(response, COAP_RESPONSE_CODE_INTERNAL_ERROR);
            return;
        }
        send->answer.writeResponse(resource, session, request, query, response);
        coap_session_release(send->downstreamSession);
        delete send;
        return;
    }
    UpstreamRegistration* upstream =
        upstreamLookup_ ? upstreamLookup_(registration.endpoint) : nullptr;
    coap_pdu_t* pdu = upstream ? upstream->newRequest(COAP_REQUEST_CODE_POST) : nullptr;
    if (!pdu) {
        RelayedAnswer::error(503, "not registered at any upstream server yet")
            .writeResponse(resource, session, request, query, response);
        return;
    }
    addPathOptions(pdu, COAP_OPTION_URI_PATH, QStringLiteral("dp"));
    copyRequestOptions(request, pdu, true);
    const QByteArray body = payloadOf(request);
    if (!body.isEmpty()) {
        auto* copy = new QByteArray(body);
        coap_add_data_large_request(
            upstream->session(), pdu, static_cast<size_t>(copy->size()),
            reinterpret_cast<const uint8_t*>(copy->constData()),
            [](coap_session_t*, void* data) { delete static_cast<QByteArray*>(data); }, copy);
    }
    auto* send = new PendingSend;
    send->downstreamSession = coap_session_reference(session);
    send->downstreamToken = tokenOf(request);
    send->endpoint = registration.endpoint;
    send->deadlineMs = nowMs() + config_.proxyResponseTimeoutMs;
    send->async = coap_register_async(session, request, 0);
    if (!send->async) {
        coap_session_release(send->downstreamSession);
        delete send;
        coap_delete_pdu(pdu);
        RelayedAnswer::error(503).writeResponse(resource, session, request, query, response);
        return;
    }
    sendsByDownstream_.insert(downKey, send);
    const bool sent =
        upstream->send(pdu, [this, downKey](const coap_pdu_t* answer, coap_nack_reason_t) {
            PendingSend* pending = sendsByDownstream_.value(downKey);
            if (!pending || pending->answered) {
                return;
            }
            answerSensor(pending,
                         answer ? RelayedAnswer::fromResponse(answer)
                                : RelayedAnswer::error(504, "the upstream server did not answer"));
        });
    if (!sent) {
        answerSensor(send, RelayedAnswer::error(502, "cannot send to the upstream server"));
    }
    ++counters_.sendsRelayed;
    armSweep();
}

void RequestRelay::answerSensor(PendingSend* send, RelayedAnswer answer) {
    send->answered = true;
    send->answer = std::move(answer);
    coap_async_trigger(send->async);
}

void RequestRelay::armSweep() {
    if (!sweepTimer_.isActive()) {
        sweepTimer_.start();
    }
}

void RequestRelay::sweepDeadlines() {
    const qint64 now = nowMs();
    const auto exchanges = byUpstream_.values();
    for (Exchange* exchange : exchanges) {
        if (exchange->confirmable && !exchange->acknowledged && exchange->ackDeadlineMs <= now) {
            sendEmptyAck(exchange);
        }
        if (exchange->deadlineMs <= now) {
            ++counters_.sensorTimeouts;
            qCInfo(lcProxy).noquote() << "sensor" << exchange->endpoint << "did not answer within"
                                      << config_.proxyResponseTimeoutMs << "ms: 5.04 upstream";
            answerUpstream(exchange,
                           RelayedAnswer::error(504, "the sensor did not answer in time"));
        }
    }
    const auto sends = sendsByDownstream_.values();
    for (PendingSend* send : sends) {
        if (!send->answered && send->deadlineMs <= now) {
            answerSensor(send,
                         RelayedAnswer::error(504, "the upstream server did not answer in time"));
        }
    }
    if (byUpstream_.isEmpty() && sendsByDownstream_.isEmpty()) {
        sweepTimer_.stop();
    }
}

}  // namespace lwm2mgw
