#pragma once

#include <QString>
#include <QStringList>
#include <optional>

class QCoreApplication;

namespace lwm2mgw {

// LwM2M 1.1 Server Object (/1) communication resources 17-20, with the spec's defaults.
struct CommunicationRetryPolicy {
    int retryCount = 5;                // /1/x/17 Communication Retry Count
    int retryTimerSeconds = 60;        // /1/x/18 Communication Retry Timer (doubles each retry)
    int sequenceDelaySeconds = 86400;  // /1/x/19 Communication Sequence Delay Timer
    int sequenceRetryCount = 1;        // /1/x/20 Communication Sequence Retry Count
};

// Everything the daemon reads from its INI file and command line. README documents every key.
struct GatewayConfig {
    QString endpointName = QStringLiteral("lwm2m-gateway");
    QString pluginDir;
    QString storePath;
    // The LwM2M Bootstrap-Server of the gateway's own endpoint (--bootstrap, gateway/bootstrap):
    // a coap:// one is written into the store as its bootstrap account; a coaps:// one must be
    // the stored (provisioned) bootstrap account's URI. Empty: a stored one.
    QString bootstrapUri;
    // A factory provisioning file (--provisioning, gateway/provisioning_file) imported at start
    // while the store holds no account of any endpoint it names.
    QString provisioningFile;
    // bootstrap/sequence_timeout: how long (s) a Bootstrap-Server may take from its 2.04 to the
    // Bootstrap-Request until Bootstrap-Finish before the sequence is given up and retried.
    int bootstrapSequenceTimeoutSeconds = 120;
    QStringList listenUris{QStringLiteral("coap://127.0.0.1:5683")};
    QStringList upstreamUris;
    QString upstreamEndpointPrefix;
    int gatewayLifetimeSeconds = 300;
    CommunicationRetryPolicy retryPolicy;
    int ackTimeoutMs = 2000;
    int maxRetransmit = 4;
    int proxyResponseTimeoutMs = 10000;
    int piggybackWindowMs = 1000;
    // The gateway's own key material for rpk / x509 listeners: DER files.
    QString rpkPublicKeyFile;
    QString rpkPrivateKeyFile;
    QString certificateFile;
    QStringList certificateChainFiles;
    QString certificateKeyFile;
    QString configFile;  // where the above came from, for logs

    // Parses the command line (after --config FILE was read). Returns nullopt after printing
    // the reason on stderr; exitCode says what the process should return (0 for --help).
    static std::optional<GatewayConfig> fromCommandLine(const QCoreApplication& app, int& exitCode);
    // Loads an INI file over the defaults. Returns an error message, empty on success.
    QString loadFile(const QString& path);
};

}  // namespace lwm2mgw
