#include "lwm2m-gateway/credstore/bootstrap_session.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include "apply_accounts.h"
#include "connection.h"
#include "validation.h"

namespace lwm2mgw::credstore {

namespace {

// The agent keeps instances ordered so reads and the stored order agree.
template <typename Vector, typename Id>
auto findInstance(Vector& instances, std::uint16_t id, Id idOf) {
    return std::find_if(instances.begin(), instances.end(),
                        [&](const auto& item) { return idOf(item) == id; });
}

template <typename Vector, typename T, typename Id>
void putSorted(Vector& instances, T&& item, Id idOf) {
    const std::uint16_t id = idOf(item);
    auto at = findInstance(instances, id, idOf);
    if (at != instances.end()) {
        *at = std::forward<T>(item);
        return;
    }
    auto pos = std::find_if(instances.begin(), instances.end(),
                            [&](const auto& other) { return idOf(other) > id; });
    instances.insert(pos, std::forward<T>(item));
}

const auto securityId = [](const SecurityObjectEntry& e) { return e.instance.instanceId; };
const auto serverId = [](const ServerObjectInstance& s) { return s.instanceId; };

// "/", "/0", "/1", "/0/5": object and optional instance. Anything deeper is not a delete target.
struct DeletePath {
    std::optional<std::uint16_t> object;
    std::optional<std::uint16_t> instance;
};

std::optional<DeletePath> parseDeletePath(std::string_view path) {
    if (path == "/") {
        return DeletePath{};
    }
    if (path.empty()) {
        return std::nullopt;
    }
    DeletePath parsed;
    std::string_view rest = path;
    for (int level = 0; level < 2 && !rest.empty(); ++level) {
        if (rest[0] != '/') {
            return std::nullopt;
        }
        rest.remove_prefix(1);
        const auto end = std::min(rest.find('/'), rest.size());
        unsigned value = 0;
        const auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + end, value);
        if (end == 0 || ec != std::errc{} || ptr != rest.data() + end || value > 65535) {
            return std::nullopt;
        }
        (level == 0 ? parsed.object : parsed.instance) = static_cast<std::uint16_t>(value);
        rest.remove_prefix(end);
    }
    if (!rest.empty()) {
        return std::nullopt;
    }
    return parsed;
}

}  // namespace

BootstrapSession::BootstrapSession(std::weak_ptr<detail::Connection> connection,
                                   EndpointAccounts current)
    : connection_(std::move(connection)), baseline_(current.copy()), working_(std::move(current)) {}

BootstrapSession::BootstrapSession(BootstrapSession&& other) noexcept
    : connection_(std::move(other.connection_)),
      baseline_(std::move(other.baseline_)),
      working_(std::move(other.working_)),
      open_(std::exchange(other.open_, false)) {}

BootstrapSession& BootstrapSession::operator=(BootstrapSession&& other) noexcept {
    if (this != &other) {
        connection_ = std::move(other.connection_);
        baseline_ = std::move(other.baseline_);
        working_ = std::move(other.working_);
        open_ = std::exchange(other.open_, false);
    }
    return *this;
}

BootstrapSession::~BootstrapSession() = default;

std::vector<SecurityObjectInstance> BootstrapSession::securityInstances() const {
    std::vector<SecurityObjectInstance> list;
    list.reserve(working_.security.size());
    for (const auto& entry : working_.security) {
        list.push_back(entry.instance);
    }
    return list;
}

std::vector<ServerObjectInstance> BootstrapSession::serverInstances() const {
    return working_.servers;
}

Result<void> BootstrapSession::checkOpen() const {
    if (!open_) {
        return Error{ErrorCode::SessionClosed,
                     "the bootstrap session of endpoint '" + working_.endpoint + "' is closed"};
    }
    return {};
}

Result<void> BootstrapSession::writeSecurity(const SecurityObjectInstance& instance,
                                             std::optional<SecurityObjectSecrets> secrets) {
    if (auto r = checkOpen(); !r) {
        return r;
    }
    SecurityObjectEntry entry{instance, {}};
    if (secrets) {
        entry.secrets = std::move(*secrets);
    } else if (auto existing = findInstance(working_.security, instance.instanceId, securityId);
               existing != working_.security.end()) {
        entry.secrets = std::move(existing->secrets);
    }
    // The flags describe the secrets actually held, whatever the caller passed.
    entry.instance.hasSecretKey = !entry.secrets.secretKey.empty();
    entry.instance.hasSmsBindingSecretKeys = entry.secrets.smsBindingSecretKeys.has_value();
    if (auto e = detail::validateSecurity(working_.endpoint, entry)) {
        if (!secrets) {
            // Put the kept secrets back: a refused write changes nothing.
            auto existing = findInstance(working_.security, instance.instanceId, securityId);
            if (existing != working_.security.end()) {
                existing->secrets = std::move(entry.secrets);
            }
        }
        return *e;
    }
    putSorted(working_.security, std::move(entry), securityId);
    return {};
}

Result<void> BootstrapSession::writeServer(const ServerObjectInstance& instance) {
    if (auto r = checkOpen(); !r) {
        return r;
    }
    if (auto e = detail::validateServer(working_.endpoint, instance)) {
        return *e;
    }
    putSorted(working_.servers, instance, serverId);
    return {};
}

void BootstrapSession::deleteAllSecurityButBootstrap() {
    std::erase_if(working_.security, [](const auto& e) { return !e.instance.bootstrapServer; });
}

Result<void> BootstrapSession::deletePath(std::string_view path) {
    if (auto r = checkOpen(); !r) {
        return r;
    }
    const auto target = parseDeletePath(path);
    if (!target) {
        return Error{ErrorCode::InvalidArgument,
                     "Bootstrap-Delete target '" + std::string(path) +
                         "' is not \"/\", an object or an object instance"};
    }
    if (!target->object) {
        deleteAllSecurityButBootstrap();
        working_.servers.clear();
        return {};
    }
    if (*target->object == 0) {
        if (!target->instance) {
            deleteAllSecurityButBootstrap();
            return {};
        }
        auto at = findInstance(working_.security, *target->instance, securityId);
        if (at == working_.security.end()) {
            return {};
        }
        if (at->instance.bootstrapServer) {
            return Error{ErrorCode::BootstrapAccountProtected,
                         "endpoint '" + working_.endpoint + "': /0/" +
                             std::to_string(*target->instance) +
                             " is the Bootstrap-Server account and cannot be deleted"};
        }
        working_.security.erase(at);
        return {};
    }
    if (*target->object == 1) {
        if (!target->instance) {
            working_.servers.clear();
        } else if (auto at = findInstance(working_.servers, *target->instance, serverId);
                   at != working_.servers.end()) {
            working_.servers.erase(at);
        }
        return {};
    }
    return Error{ErrorCode::InvalidArgument, "object " + std::to_string(*target->object) +
                                                 " is not kept by the credential store"};
}

Result<void> BootstrapSession::commit(const ModeAvailable& modeAvailable) {
    if (auto r = checkOpen(); !r) {
        return r;
    }
    auto connection = connection_.lock();
    if (!connection) {
        return Error{ErrorCode::SessionClosed,
                     "the credential store of this bootstrap session "
                     "was closed"};
    }
    std::vector<EndpointAccounts> endpoints;
    endpoints.push_back(working_.copy());
    if (auto r = detail::applyEndpointAccounts(*connection, endpoints, modeAvailable, &baseline_);
        !r) {
        return r;
    }
    abandon();
    return {};
}

void BootstrapSession::abandon() {
    open_ = false;
    // Drop (and so wipe) the buffered secrets now rather than when the object dies.
    baseline_.security.clear();
    working_.security.clear();
    working_.servers.clear();
}

}  // namespace lwm2mgw::credstore
