#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace lwm2mgw::lwm2m::internal {

// Offset of the first byte that is not part of well-formed UTF-8 (RFC 3629: no overlong forms,
// no surrogates, nothing above U+10FFFF), or nullopt when the whole text is valid.
std::optional<std::size_t> findInvalidUtf8(std::string_view text);

// Copy of text with each ill-formed sequence replaced by U+FFFD, for writers that must emit
// valid UTF-8 whatever the caller handed them.
std::string sanitiseUtf8(std::string_view text);

}  // namespace lwm2mgw::lwm2m::internal
