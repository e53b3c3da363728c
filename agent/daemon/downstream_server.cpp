#include "downstream_server.h"

#include "catch_all_resource.h"
#include "coap_message.h"
#include "coap_uri.h"
#include "registration_registry.h"
#include "request_relay.h"

#include <QLoggingCategory>
#include <QTimer>

Q_DECLARE_LOGGING_CATEGORY(lcDownstream)

namespace lwm2mgw {

namespace {

// Per-session state hung on libcoap's server session.
struct DownstreamSessionState {
    bool admitted = false;
    bool counted = false;     // its refusal is in the counters already
    quint64 credentials = 0;  // the server's credential generation it was admitted under
};

DownstreamServer* serverOf(coap_session_t* session) {
    return static_cast<DownstreamServer*>(coap_get_app_data(coap_session_get_context(session)));
}

void onRequest(coap_resource_t* resource, coap_session_t* session, const coap_pdu_t* request,
               const coap_string_t* query, coap_pdu_t* response) {
    serverOf(session)->handleRequest(resource, session, request, query, response);
}

int onEvent(coap_session_t* session, const coap_event_t event) {
    if (session) {
        serverOf(session)->handleEvent(session, event);
    }
    return 0;
}

RequestRelay* relayOf(coap_session_t* session);

coap_response_t onResponse(coap_session_t* session, const coap_pdu_t*, const coap_pdu_t* received,
                           const coap_mid_t) {
    return relayOf(session)->handleSensorResponse(session, received);
}

void onNack(coap_session_t* session, const coap_pdu_t* sent, const coap_nack_reason_t reason,
            const coap_mid_t) {
    relayOf(session)->handleSensorNack(session, sent, reason);
}

}  // namespace

DownstreamServer::DownstreamServer(SecurityModePlugin& plugin, RegistrationRegistry& registry,
                                   RequestRelay& relay, const GatewayConfig& config,
                                   QObject* parent)
    : QObject(parent), plugin_(plugin), registry_(registry), relay_(relay), config_(config) {
    coap_context_t* context = coap_new_context(nullptr);
    if (!context) {
        qCCritical(lcDownstream) << "cannot create a downstream CoAP context";
        return;
    }
    coap_set_app_data(context, this);
    coap_context_set_block_mode(context, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
    coap_register_event_handler(context, onEvent);
    coap_register_response_handler(context, onResponse);
    coap_register_nack_handler(context, onNack);
    addCatchAllResource(context, onRequest);
    loop_ = new CoapEventLoop(context, this);
}

DownstreamServer::~DownstreamServer() {
    if (!listeners_.isEmpty()) {
        qCInfo(lcDownstream).noquote()
            << QStringLiteral(
                   "%1 sessions: %2 admitted, %3 refused by policy, %4 closed before "
                   "admission, %5 refused for another endpoint (4.03)")
                   .arg(QString::fromUtf8(plugin_.name().data(),
                                          static_cast<qsizetype>(plugin_.name().size())))
                   .arg(counters_.admitted)
                   .arg(counters_.refusedByPolicy)
                   .arg(counters_.closedBeforeAdmission)
                   .arg(counters_.refusedEndpointMismatch);
    }
    delete loop_;
}

namespace {
RequestRelay* relayOf(coap_session_t* session) {
    return &serverOf(session)->relay();
}

DownstreamSessionState* stateOf(coap_session_t* session) {
    auto* state = static_cast<DownstreamSessionState*>(coap_session_get_app_data(session));
    if (!state) {
        state = new DownstreamSessionState;
        coap_session_set_app_data(session, state);
    }
    return state;
}
}  // namespace

QString DownstreamServer::listen(const QString& uri) {
    QString error;
    const std::optional<CoapUri> parsed = parseCoapUri(uri, error);
    if (!parsed) {
        return error;
    }
    if (parsed->secure != (plugin_.mode() != SecurityMode::NoSec)) {
        return QStringLiteral("%1: %2 listeners use %3")
            .arg(uri,
                 QString::fromUtf8(plugin_.name().data(),
                                   static_cast<qsizetype>(plugin_.name().size())),
                 parsed->secure ? QStringLiteral("coap://") : QStringLiteral("coaps://"));
    }
    coap_address_t address;
    if (!resolveCoapUri(*parsed, address, error)) {
        return error;
    }
    std::string pluginError;
    if (!plugin_.openListener(loop_->context(), address, pluginError)) {
        return QStringLiteral("%1: %2").arg(uri, QString::fromStdString(pluginError));
    }
    listeners_.append(uri);
    loop_->rearm();
    qCInfo(lcDownstream).noquote() << "listening for sensors on" << uri;
    return {};
}

bool DownstreamServer::admit(coap_session_t* session, QString* why) {
    DownstreamSessionState* state = stateOf(session);
    if (state->admitted && state->credentials == credentialGeneration_) {
        return true;
    }
    // First request, or the first since the store's credentials changed: a session admitted
    // under a credential withdrawn since must not go on, registered or not.
    std::string reason;
    if (!plugin_.admitPeer(session, reason)) {
        qCWarning(lcDownstream).noquote()
            << (state->admitted ? "no longer admits peer" : "refused peer")
            << addressText(coap_session_get_addr_remote(session)) << ":"
            << QString::fromStdString(reason);
        state->admitted = false;
        if (why) {
            *why = QString::fromStdString(reason);
        }
        if (!state->counted) {
            state->counted = true;
            ++counters_.refusedByPolicy;
        }
        return false;
    }
    state->credentials = credentialGeneration_;
    if (!state->admitted) {
        state->admitted = true;
        ++counters_.admitted;
        // Give up on a silent sensor about when the relay answers 5.04, so that a request the
        // sensor never saw does not hold back the next ones (libcoap sends one CON at a time).
        coap_session_set_ack_timeout(
            session, coap_fixed_point_t{static_cast<uint16_t>(config_.ackTimeoutMs / 1000),
                                        static_cast<uint16_t>(config_.ackTimeoutMs % 1000)});
        coap_session_set_max_retransmit(session, static_cast<uint16_t>(config_.maxRetransmit));
    }
    return true;
}

void DownstreamServer::handleRequest(coap_resource_t* resource, coap_session_t* session,
                                     const coap_pdu_t* request, const coap_string_t* query,
                                     coap_pdu_t* response) {
    if (!admit(session)) {
        // Not even an error answer: the peer broke the security rules, the session goes.
        coap_pdu_set_type(response, COAP_MESSAGE_NON);
        closeLater(session);
        return;
    }
    auto closeIfForbidden = [&](RegistrationRegistry::Outcome outcome) {
        if (outcome == RegistrationRegistry::Outcome::Forbidden) {
            ++counters_.refusedEndpointMismatch;
            closeLater(session);
        }
    };
    const QStringList path = uriPathOf(request).split(QLatin1Char('/'), Qt::SkipEmptyParts);
    const coap_pdu_code_t method = coap_pdu_get_code(request);
    auto methodNotAllowed = [&] { coap_pdu_set_code(response, COAP_RESPONSE_CODE_NOT_ALLOWED); };
    if (path.size() == 1 && path[0] == QLatin1String("rd")) {
        if (method != COAP_REQUEST_CODE_POST) {
            return methodNotAllowed();
        }
        closeIfForbidden(registry_.handleRegister(session, &plugin_, request, response));
    } else if (path.size() == 2 && path[0] == QLatin1String("rd")) {
        if (method == COAP_REQUEST_CODE_POST) {
            closeIfForbidden(registry_.handleUpdate(path[1], session, &plugin_, request, response));
        } else if (method == COAP_REQUEST_CODE_DELETE) {
            closeIfForbidden(registry_.handleDeregister(path[1], session, &plugin_, response));
        } else {
            methodNotAllowed();
        }
    } else if (path.size() == 1 && path[0] == QLatin1String("dp")) {
        if (method != COAP_REQUEST_CODE_POST) {
            return methodNotAllowed();
        }
        DownstreamRegistration* registration = nullptr;
        for (DownstreamRegistration* candidate : registry_.registrations()) {
            if (candidate->session() == session) {
                registration = candidate;
                break;
            }
        }
        if (!registration) {
            coap_pdu_set_code(response, COAP_RESPONSE_CODE_FORBIDDEN);
            return;
        }
        relay_.handleSensorSend(*registration, resource, session, request, query, response);
    } else {
        coap_pdu_set_code(response, COAP_RESPONSE_CODE_NOT_FOUND);
    }
}

void DownstreamServer::closeLater(coap_session_t* session) {
    if (plugin_.mode() == SecurityMode::NoSec) {
        return;  // Plain UDP has no session to close; the registration was refused all the same.
    }
    coap_session_reference(session);
    QTimer::singleShot(0, this, [session] {
        coap_session_disconnected(session, COAP_NACK_TLS_FAILED);
        coap_session_release(session);
    });
}

void DownstreamServer::handleEvent(coap_session_t* session, coap_event_t event) {
    switch (event) {
        case COAP_EVENT_DTLS_CONNECTED:
            // Admission right after the handshake, before the first request is read.
            admit(session);
            break;
        case COAP_EVENT_DTLS_CLOSED: {
            // Raised once, when libcoap frees the session's DTLS state. Not admitted nor refused
            // by admitPeer: its handshake failed (libcoap or the plugin's handshake callbacks
            // refused the peer) or it sent no request.
            const auto* state =
                static_cast<const DownstreamSessionState*>(coap_session_get_app_data(session));
            if (!state || (!state->admitted && !state->counted)) {
                ++counters_.closedBeforeAdmission;
            }
            break;
        }
        case COAP_EVENT_SERVER_SESSION_DEL:
            delete static_cast<DownstreamSessionState*>(coap_session_get_app_data(session));
            coap_session_set_app_data(session, nullptr);
            break;
        default:
            break;
    }
}

}  // namespace lwm2mgw
