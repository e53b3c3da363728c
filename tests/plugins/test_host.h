// A PluginHost that serves downstream credentials from memory and records the plugins' log.
#pragma once

#include <lwm2m-gateway/security_mode_plugin.h>

#include <QStringList>

#include <map>

class TestHost final : public lwm2mgw::PluginHost {
public:
    void log(lwm2mgw::LogLevel level, std::string_view message) override;
    std::optional<lwm2mgw::PskCredential> findPskByIdentity(std::string_view identity) override;
    std::optional<std::string> findEndpointForRawPublicKey(std::string_view spkiDer) override;
    std::vector<std::string> downstreamTrustAnchors() override { return anchors; }
    std::optional<lwm2mgw::LocalCredential> downstreamLocalCredential(
        lwm2mgw::SecurityMode mode) override;

    bool logContains(const QString& text) const;
    int logCount(const QString& text) const;

    std::map<std::string, lwm2mgw::PskCredential> psk;
    std::map<std::string, std::string> rawKeys;  // SPKI DER -> endpoint
    std::vector<std::string> anchors;
    std::map<lwm2mgw::SecurityMode, lwm2mgw::LocalCredential> own;
    QStringList lines;
};
