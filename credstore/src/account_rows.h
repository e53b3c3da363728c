// Rows of security_instance / security_ciphersuite / server_instance <-> value types.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "connection.h"
#include "lwm2m-gateway/credstore/endpoint_accounts.h"

namespace lwm2mgw::credstore::detail {

// Without secrets: the secret columns are not even selected.
Result<std::vector<SecurityObjectInstance>> readSecurityInstances(Connection& connection,
                                                                  std::string_view endpoint);
Result<std::vector<ServerObjectInstance>> readServerInstances(Connection& connection,
                                                              std::string_view endpoint);
Result<std::optional<SecurityObjectSecrets>> readSecrets(Connection& connection,
                                                         std::string_view endpoint,
                                                         std::uint16_t instanceId);
// With secrets, for sessions and change detection.
Result<EndpointAccounts> readEndpointAccounts(Connection& connection, std::string_view endpoint);

// Inside the caller's transaction: replaces every row of `accounts.endpoint`.
Result<void> writeEndpointAccounts(Connection& connection, const EndpointAccounts& accounts);
// Inside the caller's transaction. Returns whether any row went.
Result<bool> deleteEndpointAccounts(Connection& connection, std::string_view endpoint);

}  // namespace lwm2mgw::credstore::detail
