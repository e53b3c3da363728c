#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codec_result.h"
#include "object_link_value.h"

namespace lwm2mgw::lwm2m {

// OMA LwM2M TLV (content format 11542; LwM2M 1.1 Core 7.4.3). The numeric values are the
// "type of identifier" bits 7-6 of the type byte.
enum class TlvType : std::uint8_t {
    ObjectInstance = 0,
    ResourceInstance = 1,
    MultipleResource = 2,
    ResourceValue = 3,
};

// Deepest legal nesting: ObjectInstance > MultipleResource > ResourceInstance.
inline constexpr std::size_t kMaxTlvDepth = 3;
// Largest value or content one record can carry (24-bit length field).
inline constexpr std::size_t kMaxTlvLength = 0xFFFFFF;

struct TlvRecord {
    TlvType type = TlvType::ResourceValue;
    std::uint16_t id = 0;
    std::vector<std::uint8_t> value;  // for ResourceValue / ResourceInstance
    std::vector<TlvRecord> children;  // for ObjectInstance / MultipleResource

    friend bool operator==(const TlvRecord&, const TlvRecord&) = default;
};

// Decodes a TLV payload; empty input is an empty list. Nesting is checked: an ObjectInstance
// holds ResourceValue / MultipleResource records, a MultipleResource holds only
// ResourceInstance records. Any type may appear at the top level (reading an object, an
// instance, a resource or a resource instance each yields a different top level).
// Non-minimal encodings (16-bit ids below 256, oversized length fields) are accepted.
Result<std::vector<TlvRecord>> decodeTlv(std::span<const std::uint8_t> bytes);

// Encodes with the shortest id and length fields. Containers write only their children and
// values only their value. Throws std::length_error if a record's content exceeds kMaxTlvLength,
// which TLV cannot express.
std::vector<std::uint8_t> encodeTlv(const std::vector<TlvRecord>& records);

// Typed views of a TLV value per the LwM2M data types (Core 1.1, appendix C). Time is an
// Integer, Opaque is the bytes themselves. Errors carry offsets into the value.
Result<std::int64_t> tlvToInteger(std::span<const std::uint8_t> value);  // 1/2/4/8 bytes, signed
std::vector<std::uint8_t> tlvFromInteger(std::int64_t value);            // shortest of 1/2/4/8
Result<std::uint64_t> tlvToUnsignedInteger(std::span<const std::uint8_t> value);  // 1/2/4/8 bytes
std::vector<std::uint8_t> tlvFromUnsignedInteger(std::uint64_t value);  // shortest of 1/2/4/8
Result<double> tlvToFloat(std::span<const std::uint8_t> value);         // 4 or 8 bytes IEEE 754
std::vector<std::uint8_t> tlvFromFloat(double value);  // 8 bytes unless exactly representable in 4
Result<bool> tlvToBoolean(std::span<const std::uint8_t> value);  // 1 byte, 0 or 1
std::vector<std::uint8_t> tlvFromBoolean(bool value);
Result<std::string> tlvToString(std::span<const std::uint8_t> value);  // must be valid UTF-8
std::vector<std::uint8_t> tlvFromString(std::string_view value);
Result<ObjectLinkValue> tlvToObjectLink(std::span<const std::uint8_t> value);  // 4 bytes
std::vector<std::uint8_t> tlvFromObjectLink(const ObjectLinkValue& value);

}  // namespace lwm2mgw::lwm2m
