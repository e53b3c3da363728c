#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec_result.h"

namespace lwm2mgw::lwm2m {

// One object link of a Register/Update payload: "</3>;ver=1.1" or "</3/0>".
struct ObjectLink {
    std::uint16_t objectId = 0;
    std::optional<std::uint16_t> instanceId;  // nullopt for an object link without instances
    std::optional<std::string> version;       // the "ver" attribute, e.g. "1.1"

    friend bool operator==(const ObjectLink&, const ObjectLink&) = default;
};

// The LwM2M view of a Register/Update payload (LwM2M 1.1 Core, 6.2.1).
struct RegistrationLinks {
    std::string rootPath = "/";  // the alternate path from the rt="oma.lwm2m" link, "/" when absent
    std::vector<std::uint16_t> contentFormats;  // from the root link's ct, empty when absent
    std::vector<ObjectLink> objects;            // in payload order

    friend bool operator==(const RegistrationLinks&, const RegistrationLinks&) = default;
};

// Accepts the 1.0 form "</1/0>,</3/0>" and the 1.1 form with a root link such as
// `</>;rt="oma.lwm2m";ct=11543` or `</lwm2m>;rt="oma.lwm2m";ct="60 110 112 11542 11543"`.
// Without an rt="oma.lwm2m" link, a "</>" link still supplies ct. Object links must be
// <rootPath>/<obj> or <rootPath>/<obj>/<inst> with ids 0-65534. Unknown attributes are ignored.
Result<RegistrationLinks> parseRegistrationLinks(std::string_view payload);

// Emits the root link only when it carries ct or a path other than "/"; the root link always
// carries rt="oma.lwm2m" when emitted.
std::string writeRegistrationLinks(const RegistrationLinks& links);

}  // namespace lwm2mgw::lwm2m
