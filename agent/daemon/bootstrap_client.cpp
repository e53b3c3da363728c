#include "bootstrap_client.h"

#include "bootstrap_request_handler.h"
#include "coap_message.h"
#include "content_format.h"
#include "upstream_client.h"

#include <QLoggingCategory>
#include <algorithm>

Q_DECLARE_LOGGING_CATEGORY(lcBootstrap)

namespace lwm2mgw {

std::optional<ServerAccount> bootstrapServerAccount(
    const credstore::SecurityObjectInstance& security, const QString& storeEndpoint,
    const CommunicationRetryPolicy& retryPolicy, QString& error) {
    const std::optional<CoapUri> uri =
        parseCoapUri(QString::fromStdString(security.serverUri), error);
    if (!uri) {
        return std::nullopt;
    }
    if (security.securityMode == credstore::SecurityMode::CertificateWithEst) {
        error = QStringLiteral("Security Mode 4 (EST) is not supported");
        return std::nullopt;
    }
    ServerAccount account;
    account.uri = *uri;
    account.storeEndpoint = storeEndpoint;
    account.securityInstanceId = security.instanceId;
    account.security.serverUri = security.serverUri;
    account.security.mode = static_cast<SecurityMode>(security.securityMode);
    account.security.publicKeyOrIdentity = security.publicKeyOrIdentity;
    account.security.serverPublicKey = security.serverPublicKey;
    account.retryPolicy = retryPolicy;
    return account;
}

BootstrapClient::BootstrapClient(UpstreamClient& client, ServerAccount account, QString endpoint,
                                 BootstrapRequestHandler& handler, QObject* parent)
    : QObject(parent),
      client_(client),
      account_(std::move(account)),
      endpoint_(std::move(endpoint)),
      handler_(handler) {}

BootstrapClient::~BootstrapClient() {
    closeSession();
}

void BootstrapClient::start(qint64 holdOffMs) {
    if (holdOffMs <= 0) {
        sendRequest();
        return;
    }
    qCInfo(lcBootstrap).noquote() << "bootstrap of" << endpoint_ << "held off for"
                                  << static_cast<double>(holdOffMs) / 1000.0 << "s";
    retryTimer_.start(holdOffMs, [this] { sendRequest(); });
}

void BootstrapClient::closeSession() {
    if (!session_) {
        return;
    }
    coap_session_t* session = std::exchange(session_, nullptr);
    pendingToken_.clear();
    UpstreamSessionOwner::attach(session, nullptr);
    client_.closeSession(session);
}

void BootstrapClient::sendRequest() {
    sequenceTimer_.stop();
    closeSession();
    // A new Bootstrap-Request starts the sequence over (Core 6.1.5: the server begins afresh).
    handler_.abandon();
    QString error;
    session_ = client_.openSession(account_, error);
    if (!session_) {
        retryLater(error);
        return;
    }
    UpstreamSessionOwner::attach(session_, this);
    coap_pdu_t* pdu = coap_new_pdu(COAP_MESSAGE_CON, COAP_REQUEST_CODE_POST, session_);
    if (!pdu) {
        retryLater(QStringLiteral("cannot build Bootstrap-Request"));
        return;
    }
    uint8_t token[8];
    size_t length = 0;
    coap_session_new_token(session_, &length, token);
    coap_add_token(pdu, length, token);
    addPathOptions(pdu, COAP_OPTION_URI_PATH, QStringLiteral("bs"));
    for (const QByteArray& item :
         {"ep=" + endpoint_.toUtf8(), "pct=" + QByteArray::number(lwm2m::kSenmlCbor)}) {
        coap_add_option(pdu, COAP_OPTION_URI_QUERY, static_cast<size_t>(item.size()),
                        reinterpret_cast<const uint8_t*>(item.constData()));
    }
    pendingToken_ =
        QByteArray(reinterpret_cast<const char*>(token), static_cast<qsizetype>(length));
    qCInfo(lcBootstrap).noquote() << "Bootstrap-Request for" << endpoint_ << "to"
                                  << account_.uri.toString();
    if (coap_send(session_, pdu) == COAP_INVALID_MID) {
        retryLater(QStringLiteral("cannot send Bootstrap-Request"));
    }
}

void BootstrapClient::serveRequest(coap_resource_t* resource, coap_session_t* session,
                                   const coap_pdu_t* request, const coap_string_t* query,
                                   coap_pdu_t* response) {
    handler_.serve(resource, session, request, query, response);
}

coap_response_t BootstrapClient::handleResponse(const coap_pdu_t*, const coap_pdu_t* received) {
    if (pendingToken_.isEmpty() || tokenOf(received) != pendingToken_) {
        return COAP_RESPONSE_FAIL;
    }
    pendingToken_.clear();
    onRequestResult(received, {});
    return COAP_RESPONSE_OK;
}

void BootstrapClient::handleNack(const coap_pdu_t* sent, coap_nack_reason_t reason) {
    if (!sent || !isRequest(sent) || tokenOf(sent) != pendingToken_ || pendingToken_.isEmpty()) {
        return;
    }
    pendingToken_.clear();
    onRequestResult(nullptr, reason == COAP_NACK_RST ? QStringLiteral("server reset the request")
                                                     : QStringLiteral("no answer from the server"));
}

void BootstrapClient::onRequestResult(const coap_pdu_t* response, const QString& failure) {
    if (!response) {
        // Not from inside libcoap's callback: retrying closes the session it is delivering on.
        QMetaObject::invokeMethod(
            this, [this, failure] { retryLater(failure); }, Qt::QueuedConnection);
        return;
    }
    if (coap_pdu_get_code(response) != COAP_RESPONSE_CODE_CHANGED) {
        const QString reason = QStringLiteral("Bootstrap-Request answered %1")
                                   .arg(codeText(coap_pdu_get_code(response)));
        QMetaObject::invokeMethod(
            this, [this, reason] { retryLater(reason); }, Qt::QueuedConnection);
        return;
    }
    qCInfo(lcBootstrap).noquote() << account_.uri.toString() << "accepted the Bootstrap-Request of"
                                  << endpoint_;
    if (sequenceTimeoutMs_ > 0) {
        sequenceTimer_.start(sequenceTimeoutMs_, [this] {
            retryLater(QStringLiteral("no Bootstrap-Finish within %1 s")
                           .arg(static_cast<double>(sequenceTimeoutMs_) / 1000.0));
        });
    }
}

void BootstrapClient::sequenceFinished(bool committed) {
    // Called while the Finish response is being written: act once it has gone out.
    QMetaObject::invokeMethod(
        this,
        [this, committed] {
            if (done_) {
                return;
            }
            if (!committed) {
                retryLater(QStringLiteral("Bootstrap-Finish refused (4.06)"));
                return;
            }
            done_ = true;
            retryTimer_.stop();
            sequenceTimer_.stop();
            closeSession();
            emit bootstrapped();
        },
        Qt::QueuedConnection);
}

void BootstrapClient::retryLater(const QString& reason) {
    if (done_) {
        return;
    }
    sequenceTimer_.stop();
    closeSession();
    handler_.abandon();
    const CommunicationRetryPolicy& policy = account_.retryPolicy;
    const qint64 baseMs = std::max<qint64>(qint64(policy.retryTimerSeconds) * 1000, 1000);
    const qint64 capMs = std::max<qint64>(qint64(policy.sequenceDelaySeconds) * 1000, baseMs);
    const qint64 delayMs = std::min(baseMs << std::min(failures_, 20), capMs);
    ++failures_;
    qCWarning(lcBootstrap).noquote()
        << "bootstrap of" << endpoint_ << "at" << account_.uri.toString() << "failed:" << reason
        << "- next Bootstrap-Request in" << static_cast<double>(delayMs) / 1000.0 << "s";
    retryTimer_.start(delayMs, [this] { sendRequest(); });
    emit attemptFailed(reason);
}

}  // namespace lwm2mgw
