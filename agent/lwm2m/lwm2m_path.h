#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "codec_result.h"

namespace lwm2mgw::lwm2m {

// The largest usable LwM2M object/instance/resource id; 65535 is reserved by the specification.
inline constexpr std::uint16_t kMaxLwm2mId = 65534;

// An LwM2M path "/object/instance/resource/resourceInstance", each level optional from the right.
// The root path "/" has no levels set.
struct Lwm2mPath {
    std::optional<std::uint16_t> object;
    std::optional<std::uint16_t> instance;
    std::optional<std::uint16_t> resource;
    std::optional<std::uint16_t> resourceInstance;

    friend bool operator==(const Lwm2mPath&, const Lwm2mPath&) = default;
};

// Accepts "/" and "/3", "/3/0", "/3/0/1", "/3/0/1/2": canonical decimal ids 0-65534 (no leading
// zeros), no empty segments, no trailing slash.
Result<Lwm2mPath> parseLwm2mPath(std::string_view text);

// Writes the levels up to the first unset one; "/" when none is set.
std::string toString(const Lwm2mPath& path);

}  // namespace lwm2mgw::lwm2m
