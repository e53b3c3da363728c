// Account views and whole-endpoint state.
#pragma once

#include <string>
#include <vector>

#include "lwm2m-gateway/credstore/security_object.h"
#include "lwm2m-gateway/credstore/server_object.h"

namespace lwm2mgw::credstore {

// A Server instance joined with the Security instance of the same Short Server ID. No secrets:
// this is what a D-Bus listing may show.
struct ServerAccount {
    ServerObjectInstance server;
    SecurityObjectInstance security;
};

// Every Security and Server instance of one endpoint, secrets included. A bootstrap session
// and a provisioning import each build one of these and hand it to the store as a whole.
struct EndpointAccounts {
    std::string endpoint;
    std::vector<SecurityObjectEntry> security;  // ordered by instance id
    std::vector<ServerObjectInstance> servers;  // ordered by instance id

    EndpointAccounts copy() const {
        EndpointAccounts c{endpoint, {}, servers};
        c.security.reserve(security.size());
        for (const auto& entry : security) {
            c.security.push_back(entry.copy());
        }
        return c;
    }
    bool operator==(const EndpointAccounts&) const = default;
};

}  // namespace lwm2mgw::credstore
