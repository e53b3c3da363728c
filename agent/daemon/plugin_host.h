#pragma once

#include <lwm2m-gateway/security_mode_plugin.h>

#include <QList>
#include <QString>
#include <memory>
#include <optional>
#include <vector>

class QLibrary;

namespace lwm2mgw::credstore {
class CredentialStore;
}

namespace lwm2mgw {

// A plugin file that was looked at, loaded or not: what `plugins` listings show operators.
struct PluginReport {
    QString file;
    QString name;
    SecurityMode mode = SecurityMode::NoSec;
    bool loaded = false;
    QString reason;  // why it was skipped, empty when loaded
};

// Loads security-mode plugins from one directory against the SDK's versioned interface. A plugin
// that fails (missing entry point, wrong version, failing self-check) is reported and skipped.
class PluginHostImpl final : public PluginHost {
public:
    PluginHostImpl();
    ~PluginHostImpl();
    PluginHostImpl(const PluginHostImpl&) = delete;
    PluginHostImpl& operator=(const PluginHostImpl&) = delete;

    void loadDirectory(const QString& directory);
    // One plugin file; reported like the files of loadDirectory().
    void loadFile(const QString& path);
    // Downstream credentials are looked up here; without a store no secured peer is known.
    void setCredentialStore(const credstore::CredentialStore* store) { store_ = store; }

    SecurityModePlugin* pluginFor(SecurityMode mode) const;
    // Has `plugin` re-read the downstream credentials it copied into `context`'s listeners
    // (SecurityModePlugin::refreshListeners), where its API version has that call.
    bool refreshListeners(SecurityModePlugin& plugin, coap_context_t* context,
                          QString& error) const;
    const QList<PluginReport>& reports() const { return reports_; }

    void log(LogLevel level, std::string_view message) override;
    std::optional<PskCredential> findPskByIdentity(std::string_view identity) override;
    std::optional<std::string> findEndpointForRawPublicKey(
        std::string_view subjectPublicKeyInfoDer) override;
    std::vector<std::string> downstreamTrustAnchors() override;
    std::optional<LocalCredential> downstreamLocalCredential(SecurityMode mode) override;

    struct LocalCredentialFiles {
        QString rpkPublicKey, rpkPrivateKey, certificate, certificateKey;
        QStringList certificateChain;
    };
    void setLocalCredentialFiles(const LocalCredentialFiles& files) { localFiles_ = files; }

private:
    struct Loaded {
        std::unique_ptr<QLibrary> library;
        std::unique_ptr<SecurityModePlugin> plugin;
        PluginApiVersion built;
    };

    const credstore::CredentialStore* store_ = nullptr;
    LocalCredentialFiles localFiles_;
    std::vector<Loaded> loaded_;
    QList<PluginReport> reports_;
};

QString securityModeName(SecurityMode mode);
// The inverse of securityModeName, for the four modes the SDK knows.
std::optional<SecurityMode> securityModeFromName(const QString& name);

}  // namespace lwm2mgw
