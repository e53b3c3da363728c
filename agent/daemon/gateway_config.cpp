#include "gateway_config.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFileInfo>
#include <QSettings>
#include <cstdio>

#ifndef LWM2MGW_DEFAULT_PLUGIN_DIR
#define LWM2MGW_DEFAULT_PLUGIN_DIR "/usr/lib/lwm2m-gateway/plugins"
#endif

namespace lwm2mgw {

namespace {

QStringList listValue(const QSettings& settings, const QString& key, const QStringList& fallback) {
    if (!settings.contains(key)) {
        return fallback;
    }
    // QSettings turns "a, b" into a list and "a" into a string.
    const QVariant value = settings.value(key);
    QStringList items = value.typeId() == QMetaType::QStringList ? value.toStringList()
                                                                 : QStringList{value.toString()};
    QStringList cleaned;
    for (const QString& item : items) {
        for (const QString& part : item.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
            cleaned << part.trimmed();
        }
    }
    return cleaned;
}

bool readInt(const QSettings& settings, const QString& key, int minimum, int& target,
             QString& error) {
    if (!settings.contains(key)) {
        return true;
    }
    bool ok = false;
    const int value = settings.value(key).toString().trimmed().toInt(&ok);
    if (!ok || value < minimum) {
        error = QStringLiteral("%1 must be an integer >= %2, not '%3'")
                    .arg(key)
                    .arg(minimum)
                    .arg(settings.value(key).toString());
        return false;
    }
    target = value;
    return true;
}

}  // namespace

QString GatewayConfig::loadFile(const QString& path) {
    if (!QFileInfo(path).isReadable()) {
        return QStringLiteral("cannot read configuration file %1").arg(path);
    }
    QSettings settings(path, QSettings::IniFormat);
    if (settings.status() != QSettings::NoError) {
        return QStringLiteral("%1 is not a valid INI file").arg(path);
    }
    configFile = path;
    endpointName = settings.value(QStringLiteral("gateway/endpoint"), endpointName).toString();
    pluginDir = settings.value(QStringLiteral("gateway/plugin_dir"), pluginDir).toString();
    storePath = settings.value(QStringLiteral("gateway/store"), storePath).toString();
    bootstrapUri = settings.value(QStringLiteral("gateway/bootstrap"), bootstrapUri).toString();
    provisioningFile =
        settings.value(QStringLiteral("gateway/provisioning_file"), provisioningFile).toString();
    listenUris = listValue(settings, QStringLiteral("downstream/listen"), listenUris);
    upstreamUris = listValue(settings, QStringLiteral("upstream/servers"), upstreamUris);
    upstreamEndpointPrefix =
        settings.value(QStringLiteral("upstream/endpoint_prefix"), upstreamEndpointPrefix)
            .toString();
    rpkPublicKeyFile =
        settings.value(QStringLiteral("downstream/rpk_public_key"), rpkPublicKeyFile).toString();
    rpkPrivateKeyFile =
        settings.value(QStringLiteral("downstream/rpk_private_key"), rpkPrivateKeyFile).toString();
    certificateFile =
        settings.value(QStringLiteral("downstream/certificate"), certificateFile).toString();
    certificateChainFiles =
        listValue(settings, QStringLiteral("downstream/certificate_chain"), certificateChainFiles);
    certificateKeyFile =
        settings.value(QStringLiteral("downstream/certificate_key"), certificateKeyFile).toString();
    QString error;
    const bool ok =
        readInt(settings, QStringLiteral("upstream/lifetime"), 1, gatewayLifetimeSeconds, error) &&
        readInt(settings, QStringLiteral("upstream/communication_retry_count"), 1,
                retryPolicy.retryCount, error) &&
        readInt(settings, QStringLiteral("upstream/communication_retry_timer"), 0,
                retryPolicy.retryTimerSeconds, error) &&
        readInt(settings, QStringLiteral("upstream/communication_sequence_delay_timer"), 0,
                retryPolicy.sequenceDelaySeconds, error) &&
        readInt(settings, QStringLiteral("upstream/communication_sequence_retry_count"), 1,
                retryPolicy.sequenceRetryCount, error) &&
        readInt(settings, QStringLiteral("bootstrap/sequence_timeout"), 1,
                bootstrapSequenceTimeoutSeconds, error) &&
        // libcoap 4.3.1 silently keeps its defaults (2 s, 4) for an ACK_TIMEOUT below one second
        // and for a MAX_RETRANSMIT of 0.
        readInt(settings, QStringLiteral("coap/ack_timeout_ms"), 1000, ackTimeoutMs, error) &&
        readInt(settings, QStringLiteral("coap/max_retransmit"), 1, maxRetransmit, error) &&
        readInt(settings, QStringLiteral("proxy/response_timeout_ms"), 100, proxyResponseTimeoutMs,
                error) &&
        readInt(settings, QStringLiteral("proxy/piggyback_window_ms"), 0, piggybackWindowMs, error);
    if (!ok) {
        return QStringLiteral("%1: %2").arg(path, error);
    }
    return {};
}

std::optional<GatewayConfig> GatewayConfig::fromCommandLine(const QCoreApplication& app,
                                                            int& exitCode) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "LwM2M gateway: sensors register here as at an LwM2M server; each is registered, under "
        "its own endpoint name, at the upstream LwM2M servers and every operation is relayed."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption configOption(QStringLiteral("config"),
                                          QStringLiteral("INI configuration file."),
                                          QStringLiteral("FILE"));
    const QCommandLineOption endpointOption(QStringLiteral("endpoint"),
                                            QStringLiteral("The gateway's own endpoint name."),
                                            QStringLiteral("NAME"));
    const QCommandLineOption listenOption(
        QStringLiteral("listen"),
        QStringLiteral("Downstream listener URI, e.g. coap://127.0.0.1:5683 (repeatable)."),
        QStringLiteral("URI"));
    const QCommandLineOption upstreamOption(
        QStringLiteral("upstream"),
        QStringLiteral("Upstream LwM2M server URI, e.g. coap://127.0.0.1:5783 (repeatable)."),
        QStringLiteral("URI"));
    const QCommandLineOption storeOption(QStringLiteral("store"),
                                         QStringLiteral("Credential store file (SQLite)."),
                                         QStringLiteral("PATH"));
    const QCommandLineOption bootstrapOption(
        QStringLiteral("bootstrap"),
        QStringLiteral(
            "LwM2M Bootstrap-Server URI for the gateway's endpoint (needs --store; coaps:// "
            "needs its account from --provisioning)."),
        QStringLiteral("URI"));
    const QCommandLineOption provisioningOption(
        QStringLiteral("provisioning"),
        QStringLiteral("Factory provisioning file (JSON), imported while the store holds no "
                       "account of the endpoints it names (needs --store)."),
        QStringLiteral("FILE"));
    const QCommandLineOption pluginDirOption(QStringLiteral("plugin-dir"),
                                             QStringLiteral("Directory of security-mode plugins."),
                                             QStringLiteral("DIR"));
    parser.addOptions({configOption, endpointOption, listenOption, upstreamOption, storeOption,
                       bootstrapOption, provisioningOption, pluginDirOption});
    if (!parser.parse(app.arguments())) {
        std::fprintf(stderr, "%s\n", qPrintable(parser.errorText()));
        exitCode = 2;
        return std::nullopt;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        std::fprintf(stdout, "%s", qPrintable(parser.helpText()));
        exitCode = 0;
        return std::nullopt;
    }
    if (parser.isSet(QStringLiteral("version"))) {
        std::fprintf(stdout, "%s %s\n", qPrintable(app.applicationName()),
                     qPrintable(app.applicationVersion()));
        exitCode = 0;
        return std::nullopt;
    }
    if (!parser.positionalArguments().isEmpty()) {
        std::fprintf(stderr, "unexpected argument '%s'\n",
                     qPrintable(parser.positionalArguments().first()));
        exitCode = 2;
        return std::nullopt;
    }
    GatewayConfig config;
    config.pluginDir = QStringLiteral(LWM2MGW_DEFAULT_PLUGIN_DIR);
    if (parser.isSet(configOption)) {
        const QString error = config.loadFile(parser.value(configOption));
        if (!error.isEmpty()) {
            std::fprintf(stderr, "%s\n", qPrintable(error));
            exitCode = 2;
            return std::nullopt;
        }
    }
    if (parser.isSet(endpointOption)) {
        config.endpointName = parser.value(endpointOption);
    }
    if (parser.isSet(listenOption)) {
        config.listenUris = parser.values(listenOption);
    }
    if (parser.isSet(upstreamOption)) {
        config.upstreamUris = parser.values(upstreamOption);
    }
    if (parser.isSet(storeOption)) {
        config.storePath = parser.value(storeOption);
    }
    if (parser.isSet(bootstrapOption)) {
        config.bootstrapUri = parser.value(bootstrapOption);
    }
    if (parser.isSet(provisioningOption)) {
        config.provisioningFile = parser.value(provisioningOption);
    }
    if (parser.isSet(pluginDirOption)) {
        config.pluginDir = parser.value(pluginDirOption);
    }
    if (config.endpointName.trimmed().isEmpty()) {
        std::fprintf(stderr, "the gateway's endpoint name must not be empty\n");
        exitCode = 2;
        return std::nullopt;
    }
    return config;
}

}  // namespace lwm2mgw
