#pragma once

#include "dbus_types.h"

#include <QDBusConnection>
#include <QDBusContext>
#include <QDBusUnixFileDescriptor>
#include <QObject>
#include <QStringList>

#include <optional>

namespace lwm2mgw {
namespace credstore {
class BootstrapSession;
class CredentialStore;
struct Error;
}  // namespace credstore
class Gateway;
class UpstreamRegistration;
struct DownstreamRegistration;
enum class RegistrationEnd;
}  // namespace lwm2mgw

namespace lwm2mgw::dbus {

// The object at /org/lwm2mgateway/Gateway1: the generated adaptors of Gateway1 and
// Gateway1.Credentials forward every call here by name, so slots, properties and signals below
// carry the XML's names and signatures exactly. Errors go out as org.lwm2mgateway.Error.* via
// QDBusContext; nothing a caller sends can do more than earn an error.
class GatewayService : public QObject, protected QDBusContext {
    Q_OBJECT
    Q_PROPERTY(QString Version READ version)
    Q_PROPERTY(QString GatewayEndpoint READ gatewayEndpoint)
    Q_PROPERTY(QList<QVariantMap> Plugins READ plugins)
    Q_PROPERTY(QStringList Listeners READ listeners)
    Q_PROPERTY(QMap<QString, uint> EndpointCounts READ endpointCounts)

public:
    // `checkCallers`: refuse mutating calls from callers that are neither root nor in the
    // lwm2m-gateway group (system and private buses; a session bus is one user's anyway).
    GatewayService(Gateway& gateway, QString version, bool checkCallers, QObject* parent = nullptr);
    ~GatewayService() override;

    // Exports the object on `connection` and then takes the bus name. Returns an error an
    // operator can act on, empty on success.
    QString publish(QDBusConnection connection);

    QString version() const { return version_; }
    QString gatewayEndpoint() const;
    QList<QVariantMap> plugins() const;
    QStringList listeners() const;
    QMap<QString, uint> endpointCounts() const;

public slots:
    // org.lwm2mgateway.Gateway1
    QList<QVariantMap> ListEndpoints();
    QVariantMap GetEndpoint(const QString& endpoint);
    QList<QVariantMap> ListServers();
    void Deregister(const QString& endpoint);
    void TriggerUpdate(const QString& endpoint);
    void StartBootstrap(const QString& endpoint);
    QStringList Reload();
    QVariantMap GetCounters();

    // org.lwm2mgateway.Gateway1.Credentials (gateway_service_credentials.cpp)
    QList<QVariantMap> ListCredentials();
    void AddCredential(const QVariantMap& credential);
    void RemoveCredential(const QString& mode, const QString& id);
    QList<QVariantMap> ListAccounts();
    void AddAccount(const QVariantMap& account);
    void RemoveAccount(const QString& endpoint, int shortServerId);
    QVariantMap ImportProvisioningFile(const QDBusUnixFileDescriptor& file);

signals:
    void EndpointRegistered(const QString& endpoint);
    void EndpointGone(const QString& endpoint, const QString& reason);
    void UpstreamStateChanged(const QString& endpoint, const QVariantMap& server);
    void BootstrapFinished(const QString& endpoint);
    void BootstrapFailed(const QString& endpoint, const QString& reason);

private:
    void watchUpstream(UpstreamRegistration* registration);
    void onEnding(DownstreamRegistration* registration, RegistrationEnd end);
    // Sends the error when called over D-Bus (the return value is then ignored); logs it too.
    void fail(const QString& name, const QString& message);
    // False (after sending AccessDenied) when the caller may not change anything.
    bool mayChange(const QString& what);
    // False (after sending InvalidArgument) for an empty or oversized endpoint name.
    bool validEndpointName(const QString& endpoint);
    // The daemon's credential store, or nullptr after sending Failed (it runs without one).
    credstore::CredentialStore* storeOrFail();
    // Sends the D-Bus error for a refused store operation (ReadOnly, DiskFull, InvalidArgument,
    // NotFound, Failed), prefixed with `what`.
    void failStore(const credstore::Error& error, const QString& what);
    // An account change is written through the same checks as a Bootstrap-Finish: a session
    // over `endpoint`'s accounts, or nullopt once the call has failed with `failure`.
    std::optional<credstore::BootstrapSession> beginAccountChange(const QString& endpoint,
                                                                  const QString& failure);
    // Whether a loaded plugin implements a Security Mode (/0/x/2 value), for the store's checks.
    bool modeAvailable(int securityMode) const;
    void onBootstrapFinished(const QString& endpoint);
    void onBootstrapFailed(const QString& endpoint, const QString& reason);

    Gateway& gateway_;
    QString version_;
    bool checkCallers_;
    // The endpoint Deregister is ending right now, so EndpointGone says "operator".
    QString deregistering_;
};

}  // namespace lwm2mgw::dbus
