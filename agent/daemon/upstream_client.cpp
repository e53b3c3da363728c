#include "upstream_client.h"

#include "catch_all_resource.h"
#include "plugin_host.h"
#include "upstream_session_owner.h"

#include <QLoggingCategory>

#include <cstring>

Q_DECLARE_LOGGING_CATEGORY(lcUpstream)

namespace lwm2mgw {

namespace {

UpstreamSessionOwner* owner(coap_session_t* session) {
    return UpstreamSessionOwner::of(session);
}

void onServerRequest(coap_resource_t* resource, coap_session_t* session, const coap_pdu_t* request,
                     const coap_string_t* query, coap_pdu_t* response) {
    UpstreamSessionOwner* sessionOwner = owner(session);
    if (!sessionOwner) {
        coap_pdu_set_code(response, COAP_RESPONSE_CODE_NOT_FOUND);
        return;
    }
    sessionOwner->serveRequest(resource, session, request, query, response);
}

coap_response_t onResponse(coap_session_t* session, const coap_pdu_t* sent,
                           const coap_pdu_t* received, const coap_mid_t) {
    UpstreamSessionOwner* sessionOwner = owner(session);
    return sessionOwner ? sessionOwner->handleResponse(sent, received) : COAP_RESPONSE_FAIL;
}

void onNack(coap_session_t* session, const coap_pdu_t* sent, const coap_nack_reason_t reason,
            const coap_mid_t) {
    if (UpstreamSessionOwner* sessionOwner = owner(session)) {
        sessionOwner->handleNack(sent, reason);
    }
}

}  // namespace

namespace {

constexpr int kSessionsPerContext = 48;

coap_context_t* newUpstreamContext() {
    coap_context_t* context = coap_new_context(nullptr);
    if (!context) {
        return nullptr;
    }
    coap_context_set_block_mode(context, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
    coap_register_response_handler(context, onResponse);
    coap_register_nack_handler(context, onNack);
    // Servers address any path of the endpoint's objects.
    addCatchAllResource(context, onServerRequest);
    return context;
}

}  // namespace

UpstreamClient::UpstreamClient(PluginHostImpl& plugins, const GatewayConfig& config,
                               QObject* parent)
    : QObject(parent), plugins_(plugins), config_(config) {
    valid_ = shardWithRoom(SecurityMode::NoSec) != nullptr;
    if (!valid_) {
        qCCritical(lcUpstream) << "cannot create the upstream CoAP context";
    }
}

UpstreamClient::~UpstreamClient() {
    releaseDeferred();
    for (Shard& shard : shards_) {
        delete shard.loop;
    }
}

UpstreamClient::Shard* UpstreamClient::shardWithRoom(SecurityMode mode) {
    Shard* best = nullptr;
    for (Shard& shard : shards_) {
        if (shard.mode == mode && shard.sessions < kSessionsPerContext &&
            (!best || shard.sessions < best->sessions)) {
            best = &shard;
        }
    }
    if (best) {
        return best;
    }
    coap_context_t* context = newUpstreamContext();
    if (!context) {
        return nullptr;
    }
    shards_.push_back(Shard{new CoapEventLoop(context, this), mode, 0});
    return &shards_.back();
}

UpstreamClient::Shard* UpstreamClient::shardOf(coap_session_t* session) {
    coap_context_t* context = coap_session_get_context(session);
    for (Shard& shard : shards_) {
        if (shard.loop->context() == context) {
            return &shard;
        }
    }
    return nullptr;
}

coap_session_t* UpstreamClient::openSession(const ServerAccount& account, QString& error) {
    SecurityModePlugin* plugin = plugins_.pluginFor(account.security.mode);
    if (!plugin) {
        error = QStringLiteral("no loaded plugin provides security mode %1 for %2")
                    .arg(securityModeName(account.security.mode), account.uri.toString());
        return nullptr;
    }
    coap_address_t address;
    if (!resolveCoapUri(account.uri, address, error)) {
        return nullptr;
    }
    Shard* shard = shardWithRoom(account.security.mode);
    if (!shard) {
        error = QStringLiteral("cannot create another CoAP context (out of file descriptors?)");
        return nullptr;
    }
    std::string pluginError;
    // The secret lives in memory only while the plugin sets the session up; libcoap keeps its copy.
    SecurityInstance security = account.security;
    if (directory_ && security.mode != SecurityMode::NoSec) {
        security.secretKey = directory_->secretKeyFor(account);
    }
    coap_session_t* session =
        plugin->openClientSession(shard->loop->context(), address, security, pluginError);
    explicit_bzero(security.secretKey.data(), security.secretKey.size());
    if (!session) {
        error = QString::fromStdString(pluginError);
        return nullptr;
    }
    coap_fixed_point_t ackTimeout{static_cast<uint16_t>(config_.ackTimeoutMs / 1000),
                                  static_cast<uint16_t>(config_.ackTimeoutMs % 1000)};
    coap_session_set_ack_timeout(session, ackTimeout);
    coap_session_set_max_retransmit(session, static_cast<uint16_t>(config_.maxRetransmit));
    ++shard->sessions;
    shard->loop->rearm();  // A DTLS handshake has started: its timers count from now.
    return session;
}

void UpstreamClient::closeSession(coap_session_t* session) {
    if (Shard* shard = shardOf(session)) {
        --shard->sessions;
    }
    releaseLater(session);
}

void UpstreamClient::releaseLater(coap_session_t* session) {
    toRelease_.append(session);
    if (toRelease_.size() == 1) {
        // A posted call, not a zero timer: no walk of Qt's timer list per message.
        QMetaObject::invokeMethod(this, &UpstreamClient::releaseDeferred, Qt::QueuedConnection);
    }
}

void UpstreamClient::releaseDeferred() {
    const QVector<coap_session_t*> sessions = std::exchange(toRelease_, {});
    for (coap_session_t* session : sessions) {
        coap_session_release(session);
    }
}

}  // namespace lwm2mgw
