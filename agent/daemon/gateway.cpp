#include "gateway.h"

#include "bootstrap_coordinator.h"
#include "downstream_server.h"
#include "registration_order.h"
#include "registration_registry.h"
#include "request_relay.h"
#include "stored_server_accounts.h"
#include "upstream_client.h"
#include "upstream_registration.h"

#include <QFile>
#include <QLoggingCategory>
#include <QPointer>
#include <QTimer>

#include <algorithm>
#include <cstring>

#include <lwm2m-gateway/credstore/credential_store.h>
#include <lwm2m-gateway/credstore/provisioning.h>

Q_LOGGING_CATEGORY(lcGateway, "lwm2mgw.gateway")

namespace lwm2mgw {

namespace {
// De-registration should not hold a stopping gateway hostage to an unreachable server.
constexpr int kStopTimeoutMs = 5000;
}  // namespace

namespace {

// coap:// is NoSec; coaps:// names its mode: coaps://0.0.0.0:5684?mode=psk (psk, rpk, x509).
std::optional<SecurityMode> listenerMode(const CoapUri& uri, QString& error) {
    if (!uri.secure) {
        return SecurityMode::NoSec;
    }
    const QString mode =
        uri.query.startsWith(QLatin1String("mode=")) ? uri.query.mid(5) : QString();
    for (SecurityMode candidate :
         {SecurityMode::PreSharedKey, SecurityMode::RawPublicKey, SecurityMode::Certificate}) {
        if (mode == securityModeName(candidate)) {
            return candidate;
        }
    }
    error = QStringLiteral(
        "a coaps:// listener names its security mode: ?mode=psk, ?mode=rpk or ?mode=x509");
    return std::nullopt;
}

}  // namespace

Gateway::Gateway(GatewayConfig config, QObject* parent)
    : QObject(parent),
      config_(std::move(config)),
      clientObjects_([this] { return requestBootstrap(config_.endpointName); }) {}

Gateway::~Gateway() {
    // Relay first (it holds sessions of both sides), then registrations, then contexts.
    relay_.reset();
    for (UpstreamRegistration* registration : upstreamByEndpoint_) {
        delete registration;
    }
    qDeleteAll(leaving_);
    registry_.reset();
    qDeleteAll(downstream_);
    bootstrap_.reset();
    upstream_.reset();
    plugins_.setCredentialStore(nullptr);
}

QString Gateway::start() {
    initCoapLibrary();
    plugins_.loadDirectory(config_.pluginDir);
    // A coaps:// --upstream names a stored account (its credentials from provisioning); only
    // coap:// ones are configured accounts.
    QStringList nosecUpstream;
    QStringList securedUpstream;
    splitUpstreamUris(config_.upstreamUris, nosecUpstream, securedUpstream);
    if (const QString error = configuredAccounts_.configure(nosecUpstream, config_.retryPolicy);
        !error.isEmpty()) {
        return error;
    }
    if (config_.storePath.isEmpty() && !config_.provisioningFile.isEmpty()) {
        return QStringLiteral("--provisioning needs a credential store (--store or gateway/store)");
    }
    if (config_.storePath.isEmpty() && !securedUpstream.isEmpty()) {
        return QStringLiteral(
                   "%1: a coaps:// server needs a server account with credentials in the "
                   "credential store (--store and --provisioning), not a bare --upstream URI")
            .arg(securedUpstream.first());
    }
    if (!config_.storePath.isEmpty()) {
        auto opened = credstore::CredentialStore::open(config_.storePath.toStdString());
        if (!opened) {
            return QStringLiteral("cannot open the credential store %1: %2")
                .arg(config_.storePath, QString::fromStdString(opened.error().message));
        }
        store_ = std::make_unique<credstore::CredentialStore>(std::move(opened).value());
        for (const std::string& notice : store_->openNotices()) {
            qCWarning(lcGateway).noquote() << "credential store:" << QString::fromStdString(notice);
        }
        if (store_->isReadOnly()) {
            qCWarning(lcGateway).noquote()
                << "credential store" << config_.storePath
                << "is read-only: bootstrap and credential changes will fail";
        }
        plugins_.setCredentialStore(store_.get());
        if (const QString error = importProvisioningFile(); !error.isEmpty()) {
            return error;
        }
        if (const QString error = checkSecuredUpstream(securedUpstream); !error.isEmpty()) {
            return error;
        }
        // A coaps:// --bootstrap must name the provisioned account, whether or not it is used now.
        if (config_.bootstrapUri.startsWith(QLatin1String("coaps:"), Qt::CaseInsensitive)) {
            if (const QString error = writeConfiguredBootstrapAccount(); !error.isEmpty()) {
                return error;
            }
        }
        storedAccounts_ = std::make_unique<StoredServerAccounts>(*store_, config_.endpointName,
                                                                 configuredAccounts_);
        accounts_ = storedAccounts_.get();
    }
    upstream_ = std::make_unique<UpstreamClient>(plugins_, config_);
    upstream_->setAccountDirectory(accounts_);
    if (!upstream_->isValid()) {
        return QStringLiteral("cannot create the upstream CoAP context");
    }
    if (store_) {
        bootstrap_ =
            std::make_unique<BootstrapCoordinator>(*store_, *upstream_, config_, modeAvailable());
        connect(bootstrap_.get(), &BootstrapCoordinator::finished, this, &Gateway::onBootstrapped);
        connect(bootstrap_.get(), &BootstrapCoordinator::failed, this, &Gateway::bootstrapFailed);
        bootstrap_->setObjectLinksOf([this](const QString& endpoint) {
            std::vector<lwm2m::ObjectLink> links;
            const DownstreamRegistration* sensor =
                registry_ ? registry_->byEndpoint(endpoint) : nullptr;
            if (sensor) {
                const auto parsed = lwm2m::parseRegistrationLinks(
                    std::string_view(sensor->objectLinks.constData(),
                                     static_cast<size_t>(sensor->objectLinks.size())));
                if (parsed) {
                    links = parsed.value().objects;
                }
            }
            return links;
        });
    }
    registry_ = std::make_unique<RegistrationRegistry>();
    relay_ = std::make_unique<RequestRelay>(*registry_, config_, *upstream_);
    relay_->setUpstreamLookup([this](const QString& endpoint) -> UpstreamRegistration* {
        const QList<UpstreamRegistration*> candidates = upstreamByEndpoint_.values(endpoint);
        for (UpstreamRegistration* candidate : candidates) {
            if (candidate->state() == UpstreamState::Registered) {
                return candidate;
            }
        }
        return nullptr;
    });
    connect(registry_.get(), &RegistrationRegistry::registered, this, &Gateway::onSensorRegistered);
    connect(registry_.get(), &RegistrationRegistry::updated, this, &Gateway::onSensorUpdated);
    connect(registry_.get(), &RegistrationRegistry::ending, this, &Gateway::onSensorEnding);

    plugins_.setLocalCredentialFiles({config_.rpkPublicKeyFile, config_.rpkPrivateKeyFile,
                                      config_.certificateFile, config_.certificateKeyFile,
                                      config_.certificateChainFiles});
    for (const QString& uri : config_.listenUris) {
        QString error;
        const std::optional<CoapUri> parsed = parseCoapUri(uri, error);
        if (!parsed) {
            return error;
        }
        const std::optional<SecurityMode> mode = listenerMode(*parsed, error);
        if (!mode) {
            return QStringLiteral("%1: %2").arg(uri, error);
        }
        SecurityModePlugin* plugin = plugins_.pluginFor(*mode);
        if (!plugin) {
            // Never fall back to a weaker mode: a listener that cannot be secured is not opened.
            return QStringLiteral(
                       "%1: no loaded plugin provides security mode %2 (plugin directory %3)")
                .arg(uri, securityModeName(*mode), config_.pluginDir);
        }
        DownstreamServer* server = downstreamServerFor(plugin);
        if (!server) {
            server = new DownstreamServer(*plugin, *registry_, *relay_, config_);
            if (!server->isValid()) {
                delete server;
                return QStringLiteral("cannot create a downstream CoAP context");
            }
            downstream_.append(server);
        }
        if (const QString listenError = server->listen(uri); !listenError.isEmpty()) {
            return listenError;
        }
    }
    if (!config_.bootstrapUri.isEmpty() && !store_) {
        return QStringLiteral("--bootstrap needs a credential store (--store or gateway/store)");
    }
    if (accounts_->accountsFor(config_.endpointName).isEmpty()) {
        if (store_) {
            if (const QString error = startBootstrap(); !error.isEmpty()) {
                return error;
            }
        }
        if (!bootstrap_ || !bootstrap_->isRunning(config_.endpointName)) {
            qCWarning(lcGateway)
                << "no upstream server configured: sensors are accepted but not relayed";
        }
    }
    startUpstream(config_.endpointName, ownRegistrationParams(), &clientObjects_);
    qCInfo(lcGateway).noquote() << "gateway" << config_.endpointName << "started";
    return {};
}

UpstreamRegistrationParams Gateway::ownRegistrationParams() const {
    UpstreamRegistrationParams own;
    own.endpoint = config_.endpointName;
    own.lifetimeSeconds = config_.gatewayLifetimeSeconds;
    own.lwm2mVersion = QStringLiteral("1.1");
    own.objectLinks = GatewayClientObjects::objectLinks();
    return own;
}

void Gateway::startUpstream(const QString& localEndpoint, const UpstreamRegistrationParams& params,
                            UpstreamRequestSink* sink) {
    QList<UpstreamRegistration*> created;
    for (const ServerAccount& account : accounts_->accountsFor(localEndpoint)) {
        created.append(createRegistration(localEndpoint, account, params, sink));
    }
    startInRegistrationOrder(created);
}

UpstreamRegistration* Gateway::createRegistration(const QString& localEndpoint,
                                                  const ServerAccount& account,
                                                  const UpstreamRegistrationParams& params,
                                                  UpstreamRequestSink* sink) {
    UpstreamRegistrationParams effective = params;
    if (localEndpoint == config_.endpointName) {
        // The gateway registers with the Lifetime its Server instance gives (/1/x/1), and
        // lists that instance among its objects.
        if (account.lifetimeSeconds > 0) {
            effective.lifetimeSeconds = account.lifetimeSeconds;
        }
        effective.objectLinks = GatewayClientObjects::objectLinks(account);
    }
    auto* registration =
        new UpstreamRegistration(*upstream_, localEndpoint, account, effective, sink);
    connect(registration, &UpstreamRegistration::stateChanged, this,
            [this, guarded = QPointer<UpstreamRegistration>(registration)](UpstreamState state) {
                if (state != UpstreamState::Failed) {
                    return;
                }
                // Not from inside libcoap's callback: a bootstrap opens a session of its own.
                QMetaObject::invokeMethod(
                    this,
                    [this, guarded] {
                        if (guarded) {
                            onRegistrationFailed(guarded);
                        }
                    },
                    Qt::QueuedConnection);
            });
    upstreamByEndpoint_.insert(localEndpoint, registration);
    emit upstreamStarted(registration);
    return registration;
}

QList<UpstreamRegistration*> Gateway::upstreamRegistrations(const QString& endpoint) const {
    return upstreamByEndpoint_.values(endpoint);
}

RelayCounters Gateway::relayCounters() const {
    return relay_ ? relay_->counters() : RelayCounters{};
}

bool Gateway::deregisterEndpoint(const QString& endpoint) {
    DownstreamRegistration* registration = registry_ ? registry_->byEndpoint(endpoint) : nullptr;
    if (!registration || !registration->plugin) {
        return false;
    }
    qCInfo(lcGateway).noquote() << "operator de-registers" << endpoint;
    return registry_->deregister(endpoint);
}

namespace {
UpstreamRegistrationParams paramsFor(const DownstreamRegistration& sensor, const QString& prefix) {
    UpstreamRegistrationParams params;
    params.endpoint = prefix + sensor.endpoint;
    params.lifetimeSeconds = sensor.lifetimeSeconds;
    params.binding = sensor.binding;
    params.lwm2mVersion = sensor.lwm2mVersion;
    params.objectLinks = sensor.objectLinks;
    params.queueMode = sensor.queueMode;
    return params;
}
}  // namespace

void Gateway::onSensorRegistered(DownstreamRegistration* registration) {
    if (registration->endpoint == config_.endpointName) {
        qCWarning(lcGateway).noquote() << "a sensor registered with the gateway's own endpoint name"
                                       << registration->endpoint << "; it is not relayed upstream";
        return;
    }
    startUpstream(registration->endpoint, paramsFor(*registration, config_.upstreamEndpointPrefix),
                  relay_.get());
    // A sensor with a bootstrap account of its own and no server account of its own is
    // bootstrapped now; until Finish it stays registered at the gateway's accounts.
    if (bootstrap_ && bootstrap_->wantsBootstrap(registration->endpoint)) {
        if (const QString error =
                bootstrap_->start(registration->endpoint, BootstrapCoordinator::Trigger::Automatic);
            !error.isEmpty()) {
            qCWarning(lcGateway).noquote()
                << "cannot bootstrap" << registration->endpoint << ":" << error;
        }
    }
}

void Gateway::onSensorUpdated(DownstreamRegistration* registration, bool objectLinksChanged) {
    const UpstreamRegistrationParams params =
        paramsFor(*registration, config_.upstreamEndpointPrefix);
    for (UpstreamRegistration* upstream : upstreamByEndpoint_.values(registration->endpoint)) {
        upstream->update(params, objectLinksChanged);
    }
}

void Gateway::onSensorEnding(DownstreamRegistration* registration, RegistrationEnd end) {
    relay_->endpointEnding(*registration);
    const QList<UpstreamRegistration*> upstream =
        upstreamByEndpoint_.values(registration->endpoint);
    upstreamByEndpoint_.remove(registration->endpoint);
    qCInfo(lcGateway).noquote() << registration->endpoint
                                << "left (" + registrationEndText(end) + ")";
    for (UpstreamRegistration* each : upstream) {
        finishUpstream(each);
    }
}

DownstreamServer* Gateway::downstreamServerFor(const SecurityModePlugin* plugin) const {
    for (DownstreamServer* server : downstream_) {
        if (&server->plugin() == plugin) {
            return server;
        }
    }
    return nullptr;
}

QStringList Gateway::downstreamCredentialsChanged(std::optional<SecurityMode> mode,
                                                  CredentialChange change) {
    QStringList outcome;
    for (DownstreamServer* server : downstream_) {
        if (server->listeners().isEmpty() || (mode && server->plugin().mode() != *mode)) {
            continue;
        }
        QString error;
        if (!plugins_.refreshListeners(server->plugin(), server->loop()->context(), error)) {
            // Admission still reads the store, so a removed credential admits nobody.
            outcome << QStringLiteral(
                           "the %1 listeners keep their previous credentials until a restart: %2")
                           .arg(server->listeners().join(QStringLiteral(", ")), error);
            qCWarning(lcGateway).noquote() << outcome.last();
        }
        if (change == CredentialChange::MayWithdraw) {
            server->credentialsChanged();
        }
    }
    if (change == CredentialChange::Added || !registry_) {
        return outcome;
    }
    // Sessions that carry requests are admitted again at their next one; registered sensors
    // that stay silent (asleep, for days perhaps) are checked now.
    struct Withdrawn {
        QString endpoint;
        coap_session_t* session;
        DownstreamServer* server;
    };
    QList<Withdrawn> withdrawn;
    for (DownstreamRegistration* registration : registry_->registrations()) {
        SecurityModePlugin* plugin = registration->plugin;
        coap_session_t* session = registration->session();
        // A session that has ended gets a new handshake, and that one reads the store.
        if (!plugin || !session || plugin->mode() == SecurityMode::NoSec ||
            (mode && plugin->mode() != *mode) ||
            coap_session_get_state(session) != COAP_SESSION_STATE_ESTABLISHED) {
            continue;
        }
        DownstreamServer* server = downstreamServerFor(plugin);
        if (!server) {
            continue;
        }
        QString reason;
        if (server->admit(session, &reason)) {
            const std::optional<std::string> bound = plugin->boundEndpoint(session);
            if (!bound || *bound == registration->endpoint.toStdString()) {
                continue;
            }
            reason = QStringLiteral("its credentials are now bound to endpoint '%1'")
                         .arg(QString::fromStdString(*bound));
        }
        withdrawn.append({registration->endpoint, session, server});
        outcome << QStringLiteral(
                       "credentials of %1 withdrawn (%2): its session is closed and "
                       "it is de-registered")
                       .arg(registration->endpoint, reason);
        qCWarning(lcGateway).noquote() << outcome.last();
    }
    for (const Withdrawn& each : withdrawn) {
        each.server->closeLater(each.session);
        registry_->deregister(each.endpoint);
    }
    return outcome;
}

void Gateway::serverAccountsChanged(const QString& endpoint) {
    if (stopping_ || !registry_) {
        return;
    }
    reconcileUpstream(endpoint);
    if (endpoint == config_.endpointName) {
        for (DownstreamRegistration* sensor : registry_->registrations()) {
            if (sensor->endpoint != config_.endpointName) {
                reconcileUpstream(sensor->endpoint);
            }
        }
    }
}

void Gateway::reconcileUpstream(const QString& endpoint) {
    const bool own = endpoint == config_.endpointName;
    DownstreamRegistration* sensor = own ? nullptr : registry_->byEndpoint(endpoint);
    if (!own && !sensor) {
        return;  // An unregistered sensor picks up its accounts when it registers.
    }
    QList<ServerAccount> missing = accounts_->accountsFor(endpoint);
    for (UpstreamRegistration* existing : upstreamByEndpoint_.values(endpoint)) {
        const auto kept =
            std::find_if(missing.begin(), missing.end(), [existing](const ServerAccount& wanted) {
                return sameServerAccount(existing->account(), wanted);
            });
        if (kept != missing.end()) {
            missing.erase(kept);
            continue;
        }
        qCInfo(lcGateway).noquote()
            << endpoint << "no longer registers at" << existing->account().uri.toString()
            << "(its server account changed or was removed)";
        upstreamByEndpoint_.remove(endpoint, existing);
        finishUpstream(existing);
    }
    const UpstreamRegistrationParams params =
        own ? ownRegistrationParams() : paramsFor(*sensor, config_.upstreamEndpointPrefix);
    UpstreamRequestSink* sink = own ? static_cast<UpstreamRequestSink*>(&clientObjects_)
                                    : static_cast<UpstreamRequestSink*>(relay_.get());
    QList<UpstreamRegistration*> created;
    for (const ServerAccount& account : missing) {
        created.append(createRegistration(endpoint, account, params, sink));
    }
    startInRegistrationOrder(created);
}

void Gateway::finishUpstream(UpstreamRegistration* registration) {
    leaving_.append(registration);
    connect(registration, &UpstreamRegistration::finished, this, [this, registration] {
        leaving_.removeOne(registration);
        registration->deleteLater();
        checkStopped();
    });
    registration->deregister();
}

void Gateway::stop() {
    if (stopping_) {
        return;
    }
    stopping_ = true;
    if (bootstrap_) {
        bootstrap_->stopAll();  // Bootstraps in progress are abandoned; the store is unchanged.
    }
    qCInfo(lcGateway) << "stopping: de-registering every endpoint upstream";
    if (registry_) {
        registry_->clear();
    }
    const QList<UpstreamRegistration*> remaining = upstreamByEndpoint_.values();
    upstreamByEndpoint_.clear();
    for (UpstreamRegistration* registration : remaining) {
        finishUpstream(registration);
    }
    QTimer::singleShot(kStopTimeoutMs, this, [this] {
        if (!leaving_.isEmpty()) {
            qCWarning(lcGateway) << leaving_.size()
                                 << "de-registration(s) unanswered; stopping anyway";
        }
        emit stopped();
    });
    checkStopped();
}

void Gateway::checkStopped() {
    if (stopping_ && leaving_.isEmpty()) {
        QTimer::singleShot(0, this, &Gateway::stopped);
    }
}

QString Gateway::writeConfiguredBootstrapAccount() {
    QString error;
    const std::optional<CoapUri> uri = parseCoapUri(config_.bootstrapUri, error);
    if (!uri) {
        return QStringLiteral("--bootstrap %1: %2").arg(config_.bootstrapUri, error);
    }
    if (uri->secure) {
        // Its credentials cannot come from a URI: it must be the provisioned bootstrap account.
        auto stored = store_->bootstrapAccount(config_.endpointName.toStdString());
        QString ignored;
        const std::optional<CoapUri> storedUri =
            stored && stored.value()
                ? parseCoapUri(QString::fromStdString(stored.value()->serverUri), ignored)
                : std::nullopt;
        if (storedUri && storedUri->toString() == uri->toString()) {
            return {};
        }
        return QStringLiteral(
                   "--bootstrap %1: the store holds no Bootstrap-Server account with this URI "
                   "for %2; a coaps:// account and its credentials come from the provisioning "
                   "file (--provisioning or gateway/provisioning_file)")
            .arg(config_.bootstrapUri, config_.endpointName);
    }
    auto begun = store_->beginBootstrap(config_.endpointName.toStdString());
    if (!begun) {
        return QStringLiteral("cannot write the bootstrap account: %1")
            .arg(QString::fromStdString(begun.error().message));
    }
    credstore::BootstrapSession session = std::move(begun).value();
    credstore::SecurityObjectInstance account;
    account.serverUri = config_.bootstrapUri.toStdString();
    account.bootstrapServer = true;
    account.securityMode = credstore::SecurityMode::NoSec;
    // Replace the stored bootstrap account (at most one exists), else take the lowest free id.
    std::uint16_t freeId = 0;
    for (const credstore::SecurityObjectInstance& existing : session.securityInstances()) {
        if (existing.bootstrapServer) {
            if (existing.serverUri == account.serverUri &&
                existing.securityMode == credstore::SecurityMode::NoSec) {
                return {};
            }
            freeId = existing.instanceId;
            break;
        }
        if (existing.instanceId == freeId) {
            ++freeId;
        }
    }
    account.instanceId = freeId;
    auto written = session.writeSecurity(account, credstore::SecurityObjectSecrets{});
    if (written) {
        written = session.commit(modeAvailable());
    }
    if (!written) {
        return QStringLiteral("cannot write the bootstrap account: %1")
            .arg(QString::fromStdString(written.error().message));
    }
    qCInfo(lcGateway).noquote() << "bootstrap account of" << config_.endpointName << "set to"
                                << config_.bootstrapUri;
    return {};
}

credstore::ModeAvailable Gateway::modeAvailable() const {
    return [this](credstore::SecurityMode mode) {
        return mode != credstore::SecurityMode::CertificateWithEst &&
               plugins_.pluginFor(static_cast<SecurityMode>(mode)) != nullptr;
    };
}

QString Gateway::startBootstrap() {
    if (!config_.bootstrapUri.isEmpty()) {
        if (const QString error = writeConfiguredBootstrapAccount(); !error.isEmpty()) {
            return error;
        }
    }
    auto stored = store_->bootstrapAccount(config_.endpointName.toStdString());
    if (!stored) {
        return QStringLiteral("cannot read the bootstrap account: %1")
            .arg(QString::fromStdString(stored.error().message));
    }
    if (!stored.value()) {
        return {};  // Nothing to bootstrap from: the gateway runs without upstream servers.
    }
    qCInfo(lcGateway).noquote() << "no server account for" << config_.endpointName
                                << "- bootstrapping";
    return bootstrap_->start(config_.endpointName, BootstrapCoordinator::Trigger::Automatic);
}

QString Gateway::requestBootstrap(const QString& endpoint) {
    if (!store_ || !bootstrap_) {
        return QStringLiteral("the gateway runs without a credential store (gateway/store)");
    }
    if (stopping_) {
        return QStringLiteral("the gateway is stopping");
    }
    if (bootstrap_->isRunning(endpoint)) {
        return {};
    }
    if (endpoint == config_.endpointName) {
        if (!config_.bootstrapUri.isEmpty()) {
            if (const QString error = writeConfiguredBootstrapAccount(); !error.isEmpty()) {
                return error;
            }
        }
    } else if (!registry_ || !registry_->byEndpoint(endpoint)) {
        return QStringLiteral("%1 is not registered at the gateway").arg(endpoint);
    }
    return bootstrap_->start(endpoint, BootstrapCoordinator::Trigger::Operator);
}

void Gateway::onBootstrapped(const QString& endpoint) {
    if (stopping_) {
        return;
    }
    emit bootstrapFinished(endpoint);
    // Register at the accounts the Bootstrap-Server wrote, de-register from the ones it removed
    // (for the gateway: also every sensor relying on the gateway's accounts).
    serverAccountsChanged(endpoint);
    // Registrations whose account the bootstrap kept, but that had failed, start over.
    const QList<UpstreamRegistration*> all = upstreamByEndpoint_.values();
    for (UpstreamRegistration* registration : all) {
        if (registration->state() == UpstreamState::Failed &&
            registration->account().storeEndpoint == endpoint) {
            registration->triggerUpdate();
        }
    }
}

void Gateway::onRegistrationFailed(UpstreamRegistration* registration) {
    if (stopping_ || !bootstrap_) {
        return;
    }
    // The failed accounts belong to the endpoint whose scope holds them (a sensor without
    // accounts of its own uses the gateway's): that endpoint is bootstrapped, once every one
    // of its own registrations failed (Core 6.2.1.1) and one of them asks for it (/1/x/16).
    const QString owner = registration->account().storeEndpoint;
    if (owner.isEmpty() || bootstrap_->isRunning(owner)) {
        return;
    }
    const QList<UpstreamRegistration*> owned = upstreamByEndpoint_.values(owner);
    if (owned.isEmpty()) {
        return;
    }
    bool wanted = false;
    for (UpstreamRegistration* each : owned) {
        if (each->state() != UpstreamState::Failed) {
            return;
        }
        // One blocked by the Registration Priority Order never tried: its /1/x/16 says nothing.
        wanted = wanted || (each->started() && each->account().bootstrapOnRegistrationFailure);
    }
    if (!wanted) {
        return;
    }
    qCInfo(lcGateway).noquote() << "every registration of" << owner
                                << "failed: Bootstrap on Registration Failure";
    if (const QString error = bootstrap_->start(owner, BootstrapCoordinator::Trigger::Automatic);
        !error.isEmpty()) {
        qCWarning(lcGateway).noquote() << "cannot bootstrap" << owner << ":" << error;
    }
}

QString Gateway::importProvisioningFile() {
    if (config_.provisioningFile.isEmpty()) {
        return {};
    }
    QFile file(config_.provisioningFile);
    if (!file.exists()) {
        // The factory deletes the file after the first import (it holds keys).
        qCInfo(lcGateway).noquote()
            << "provisioning file" << config_.provisioningFile << "is absent; nothing to import";
        return {};
    }
    if (!file.open(QIODevice::ReadOnly)) {
        return QStringLiteral("cannot read the provisioning file %1").arg(config_.provisioningFile);
    }
    QByteArray json = file.readAll();
    auto parsed = credstore::parseProvisioning(
        std::string_view(json.constData(), static_cast<size_t>(json.size())));
    if (!parsed) {
        explicit_bzero(json.data(), static_cast<size_t>(json.size()));
        return QStringLiteral("provisioning file %1: %2")
            .arg(config_.provisioningFile, QString::fromStdString(parsed.error().message));
    }
    // Imported only into a store that knows none of its endpoints yet: once provisioned (and
    // perhaps bootstrapped or changed since), a restart must not put the factory state back.
    for (const credstore::EndpointAccounts& endpoint : parsed.value()) {
        auto existing = store_->securityInstances(endpoint.endpoint);
        if (!existing || !existing.value().empty()) {
            explicit_bzero(json.data(), static_cast<size_t>(json.size()));
            qCInfo(lcGateway).noquote()
                << "provisioning file" << config_.provisioningFile
                << "not imported:" << QString::fromStdString(endpoint.endpoint)
                << "already has accounts in the store";
            return {};
        }
    }
    auto imported = credstore::importProvisioning(
        *store_, std::string_view(json.constData(), static_cast<size_t>(json.size())),
        modeAvailable());
    explicit_bzero(json.data(), static_cast<size_t>(json.size()));
    if (!imported) {
        return QStringLiteral("provisioning file %1: %2")
            .arg(config_.provisioningFile, QString::fromStdString(imported.error().message));
    }
    qCInfo(lcGateway).noquote() << "provisioning file" << config_.provisioningFile
                                << "imported:" << imported.value().endpoints << "endpoint(s),"
                                << imported.value().securityInstances << "Security and"
                                << imported.value().serverInstances << "Server instance(s)";
    return {};
}

QString Gateway::checkSecuredUpstream(const QStringList& uris) const {
    if (uris.isEmpty()) {
        return {};
    }
    auto stored = store_->securityInstances(config_.endpointName.toStdString());
    if (!stored) {
        return QStringLiteral("cannot read the server accounts of %1: %2")
            .arg(config_.endpointName, QString::fromStdString(stored.error().message));
    }
    for (const QString& text : uris) {
        QString error;
        const std::optional<CoapUri> uri = parseCoapUri(text, error);
        if (!uri) {
            return QStringLiteral("--upstream %1: %2").arg(text, error);
        }
        const bool found = std::any_of(stored.value().begin(), stored.value().end(),
                                       [&uri](const credstore::SecurityObjectInstance& instance) {
                                           QString ignored;
                                           const std::optional<CoapUri> candidate = parseCoapUri(
                                               QString::fromStdString(instance.serverUri), ignored);
                                           return !instance.bootstrapServer && candidate &&
                                                  candidate->toString() == uri->toString();
                                       });
        if (!found) {
            return QStringLiteral(
                       "--upstream %1: the store holds no server account with this URI for %2; "
                       "a coaps:// account and its credentials come from the provisioning file "
                       "(--provisioning or gateway/provisioning_file)")
                .arg(text, config_.endpointName);
        }
    }
    return {};
}

}  // namespace lwm2mgw
