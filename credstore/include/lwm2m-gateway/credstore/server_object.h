// LwM2M 1.1 Server Object (/1) instance. Executable resources (4 Disable, 8 Registration Update
// Trigger, 9 Bootstrap-Request Trigger) have no state and are not stored.
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
    std::optional<std::uint32_t> registrationPriorityOrder;  // 11
    std::optional<std::uint32_t> initialRegistrationDelay;   // 12, seconds
    std::optional<bool> registrationFailureBlock;            // 13
    std::optional<bool> bootstrapOnRegistrationFailure;      // 14
    // 15..18 are optional resources with defaults in the spec; the store keeps the effective
    // value so no reader has to know the defaults.
    std::uint32_t communicationRetryCount = 5;              // 15
    std::uint32_t communicationRetryTimer = 60;             // 16, seconds
    std::uint32_t communicationSequenceDelayTimer = 86400;  // 17, seconds
    std::uint32_t communicationSequenceRetryCount = 1;      // 18
    std::optional<bool> trigger;                            // 19
    std::optional<std::string> preferredTransport;          // 20, one binding letter
    bool muteSend = false;                                  // 21

    bool operator==(const ServerObjectInstance&) const = default;
};

}  // namespace lwm2mgw::credstore
