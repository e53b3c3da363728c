#include "test_host.h"

#include <QDebug>

void TestHost::log(lwm2mgw::LogLevel, std::string_view message) {
    const QString line = QString::fromUtf8(message.data(), static_cast<qsizetype>(message.size()));
    qInfo().noquote() << "plugin:" << line;
    lines.append(line);
}

std::optional<lwm2mgw::PskCredential> TestHost::findPskByIdentity(std::string_view identity) {
    const auto found = psk.find(std::string(identity));
    return found == psk.end() ? std::nullopt : std::optional(found->second);
}

std::optional<std::string> TestHost::findEndpointForRawPublicKey(std::string_view spkiDer) {
    const auto found = rawKeys.find(std::string(spkiDer));
    return found == rawKeys.end() ? std::nullopt : std::optional(found->second);
}

std::optional<lwm2mgw::LocalCredential> TestHost::downstreamLocalCredential(
    lwm2mgw::SecurityMode mode) {
    const auto found = own.find(mode);
    return found == own.end() ? std::nullopt : std::optional(found->second);
}

bool TestHost::logContains(const QString& text) const {
    return logCount(text) > 0;
}

int TestHost::logCount(const QString& text) const {
    int count = 0;
    for (const QString& line : lines) {
        count += line.contains(text) ? 1 : 0;
    }
    return count;
}
