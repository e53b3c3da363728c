// LwM2M 1.1 Server Object (/1) instance, commented with the LwM2M 1.1 resource ids. Executable
// resources (4 Disable, 8 Registration Update Trigger, 9 Bootstrap-Request Trigger) have no state
// and are not stored, nor are 11 TLS-DTLS Alert Code and 12 Last Bootstrapped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace lwm2mgw::credstore {

struct ServerObjectInstance {
    std::uint16_t instanceId = 0;                       // 0..65534
    std::uint16_t shortServerId = 1;                    // 0, 1..65534
    std::uint32_t lifetime = 86400;                     // 1, seconds
    std::optional<std::uint32_t> defaultMinimumPeriod;  // 2, seconds
    std::optional<std::uint32_t> defaultMaximumPeriod;  // 3, seconds
    std::optional<std::uint32_t> disableTimeout;        // 5, seconds
    bool notificationStoring = false;                   // 6
    std::string binding = "U";                          // 7, letters of U M H T S N Q
    std::optional<std::string> apnLink;                 // 10, object link "objectId:instanceId"
    std::optional<std::uint32_t> registrationPriorityOrder;  // 13
    std::optional<std::uint32_t> initialRegistrationDelay;   // 14, seconds
    std::optional<bool> registrationFailureBlock;            // 15
    std::optional<bool> bootstrapOnRegistrationFailure;      // 16, absent: true
    // 17..20 are optional resources with defaults in the spec; the store keeps the effective
    // value so no reader has to know the defaults.
    std::uint32_t communicationRetryCount = 5;              // 17
    std::uint32_t communicationRetryTimer = 60;             // 18, seconds
    std::uint32_t communicationSequenceDelayTimer = 86400;  // 19, seconds
    std::uint32_t communicationSequenceRetryCount = 1;      // 20
    std::optional<bool> trigger;                            // 21
    std::optional<std::string> preferredTransport;          // 22, one binding letter
    bool muteSend = false;                                  // 23

    bool operator==(const ServerObjectInstance&) const = default;
};

}  // namespace lwm2mgw::credstore
