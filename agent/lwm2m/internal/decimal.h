#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace lwm2mgw::lwm2m::internal {

// Canonical unsigned decimal (digits only, no sign, no leading zeros) no larger than `max`.
// Rejecting leading zeros keeps one spelling per number, so ids compare equal as text too.
inline std::optional<std::uint16_t> parseDecimalU16(std::string_view text, std::uint16_t max) {
    if (text.empty() || text.size() > 5 || (text.size() > 1 && text.front() == '0')) {
        return std::nullopt;
    }
    for (char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
    }
    std::uint32_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value > max) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(value);
}

}  // namespace lwm2mgw::lwm2m::internal
