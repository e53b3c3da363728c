#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "codec_result.h"
#include "object_link_value.h"

namespace lwm2mgw::lwm2m {

// Payloads beyond this are refused unread.
inline constexpr std::size_t kMaxSenmlSize = 64 * 1024;

// One SenML value: v (double or int64), vb, vs, vd, or LwM2M's vlo ("3:0").
using SenmlValue = std::variant<double, std::int64_t, bool, std::string /* vs */,
                                std::vector<std::uint8_t> /* vd */, ObjectLinkValue /* vlo */>;

// A resolved record (RFC 8428 4.6): base fields already applied.
struct SenmlRecord {
    std::string name;                 // base name + name, e.g. "/3/0/0"
    std::optional<SenmlValue> value;  // absent in e.g. Read-Composite requests
    std::optional<double> time;       // base time + time; absent when neither is given. Values
                                      // below 2^28 are relative to "now", left to the caller.

    friend bool operator==(const SenmlRecord&, const SenmlRecord&) = default;
};

// SenML JSON (RFC 8428, content format 110). A number without fraction or exponent that fits
// int64 decodes as int64, any other number as double. "vd" is base64url without padding.
// Rejected: input over kMaxSenmlSize, anything but an array of objects, wrong value types,
// duplicate fields, more than one of v/vs/vb/vd/vlo in a record, empty or non-SenML resolved
// names, unknown must-understand fields (label ending in '_'), bver above 10.
// Units (u, bu), sums (s, bs) and ut are checked for type and otherwise dropped.
Result<std::vector<SenmlRecord>> decodeSenmlJson(std::span<const std::uint8_t> bytes);

// SenML CBOR (RFC 8428 section 6, content format 112) with integer labels and LwM2M's text
// label "vlo". Major types 0/1 decode as int64 (as double beyond int64), floats as double.
// The same rules as for JSON apply; map keys must be integers or text strings.
Result<std::vector<SenmlRecord>> decodeSenmlCbor(std::span<const std::uint8_t> bytes);

// Both encoders factor the longest common "/"-terminated name prefix into a "bn" on the first
// record when there are at least two records. Doubles keep a fraction or exponent in JSON
// ("1.0") so they decode as doubles again; non-finite doubles have no JSON form and are written
// as null, which decoders refuse. CBOR writes a double as float32 when that is exact.
std::vector<std::uint8_t> encodeSenmlJson(const std::vector<SenmlRecord>& records);
std::vector<std::uint8_t> encodeSenmlCbor(const std::vector<SenmlRecord>& records);

}  // namespace lwm2mgw::lwm2m
