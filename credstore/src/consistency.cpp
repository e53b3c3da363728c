#include "consistency.h"

#include <map>
#include <set>
#include <string>

#include "validation.h"

namespace lwm2mgw::credstore::detail {

namespace {

std::string modeName(SecurityMode mode) {
    const char* name = "unknown";
    switch (mode) {
        case SecurityMode::PreSharedKey:
            name = "Pre-Shared Key";
            break;
        case SecurityMode::RawPublicKey:
            name = "Raw Public Key";
            break;
        case SecurityMode::Certificate:
            name = "Certificate";
            break;
        case SecurityMode::NoSec:
            name = "NoSec";
            break;
        case SecurityMode::CertificateWithEst:
            name = "Certificate mode with EST";
            break;
    }
    return std::string(name) + " (" + std::to_string(static_cast<std::int32_t>(mode)) + ")";
}

Error inconsistent(const EndpointAccounts& accounts, std::string_view what,
                   ErrorCode code = ErrorCode::Inconsistent) {
    std::string message = "endpoint '" + accounts.endpoint + "': ";
    message += what;
    return {code, std::move(message)};
}

}  // namespace

std::optional<Error> checkEndpoint(const EndpointAccounts& accounts,
                                   const ModeAvailable& modeAvailable) {
    if (auto e = validateEndpointName(accounts.endpoint)) {
        return e;
    }
    std::set<std::uint16_t> securityIds;
    std::map<std::uint16_t, bool> securityByShortServerId;  // ssid -> is bootstrap account
    int bootstrapAccounts = 0;
    for (const auto& entry : accounts.security) {
        const auto& s = entry.instance;
        if (auto e = validateSecurity(accounts.endpoint, entry)) {
            return e;
        }
        const std::string where = "/0/" + std::to_string(s.instanceId);
        if (!securityIds.insert(s.instanceId).second) {
            return inconsistent(accounts, where + " appears twice");
        }
        if (s.bootstrapServer) {
            ++bootstrapAccounts;
        }
        if (s.shortServerId &&
            !securityByShortServerId.emplace(*s.shortServerId, s.bootstrapServer).second) {
            return inconsistent(accounts, where + ": Short Server ID " +
                                              std::to_string(*s.shortServerId) +
                                              " is used by another Security instance");
        }
        if (modeAvailable && !modeAvailable(s.securityMode)) {
            return inconsistent(accounts,
                                where + ": Security Mode " + modeName(s.securityMode) +
                                    " is not available (no loaded plugin implements it)",
                                ErrorCode::ModeUnavailable);
        }
    }
    if (bootstrapAccounts > 1) {
        return inconsistent(accounts, "more than one Bootstrap-Server account");
    }

    std::set<std::uint16_t> serverIds;
    std::set<std::uint16_t> serverShortIds;
    int serverAccounts = 0;
    for (const auto& server : accounts.servers) {
        if (auto e = validateServer(accounts.endpoint, server)) {
            return e;
        }
        const std::string where = "/1/" + std::to_string(server.instanceId);
        if (!serverIds.insert(server.instanceId).second) {
            return inconsistent(accounts, where + " appears twice");
        }
        if (!serverShortIds.insert(server.shortServerId).second) {
            return inconsistent(accounts, where + ": Short Server ID " +
                                              std::to_string(server.shortServerId) +
                                              " is used by another Server instance");
        }
        const auto security = securityByShortServerId.find(server.shortServerId);
        if (security == securityByShortServerId.end()) {
            return inconsistent(accounts, where + " (Short Server ID " +
                                              std::to_string(server.shortServerId) +
                                              ") has no Security instance with that Short "
                                              "Server ID");
        }
        if (security->second) {
            return inconsistent(accounts, where + " (Short Server ID " +
                                              std::to_string(server.shortServerId) +
                                              ") refers to the Bootstrap-Server account");
        }
        ++serverAccounts;
    }
    if (bootstrapAccounts == 0 && serverAccounts == 0) {
        return inconsistent(accounts,
                            "no Bootstrap-Server account and no server account would remain");
    }
    return std::nullopt;
}

}  // namespace lwm2mgw::credstore::detail
