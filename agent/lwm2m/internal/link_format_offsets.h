#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "link_format.h"

namespace lwm2mgw::lwm2m::internal {

// parseLinkFormat that also reports where each link's '<' sits, so that callers applying their own
// rules to the links (registration) can point errors at the offending link.
Result<std::vector<Link>> parseLinkFormatWithOffsets(std::string_view payload,
                                                     std::vector<std::size_t>& linkOffsets);

}  // namespace lwm2mgw::lwm2m::internal
