// The whole-endpoint check a bootstrap session or provisioning import must pass before commit.
#pragma once

#include <optional>

#include "lwm2m-gateway/credstore/bootstrap_session.h"
#include "lwm2m-gateway/credstore/endpoint_accounts.h"
#include "lwm2m-gateway/credstore/result.h"

namespace lwm2mgw::credstore::detail {

// Every value in range; instance ids and Short Server IDs unique; at most one bootstrap account;
// each Server instance has a non-bootstrap Security instance with its Short Server ID; at least
// one bootstrap or server account; every Security Mode available (an empty `modeAvailable`
// accepts every mode).
std::optional<Error> checkEndpoint(const EndpointAccounts& accounts,
                                   const ModeAvailable& modeAvailable);

}  // namespace lwm2mgw::credstore::detail
