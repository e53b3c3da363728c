#pragma once

#include "bootstrap_payload.h"
#include "senml.h"
#include "tlv.h"

#include <lwm2m-gateway/credstore/security_object.h>
#include <lwm2m-gateway/credstore/server_object.h>

#include <optional>
#include <string>
#include <vector>

namespace lwm2mgw {

// Merges the written resources of one /0/x instance into `instance` (Bootstrap-Write merges
// into what is there). Resources 5 and 8 go to `secrets` instead, created on first use.
// Returns why a value does not fit its resource's type or range, nullopt on success.
// Resources the Security object does not define are ignored, as LwM2M 1.1 allows.
std::optional<std::string> applySecurityWrite(
    const WrittenInstance& written, credstore::SecurityObjectInstance& instance,
    std::optional<credstore::SecurityObjectSecrets>& secrets);

// The same for one /1/x instance; executable resources (4, 8, 9) are ignored.
std::optional<std::string> applyServerWrite(const WrittenInstance& written,
                                            credstore::ServerObjectInstance& instance);

// A Server instance's readable resources for Bootstrap-Read (resource id order).
std::vector<lwm2m::TlvRecord> serverTlv(const credstore::ServerObjectInstance& instance);
std::vector<lwm2m::SenmlRecord> serverSenml(const credstore::ServerObjectInstance& instance);

}  // namespace lwm2mgw
