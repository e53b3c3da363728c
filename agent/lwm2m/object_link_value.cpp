#include "object_link_value.h"

#include "internal/decimal.h"

namespace lwm2mgw::lwm2m {

Result<ObjectLinkValue> parseObjectLinkValue(std::string_view text) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) {
        return CodecError{0, "object link must look like \"<object>:<instance>\", e.g. \"3:0\""};
    }
    const auto object = internal::parseDecimalU16(text.substr(0, colon), 65535);
    if (!object) {
        return CodecError{0, "object link's object id is not a decimal number 0-65535"};
    }
    const auto instance = internal::parseDecimalU16(text.substr(colon + 1), 65535);
    if (!instance) {
        return CodecError{colon + 1, "object link's instance id is not a decimal number 0-65535"};
    }
    return ObjectLinkValue{*object, *instance};
}

std::string toString(const ObjectLinkValue& link) {
    return std::to_string(link.objectId) + ':' + std::to_string(link.instanceId);
}

}  // namespace lwm2mgw::lwm2m
