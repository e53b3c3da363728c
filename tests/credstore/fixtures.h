// Sample accounts shared by the credstore tests and the crash probe (no Qt, so the probe stays
// a plain executable).
#pragma once

#include <lwm2m-gateway/credstore/credential_store.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace credstore_test {

using namespace lwm2mgw::credstore;

// Distinctive byte strings, so a test can assert they never show up where they must not.
inline const std::string kBootstrapKey = "BSKEY-\x01\x02\x03-do-not-leak-bootstrap";
inline const std::string kServerKey = "SRVKEY-\x04\x05\x06-do-not-leak-server";
inline const std::string kPskKey = "PSKKEY-\x07\x08\x09-do-not-leak-psk";

SecurityObjectEntry bootstrapEntry(std::uint16_t instanceId = 0);
SecurityObjectEntry serverSecurityEntry(std::uint16_t instanceId, std::uint16_t shortServerId,
                                        SecurityMode mode = SecurityMode::PreSharedKey,
                                        const std::string& key = kServerKey);
ServerObjectInstance serverInstance(std::uint16_t instanceId, std::uint16_t shortServerId);

// A bootstrap account (/0/0) and one server account (/0/1 + /1/0, Short Server ID 101).
EndpointAccounts sampleAccounts(const std::string& endpoint);
// `count` server accounts (/0/i+1 + /1/i, Short Server IDs 1000+i) and a bootstrap account.
EndpointAccounts manyAccounts(const std::string& endpoint, int count);
// Every resource set to a non-default value.
SecurityObjectEntry fullSecurityEntry(std::uint16_t instanceId, std::uint16_t shortServerId);
ServerObjectInstance fullServerInstance(std::uint16_t instanceId, std::uint16_t shortServerId);

// The endpoint as the store holds it, secrets included (through the public API only).
Result<EndpointAccounts> snapshot(const CredentialStore& store, const std::string& endpoint);

inline bool allModes(SecurityMode) {
    return true;
}

// A vector of endpoints from temporaries (Secret is move-only, so no initializer list).
template <typename... Accounts>
std::vector<EndpointAccounts> endpoints(Accounts&&... accounts) {
    std::vector<EndpointAccounts> list;
    (list.push_back(std::forward<Accounts>(accounts)), ...);
    return list;
}

}  // namespace credstore_test
