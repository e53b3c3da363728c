#pragma once

#include "gateway_config.h"
#include "registration_links.h"

#include <lwm2m-gateway/credstore/bootstrap_session.h>

#include <QObject>
#include <QString>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

namespace lwm2mgw {

namespace credstore {
class CredentialStore;
struct SecurityObjectInstance;
}  // namespace credstore
class BootstrapClient;
class BootstrapRequestHandler;
class UpstreamClient;

// The client-initiated bootstraps in progress, at most one per endpoint (the gateway's own or a
// proxied sensor's). Each runs its own Bootstrap-Request, session and buffered store session:
//  - the Bootstrap-Server account is the endpoint's own stored bootstrap account, else the
//    gateway's (a sensor then bootstraps through the gateway's Bootstrap-Server);
//  - the name sent in `ep=` is the one the servers know: the gateway's own name, or
//    upstream/endpoint_prefix + the sensor's endpoint name;
//  - every write lands in that endpoint's scope of the store, committed at Finish.
class BootstrapCoordinator : public QObject {
    Q_OBJECT
public:
    // Automatic bootstraps (first start, at a sensor's Register, after registration failure)
    // wait the account's Client Hold Off Time (/0/x/11); an operator's request does not.
    enum class Trigger { Operator, Automatic };

    BootstrapCoordinator(credstore::CredentialStore& store, UpstreamClient& client,
                         const GatewayConfig& config, credstore::ModeAvailable modeAvailable,
                         QObject* parent = nullptr);
    ~BootstrapCoordinator() override;

    // Starts a bootstrap of `endpoint`. Returns why it cannot (no bootstrap account, unusable
    // URI); empty when started or already running.
    QString start(const QString& endpoint, Trigger trigger);
    bool isRunning(const QString& endpoint) const { return runs_.count(endpoint) != 0; }
    // A sensor is bootstrapped at its Register when it has a bootstrap account of its own in the
    // store and no server account of its own yet.
    bool wantsBootstrap(const QString& endpoint) const;
    // Abandons every bootstrap in progress; the store keeps its state.
    void stopAll();
    // What a sensor's Bootstrap-Discover lists besides its Security and Server instances: the
    // objects it registered with (the gateway's own default to its Device object).
    using ObjectLinksOf = std::function<std::vector<lwm2m::ObjectLink>(const QString& endpoint)>;
    void setObjectLinksOf(ObjectLinksOf objectLinksOf) {
        objectLinksOf_ = std::move(objectLinksOf);
    }

signals:
    // The endpoint's new accounts are committed.
    void finished(const QString& endpoint);
    // One attempt failed; the next one is scheduled with back-off.
    void failed(const QString& endpoint, const QString& reason);

private:
    struct Run {
        std::unique_ptr<BootstrapRequestHandler> handler;
        std::unique_ptr<BootstrapClient> client;
        QString accountEndpoint;  // whose bootstrap account this run uses
        quint32 accountTimeoutSeconds = 0;
        Run();
        Run(Run&&) noexcept;
        Run& operator=(Run&&) noexcept;
        ~Run();
    };
    // The stored bootstrap account for `endpoint`, and whose it is; nullopt with `error` empty
    // when there is none.
    std::optional<credstore::SecurityObjectInstance> bootstrapAccountFor(const QString& endpoint,
                                                                         QString& owner,
                                                                         QString& error) const;
    void onBootstrapped(const QString& endpoint);
    void scheduleAccountPurge(const QString& endpoint, quint32 timeoutSeconds);
    QString upstreamName(const QString& endpoint) const;

    credstore::CredentialStore& store_;
    UpstreamClient& client_;
    const GatewayConfig& config_;
    credstore::ModeAvailable modeAvailable_;
    ObjectLinksOf objectLinksOf_;
    std::map<QString, Run> runs_;
    // Finished runs, deleted on the next event-loop turn (their client is still on the stack).
    std::vector<Run> retired_;
};

}  // namespace lwm2mgw
