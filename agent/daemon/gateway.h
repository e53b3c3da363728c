#pragma once

#include "gateway_config.h"
#include "gateway_device_object.h"
#include "plugin_host.h"
#include "server_account.h"

#include <QHash>
#include <QList>
#include <QObject>
#include <memory>

namespace lwm2mgw {

class DownstreamServer;
class RegistrationRegistry;
class RequestRelay;
class UpstreamClient;
class UpstreamRegistration;
struct DownstreamRegistration;
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
    RegistrationRegistry& registry() { return *registry_; }
    QList<UpstreamRegistration*> upstreamRegistrations(const QString& endpoint) const;

signals:
    void stopped();

private:
    void onSensorRegistered(DownstreamRegistration* registration);
    void onSensorUpdated(DownstreamRegistration* registration, bool objectLinksChanged);
    void onSensorEnding(DownstreamRegistration* registration, RegistrationEnd end);
    void startUpstream(const QString& localEndpoint, const struct UpstreamRegistrationParams& params,
                       UpstreamRequestSink* sink);
    void finishUpstream(UpstreamRegistration* registration);
    void checkStopped();

    GatewayConfig config_;
    PluginHostImpl plugins_;
    StaticServerAccounts accounts_;
    GatewayDeviceObject deviceObject_;
    std::unique_ptr<UpstreamClient> upstream_;
    std::unique_ptr<RegistrationRegistry> registry_;
    std::unique_ptr<RequestRelay> relay_;
    QList<DownstreamServer*> downstream_;
    // Keyed by local endpoint name (the sensor's ep, or the gateway's own).
    QMultiHash<QString, UpstreamRegistration*> upstreamByEndpoint_;
    QList<UpstreamRegistration*> leaving_;
    bool stopping_ = false;
};

}  // namespace lwm2mgw
