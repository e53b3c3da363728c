#include "validation.h"

#include <charconv>
#include <string>

namespace lwm2mgw::credstore::detail {

namespace {

constexpr std::uint16_t kMaxInstanceId = 65534;  // 65535 is reserved by LwM2M
constexpr std::size_t kMaxEndpointLength = 255;
constexpr std::string_view kBindingLetters = "UMHTSNQ";

Error invalid(std::string_view endpoint, std::string_view path, std::string_view what) {
    std::string message = "endpoint '";
    message += endpoint;
    message += "': ";
    message += path;
    message += ": ";
    message += what;
    return {ErrorCode::InvalidArgument, std::move(message)};
}

std::string path(int objectId, std::uint16_t instanceId) {
    // Appended piece by piece: GCC 12 at -O3 reports a false -Wrestrict for "/" + to_string().
    std::string text(1, '/');
    text.append(std::to_string(objectId));
    text.push_back('/');
    text.append(std::to_string(instanceId));
    return text;
}

bool isUint16(std::string_view text) {
    if (text.empty() || text.size() > 5) {
        return false;
    }
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc{} && end == text.data() + text.size() && value <= 65535;
}

}  // namespace

std::optional<Error> validateEndpointName(std::string_view endpoint) {
    if (endpoint.empty() || endpoint.size() > kMaxEndpointLength) {
        return Error{ErrorCode::InvalidArgument, "endpoint name must be 1 to 255 bytes"};
    }
    if (endpoint.find('\0') != std::string_view::npos) {
        return Error{ErrorCode::InvalidArgument, "endpoint name contains a NUL byte"};
    }
    return std::nullopt;
}

bool isObjectLink(std::string_view text) {
    const auto colon = text.find(':');
    return colon != std::string_view::npos && isUint16(text.substr(0, colon)) &&
           isUint16(text.substr(colon + 1));
}

std::optional<Error> validateSecurity(std::string_view endpoint, const SecurityObjectEntry& entry) {
    if (auto e = validateEndpointName(endpoint)) {
        return e;
    }
    const auto& s = entry.instance;
    const std::string where = path(0, s.instanceId);
    if (s.instanceId > kMaxInstanceId) {
        return invalid(endpoint, where, "instance id out of range 0..65534");
    }
    if (s.serverUri.empty()) {
        return invalid(endpoint, where, "LwM2M Server URI (0) is empty");
    }
    const auto mode = static_cast<std::int32_t>(s.securityMode);
    if (mode < 0 || mode > 4) {
        return invalid(endpoint, where, "Security Mode (2) out of range 0..4");
    }
    if (s.shortServerId && (*s.shortServerId < 1 || *s.shortServerId > 65534)) {
        return invalid(endpoint, where, "Short Server ID (10) out of range 1..65534");
    }
    if (!s.bootstrapServer && !s.shortServerId) {
        return invalid(endpoint, where, "a non-bootstrap account needs a Short Server ID (10)");
    }
    if (s.matchingType && *s.matchingType > 3) {
        return invalid(endpoint, where, "Matching Type (13) out of range 0..3");
    }
    if (s.certificateUsage && *s.certificateUsage > 3) {
        return invalid(endpoint, where, "Certificate Usage (15) out of range 0..3");
    }
    if (s.oscoreSecurityMode && !isObjectLink(*s.oscoreSecurityMode)) {
        return invalid(endpoint, where, "OSCORE Security Mode (17) is not an object link o:i");
    }
    if (s.ciphersuites.size() > kMaxInstanceId + 1u) {
        return invalid(endpoint, where, "too many DTLS/TLS Ciphersuite (16) instances");
    }
    return std::nullopt;
}

std::optional<Error> validateServer(std::string_view endpoint, const ServerObjectInstance& server) {
    if (auto e = validateEndpointName(endpoint)) {
        return e;
    }
    const std::string where = path(1, server.instanceId);
    if (server.instanceId > kMaxInstanceId) {
        return invalid(endpoint, where, "instance id out of range 0..65534");
    }
    if (server.shortServerId < 1 || server.shortServerId > 65534) {
        return invalid(endpoint, where, "Short Server ID (0) out of range 1..65534");
    }
    if (server.binding.empty() ||
        server.binding.find_first_not_of(kBindingLetters) != std::string::npos) {
        return invalid(endpoint, where, "Binding (7) must be letters of UMHTSNQ");
    }
    if (server.apnLink && !isObjectLink(*server.apnLink)) {
        return invalid(endpoint, where, "APN Link (10) is not an object link o:i");
    }
    if (server.preferredTransport &&
        (server.preferredTransport->size() != 1 ||
         kBindingLetters.find((*server.preferredTransport)[0]) == std::string_view::npos)) {
        return invalid(endpoint, where, "Preferred Transport (20) must be one binding letter");
    }
    return std::nullopt;
}

}  // namespace lwm2mgw::credstore::detail
