// Per-value checks of the LwM2M ranges, run before anything reaches SQL so the caller gets a
// message naming the resource (the schema's CHECK constraints stay as a second line).
#pragma once

#include <optional>
#include <string_view>

#include "lwm2m-gateway/credstore/result.h"
#include "lwm2m-gateway/credstore/security_object.h"
#include "lwm2m-gateway/credstore/server_object.h"

namespace lwm2mgw::credstore::detail {

std::optional<Error> validateEndpointName(std::string_view endpoint);
// "objectId:instanceId", both 0..65535.
bool isObjectLink(std::string_view text);
std::optional<Error> validateSecurity(std::string_view endpoint, const SecurityObjectEntry& entry);
std::optional<Error> validateServer(std::string_view endpoint, const ServerObjectInstance& server);

}  // namespace lwm2mgw::credstore::detail
