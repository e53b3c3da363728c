// LwM2M 1.1 Security Object (/0) instance as the store keeps it. The two secret resources
// (5 Secret Key, 8 SMS Binding Secret Key(s)) live in SecurityObjectSecrets, apart from the rest,
// so every read/list API can return SecurityObjectInstance without ever touching key material.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lwm2m-gateway/credstore/secret.h"

namespace lwm2mgw::credstore {

// Values of resource /0/x/2; the same numbering as lwm2mgw::SecurityMode in the plugin SDK,
// plus EST, which LwM2M 1.1 defines and no plugin implements yet.
enum class SecurityMode : std::int32_t {
    PreSharedKey = 0,
    RawPublicKey = 1,
    Certificate = 2,
    NoSec = 3,
    CertificateWithEst = 4,
};

struct SecurityObjectInstance {
    std::uint16_t instanceId = 0;                        // 0..65534
    std::string serverUri;                               // 0, e.g. coaps://host:5684
    bool bootstrapServer = false;                        // 1
    SecurityMode securityMode = SecurityMode::NoSec;     // 2
    std::string publicKeyOrIdentity;                     // 3, opaque
    std::string serverPublicKey;                         // 4, opaque
    std::optional<std::uint8_t> smsSecurityMode;         // 6
    std::optional<std::string> smsBindingKeyParameters;  // 7, opaque
    std::optional<std::string> smsServerNumber;          // 9
    std::optional<std::uint16_t> shortServerId;          // 10, 1..65534; required unless bootstrap
    std::optional<std::uint32_t> clientHoldOffTime;      // 11, seconds
    std::optional<std::uint32_t> bootstrapAccountTimeout;  // 12, seconds
    std::optional<std::uint8_t> matchingType;              // 13, 0..3
    std::optional<std::string> sni;                        // 14
    std::optional<std::uint8_t> certificateUsage;          // 15, 0..3
    std::vector<std::uint16_t> ciphersuites;               // 16, resource instance i = index i
    std::optional<std::string> oscoreSecurityMode;         // 17, object link "objectId:instanceId"

    // Not resources: whether 5 / 8 hold anything, so a listing can say "key present".
    bool hasSecretKey = false;
    bool hasSmsBindingSecretKeys = false;

    bool operator==(const SecurityObjectInstance&) const = default;
};

struct SecurityObjectSecrets {
    Secret secretKey;                            // 5
    std::optional<Secret> smsBindingSecretKeys;  // 8

    SecurityObjectSecrets copy() const {
        SecurityObjectSecrets c;
        c.secretKey = secretKey.copy();
        if (smsBindingSecretKeys) {
            c.smsBindingSecretKeys = smsBindingSecretKeys->copy();
        }
        return c;
    }
    bool operator==(const SecurityObjectSecrets&) const = default;
};

// An instance together with its secrets: what a write takes and what a session holds.
struct SecurityObjectEntry {
    SecurityObjectInstance instance;
    SecurityObjectSecrets secrets;

    SecurityObjectEntry copy() const { return {instance, secrets.copy()}; }
    bool operator==(const SecurityObjectEntry&) const = default;
};

}  // namespace lwm2mgw::credstore
