#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "codec_result.h"

namespace lwm2mgw::lwm2m {

// The LwM2M Objlnk data type: a reference to an object instance. 65535:65535 is the null link.
struct ObjectLinkValue {
    std::uint16_t objectId = 0;
    std::uint16_t instanceId = 0;

    friend auto operator<=>(const ObjectLinkValue&, const ObjectLinkValue&) = default;
};

// The textual form used by SenML "vlo" and plain text: "<objectId>:<instanceId>", e.g. "3:0".
Result<ObjectLinkValue> parseObjectLinkValue(std::string_view text);
std::string toString(const ObjectLinkValue& link);

}  // namespace lwm2mgw::lwm2m
