#pragma once

#include "gateway_config.h"
#include "gateway_device_object.h"
#include "plugin_host.h"
#include "server_account.h"
#include "upstream_registration.h"

#include <lwm2m-gateway/credstore/bootstrap_session.h>

#include <QHash>
#include <QList>
#include <QObject>
#include <memory>

namespace lwm2mgw {

namespace credstore {
class CredentialStore;
}
class BootstrapClient;
class BootstrapRequestHandler;
class DownstreamServer;
class RegistrationRegistry;
class RequestRelay;
class UpstreamClient;
class UpstreamRegistration;
struct DownstreamRegistration;
struct RelayCounters;
enum class RegistrationEnd;

// The composition root: plugins, downstream listeners, the registry of sensors, their upstream
// registrations and the relay between them, plus the gateway's own registration.
class Gateway : public QObject {
    Q_OBJECT
public:
    explicit Gateway(GatewayConfig config, QObject* parent = nullptr);
    ~Gateway() override;

    // Loads plugins, opens listeners, starts the gateway's own registration. Returns an error
    // message an operator can act on, empty on success.
    QString start();
    // De-registers everything upstream, then emits stopped().
    void stop();

    const GatewayConfig& config() const { return config_; }
    // nullptr when the gateway runs without a credential store (no --store / gateway/store).
    const credstore::CredentialStore* credentialStore() const { return store_.get(); }
    const PluginHostImpl& plugins() const { return plugins_; }
    RegistrationRegistry& registry() { return *registry_; }
    QList<UpstreamRegistration*> upstreamRegistrations(const QString& endpoint) const;
    // For the control interface (dbus/): what was loaded, what was relayed.
    const QList<PluginReport>& pluginReports() const { return plugins_.reports(); }
    RelayCounters relayCounters() const;
    // Ends a sensor's registration as its own De-register would. False if it is not registered.
    bool deregisterEndpoint(const QString& endpoint);

signals:
    void stopped();
    // A registration of an endpoint at one upstream server was created (before it starts).
    void upstreamStarted(lwm2mgw::UpstreamRegistration* registration);

private:
    void onSensorRegistered(DownstreamRegistration* registration);
    void onSensorUpdated(DownstreamRegistration* registration, bool objectLinksChanged);
    void onSensorEnding(DownstreamRegistration* registration, RegistrationEnd end);
    void startUpstream(const QString& localEndpoint,
                       const struct UpstreamRegistrationParams& params, UpstreamRequestSink* sink);
    void finishUpstream(UpstreamRegistration* registration);
    void checkStopped();
    UpstreamRegistrationParams ownRegistrationParams() const;
    // Client-initiated bootstrap of the gateway's own endpoint, when nothing else gives it a
    // server account. Returns an error message for a configuration that cannot work.
    QString startBootstrap();
    QString writeConfiguredBootstrapAccount();
    void onBootstrapped();
    credstore::ModeAvailable modeAvailable() const;

    GatewayConfig config_;
    PluginHostImpl plugins_;
    std::unique_ptr<credstore::CredentialStore> store_;
    StaticServerAccounts configuredAccounts_;
    std::unique_ptr<ServerAccountDirectory> storedAccounts_;
    const ServerAccountDirectory* accounts_ = &configuredAccounts_;
    GatewayDeviceObject deviceObject_;
    std::unique_ptr<UpstreamClient> upstream_;
    std::unique_ptr<RegistrationRegistry> registry_;
    std::unique_ptr<RequestRelay> relay_;
    std::unique_ptr<BootstrapRequestHandler> bootstrapHandler_;
    std::unique_ptr<BootstrapClient> bootstrapClient_;
    QList<DownstreamServer*> downstream_;
    // Keyed by local endpoint name (the sensor's ep, or the gateway's own).
    QMultiHash<QString, UpstreamRegistration*> upstreamByEndpoint_;
    QList<UpstreamRegistration*> leaving_;
    bool stopping_ = false;
};

}  // namespace lwm2mgw
