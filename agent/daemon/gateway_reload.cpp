// Gateway::reload: what a running gateway re-reads on `systemctl reload` (SIGHUP) and D-Bus
// Reload. Only what can change without dropping a registration is applied; everything else
// that differs is reported as needing a restart, and the running value is kept, so what the
// daemon does and what it says stay the same.
#include "gateway.h"

#include "plugin_host.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QSettings>

Q_DECLARE_LOGGING_CATEGORY(lcGateway)

namespace lwm2mgw {

namespace {

// Debug output on demand only; log/rules and QT_LOGGING_RULES add to / override this.
const QString kDefaultLogRules = QStringLiteral("lwm2mgw.*.debug=false\nlwm2mgw.coap.info=false");

// The rules last applied, so reload can say whether they changed.
QString appliedLogRules;

QString logRulesOf(const QString& configFile) {
    if (configFile.isEmpty()) {
        return {};
    }
    const QSettings settings(configFile, QSettings::IniFormat);
    // QSettings splits "a, b" into a list; ';' separates rules too (INI has no newlines).
    const QVariant value = settings.value(QStringLiteral("log/rules"));
    const QString joined = value.typeId() == QMetaType::QStringList
                               ? value.toStringList().join(QLatin1Char('\n'))
                               : value.toString();
    QStringList rules;
    for (const QString& rule : QString(joined)
                                   .replace(QLatin1Char(';'), QLatin1Char('\n'))
                                   .split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        rules << rule.trimmed();
    }
    return rules.join(QLatin1Char('\n'));
}

bool sameRetryPolicy(const CommunicationRetryPolicy& a, const CommunicationRetryPolicy& b) {
    return a.retryCount == b.retryCount && a.retryTimerSeconds == b.retryTimerSeconds &&
           a.sequenceDelaySeconds == b.sequenceDelaySeconds &&
           a.sequenceRetryCount == b.sequenceRetryCount;
}

QString listText(const QStringList& list) {
    return list.isEmpty() ? QStringLiteral("(none)") : list.join(QStringLiteral(", "));
}

// Settings that only a restart applies: name, running value, value in the file.
QList<std::tuple<QString, QString, QString>> restartOnly(const GatewayConfig& running,
                                                         const GatewayConfig& fresh) {
    const auto number = [](int value) { return QString::number(value); };
    const QList<std::tuple<QString, QString, QString>> all{
        {QStringLiteral("gateway/endpoint"), running.endpointName, fresh.endpointName},
        {QStringLiteral("gateway/store"), running.storePath, fresh.storePath},
        {QStringLiteral("gateway/bootstrap"), running.bootstrapUri, fresh.bootstrapUri},
        {QStringLiteral("gateway/plugin_dir"), running.pluginDir, fresh.pluginDir},
        {QStringLiteral("gateway/provisioning_file"), running.provisioningFile,
         fresh.provisioningFile},
        {QStringLiteral("bootstrap/sequence_timeout"),
         number(running.bootstrapSequenceTimeoutSeconds),
         number(fresh.bootstrapSequenceTimeoutSeconds)},
        {QStringLiteral("downstream/listen"), listText(running.listenUris),
         listText(fresh.listenUris)},
        {QStringLiteral("downstream/rpk_public_key"), running.rpkPublicKeyFile,
         fresh.rpkPublicKeyFile},
        {QStringLiteral("downstream/rpk_private_key"), running.rpkPrivateKeyFile,
         fresh.rpkPrivateKeyFile},
        {QStringLiteral("downstream/certificate"), running.certificateFile, fresh.certificateFile},
        {QStringLiteral("downstream/certificate_chain"), listText(running.certificateChainFiles),
         listText(fresh.certificateChainFiles)},
        {QStringLiteral("downstream/certificate_key"), running.certificateKeyFile,
         fresh.certificateKeyFile},
        {QStringLiteral("upstream/endpoint_prefix"), running.upstreamEndpointPrefix,
         fresh.upstreamEndpointPrefix},
        {QStringLiteral("upstream/lifetime"), number(running.gatewayLifetimeSeconds),
         number(fresh.gatewayLifetimeSeconds)},
        {QStringLiteral("coap/ack_timeout_ms"), number(running.ackTimeoutMs),
         number(fresh.ackTimeoutMs)},
        {QStringLiteral("coap/max_retransmit"), number(running.maxRetransmit),
         number(fresh.maxRetransmit)},
        {QStringLiteral("proxy/response_timeout_ms"), number(running.proxyResponseTimeoutMs),
         number(fresh.proxyResponseTimeoutMs)},
        {QStringLiteral("proxy/piggyback_window_ms"), number(running.piggybackWindowMs),
         number(fresh.piggybackWindowMs)},
    };
    QList<std::tuple<QString, QString, QString>> differing;
    for (const auto& each : all) {
        if (std::get<1>(each) != std::get<2>(each)) {
            differing.append(each);
        }
    }
    return differing;
}

}  // namespace

void Gateway::applyLogRules(const QString& configFile) {
    const QString extra = logRulesOf(configFile);
    QLoggingCategory::setFilterRules(
        extra.isEmpty() ? kDefaultLogRules : kDefaultLogRules + QLatin1Char('\n') + extra);
    appliedLogRules = extra;
}

QString Gateway::reload(QStringList& changes) {
    changes.clear();
    if (stopping_ || !registry_) {
        return QStringLiteral("the gateway is not running");
    }
    // The file alone first, for its error text; then the command line over it, as at start,
    // so options given there keep overriding the file.
    if (!config_.configFile.isEmpty()) {
        GatewayConfig probe;
        if (const QString error = probe.loadFile(config_.configFile); !error.isEmpty()) {
            return error;
        }
    }
    std::optional<GatewayConfig> fresh;
    if (const QCoreApplication* app = QCoreApplication::instance()) {
        int exitCode = 0;
        fresh = GatewayConfig::fromCommandLine(*app, exitCode);
    }
    if (!fresh) {
        return QStringLiteral(
                   "the configuration %1 with the command line does not parse; see the "
                   "log")
            .arg(config_.configFile);
    }
    QStringList nosecUpstream;
    QStringList securedUpstream;
    splitUpstreamUris(fresh->upstreamUris, nosecUpstream, securedUpstream);
    StaticServerAccounts probeAccounts;
    if (const QString error = probeAccounts.configure(nosecUpstream, fresh->retryPolicy);
        !error.isEmpty()) {
        return QStringLiteral("upstream/servers: %1").arg(error);
    }
    if (!securedUpstream.isEmpty()) {
        // As at start: a coaps:// server must be a stored account of the gateway's endpoint.
        const QString error = store_ ? checkSecuredUpstream(securedUpstream)
                                     : QStringLiteral(
                                           "%1: a coaps:// server needs a stored "
                                           "server account (gateway/store)")
                                           .arg(securedUpstream.first());
        if (!error.isEmpty()) {
            return QStringLiteral("upstream/servers: %1").arg(error);
        }
    }

    reloadUpstream(*fresh, changes);
    reloadPlugins(changes);
    // The store may have been changed by another program than this one (the sqlite3 shell).
    changes << downstreamCredentialsChanged(std::nullopt, CredentialChange::MayWithdraw);
    const QString previousRules = appliedLogRules;
    applyLogRules(config_.configFile);
    if (appliedLogRules != previousRules) {
        changes << QStringLiteral("log/rules applied: %1")
                       .arg(appliedLogRules.isEmpty()
                                ? QStringLiteral("(defaults)")
                                : QString(appliedLogRules)
                                      .replace(QLatin1Char('\n'), QStringLiteral("; ")));
    }
    for (const auto& [key, running, file] : restartOnly(config_, *fresh)) {
        changes << QStringLiteral(
                       "%1 changed (%2 -> %3): needs a restart "
                       "(systemctl restart lwm2m-gateway); still %2")
                       .arg(key, running, file);
    }
    if (changes.isEmpty()) {
        changes << QStringLiteral("nothing changed");
    }
    for (const QString& change : changes) {
        qCInfo(lcGateway).noquote() << "reload:" << change;
    }
    return {};
}

void Gateway::reloadUpstream(const GatewayConfig& fresh, QStringList& changes) {
    if (fresh.upstreamUris == config_.upstreamUris &&
        sameRetryPolicy(fresh.retryPolicy, config_.retryPolicy)) {
        return;
    }
    changes << QStringLiteral("upstream/servers: %1 (was %2)")
                   .arg(listText(fresh.upstreamUris), listText(config_.upstreamUris));
    if (!sameRetryPolicy(fresh.retryPolicy, config_.retryPolicy)) {
        changes << QStringLiteral(
            "upstream/communication_*: new retry policy (registrations "
            "at the configured servers are made again with it)");
    }
    // Validated by reload() before anything was applied.
    QStringList nosecUpstream;
    QStringList securedUpstream;
    splitUpstreamUris(fresh.upstreamUris, nosecUpstream, securedUpstream);
    configuredAccounts_.configure(nosecUpstream, fresh.retryPolicy);
    config_.upstreamUris = fresh.upstreamUris;
    config_.retryPolicy = fresh.retryPolicy;
    // Registers the gateway and every sensor using the configured servers at the new ones and
    // de-registers them at the removed ones; unchanged servers keep their registrations.
    serverAccountsChanged(config_.endpointName);
}

void Gateway::reloadPlugins(QStringList& changes) {
    QStringList known;
    for (const PluginReport& report : plugins_.reports()) {
        known << QFileInfo(report.file).fileName();
    }
    const QDir directory(config_.pluginDir);
    QStringList fresh;
    for (const QString& file :
         directory.entryList({QStringLiteral("*.so")}, QDir::Files, QDir::Name)) {
        if (!known.contains(file)) {
            fresh << file;
        }
    }
    if (fresh.isEmpty()) {
        return;
    }
    const qsizetype before = plugins_.reports().size();
    for (const QString& file : fresh) {
        plugins_.loadFile(directory.absoluteFilePath(file));
    }
    bool loaded = false;
    for (qsizetype i = before; i < plugins_.reports().size(); ++i) {
        const PluginReport& report = plugins_.reports().at(i);
        loaded |= report.loaded;
        changes << (report.loaded
                        ? QStringLiteral("plugin %1 loaded (security mode %2)")
                              .arg(QFileInfo(report.file).fileName(), securityModeName(report.mode))
                        : QStringLiteral("plugin %1 skipped: %2")
                              .arg(QFileInfo(report.file).fileName(), report.reason));
    }
    if (loaded) {
        // Stored accounts of a mode that had no plugin can be used now.
        serverAccountsChanged(config_.endpointName);
    }
}

}  // namespace lwm2mgw
