#include "tlv.h"

#include <stdexcept>

namespace lwm2mgw::lwm2m {
namespace {

const char* typeName(TlvType type) {
    switch (type) {
        case TlvType::ObjectInstance:
            return "object instance";
        case TlvType::ResourceInstance:
            return "resource instance";
        case TlvType::MultipleResource:
            return "multiple resource";
        case TlvType::ResourceValue:
            return "resource";
    }
    return "record";
}

bool isContainer(TlvType type) {
    return type == TlvType::ObjectInstance || type == TlvType::MultipleResource;
}

// Which record types may appear directly inside a parent of the given type.
bool mayContain(TlvType parent, TlvType child) {
    if (parent == TlvType::ObjectInstance) {
        return child == TlvType::ResourceValue || child == TlvType::MultipleResource;
    }
    return parent == TlvType::MultipleResource && child == TlvType::ResourceInstance;
}

std::size_t readBigEndian(std::span<const std::uint8_t> bytes) {
    std::size_t value = 0;
    for (const auto byte : bytes) {
        value = (value << 8) | byte;
    }
    return value;
}

// bytes is the content of one level; base is its offset in the whole payload so errors point
// into the caller's buffer. parent is nullptr at the top level.
Result<std::vector<TlvRecord>> decodeLevel(std::span<const std::uint8_t> bytes, std::size_t base,
                                           const TlvRecord* parent, std::size_t depth) {
    std::vector<TlvRecord> records;
    std::size_t pos = 0;
    while (pos < bytes.size()) {
        const std::size_t at = base + pos;
        const std::uint8_t typeByte = bytes[pos];
        TlvRecord record;
        record.type = static_cast<TlvType>(typeByte >> 6);
        const std::size_t idLength = (typeByte & 0x20) != 0 ? 2 : 1;
        const std::size_t lengthLength = (typeByte >> 3) & 0x03;
        const std::size_t headerLength = 1 + idLength + lengthLength;
        const std::size_t remaining = bytes.size() - pos;
        if (headerLength > remaining) {
            return CodecError{at, std::string("TLV ") + typeName(record.type) + " header needs " +
                                      std::to_string(headerLength) + " bytes but only " +
                                      std::to_string(remaining) + " remain" +
                                      (parent != nullptr ? " in its container" : "")};
        }
        record.id = static_cast<std::uint16_t>(readBigEndian(bytes.subspan(pos + 1, idLength)));
        const std::size_t length =
            lengthLength == 0 ? std::size_t{typeByte & 0x07u}
                              : readBigEndian(bytes.subspan(pos + 1 + idLength, lengthLength));
        if (length > remaining - headerLength) {
            return CodecError{at, std::string("TLV ") + typeName(record.type) + " " +
                                      std::to_string(record.id) + " declares " +
                                      std::to_string(length) + " bytes but only " +
                                      std::to_string(remaining - headerLength) + " remain" +
                                      (parent != nullptr ? " in its container" : "")};
        }
        if (parent != nullptr && !mayContain(parent->type, record.type)) {
            return CodecError{at, std::string("a TLV ") + typeName(record.type) +
                                      " cannot appear inside a " + typeName(parent->type) + " (" +
                                      std::to_string(parent->id) + ")"};
        }
        const auto content = bytes.subspan(pos + headerLength, length);
        if (isContainer(record.type)) {
            if (depth >= kMaxTlvDepth) {
                return CodecError{
                    at, "TLV nesting is deeper than " + std::to_string(kMaxTlvDepth) + " levels"};
            }
            auto children = decodeLevel(content, at + headerLength, &record, depth + 1);
            if (!children) {
                return children.error();
            }
            record.children = std::move(children).value();
        } else {
            record.value.assign(content.begin(), content.end());
        }
        records.push_back(std::move(record));
        pos += headerLength + length;
    }
    return records;
}

void appendBigEndian(std::vector<std::uint8_t>& out, std::size_t value, std::size_t bytes) {
    for (std::size_t i = bytes; i > 0; --i) {
        out.push_back(static_cast<std::uint8_t>(value >> (8 * (i - 1))));
    }
}

void encodeRecords(std::vector<std::uint8_t>& out, const std::vector<TlvRecord>& records);

void encodeRecord(std::vector<std::uint8_t>& out, const TlvRecord& record) {
    std::vector<std::uint8_t> childBytes;
    if (isContainer(record.type)) {
        encodeRecords(childBytes, record.children);
    }
    const auto& content = isContainer(record.type) ? childBytes : record.value;
    const std::size_t length = content.size();
    if (length > kMaxTlvLength) {
        throw std::length_error("TLV record content of " + std::to_string(length) +
                                " bytes exceeds the 24-bit length field");
    }
    const std::size_t idLength = record.id > 0xFF ? 2 : 1;
    const std::size_t lengthLength = length < 8 ? 0 : length <= 0xFF ? 1 : length <= 0xFFFF ? 2 : 3;
    auto typeByte = static_cast<std::uint8_t>(static_cast<unsigned>(record.type) << 6);
    typeByte |= static_cast<std::uint8_t>(idLength == 2 ? 0x20u : 0u);
    typeByte |= static_cast<std::uint8_t>(lengthLength << 3);
    if (lengthLength == 0) {
        typeByte |= static_cast<std::uint8_t>(length);
    }
    out.push_back(typeByte);
    appendBigEndian(out, record.id, idLength);
    appendBigEndian(out, length, lengthLength);
    out.insert(out.end(), content.begin(), content.end());
}

void encodeRecords(std::vector<std::uint8_t>& out, const std::vector<TlvRecord>& records) {
    for (const auto& record : records) {
        encodeRecord(out, record);
    }
}

}  // namespace

Result<std::vector<TlvRecord>> decodeTlv(std::span<const std::uint8_t> bytes) {
    return decodeLevel(bytes, 0, nullptr, 1);
}

std::vector<std::uint8_t> encodeTlv(const std::vector<TlvRecord>& records) {
    std::vector<std::uint8_t> out;
    encodeRecords(out, records);
    return out;
}

}  // namespace lwm2mgw::lwm2m
