#include "gateway.h"

#include "bootstrap_client.h"
#include "bootstrap_request_handler.h"
#include "downstream_server.h"
#include "registration_registry.h"
#include "request_relay.h"
#include "stored_server_accounts.h"
#include "upstream_client.h"
#include "upstream_registration.h"

#include <QLoggingCategory>
#include <QTimer>

#include <algorithm>

#include <lwm2m-gateway/credstore/credential_store.h>

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
    : QObject(parent), config_(std::move(config)) {}

Gateway::~Gateway() {
    // Relay first (it holds sessions of both sides), then registrations, then contexts.
    relay_.reset();
    for (UpstreamRegistration* registration : upstreamByEndpoint_) {
        delete registration;
    }
    qDeleteAll(leaving_);
    registry_.reset();
    qDeleteAll(downstream_);
    bootstrapClient_.reset();
    bootstrapHandler_.reset();
    upstream_.reset();
    plugins_.setCredentialStore(nullptr);
}

QString Gateway::start() {
    initCoapLibrary();
    plugins_.loadDirectory(config_.pluginDir);
    if (const QString error =
            configuredAccounts_.configure(config_.upstreamUris, config_.retryPolicy);
        !error.isEmpty()) {
        return error;
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
        storedAccounts_ = std::make_unique<StoredServerAccounts>(*store_, config_.endpointName,
                                                                 configuredAccounts_);
        accounts_ = storedAccounts_.get();
    }
    upstream_ = std::make_unique<UpstreamClient>(plugins_, config_);
    upstream_->setAccountDirectory(accounts_);
    if (!upstream_->isValid()) {
        return QStringLiteral("cannot create the upstream CoAP context");
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
        DownstreamServer* server = nullptr;
        for (DownstreamServer* existing : downstream_) {
            if (&existing->plugin() == plugin) {
                server = existing;
            }
        }
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
        if (!bootstrapClient_) {
            qCWarning(lcGateway)
                << "no upstream server configured: sensors are accepted but not relayed";
        }
    }
    startUpstream(config_.endpointName, ownRegistrationParams(), &deviceObject_);
    qCInfo(lcGateway).noquote() << "gateway" << config_.endpointName << "started";
    return {};
}

UpstreamRegistrationParams Gateway::ownRegistrationParams() const {
    UpstreamRegistrationParams own;
    own.endpoint = config_.endpointName;
    own.lifetimeSeconds = config_.gatewayLifetimeSeconds;
    own.lwm2mVersion = QStringLiteral("1.1");
    own.objectLinks = GatewayDeviceObject::objectLinks();
    return own;
}

void Gateway::startUpstream(const QString& localEndpoint, const UpstreamRegistrationParams& params,
                            UpstreamRequestSink* sink) {
    for (const ServerAccount& account : accounts_->accountsFor(localEndpoint)) {
        startRegistration(localEndpoint, account, params, sink);
    }
}

void Gateway::startRegistration(const QString& localEndpoint, const ServerAccount& account,
                                const UpstreamRegistrationParams& params,
                                UpstreamRequestSink* sink) {
    auto* registration = new UpstreamRegistration(*upstream_, localEndpoint, account, params, sink);
    upstreamByEndpoint_.insert(localEndpoint, registration);
    emit upstreamStarted(registration);
    registration->start();
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
    // The registry ends registrations only through the /rd handlers: run the sensor's own
    // De-register on its session, with a scratch response that goes nowhere.
    coap_pdu_t* scratch = coap_pdu_init(COAP_MESSAGE_ACK, COAP_EMPTY_CODE, 0, 256);
    if (!scratch) {
        return false;
    }
    qCInfo(lcGateway).noquote() << "operator de-registers" << endpoint;
    registry_->handleDeregister(registration->id, registration->session(), registration->plugin,
                                scratch);
    coap_delete_pdu(scratch);
    return registry_->byEndpoint(endpoint) == nullptr;
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
    UpstreamRequestSink* sink = own ? static_cast<UpstreamRequestSink*>(&deviceObject_)
                                    : static_cast<UpstreamRequestSink*>(relay_.get());
    for (const ServerAccount& account : missing) {
        startRegistration(endpoint, account, params, sink);
    }
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
    bootstrapClient_.reset();  // A bootstrap in progress is abandoned; the store is unchanged.
    bootstrapHandler_.reset();
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
        return QStringLiteral(
            "--bootstrap takes a NoSec coap:// URI; provision a secured "
            "Bootstrap-Server account into the store instead");
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
    QString error;
    const std::optional<ServerAccount> account =
        bootstrapServerAccount(*stored.value(), config_.endpointName, config_.retryPolicy, error);
    if (!account) {
        return QStringLiteral("bootstrap account of %1: %2").arg(config_.endpointName, error);
    }
    bootstrapHandler_ = std::make_unique<BootstrapRequestHandler>(
        *store_, config_.endpointName, modeAvailable(), [this](bool committed) {
            if (bootstrapClient_) {
                bootstrapClient_->sequenceFinished(committed);
            }
        });
    bootstrapClient_ = std::make_unique<BootstrapClient>(*upstream_, *account, config_.endpointName,
                                                         *bootstrapHandler_);
    connect(bootstrapClient_.get(), &BootstrapClient::bootstrapped, this, &Gateway::onBootstrapped);
    qCInfo(lcGateway).noquote() << "no server account for" << config_.endpointName
                                << "- bootstrapping from" << account->uri.toString();
    bootstrapClient_->start();
    return {};
}

QString Gateway::requestBootstrap(const QString& endpoint) {
    if (!store_) {
        return QStringLiteral("the gateway runs without a credential store (gateway/store)");
    }
    if (endpoint != config_.endpointName) {
        return QStringLiteral("bootstrap on behalf of a sensor is not available yet");
    }
    if (bootstrapClient_) {
        return {};
    }
    if (const QString error = startBootstrap(); !error.isEmpty()) {
        return error;
    }
    return bootstrapClient_
               ? QString()
               : QStringLiteral("%1 has no Bootstrap-Server account in the store").arg(endpoint);
}

void Gateway::onBootstrapped() {
    if (stopping_) {
        return;
    }
    // The store now holds the accounts the Bootstrap-Server wrote: register the gateway and
    // every sensor that relies on the gateway's accounts.
    serverAccountsChanged(config_.endpointName);
}

}  // namespace lwm2mgw
