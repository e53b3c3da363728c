// The single write path for Security and Server instances: check every endpoint, then replace
// them all in one transaction. Bootstrap sessions and provisioning both end here.
#pragma once

#include <vector>

#include "connection.h"
#include "lwm2m-gateway/credstore/bootstrap_session.h"
#include "lwm2m-gateway/credstore/endpoint_accounts.h"

namespace lwm2mgw::credstore::detail {

// `baseline`, when given, is the state the caller started from (one endpoint): if the database
// no longer holds exactly that, someone else wrote meanwhile and the commit is refused.
Result<void> applyEndpointAccounts(Connection& connection,
                                   const std::vector<EndpointAccounts>& endpoints,
                                   const ModeAvailable& modeAvailable,
                                   const EndpointAccounts* baseline = nullptr);

}  // namespace lwm2mgw::credstore::detail
