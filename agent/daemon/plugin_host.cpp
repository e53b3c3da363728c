#include "plugin_host.h"

#include <lwm2m-gateway/credstore/credential_store.h>

#include <QDir>
#include <QFile>
#include <QLibrary>
#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcPlugins, "lwm2mgw.plugins")

namespace lwm2mgw {

QString securityModeName(SecurityMode mode) {
    switch (mode) {
        case SecurityMode::PreSharedKey:
            return QStringLiteral("psk");
        case SecurityMode::RawPublicKey:
            return QStringLiteral("rpk");
        case SecurityMode::Certificate:
            return QStringLiteral("x509");
        case SecurityMode::NoSec:
            return QStringLiteral("nosec");
    }
    return QStringLiteral("mode-%1").arg(static_cast<int>(mode));
}

std::optional<SecurityMode> securityModeFromName(const QString& name) {
    for (SecurityMode mode : {SecurityMode::PreSharedKey, SecurityMode::RawPublicKey,
                              SecurityMode::Certificate, SecurityMode::NoSec}) {
        if (securityModeName(mode) == name) {
            return mode;
        }
    }
    return std::nullopt;
}

PluginHostImpl::PluginHostImpl() = default;

PluginHostImpl::~PluginHostImpl() {
    // Instances first: their code lives in the libraries.
    for (Loaded& entry : loaded_) {
        entry.plugin.reset();
    }
}

void PluginHostImpl::loadDirectory(const QString& directory) {
    const QDir dir(directory);
    if (!dir.exists()) {
        qCCritical(lcPlugins).noquote() << "plugin directory" << directory << "does not exist";
        return;
    }
    const QStringList files = dir.entryList({QStringLiteral("*.so")}, QDir::Files, QDir::Name);
    if (files.isEmpty()) {
        qCCritical(lcPlugins).noquote() << "no plugins (*.so) in" << directory;
    }
    for (const QString& file : files) {
        loadFile(dir.filePath(file));
    }
}

void PluginHostImpl::loadFile(const QString& path) {
    PluginReport report;
    report.file = path;
    auto skip = [&](const QString& reason) {
        report.reason = reason;
        qCWarning(lcPlugins).noquote() << "skipping plugin" << path << "-" << reason;
        reports_.append(report);
    };
    auto library = std::make_unique<QLibrary>(path);
    library->setLoadHints(QLibrary::ResolveAllSymbolsHint);
    if (!library->load()) {
        skip(library->errorString());
        return;
    }
    const auto version = reinterpret_cast<lwm2mgw_plugin_api_version_fn>(
        library->resolve("lwm2mgw_plugin_api_version"));
    const auto create =
        reinterpret_cast<lwm2mgw_plugin_create_fn>(library->resolve("lwm2mgw_plugin_create"));
    if (!version || !create) {
        skip(
            QStringLiteral("not a security-mode plugin (no lwm2mgw_plugin_api_version / "
                           "lwm2mgw_plugin_create)"));
        return;
    }
    const PluginApiVersion built = version();
    if (built.major != LWM2MGW_PLUGIN_API_MAJOR || built.minor > LWM2MGW_PLUGIN_API_MINOR) {
        skip(QStringLiteral("built for plugin API %1.%2, this gateway provides %3.%4")
                 .arg(built.major)
                 .arg(built.minor)
                 .arg(LWM2MGW_PLUGIN_API_MAJOR)
                 .arg(LWM2MGW_PLUGIN_API_MINOR));
        return;
    }
    std::unique_ptr<SecurityModePlugin> plugin(create(this));
    if (!plugin) {
        skip(QStringLiteral("its create function returned no plugin"));
        return;
    }
    report.name =
        QString::fromUtf8(plugin->name().data(), static_cast<qsizetype>(plugin->name().size()));
    report.mode = plugin->mode();
    std::string reason;
    if (!plugin->selfCheck(reason)) {
        skip(QStringLiteral("self-check failed: %1").arg(QString::fromStdString(reason)));
        return;
    }
    if (pluginFor(plugin->mode())) {
        skip(QStringLiteral("another plugin already provides security mode %1")
                 .arg(securityModeName(plugin->mode())));
        return;
    }
    report.loaded = true;
    qCInfo(lcPlugins).noquote() << "loaded plugin" << report.name << "for security mode"
                                << securityModeName(report.mode) << "from" << path;
    reports_.append(report);
    loaded_.push_back(Loaded{std::move(library), std::move(plugin), built});
}

SecurityModePlugin* PluginHostImpl::pluginFor(SecurityMode mode) const {
    for (const Loaded& entry : loaded_) {
        if (entry.plugin->mode() == mode) {
            return entry.plugin.get();
        }
    }
    return nullptr;
}

bool PluginHostImpl::refreshListeners(SecurityModePlugin& plugin, coap_context_t* context,
                                      QString& error) const {
    for (const Loaded& entry : loaded_) {
        if (entry.plugin.get() != &plugin) {
            continue;
        }
        // Older plugins' vtables end before refreshListeners; they copy no credentials anyway.
        if (entry.built.minor < 2) {
            return true;
        }
        std::string reason;
        if (!plugin.refreshListeners(context, reason)) {
            error = QString::fromStdString(reason);
            return false;
        }
        return true;
    }
    return true;
}

std::optional<PskCredential> PluginHostImpl::findPskByIdentity(std::string_view identity) {
    if (!store_) {
        return std::nullopt;
    }
    auto match = store_->pskKeyForIdentity(identity);
    if (!match) {
        qCWarning(lcPlugins).noquote()
            << "PSK lookup failed:" << QString::fromStdString(match.error().message);
        return std::nullopt;
    }
    if (!match.value()) {
        return std::nullopt;
    }
    return PskCredential{match.value()->endpoint, std::string(match.value()->key.view())};
}

std::optional<std::string> PluginHostImpl::findEndpointForRawPublicKey(
    std::string_view subjectPublicKeyInfoDer) {
    if (!store_) {
        return std::nullopt;
    }
    auto endpoint = store_->endpointForRpk(subjectPublicKeyInfoDer);
    if (!endpoint) {
        qCWarning(lcPlugins).noquote()
            << "RPK lookup failed:" << QString::fromStdString(endpoint.error().message);
        return std::nullopt;
    }
    return endpoint.value();
}

std::vector<std::string> PluginHostImpl::downstreamTrustAnchors() {
    std::vector<std::string> anchors;
    if (!store_) {
        return anchors;
    }
    auto stored = store_->trustAnchors();
    if (!stored) {
        qCWarning(lcPlugins).noquote()
            << "cannot read trust anchors:" << QString::fromStdString(stored.error().message);
        return anchors;
    }
    for (const credstore::TrustAnchor& anchor : stored.value()) {
        anchors.push_back(anchor.certificateDer);
    }
    return anchors;
}

namespace {

std::optional<std::string> readDer(const QString& path, const char* what) {
    if (path.isEmpty()) {
        return std::nullopt;
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        qCCritical(lcPlugins).noquote()
            << "cannot read the gateway's" << what << "from" << path << ":" << file.errorString();
        return std::nullopt;
    }
    return file.readAll().toStdString();
}

}  // namespace

std::optional<LocalCredential> PluginHostImpl::downstreamLocalCredential(SecurityMode mode) {
    LocalCredential credential;
    std::optional<std::string> publicPart;
    std::optional<std::string> privatePart;
    if (mode == SecurityMode::RawPublicKey) {
        publicPart =
            readDer(localFiles_.rpkPublicKey, "raw public key (downstream/rpk_public_key)");
        privatePart =
            readDer(localFiles_.rpkPrivateKey, "private key (downstream/rpk_private_key)");
    } else if (mode == SecurityMode::Certificate) {
        publicPart = readDer(localFiles_.certificate, "certificate (downstream/certificate)");
        privatePart =
            readDer(localFiles_.certificateKey, "private key (downstream/certificate_key)");
        for (const QString& path : localFiles_.certificateChain) {
            if (std::optional<std::string> intermediate =
                    readDer(path, "intermediate certificate")) {
                credential.chain.push_back(std::move(*intermediate));
            }
        }
    }
    if (!publicPart || !privatePart) {
        return std::nullopt;
    }
    credential.publicKeyOrCertificate = std::move(*publicPart);
    credential.privateKey = std::move(*privatePart);
    return credential;
}

void PluginHostImpl::log(LogLevel level, std::string_view message) {
    const QString text = QString::fromUtf8(message.data(), static_cast<qsizetype>(message.size()));
    switch (level) {
        case LogLevel::Debug:
            qCDebug(lcPlugins).noquote() << text;
            break;
        case LogLevel::Info:
            qCInfo(lcPlugins).noquote() << text;
            break;
        case LogLevel::Warning:
            qCWarning(lcPlugins).noquote() << text;
            break;
        case LogLevel::Critical:
            qCCritical(lcPlugins).noquote() << text;
            break;
    }
}

}  // namespace lwm2mgw
