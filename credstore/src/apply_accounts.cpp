#include "apply_accounts.h"

#include <set>
#include <string>

#include "account_rows.h"
#include "consistency.h"

namespace lwm2mgw::credstore::detail {

Result<void> applyEndpointAccounts(Connection& connection,
                                   const std::vector<EndpointAccounts>& endpoints,
                                   const ModeAvailable& modeAvailable,
                                   const EndpointAccounts* baseline) {
    if (connection.readOnly()) {
        return connection.readOnlyError("writing accounts");
    }
    std::set<std::string> seen;
    for (const auto& accounts : endpoints) {
        if (!seen.insert(accounts.endpoint).second) {
            return Error{ErrorCode::InvalidArgument,
                         "endpoint '" + accounts.endpoint + "' is listed twice"};
        }
        if (auto e = checkEndpoint(accounts, modeAvailable)) {
            return *e;
        }
    }

    auto tx = Transaction::begin(connection, "writing accounts");
    if (!tx) {
        return tx.error();
    }
    if (baseline != nullptr) {
        auto current = readEndpointAccounts(connection, baseline->endpoint);
        if (!current) {
            return current.error();
        }
        if (!(*current == *baseline)) {
            return Error{ErrorCode::Conflict,
                         "endpoint '" + baseline->endpoint +
                             "' was changed by another writer since the session began"};
        }
    }
    for (const auto& accounts : endpoints) {
        if (auto r = writeEndpointAccounts(connection, accounts); !r) {
            return r;  // the Transaction rolls back
        }
    }
    return tx->commit();
}

}  // namespace lwm2mgw::credstore::detail
