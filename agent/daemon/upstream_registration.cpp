#include "upstream_registration.h"

#include "coap_message.h"
#include "content_format.h"
#include "upstream_client.h"

#include <QLoggingCategory>
#include <algorithm>

Q_LOGGING_CATEGORY(lcUpstream, "lwm2mgw.upstream")

namespace lwm2mgw {

namespace {

using lwm2m::kLinkFormat;

void addQuery(coap_pdu_t* pdu, const QByteArray& item) {
    coap_add_option(pdu, COAP_OPTION_URI_QUERY, static_cast<size_t>(item.size()),
                    reinterpret_cast<const uint8_t*>(item.constData()));
}

QString failureText(const coap_pdu_t* response, coap_nack_reason_t failure) {
    if (response) {
        const QByteArray diagnostic = payloadOf(response);
        return QStringLiteral("server answered %1%2")
            .arg(codeText(coap_pdu_get_code(response)),
                 diagnostic.isEmpty()
                     ? QString()
                     : QStringLiteral(" (%1)").arg(QString::fromUtf8(diagnostic.left(120))));
    }
    switch (failure) {
        case COAP_NACK_TOO_MANY_RETRIES:
            return QStringLiteral("no answer from the server");
        case COAP_NACK_NOT_DELIVERABLE:
            return QStringLiteral("request could not be sent");
        case COAP_NACK_RST:
            return QStringLiteral("server reset the request");
        case COAP_NACK_TLS_FAILED:
            return QStringLiteral("DTLS handshake with the server failed");
        case COAP_NACK_ICMP_ISSUE:
            return QStringLiteral("server unreachable (ICMP)");
        default:
            return QStringLiteral("request failed");
    }
}

// Re-register well before the lifetime ends: at 90 %, but never later than 10 s before it.
int updateDelayMs(int lifetimeSeconds) {
    const qint64 lifetimeMs = qint64(lifetimeSeconds) * 1000;
    const qint64 delay =
        std::max<qint64>(std::min(lifetimeMs * 9 / 10, lifetimeMs - 10000), lifetimeMs / 2);
    return static_cast<int>(std::clamp<qint64>(delay, 500, std::numeric_limits<int>::max()));
}

}  // namespace

QString upstreamStateText(UpstreamState state) {
    switch (state) {
        case UpstreamState::Waiting:
            return QStringLiteral("waiting");
        case UpstreamState::Registering:
            return QStringLiteral("registering");
        case UpstreamState::Registered:
            return QStringLiteral("registered");
        case UpstreamState::Updating:
            return QStringLiteral("updating");
        case UpstreamState::RetryWait:
            return QStringLiteral("retrying");
        case UpstreamState::Failed:
            return QStringLiteral("failed");
        case UpstreamState::Deregistering:
            return QStringLiteral("de-registering");
        case UpstreamState::Deregistered:
            return QStringLiteral("de-registered");
    }
    return {};
}

UpstreamRegistration::UpstreamRegistration(UpstreamClient& client, QString localEndpoint,
                                           ServerAccount account, UpstreamRegistrationParams params,
                                           UpstreamRequestSink* sink)
    : client_(client),
      localEndpoint_(std::move(localEndpoint)),
      account_(std::move(account)),
      params_(std::move(params)),
      sink_(sink) {}

UpstreamRegistration::~UpstreamRegistration() {
    closeSession();
}

void UpstreamRegistration::start() {
    started_ = true;
    attemptRegister();
}

void UpstreamRegistration::block(const QString& reason) {
    qCWarning(lcUpstream).noquote()
        << params_.endpoint << "at" << account_.uri.toString() << reason;
    lastError_ = reason;
    setState(UpstreamState::Failed);
}

void UpstreamRegistration::openSession() {
    closeSession();
    QString error;
    session_ = client_.openSession(account_, error);
    if (session_) {
        UpstreamSessionOwner::attach(session_, this);
    } else {
        lastError_ = error;
    }
}

void UpstreamRegistration::closeSession() {
    if (!session_) {
        return;
    }
    coap_session_t* session = session_;
    session_ = nullptr;
    sink_->serverSessionEnding(*this, session);
    // Callbacks of requests still in flight will never come: libcoap forgets them with the session.
    pending_.clear();
    coap_session_set_app_data(session, nullptr);
    client_.closeSession(session);
}

coap_pdu_t* UpstreamRegistration::newRequest(coap_pdu_code_t method) {
    if (!session_) {
        return nullptr;
    }
    coap_pdu_t* pdu = coap_new_pdu(COAP_MESSAGE_CON, method, session_);
    if (!pdu) {
        return nullptr;
    }
    uint8_t token[8];
    size_t length = 0;
    coap_session_new_token(session_, &length, token);
    coap_add_token(pdu, length, token);
    return pdu;
}

bool UpstreamRegistration::send(coap_pdu_t* pdu, ResponseCallback callback) {
    if (!session_) {
        coap_delete_pdu(pdu);
        return false;
    }
    const QByteArray token = tokenOf(pdu);
    if (coap_send(session_, pdu) == COAP_INVALID_MID) {
        return false;
    }
    pending_.insert(token, std::move(callback));
    return true;
}

coap_response_t UpstreamRegistration::handleResponse(const coap_pdu_t*,
                                                     const coap_pdu_t* received) {
    const auto it = pending_.find(tokenOf(received));
    if (it == pending_.end()) {
        return COAP_RESPONSE_FAIL;
    }
    ResponseCallback callback = std::move(it.value());
    pending_.erase(it);
    callback(received, COAP_NACK_TOO_MANY_RETRIES);
    return COAP_RESPONSE_OK;
}

void UpstreamRegistration::handleNack(const coap_pdu_t* sent, coap_nack_reason_t reason) {
    if (!sent) {
        return;
    }
    if (!isRequest(sent)) {
        sink_->serverRefused(*this, sent, reason);
        return;
    }
    const auto it = pending_.find(tokenOf(sent));
    if (it == pending_.end()) {
        return;
    }
    ResponseCallback callback = std::move(it.value());
    pending_.erase(it);
    callback(nullptr, reason);
}

QByteArray UpstreamRegistration::lifetimeQuery() const {
    return "lt=" + QByteArray::number(params_.lifetimeSeconds);
}

void UpstreamRegistration::attemptRegister() {
    retryTimer_.stop();
    updateTimer_.stop();
    updatePending_ = false;
    linksPending_ = false;
    location_.clear();
    setState(UpstreamState::Registering);
    // A fresh session per attempt: a socket that saw ICMP errors is not reused.
    openSession();
    coap_pdu_t* pdu = newRequest(COAP_REQUEST_CODE_POST);
    if (!pdu) {
        scheduleRetry(
            lastError_.isEmpty()
                ? QStringLiteral("cannot open a session to %1").arg(account_.uri.toString())
                : lastError_);
        return;
    }
    addPathOptions(pdu, COAP_OPTION_URI_PATH, QStringLiteral("rd"));
    addUintOption(pdu, COAP_OPTION_CONTENT_FORMAT, kLinkFormat);
    addQuery(pdu, "ep=" + params_.endpoint.toUtf8());
    addQuery(pdu, lifetimeQuery());
    addQuery(pdu, "lwm2m=" + params_.lwm2mVersion.toUtf8());
    addQuery(pdu, "b=" + params_.binding.toUtf8());
    if (params_.queueMode && params_.lwm2mVersion != QLatin1String("1.0")) {
        addQuery(pdu, "Q");
    }
    auto* links = new QByteArray(params_.objectLinks);
    coap_add_data_large_request(
        session_, pdu, static_cast<size_t>(links->size()),
        reinterpret_cast<const uint8_t*>(links->constData()),
        [](coap_session_t*, void* data) { delete static_cast<QByteArray*>(data); }, links);
    qCDebug(lcUpstream).noquote() << "registering" << params_.endpoint << "at"
                                  << account_.uri.toString();
    if (!send(pdu, [this](const coap_pdu_t* response, coap_nack_reason_t failure) {
            onRegisterResult(response, failure);
        })) {
        scheduleRetry(QStringLiteral("cannot send Register"));
    }
}

void UpstreamRegistration::onRegisterResult(const coap_pdu_t* response,
                                            coap_nack_reason_t failure) {
    if (state_ != UpstreamState::Registering) {
        return;
    }
    if (deregisterAfterRegister_) {
        deregisterAfterRegister_ = false;
        location_ = response && coap_pdu_get_code(response) == COAP_RESPONSE_CODE_CREATED
                        ? locationPathOf(response)
                        : QString();
        if (!location_.isEmpty()) {
            setState(UpstreamState::Registered);
        }
        deregister();
        return;
    }
    if (!response || coap_pdu_get_code(response) != COAP_RESPONSE_CODE_CREATED) {
        scheduleRetry(failureText(response, failure));
        return;
    }
    location_ = locationPathOf(response);
    if (location_.isEmpty()) {
        scheduleRetry(QStringLiteral("server answered 2.01 without a Location-Path"));
        return;
    }
    attemptsInSequence_ = 0;
    sequencesFailed_ = 0;
    lastError_.clear();
    nextAttemptAt_ = {};
    qCInfo(lcUpstream).noquote() << params_.endpoint << "registered at" << account_.uri.toString()
                                 << "as" << location_;
    setState(UpstreamState::Registered);
    scheduleUpdate();
}

void UpstreamRegistration::update(const UpstreamRegistrationParams& params,
                                  bool objectLinksChanged) {
    const bool lifetimeChanged = params.lifetimeSeconds != params_.lifetimeSeconds;
    const bool bindingChanged =
        params.binding != params_.binding || params.queueMode != params_.queueMode;
    const bool versionChanged = params.lwm2mVersion != params_.lwm2mVersion;
    params_ = params;
    if (!started_) {
        return;  // Its first Register, when its turn comes, carries them.
    }
    if (versionChanged) {
        attemptRegister();  // The version is fixed for a registration's life.
        return;
    }
    switch (state_) {
        case UpstreamState::Registered:
            sendUpdate(objectLinksChanged);
            break;
        case UpstreamState::Updating:
            updatePending_ = true;
            linksPending_ = linksPending_ || objectLinksChanged;
            break;
        case UpstreamState::Failed:
            // The sensor is alive: give the server another chance.
            attemptsInSequence_ = 0;
            sequencesFailed_ = 0;
            attemptRegister();
            break;
        case UpstreamState::Waiting:
        case UpstreamState::Registering:
        case UpstreamState::RetryWait:
        case UpstreamState::Deregistering:
        case UpstreamState::Deregistered:
            break;  // The next Register carries the new parameters.
    }
    Q_UNUSED(lifetimeChanged);
    Q_UNUSED(bindingChanged);
}

void UpstreamRegistration::triggerUpdate() {
    if (!started_) {
        return;  // Waiting or blocked: the Registration Priority Order decides when it starts.
    }
    if (state_ == UpstreamState::Registered) {
        sendUpdate(false);
    } else if (state_ == UpstreamState::Updating) {
        updatePending_ = true;
    } else if (state_ == UpstreamState::Failed || state_ == UpstreamState::RetryWait) {
        attemptRegister();
    }
}

void UpstreamRegistration::sendUpdate(bool withLinks) {
    updateTimer_.stop();
    coap_pdu_t* pdu = newRequest(COAP_REQUEST_CODE_POST);
    if (!pdu) {
        attemptRegister();
        return;
    }
    setState(UpstreamState::Updating);
    addPathOptions(pdu, COAP_OPTION_URI_PATH, location_);
    addQuery(pdu, lifetimeQuery());
    addQuery(pdu, "b=" + params_.binding.toUtf8());
    if (params_.queueMode && params_.lwm2mVersion != QLatin1String("1.0")) {
        addQuery(pdu, "Q");
    }
    if (withLinks) {
        addUintOption(pdu, COAP_OPTION_CONTENT_FORMAT, kLinkFormat);
        auto* links = new QByteArray(params_.objectLinks);
        coap_add_data_large_request(
            session_, pdu, static_cast<size_t>(links->size()),
            reinterpret_cast<const uint8_t*>(links->constData()),
            [](coap_session_t*, void* data) { delete static_cast<QByteArray*>(data); }, links);
    }
    if (!send(pdu, [this](const coap_pdu_t* response, coap_nack_reason_t failure) {
            onUpdateResult(response, failure);
        })) {
        attemptRegister();
    }
}

void UpstreamRegistration::onUpdateResult(const coap_pdu_t* response, coap_nack_reason_t failure) {
    if (state_ != UpstreamState::Updating) {
        return;
    }
    if (response && coap_pdu_get_code(response) == COAP_RESPONSE_CODE_CHANGED) {
        setState(UpstreamState::Registered);
        if (updatePending_) {
            const bool links = linksPending_;
            updatePending_ = linksPending_ = false;
            sendUpdate(links);
        } else {
            scheduleUpdate();
        }
        return;
    }
    if (response && coap_pdu_get_code(response) == COAP_RESPONSE_CODE_NOT_FOUND) {
        qCInfo(lcUpstream).noquote() << account_.uri.toString() << "lost the registration of"
                                     << params_.endpoint << "(4.04 to Update): registering again";
    } else {
        qCWarning(lcUpstream).noquote()
            << "Update of" << params_.endpoint << "at" << account_.uri.toString()
            << "failed:" << failureText(response, failure) << "- registering again";
    }
    attemptRegister();
}

void UpstreamRegistration::deregister() {
    retryTimer_.stop();
    updateTimer_.stop();
    if (state_ == UpstreamState::Registering && session_ && !pending_.isEmpty()) {
        // The server may already hold the registration the Register in flight asks for: wait
        // for its answer (bounded by libcoap's retransmissions), then remove what it created.
        deregisterAfterRegister_ = true;
        return;
    }
    if (state_ != UpstreamState::Registered && state_ != UpstreamState::Updating) {
        setState(UpstreamState::Deregistered);
        closeSession();
        emit finished();
        return;
    }
    coap_pdu_t* pdu = newRequest(COAP_REQUEST_CODE_DELETE);
    if (!pdu) {
        setState(UpstreamState::Deregistered);
        emit finished();
        return;
    }
    setState(UpstreamState::Deregistering);
    addPathOptions(pdu, COAP_OPTION_URI_PATH, location_);
    const bool sent = send(pdu, [this](const coap_pdu_t* response, coap_nack_reason_t failure) {
        if (!response || coap_pdu_get_code(response) != COAP_RESPONSE_CODE_DELETED) {
            qCWarning(lcUpstream).noquote()
                << "De-register of" << params_.endpoint << "at" << account_.uri.toString() << ":"
                << failureText(response, failure);
        } else {
            qCInfo(lcUpstream).noquote()
                << params_.endpoint << "de-registered from" << account_.uri.toString();
        }
        setState(UpstreamState::Deregistered);
        emit finished();
    });
    if (!sent) {
        setState(UpstreamState::Deregistered);
        emit finished();
    }
}

void UpstreamRegistration::scheduleRetry(const QString& reason) {
    lastError_ = reason;
    closeSession();
    const CommunicationRetryPolicy& policy = account_.retryPolicy;
    ++attemptsInSequence_;
    qint64 delayMs = 0;
    if (attemptsInSequence_ < policy.retryCount) {
        // Retry Timer doubles after each failed attempt of a sequence.
        delayMs = qint64(policy.retryTimerSeconds) * 1000 *
                  (qint64(1) << std::min(attemptsInSequence_ - 1, 20));
    } else {
        attemptsInSequence_ = 0;
        ++sequencesFailed_;
        if (sequencesFailed_ >= policy.sequenceRetryCount) {
            qCWarning(lcUpstream).noquote()
                << "registration of" << params_.endpoint << "at" << account_.uri.toString()
                << "failed after" << sequencesFailed_ << "sequence(s) of" << policy.retryCount
                << "attempt(s):" << reason;
            nextAttemptAt_ = {};
            setState(UpstreamState::Failed);
            return;
        }
        delayMs = qint64(policy.sequenceDelaySeconds) * 1000;
    }
    delayMs = std::min<qint64>(delayMs, std::numeric_limits<int>::max());
    nextAttemptAt_ = QDateTime::currentDateTimeUtc().addMSecs(delayMs);
    qCWarning(lcUpstream).noquote()
        << "registration of" << params_.endpoint << "at" << account_.uri.toString()
        << "failed:" << reason << "- next attempt in" << static_cast<double>(delayMs) / 1000.0
        << "s";
    setState(UpstreamState::RetryWait);
    retryTimer_.start(delayMs, [this] { attemptRegister(); });
}

void UpstreamRegistration::scheduleUpdate() {
    updateTimer_.start(updateDelayMs(params_.lifetimeSeconds), [this] { triggerUpdate(); });
}

void UpstreamRegistration::setState(UpstreamState state) {
    if (state == state_) {
        return;
    }
    state_ = state;
    emit stateChanged(state);
}

}  // namespace lwm2mgw
