#include "link_format.h"

#include "internal/link_format_offsets.h"

#include <algorithm>
#include <array>
#include <cstdio>

namespace lwm2mgw::lwm2m {
namespace {

bool isAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 6690 ptokenchar: every visible ASCII character except SP "," ";" DQUOTE "\".
bool isPtokenChar(char c) {
    if (isAlnum(c)) {
        return true;
    }
    constexpr std::string_view kOthers = "!#$%&'()*+-./:<=>?@[]^_`{|}~";
    return kOthers.find(c) != std::string_view::npos;
}

// RFC 8288 parmname (RFC 5987 attr-char) plus '*' for ext-name-star such as "title*".
bool isParmNameChar(char c) {
    if (isAlnum(c)) {
        return true;
    }
    constexpr std::string_view kOthers = "!#$&+-.^_`|~*";
    return kOthers.find(c) != std::string_view::npos;
}

bool isWhitespace(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool isControl(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
}

std::string describe(char c) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte > 0x20 && byte < 0x7f) {
        return std::string("'") + c + "'";
    }
    std::array<char, 16> buffer{};
    std::snprintf(buffer.data(), buffer.size(), "byte 0x%02X", static_cast<unsigned>(byte));
    return buffer.data();
}

class Parser {
public:
    Parser(std::string_view input, std::vector<std::size_t>& linkOffsets)
        : m_in(input), m_linkOffsets(linkOffsets) {}

    Result<std::vector<Link>> parse() {
        std::vector<Link> links;
        skipWhitespace();
        if (atEnd()) {
            return links;
        }
        while (true) {
            auto link = parseLink();
            if (!link) {
                return link.error();
            }
            links.push_back(std::move(link).value());
            skipWhitespace();
            if (atEnd()) {
                return links;
            }
            if (peek() != ',') {
                return CodecError{m_pos,
                                  "expected ',' or ';' after a link, found " + describe(peek())};
            }
            const auto comma = m_pos++;
            skipWhitespace();
            if (atEnd()) {
                return CodecError{comma, "',' at the end of the payload is not followed by a link"};
            }
        }
    }

private:
    bool atEnd() const { return m_pos >= m_in.size(); }
    char peek() const { return m_in[m_pos]; }

    void skipWhitespace() {
        while (!atEnd() && isWhitespace(peek())) {
            ++m_pos;
        }
    }

    Result<Link> parseLink() {
        if (peek() != '<') {
            return CodecError{m_pos, "expected '<' to start a link, found " + describe(peek())};
        }
        m_linkOffsets.push_back(m_pos);
        const auto open = m_pos++;
        Link link;
        while (true) {
            if (atEnd()) {
                return CodecError{open, "link target opened with '<' is never closed with '>'"};
            }
            const char c = peek();
            if (c == '>') {
                ++m_pos;
                break;
            }
            if (c == '<' || isWhitespace(c) || isControl(c)) {
                return CodecError{m_pos, describe(c) + " is not allowed inside a link target"};
            }
            link.target += c;
            ++m_pos;
        }
        while (!atEnd() && peek() == ';') {
            ++m_pos;
            auto attribute = parseAttribute();
            if (!attribute) {
                return attribute.error();
            }
            link.attributes.push_back(std::move(attribute).value());
        }
        return link;
    }

    Result<LinkAttribute> parseAttribute() {
        LinkAttribute attribute;
        const auto nameStart = m_pos;
        while (!atEnd() && isParmNameChar(peek())) {
            ++m_pos;
        }
        attribute.name = std::string(m_in.substr(nameStart, m_pos - nameStart));
        if (attribute.name.empty()) {
            return CodecError{
                m_pos, atEnd() ? std::string("expected an attribute name after ';'")
                               : "expected an attribute name after ';', found " + describe(peek())};
        }
        if (atEnd() || peek() != '=') {
            return attribute;  // a bare flag such as ";obs"
        }
        ++m_pos;
        if (!atEnd() && peek() == '"') {
            auto quoted = parseQuotedString();
            if (!quoted) {
                return quoted.error();
            }
            attribute.value = std::move(quoted).value();
            return attribute;
        }
        const auto valueStart = m_pos;
        while (!atEnd() && isPtokenChar(peek())) {
            ++m_pos;
        }
        if (m_pos == valueStart) {
            return CodecError{m_pos, "attribute \"" + attribute.name +
                                         "\" has '=' but no value (use \"\" for an empty one)"};
        }
        attribute.value = std::string(m_in.substr(valueStart, m_pos - valueStart));
        return attribute;
    }

    // quoted-string (RFC 2616): DQUOTE *( qdtext / "\" CHAR ) DQUOTE.
    Result<std::string> parseQuotedString() {
        const auto open = m_pos++;
        std::string value;
        while (true) {
            if (atEnd()) {
                return CodecError{open, "quoted string is never closed with '\"'"};
            }
            const char c = peek();
            if (c == '"') {
                ++m_pos;
                return value;
            }
            if (c == '\\') {
                if (m_pos + 1 >= m_in.size()) {
                    return CodecError{m_pos,
                                      "backslash at the end of the payload escapes nothing "
                                      "(quoted string is never closed)"};
                }
                const char escaped = m_in[m_pos + 1];
                // Only visible ASCII and space may be escaped: an escaped control byte or a lone
                // byte of a UTF-8 sequence is a broken payload, not data.
                if (escaped != '\t' &&
                    (isControl(escaped) || static_cast<unsigned char>(escaped) >= 0x80)) {
                    return CodecError{m_pos, "backslash escapes " + describe(escaped) +
                                                 ", which cannot be escaped"};
                }
                value += escaped;
                m_pos += 2;
                continue;
            }
            if (isControl(c) && c != '\t') {
                return CodecError{m_pos, describe(c) + " is not allowed inside a quoted string"};
            }
            value += c;
            ++m_pos;
        }
    }

    std::string_view m_in;
    std::vector<std::size_t>& m_linkOffsets;
    std::size_t m_pos = 0;
};

bool isPtoken(std::string_view value) {
    return !value.empty() && std::all_of(value.begin(), value.end(), isPtokenChar);
}

bool alwaysQuoted(std::string_view name) {
    constexpr std::array<std::string_view, 6> kNames{"rt", "if", "rel", "rev", "anchor", "title"};
    return std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

void appendQuoted(std::string& out, std::string_view value) {
    out += '"';
    for (char c : value) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    out += '"';
}

}  // namespace

const LinkAttribute* Link::find(std::string_view name) const {
    const auto it = std::find_if(attributes.begin(), attributes.end(),
                                 [name](const LinkAttribute& a) { return a.name == name; });
    return it == attributes.end() ? nullptr : &*it;
}

namespace internal {

Result<std::vector<Link>> parseLinkFormatWithOffsets(std::string_view payload,
                                                     std::vector<std::size_t>& linkOffsets) {
    linkOffsets.clear();
    if (payload.size() > kMaxLinkFormatSize) {
        return CodecError{kMaxLinkFormatSize, "link format payload is larger than " +
                                                  std::to_string(kMaxLinkFormatSize) + " bytes"};
    }
    return Parser(payload, linkOffsets).parse();
}

}  // namespace internal

Result<std::vector<Link>> parseLinkFormat(std::string_view payload) {
    std::vector<std::size_t> offsets;
    return internal::parseLinkFormatWithOffsets(payload, offsets);
}

std::string writeLinkFormat(const std::vector<Link>& links) {
    std::string out;
    for (const auto& link : links) {
        if (!out.empty()) {
            out += ',';
        }
        out += '<';
        out += link.target;
        out += '>';
        for (const auto& attribute : link.attributes) {
            out += ';';
            out += attribute.name;
            if (!attribute.value) {
                continue;
            }
            out += '=';
            if (alwaysQuoted(attribute.name) || !isPtoken(*attribute.value)) {
                appendQuoted(out, *attribute.value);
            } else {
                out += *attribute.value;
            }
        }
    }
    return out;
}

}  // namespace lwm2mgw::lwm2m
