// BootstrapSession: the Bootstrap-Write / Bootstrap-Delete sequence of one endpoint, applied as
// one SQLite transaction at commit, or not at all.
//
// The session works on an in-memory copy of the endpoint's instances and touches the database
// only in commit(). A bootstrap sequence spans many network round trips; holding an SQLite write
// transaction open across them would block every other writer (D-Bus, provisioning) for that
// long, and readers on the store's connection would see uncommitted rows. Buffering keeps the
// write lock for milliseconds, lets the consistency check run on the final state before any row
// changes, and makes abandoning free. A concurrent change to the same endpoint between begin and
// commit is detected (the endpoint is re-read inside the commit transaction) and refused.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lwm2m-gateway/credstore/endpoint_accounts.h"
#include "lwm2m-gateway/credstore/result.h"
#include "lwm2m-gateway/credstore/security_object.h"
#include "lwm2m-gateway/credstore/server_object.h"

namespace lwm2mgw::credstore {

namespace detail {
class Connection;
}

// Says whether a loaded plugin implements a Security Mode; only the agent knows.
using ModeAvailable = std::function<bool(SecurityMode)>;

class BootstrapSession {
public:
    BootstrapSession(BootstrapSession&&) noexcept;
    BootstrapSession& operator=(BootstrapSession&&) noexcept;
    BootstrapSession(const BootstrapSession&) = delete;
    BootstrapSession& operator=(const BootstrapSession&) = delete;
    // Abandons an open session: nothing is written.
    ~BootstrapSession();

    const std::string& endpoint() const { return working_.endpoint; }
    bool isOpen() const { return open_; }

    // The state as this session would commit it, without secrets (for Bootstrap-Read/Discover,
    // and for merging a partial Bootstrap-Write into an existing instance).
    std::vector<SecurityObjectInstance> securityInstances() const;
    std::vector<ServerObjectInstance> serverInstances() const;

    // Bootstrap-Write of a whole /0/x instance (created or replaced). `secrets` nullopt keeps
    // the instance's current secrets (empty for a new instance). Values are range-checked now,
    // so the agent can answer 4.00 to the offending write.
    Result<void> writeSecurity(const SecurityObjectInstance& instance,
                               std::optional<SecurityObjectSecrets> secrets);
    // Bootstrap-Write of a whole /1/x instance.
    Result<void> writeServer(const ServerObjectInstance& instance);

    // Bootstrap-Delete of "/", "/0", "/1", "/0/x" or "/1/x". "/" and "/0" keep the bootstrap
    // account; "/0/x" naming it is refused with BootstrapAccountProtected. Deleting an instance
    // that does not exist succeeds (Bootstrap-Delete has no 4.04). Other objects are not kept
    // here and give InvalidArgument.
    Result<void> deletePath(std::string_view path);

    // Checks the final state (see CredentialStore::replaceEndpoints) and writes it in one
    // transaction. On any error nothing changes and the session stays open, so the agent may
    // fix it up or abandon(). On success the session is closed.
    Result<void> commit(const ModeAvailable& modeAvailable);

    // Drops every buffered change; the session is closed.
    void abandon();

private:
    friend class CredentialStore;
    BootstrapSession(std::weak_ptr<detail::Connection> connection, EndpointAccounts current);

    Result<void> checkOpen() const;
    void deleteAllSecurityButBootstrap();

    std::weak_ptr<detail::Connection> connection_;
    EndpointAccounts baseline_;  // as read at begin; commit refuses if the database differs
    EndpointAccounts working_;
    bool open_ = true;
};

}  // namespace lwm2mgw::credstore
