#pragma once

#include "gateway_client_objects.h"
#include "gateway_config.h"
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
class BootstrapCoordinator;
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
    credstore::CredentialStore* credentialStore() { return store_.get(); }
    const PluginHostImpl& plugins() const { return plugins_; }
    RegistrationRegistry& registry() { return *registry_; }
    QList<UpstreamRegistration*> upstreamRegistrations(const QString& endpoint) const;
    // For the control interface (dbus/): what was loaded, what was relayed.
    const QList<PluginReport>& pluginReports() const { return plugins_.reports(); }
    RelayCounters relayCounters() const;
    // Ends a sensor's registration as its own De-register would. False if it is not registered.
    bool deregisterEndpoint(const QString& endpoint);
    // The server accounts of `endpoint` changed in the store (control interface, provisioning,
    // bootstrap): register at new accounts and de-register at removed or changed ones, now. A
    // change to the gateway's own accounts reaches every sensor that has none of its own.
    void serverAccountsChanged(const QString& endpoint);
    // The downstream credentials of `mode` (every mode: nullopt) changed in the store (control
    // interface, reload): plugins that copied some into their listeners' set-up (X.509 trust
    // anchors) copy them again, so the next handshake uses them. When one may have been
    // withdrawn, every session of that mode is admitted again before its next request, and a
    // registered sensor whose credential is gone loses its session and is de-registered now,
    // rather than be served until its session ends, days later perhaps. Returns, in words,
    // what failed and whom it de-registered.
    enum class CredentialChange { Added, MayWithdraw };
    QStringList downstreamCredentialsChanged(std::optional<SecurityMode> mode,
                                             CredentialChange change);
    // Starts a client-initiated bootstrap of `endpoint` (the gateway's own, or a registered
    // sensor's) now. Returns why it cannot start (no bootstrap account, no store), empty when
    // started or already running; the outcome comes as bootstrapFinished / bootstrapFailed.
    QString requestBootstrap(const QString& endpoint);
    // Re-reads the configuration file and the plugin directory and applies what can change
    // without dropping registrations (gateway_reload.cpp). `changes` lists, in words, what was
    // applied and what needs a restart. Returns an error for a configuration that does not
    // parse; then nothing changes.
    QString reload(QStringList& changes);
    // Sets the log filter: the built-in defaults, then the log/rules key of `configFile` (if
    // any); QT_LOGGING_RULES still wins. main() calls it at start, reload() again.
    static void applyLogRules(const QString& configFile);
    const QList<DownstreamServer*>& downstreamServers() const { return downstream_; }

signals:
    void stopped();
    // A registration of an endpoint at one upstream server was created (before it starts).
    void upstreamStarted(lwm2mgw::UpstreamRegistration* registration);
    // A bootstrap of `endpoint` committed new accounts, or gave up for now (`reason` in words).
    void bootstrapFinished(const QString& endpoint);
    void bootstrapFailed(const QString& endpoint, const QString& reason);

private:
    void onSensorRegistered(DownstreamRegistration* registration);
    void onSensorUpdated(DownstreamRegistration* registration, bool objectLinksChanged);
    void onSensorEnding(DownstreamRegistration* registration, RegistrationEnd end);
    void startUpstream(const QString& localEndpoint,
                       const struct UpstreamRegistrationParams& params, UpstreamRequestSink* sink);
    // Not started yet: startInRegistrationOrder() starts it.
    UpstreamRegistration* createRegistration(const QString& localEndpoint,
                                             const ServerAccount& account,
                                             const UpstreamRegistrationParams& params,
                                             UpstreamRequestSink* sink);
    void reconcileUpstream(const QString& endpoint);
    // The context serving `plugin`'s listeners (one per plugin), nullptr before it exists.
    DownstreamServer* downstreamServerFor(const SecurityModePlugin* plugin) const;
    void finishUpstream(UpstreamRegistration* registration);
    void checkStopped();
    UpstreamRegistrationParams ownRegistrationParams() const;
    // Client-initiated bootstrap of the gateway's own endpoint, when nothing else gives it a
    // server account. Returns an error message for a configuration that cannot work.
    QString startBootstrap();
    QString writeConfiguredBootstrapAccount();
    QString importProvisioningFile();
    QString checkSecuredUpstream(const QStringList& uris) const;
    void onBootstrapped(const QString& endpoint);
    void onRegistrationFailed(UpstreamRegistration* registration);
    credstore::ModeAvailable modeAvailable() const;
    // reload() parts (gateway_reload.cpp).
    void reloadUpstream(const GatewayConfig& fresh, QStringList& changes);
    void reloadPlugins(QStringList& changes);

    GatewayConfig config_;
    PluginHostImpl plugins_;
    std::unique_ptr<credstore::CredentialStore> store_;
    StaticServerAccounts configuredAccounts_;
    std::unique_ptr<ServerAccountDirectory> storedAccounts_;
    const ServerAccountDirectory* accounts_ = &configuredAccounts_;
    GatewayClientObjects clientObjects_;
    std::unique_ptr<UpstreamClient> upstream_;
    std::unique_ptr<RegistrationRegistry> registry_;
    std::unique_ptr<RequestRelay> relay_;
    std::unique_ptr<BootstrapCoordinator> bootstrap_;
    QList<DownstreamServer*> downstream_;
    // Keyed by local endpoint name (the sensor's ep, or the gateway's own).
    QMultiHash<QString, UpstreamRegistration*> upstreamByEndpoint_;
    QList<UpstreamRegistration*> leaving_;
    bool stopping_ = false;
};

}  // namespace lwm2mgw
