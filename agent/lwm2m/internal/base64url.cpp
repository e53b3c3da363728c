#include "internal/base64url.h"

namespace lwm2mgw::lwm2m::internal {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int sextet(char c) {
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '-') {
        return 62;
    }
    if (c == '_') {
        return 63;
    }
    return -1;
}

}  // namespace

std::string base64UrlEncode(std::span<const std::uint8_t> bytes) {
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t group =
            (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
        for (int shift = 18; shift >= 0; shift -= 6) {
            out += kAlphabet[(group >> shift) & 0x3F];
        }
    }
    const std::size_t rest = bytes.size() - i;
    if (rest > 0) {
        std::uint32_t group = std::uint32_t{bytes[i]} << 16;
        if (rest == 2) {
            group |= std::uint32_t{bytes[i + 1]} << 8;
        }
        out += kAlphabet[(group >> 18) & 0x3F];
        out += kAlphabet[(group >> 12) & 0x3F];
        if (rest == 2) {
            out += kAlphabet[(group >> 6) & 0x3F];
        }
    }
    return out;
}

Result<std::vector<std::uint8_t>> base64UrlDecode(std::string_view text) {
    std::size_t length = text.size();
    if (length % 4 == 0 && length > 0) {
        // Tolerate the padding some encoders add anyway.
        while (length > 0 && length > text.size() - 2 && text[length - 1] == '=') {
            --length;
        }
    }
    if (length % 4 == 1) {
        return CodecError{length - 1, "base64url text has a dangling character"};
    }
    std::vector<std::uint8_t> out;
    out.reserve(length * 3 / 4);
    std::uint32_t buffer = 0;
    int bits = 0;
    for (std::size_t i = 0; i < length; ++i) {
        const int value = sextet(text[i]);
        if (value < 0) {
            const bool printable = text[i] > ' ' && text[i] < '\x7f';
            return CodecError{i, text[i] == '=' ? std::string("misplaced '=' padding in base64url")
                                 : printable
                                     ? std::string("'") + text[i] + "' is not a base64url character"
                                     : std::string("a control or non-ASCII byte is not "
                                                   "base64url")};
        }
        buffer = ((buffer << 6) | static_cast<std::uint32_t>(value)) & 0xFFFFFF;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>(buffer >> bits));
        }
    }
    if (bits > 0 && (buffer & ((1u << bits) - 1)) != 0) {
        return CodecError{length - 1, "base64url text has non-zero unused bits at its end"};
    }
    return out;
}

}  // namespace lwm2mgw::lwm2m::internal
