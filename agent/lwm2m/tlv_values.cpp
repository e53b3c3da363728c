// Typed views of TLV values (LwM2M 1.1 Core appendix C data types).
#include <bit>
#include <cmath>
#include <limits>

#include "internal/utf8.h"
#include "tlv.h"

namespace lwm2mgw::lwm2m {
namespace {

std::uint64_t readBigEndian(std::span<const std::uint8_t> bytes) {
    std::uint64_t value = 0;
    for (const auto byte : bytes) {
        value = (value << 8) | byte;
    }
    return value;
}

std::vector<std::uint8_t> writeBigEndian(std::uint64_t value, std::size_t bytes) {
    std::vector<std::uint8_t> out(bytes);
    for (std::size_t i = 0; i < bytes; ++i) {
        out[bytes - 1 - i] = static_cast<std::uint8_t>(value >> (8 * i));
    }
    return out;
}

bool isIntegerSize(std::size_t size) {
    return size == 1 || size == 2 || size == 4 || size == 8;
}

CodecError sizeError(const char* type, const char* allowed, std::size_t size) {
    return CodecError{0, std::string("a TLV ") + type + " value must be " + allowed +
                             " bytes long, not " + std::to_string(size)};
}

}  // namespace

Result<std::int64_t> tlvToInteger(std::span<const std::uint8_t> value) {
    if (!isIntegerSize(value.size())) {
        return sizeError("Integer", "1, 2, 4 or 8", value.size());
    }
    const std::uint64_t raw = readBigEndian(value);
    const unsigned bits = static_cast<unsigned>(value.size() * 8);
    // Sign-extend from the value's width; unsigned arithmetic keeps every step defined.
    const std::uint64_t signBit = std::uint64_t{1} << (bits - 1);
    const std::uint64_t extended = (raw ^ signBit) - signBit;
    return static_cast<std::int64_t>(extended);
}

std::vector<std::uint8_t> tlvFromInteger(std::int64_t value) {
    for (const std::size_t bytes : {1u, 2u, 4u}) {
        const std::int64_t limit = std::int64_t{1} << (bytes * 8 - 1);
        if (value >= -limit && value < limit) {
            return writeBigEndian(static_cast<std::uint64_t>(value), bytes);
        }
    }
    return writeBigEndian(static_cast<std::uint64_t>(value), 8);
}

Result<std::uint64_t> tlvToUnsignedInteger(std::span<const std::uint8_t> value) {
    if (!isIntegerSize(value.size())) {
        return sizeError("Unsigned Integer", "1, 2, 4 or 8", value.size());
    }
    return readBigEndian(value);
}

std::vector<std::uint8_t> tlvFromUnsignedInteger(std::uint64_t value) {
    for (const std::size_t bytes : {1u, 2u, 4u}) {
        if (value < (std::uint64_t{1} << (bytes * 8))) {
            return writeBigEndian(value, bytes);
        }
    }
    return writeBigEndian(value, 8);
}

Result<double> tlvToFloat(std::span<const std::uint8_t> value) {
    if (value.size() == 4) {
        return static_cast<double>(
            std::bit_cast<float>(static_cast<std::uint32_t>(readBigEndian(value))));
    }
    if (value.size() == 8) {
        return std::bit_cast<double>(readBigEndian(value));
    }
    return sizeError("Float", "4 or 8", value.size());
}

std::vector<std::uint8_t> tlvFromFloat(double value) {
    // Guard the narrowing: only values inside float's range (or infinities) are cast.
    const bool fitsFloat =
        std::isinf(value) ||
        (std::isfinite(value) &&
         std::fabs(value) <= static_cast<double>(std::numeric_limits<float>::max()) &&
         static_cast<double>(static_cast<float>(value)) == value);
    if (fitsFloat) {
        return writeBigEndian(std::bit_cast<std::uint32_t>(static_cast<float>(value)), 4);
    }
    return writeBigEndian(std::bit_cast<std::uint64_t>(value), 8);
}

Result<bool> tlvToBoolean(std::span<const std::uint8_t> value) {
    if (value.size() != 1) {
        return sizeError("Boolean", "1", value.size());
    }
    if (value[0] > 1) {
        return CodecError{0, "a TLV Boolean value must be 0 or 1, not " + std::to_string(value[0])};
    }
    return value[0] == 1;
}

std::vector<std::uint8_t> tlvFromBoolean(bool value) {
    return {value ? std::uint8_t{1} : std::uint8_t{0}};
}

Result<std::string> tlvToString(std::span<const std::uint8_t> value) {
    std::string text(value.begin(), value.end());
    if (const auto bad = internal::findInvalidUtf8(text)) {
        return CodecError{*bad, "a TLV String value is not valid UTF-8"};
    }
    return text;
}

std::vector<std::uint8_t> tlvFromString(std::string_view value) {
    return {value.begin(), value.end()};
}

Result<ObjectLinkValue> tlvToObjectLink(std::span<const std::uint8_t> value) {
    if (value.size() != 4) {
        return sizeError("Objlnk", "4", value.size());
    }
    return ObjectLinkValue{static_cast<std::uint16_t>(readBigEndian(value.first(2))),
                           static_cast<std::uint16_t>(readBigEndian(value.last(2)))};
}

std::vector<std::uint8_t> tlvFromObjectLink(const ObjectLinkValue& value) {
    return writeBigEndian((std::uint64_t{value.objectId} << 16) | value.instanceId, 4);
}

}  // namespace lwm2mgw::lwm2m
