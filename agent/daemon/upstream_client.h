#pragma once

#include "coap_event_loop.h"
#include "gateway_config.h"
#include "server_account.h"

#include <QObject>
#include <QTimer>
#include <QVector>

#include <vector>

namespace lwm2mgw {

class PluginHostImpl;

// The upstream side: every client session the gateway holds at LwM2M servers, one per
// (endpoint, server), each with its own source port. Requests and responses arriving on a
// session go to the UpstreamRegistration that owns it. Sessions are spread over several libcoap
// contexts of a few dozen sessions each, since libcoap walks all sessions of a context on every
// wake-up; a fleet of a thousand endpoints would otherwise pay for a thousand on each message.
class UpstreamClient : public QObject {
    Q_OBJECT
public:
    UpstreamClient(PluginHostImpl& plugins, const GatewayConfig& config, QObject* parent = nullptr);
    ~UpstreamClient() override;

    bool isValid() const { return valid_; }

    // Where secret keys come from when a session is opened.
    void setAccountDirectory(const ServerAccountDirectory* directory) { directory_ = directory; }
    // Through the security-mode plugin the account names; nullptr and a reason on failure.
    coap_session_t* openSession(const ServerAccount& account, QString& error);
    // The owner is done with a session from openSession(); it is released once libcoap's
    // callback for it (if one is running) returned.
    void closeSession(coap_session_t* session);
    // Drops one extra reference later, for the same reason.
    void releaseLater(coap_session_t* session);

private:
    // libcoap keeps PSK and PKI set-up per context: sessions of different security modes never
    // share one.
    struct Shard {
        CoapEventLoop* loop = nullptr;
        SecurityMode mode = SecurityMode::NoSec;
        int sessions = 0;
    };
    Shard* shardWithRoom(SecurityMode mode);
    Shard* shardOf(coap_session_t* session);
    void releaseDeferred();

    PluginHostImpl& plugins_;
    const GatewayConfig& config_;
    const ServerAccountDirectory* directory_ = nullptr;
    std::vector<Shard> shards_;
    bool valid_ = false;
    QVector<coap_session_t*> toRelease_;
};

}  // namespace lwm2mgw
