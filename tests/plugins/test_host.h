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
    // From read number `swapAnchorsAtRead` on (1-based, 0: never), `swappedAnchors` instead:
    // lets a test change the anchors between a handshake and the admission after it.
    std::vector<std::string> downstreamTrustAnchors() override {
        ++anchorReads;
        return swapAnchorsAtRead > 0 && anchorReads >= swapAnchorsAtRead ? swappedAnchors : anchors;
    }
    std::optional<lwm2mgw::LocalCredential> downstreamLocalCredential(
        lwm2mgw::SecurityMode mode) override;

    bool logContains(const QString& text) const;
    int logCount(const QString& text) const;

    std::map<std::string, lwm2mgw::PskCredential> psk;
    std::map<std::string, std::string> rawKeys;  // SPKI DER -> endpoint
    std::vector<std::string> anchors;
    int anchorReads = 0;
    int swapAnchorsAtRead = 0;
    std::vector<std::string> swappedAnchors;
    std::map<lwm2mgw::SecurityMode, lwm2mgw::LocalCredential> own;
    QStringList lines;
};
