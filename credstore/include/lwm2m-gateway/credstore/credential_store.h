// CredentialStore: the gateway's LwM2M Security (/0) and Server (/1) instances, per endpoint (the
// gateway's own endpoint name or a proxied sensor's), and the downstream credentials sensors
// authenticate with. One SQLite file, WAL, synchronous=FULL, mode 0600.
//
// Not thread-safe: one store per thread (the agent's event-loop thread). Several processes may
// open the same file; SQLite's locking serialises them, waiting up to the busy timeout.
//
// Secrets (/0/x/5, /0/x/8, PSK keys) come back only from secretKeyFor(), secretsFor() and
// pskKeyForIdentity(); no listing and no error message carries them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lwm2m-gateway/credstore/bootstrap_session.h"
#include "lwm2m-gateway/credstore/downstream_credentials.h"
#include "lwm2m-gateway/credstore/endpoint_accounts.h"
#include "lwm2m-gateway/credstore/result.h"
#include "lwm2m-gateway/credstore/secret.h"
#include "lwm2m-gateway/credstore/security_object.h"
#include "lwm2m-gateway/credstore/server_object.h"

namespace lwm2mgw::credstore {

struct OpenOptions {
    // Open without write access (no file is created, no migration runs; writes fail with
    // ReadOnly). A read-write open of a file that cannot be written falls back to this by itself.
    bool readOnly = false;
    // How long to wait for another process's write lock before failing with Busy.
    int busyTimeoutMs = 1000;
    // Caps the database at this many pages (4 KiB each); writes past it fail with DiskFull.
    // 0 = no cap beyond SQLite's own.
    std::uint32_t maxPageCount = 0;
};

struct StoreStatus {
    int schemaVersion = 0;
    std::string journalMode;  // "wal" unless opened read-only on a non-WAL file
    bool foreignKeys = false;
    int synchronous = 0;  // 2 = FULL
    bool readOnly = false;
};

class CredentialStore {
public:
    // The schema version this build writes and migrates older files to.
    static int currentSchemaVersion();

    // Opens (creating it mode 0600 if absent) and migrates the database at `path`. A file of a
    // newer schema is refused (SchemaTooNew); a damaged one gives Corrupt.
    static Result<CredentialStore> open(const std::string& path, const OpenOptions& options = {});

    CredentialStore(CredentialStore&&) noexcept;
    CredentialStore& operator=(CredentialStore&&) noexcept;
    ~CredentialStore();

    const std::string& path() const;
    bool isReadOnly() const;
    // What open() did or could not do that an operator should see: permissions tightened, a
    // fallback to read-only. Holds file names and modes, never content.
    const std::vector<std::string>& openNotices() const;
    Result<StoreStatus> status() const;
    // PRAGMA integrity_check; the error names what SQLite found.
    Result<void> checkIntegrity() const;

    // --- Upstream accounts (LwM2M Security and Server objects) ---
    Result<std::vector<SecurityObjectInstance>> securityInstances(std::string_view endpoint) const;
    Result<std::vector<ServerObjectInstance>> serverInstances(std::string_view endpoint) const;
    // Server instances joined with their Security instance; servers without one are omitted.
    Result<std::vector<ServerAccount>> serverAccounts(std::string_view endpoint) const;
    Result<std::optional<SecurityObjectInstance>> bootstrapAccount(std::string_view endpoint) const;
    // Every endpoint with at least one Security instance, sorted.
    Result<std::vector<std::string>> endpointsWithAccounts() const;

    // Key material of one Security instance, for the plugin opening a session with it.
    Result<std::optional<Secret>> secretKeyFor(std::string_view endpoint,
                                               std::uint16_t securityInstanceId) const;
    Result<std::optional<SecurityObjectSecrets>> secretsFor(std::string_view endpoint,
                                                            std::uint16_t securityInstanceId) const;

    // Starts a bootstrap session on the endpoint's current state. The store must stay open for
    // the session to commit; a session outliving it fails with SessionClosed.
    Result<BootstrapSession> beginBootstrap(std::string_view endpoint);

    // Replaces all Security and Server instances of each listed endpoint (others untouched) in
    // one transaction, after checking every endpoint: values in range; unique instance ids and
    // Short Server IDs; at most one bootstrap account; every Server instance has a non-bootstrap
    // Security instance with its Short Server ID; at least one account remains; every Security
    // Mode is available. Used by provisioning; bootstrap sessions commit through the same path.
    Result<void> replaceEndpoints(const std::vector<EndpointAccounts>& endpoints,
                                  const ModeAvailable& modeAvailable);

    // Removes every Security and Server instance of the endpoint and keeps its downstream
    // credentials: the endpoint then uses the gateway's accounts. Returns whether anything went.
    Result<bool> removeAccounts(std::string_view endpoint);

    // Decommissions an endpoint: its Security and Server instances and every downstream
    // credential bound to it. Returns whether anything was removed.
    Result<bool> removeEndpoint(std::string_view endpoint);

    // --- Downstream credentials (proxied sensors) ---
    Result<void> addPsk(std::string_view endpoint, std::string_view identity, const Secret& key);
    Result<bool> removePsk(std::string_view identity);
    Result<std::optional<PskMatch>> pskKeyForIdentity(std::string_view identity) const;
    Result<std::vector<PskCredentialInfo>> pskCredentials() const;

    Result<void> addRpk(std::string_view endpoint, std::string_view subjectPublicKeyInfoDer);
    Result<bool> removeRpk(std::string_view subjectPublicKeyInfoDer);
    Result<std::optional<std::string>> endpointForRpk(
        std::string_view subjectPublicKeyInfoDer) const;
    Result<std::vector<RpkCredential>> rpkCredentials() const;

    Result<void> addTrustAnchor(const TrustAnchor& anchor);
    Result<bool> removeTrustAnchor(std::string_view label);
    Result<std::vector<TrustAnchor>> trustAnchors() const;

private:
    explicit CredentialStore(std::shared_ptr<detail::Connection> connection);

    // Shared with sessions (weakly) so a session never outlives the handle it writes through.
    std::shared_ptr<detail::Connection> connection_;
};

}  // namespace lwm2mgw::credstore
