#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codec_result.h"

namespace lwm2mgw::lwm2m::internal {

// base64url (RFC 4648 section 5) as SenML JSON uses it for "vd": no padding on output;
// on input, correct '=' padding is tolerated and the unused low bits must be zero so that
// every byte string has exactly one accepted spelling besides its padded form.
std::string base64UrlEncode(std::span<const std::uint8_t> bytes);
Result<std::vector<std::uint8_t>> base64UrlDecode(std::string_view text);

}  // namespace lwm2mgw::lwm2m::internal
