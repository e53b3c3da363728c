// Factory provisioning: a JSON file of Security and Server instances per endpoint (format in
// credstore/PROVISIONING.md), checked like a bootstrap session and applied in one transaction.
// Lives in lwm2mgw_credstore_provisioning (Qt Core for QJsonDocument); the header is Qt-free.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lwm2m-gateway/credstore/bootstrap_session.h"
#include "lwm2m-gateway/credstore/credential_store.h"
#include "lwm2m-gateway/credstore/endpoint_accounts.h"
#include "lwm2m-gateway/credstore/result.h"

namespace lwm2mgw::credstore {

struct ProvisioningSummary {
    int endpoints = 0;
    int securityInstances = 0;
    int serverInstances = 0;
};

// Parses and range-checks without touching a store (for a --check mode). ParseError names the
// JSON location (e.g. endpoints[0].security[1].shortServerId), never a value.
Result<std::vector<EndpointAccounts>> parseProvisioning(std::string_view json);

// Replaces the Security and Server instances of every endpoint in the document; endpoints not
// in it are untouched. On any error nothing changes.
Result<ProvisioningSummary> importProvisioning(CredentialStore& store, std::string_view json,
                                               const ModeAvailable& modeAvailable);
Result<ProvisioningSummary> importProvisioningFile(CredentialStore& store, const std::string& path,
                                                   const ModeAvailable& modeAvailable);

}  // namespace lwm2mgw::credstore
