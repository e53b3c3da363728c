#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec_result.h"

namespace lwm2mgw::lwm2m {

// Payloads beyond this are refused unread; real /.well-known/core or Register payloads are a few
// KiB.
inline constexpr std::size_t kMaxLinkFormatSize = 64 * 1024;

// One link-param: `;name=value`, `;name="quoted value"` or the bare flag `;name`.
struct LinkAttribute {
    std::string name;
    // Unquoted and unescaped; nullopt for a bare flag like ";obs".
    std::optional<std::string> value;

    friend bool operator==(const LinkAttribute&, const LinkAttribute&) = default;
};

// One link-value: `<target>` followed by its attributes in the order they were written.
struct Link {
    std::string target;  // the URI-Reference between < and >, e.g. "/3/0"
    std::vector<LinkAttribute> attributes;

    // The first attribute with this name, or nullptr.
    const LinkAttribute* find(std::string_view name) const;

    friend bool operator==(const Link&, const Link&) = default;
};

// Parses CoRE Link Format (RFC 6690 section 2). An empty payload is a valid, empty list.
// Whitespace is tolerated only around the ',' between links and at either end of the payload
// (clients and examples wrap lines there); everywhere else it is an error.
Result<std::vector<Link>> parseLinkFormat(std::string_view payload);

// Writes links back to Link Format. Values are quoted when they are not a ptoken, and always
// for attributes whose RFC 6690 / RFC 8288 grammar wants quotes (rt, if, rel, rev, anchor, title).
// Targets and names are written as given, so pass ones the parser would accept; values holding
// control characters other than TAB have no Link Format spelling.
std::string writeLinkFormat(const std::vector<Link>& links);

}  // namespace lwm2mgw::lwm2m
