#include "bootstrap_coordinator.h"

#include "bootstrap_client.h"
#include "bootstrap_request_handler.h"

#include <lwm2m-gateway/credstore/credential_store.h>

#include <QLoggingCategory>
#include <QTimer>

#include <algorithm>
#include <limits>

Q_DECLARE_LOGGING_CATEGORY(lcBootstrap)

namespace lwm2mgw {

namespace {
std::string utf8(const QString& text) {
    return text.toStdString();
}
}  // namespace

BootstrapCoordinator::Run::Run() = default;
BootstrapCoordinator::Run::Run(Run&&) noexcept = default;
BootstrapCoordinator::Run& BootstrapCoordinator::Run::operator=(Run&&) noexcept = default;
BootstrapCoordinator::Run::~Run() {
    client.reset();  // The client refers to the handler.
    handler.reset();
}

BootstrapCoordinator::BootstrapCoordinator(credstore::CredentialStore& store,
                                           UpstreamClient& client, const GatewayConfig& config,
                                           credstore::ModeAvailable modeAvailable, QObject* parent)
    : QObject(parent),
      store_(store),
      client_(client),
      config_(config),
      modeAvailable_(std::move(modeAvailable)) {}

BootstrapCoordinator::~BootstrapCoordinator() {
    stopAll();
}

void BootstrapCoordinator::stopAll() {
    runs_.clear();
    retired_.clear();
}

QString BootstrapCoordinator::upstreamName(const QString& endpoint) const {
    return endpoint == config_.endpointName ? endpoint : config_.upstreamEndpointPrefix + endpoint;
}

std::optional<credstore::SecurityObjectInstance> BootstrapCoordinator::bootstrapAccountFor(
    const QString& endpoint, QString& owner, QString& error) const {
    for (const QString& candidate : {endpoint, config_.endpointName}) {
        auto stored = store_.bootstrapAccount(utf8(candidate));
        if (!stored) {
            error = QStringLiteral("cannot read the bootstrap account of %1: %2")
                        .arg(candidate, QString::fromStdString(stored.error().message));
            return std::nullopt;
        }
        if (stored.value()) {
            owner = candidate;
            return *stored.value();
        }
    }
    return std::nullopt;
}

bool BootstrapCoordinator::wantsBootstrap(const QString& endpoint) const {
    if (endpoint == config_.endpointName) {
        return false;
    }
    auto own = store_.bootstrapAccount(utf8(endpoint));
    if (!own || !own.value()) {
        return false;
    }
    auto accounts = store_.serverAccounts(utf8(endpoint));
    if (!accounts) {
        return false;
    }
    for (const credstore::ServerAccount& account : accounts.value()) {
        if (!account.security.bootstrapServer) {
            return false;
        }
    }
    return true;
}

QString BootstrapCoordinator::start(const QString& endpoint, Trigger trigger) {
    if (isRunning(endpoint)) {
        return {};
    }
    QString owner;
    QString error;
    const std::optional<credstore::SecurityObjectInstance> security =
        bootstrapAccountFor(endpoint, owner, error);
    if (!security) {
        if (!error.isEmpty()) {
            return error;
        }
        return endpoint == config_.endpointName
                   ? QStringLiteral("%1 has no Bootstrap-Server account in the store").arg(endpoint)
                   : QStringLiteral(
                         "neither %1 nor the gateway (%2) has a Bootstrap-Server "
                         "account in the store")
                         .arg(endpoint, config_.endpointName);
    }
    const std::optional<ServerAccount> account =
        bootstrapServerAccount(*security, owner, config_.retryPolicy, error);
    if (!account) {
        return QStringLiteral("bootstrap account of %1: %2").arg(owner, error);
    }
    Run run;
    run.accountEndpoint = owner;
    run.accountTimeoutSeconds = security->bootstrapAccountTimeout.value_or(0);
    run.handler = std::make_unique<BootstrapRequestHandler>(
        store_, endpoint, modeAvailable_, [this, endpoint](bool committed) {
            const auto found = runs_.find(endpoint);
            if (found != runs_.end()) {
                found->second.client->sequenceFinished(committed);
            }
        });
    if (endpoint != config_.endpointName && objectLinksOf_) {
        run.handler->setObjectLinks(objectLinksOf_(endpoint));
    }
    run.client =
        std::make_unique<BootstrapClient>(client_, *account, upstreamName(endpoint), *run.handler);
    run.client->setSequenceTimeout(qint64(config_.bootstrapSequenceTimeoutSeconds) * 1000);
    connect(run.client.get(), &BootstrapClient::bootstrapped, this,
            [this, endpoint] { onBootstrapped(endpoint); });
    connect(run.client.get(), &BootstrapClient::attemptFailed, this,
            [this, endpoint](const QString& reason) { emit failed(endpoint, reason); });
    const qint64 holdOffMs =
        trigger == Trigger::Automatic ? qint64(security->clientHoldOffTime.value_or(0)) * 1000 : 0;
    BootstrapClient* client = run.client.get();
    runs_.emplace(endpoint, std::move(run));
    qCInfo(lcBootstrap).noquote() << "bootstrapping" << endpoint << "from"
                                  << account->uri.toString()
                                  << (owner == endpoint ? "(its own bootstrap account)"
                                                        : "(the gateway's bootstrap account)");
    client->start(holdOffMs);
    return {};
}

void BootstrapCoordinator::onBootstrapped(const QString& endpoint) {
    const auto found = runs_.find(endpoint);
    if (found == runs_.end()) {
        return;
    }
    const QString owner = found->second.accountEndpoint;
    const quint32 timeout = found->second.accountTimeoutSeconds;
    retired_.push_back(std::move(found->second));
    runs_.erase(found);
    QTimer::singleShot(0, this, [this] { retired_.clear(); });
    // /0/x/12 belongs to the client whose account it is: a sensor bootstrapped through the
    // gateway's account does not purge it.
    if (owner == endpoint && timeout > 0) {
        scheduleAccountPurge(endpoint, timeout);
    }
    emit finished(endpoint);
}

void BootstrapCoordinator::scheduleAccountPurge(const QString& endpoint, quint32 timeoutSeconds) {
    // Bootstrap-Server Account Timeout (LwM2M 1.1 /0/x/12): the client purges its
    // Bootstrap-Server account that long after the bootstrap. Counted in this process only: a
    // restart keeps the account longer, never shorter.
    const qint64 delayMs =
        std::min<qint64>(qint64(timeoutSeconds) * 1000, std::numeric_limits<int>::max());
    qCInfo(lcBootstrap).noquote() << "Bootstrap-Server account of" << endpoint << "is purged in"
                                  << timeoutSeconds << "s (Bootstrap-Server Account Timeout)";
    QTimer::singleShot(delayMs, this, [this, endpoint] {
        if (isRunning(endpoint)) {
            return;
        }
        const std::string name = utf8(endpoint);
        auto security = store_.securityInstances(name);
        auto servers = store_.serverInstances(name);
        if (!security || !servers) {
            return;
        }
        credstore::EndpointAccounts remaining{name, {}, servers.value()};
        bool found = false;
        for (const credstore::SecurityObjectInstance& instance : security.value()) {
            if (instance.bootstrapServer) {
                found = true;
                continue;
            }
            auto secrets = store_.secretsFor(name, instance.instanceId);
            if (!secrets) {
                return;
            }
            remaining.security.push_back({instance, secrets.value()
                                                        ? std::move(*secrets.value())
                                                        : credstore::SecurityObjectSecrets{}});
        }
        if (!found) {
            return;
        }
        std::vector<credstore::EndpointAccounts> replacement;
        replacement.push_back(std::move(remaining));
        auto replaced = store_.replaceEndpoints(replacement, modeAvailable_);
        if (!replaced) {
            qCWarning(lcBootstrap).noquote()
                << "cannot purge the Bootstrap-Server account of" << endpoint << ":"
                << QString::fromStdString(replaced.error().message);
            return;
        }
        qCInfo(lcBootstrap).noquote() << "Bootstrap-Server account of" << endpoint << "purged";
    });
}

}  // namespace lwm2mgw
