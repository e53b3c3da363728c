// SenML JSON syntax (RFC 8428 section 5 over RFC 8259). A hand-written reader rather than
// QJsonDocument: Qt 6.4 turns 1.0 into an integer, keeps only the last of duplicate keys, and
// reports no offsets once parsing has succeeded, all of which this codec needs.
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "internal/base64url.h"
#include "internal/senml_common.h"
#include "internal/utf8.h"
#include "senml.h"

namespace lwm2mgw::lwm2m {
namespace {

using internal::RawSenmlRecord;
using internal::SenmlScalar;

// Containers inside unknown fields are skipped; deeper nesting than this is refused.
constexpr int kMaxSkipDepth = 32;

class JsonReader {
public:
    explicit JsonReader(std::string_view in) : m_in(in) {}

    Result<std::vector<SenmlRecord>> read() {
        if (const auto bad = internal::findInvalidUtf8(m_in)) {
            return CodecError{*bad, "SenML JSON is not valid UTF-8"};
        }
        if (m_in.substr(0, 3) == "\xEF\xBB\xBF") {
            m_pos = 3;  // RFC 8259 8.1 lets parsers ignore a byte order mark
        }
        skipWhitespace();
        if (atEnd() || peek() != '[') {
            return CodecError{m_pos, "SenML JSON must be an array of records"};
        }
        ++m_pos;
        std::vector<RawSenmlRecord> records;
        skipWhitespace();
        if (!atEnd() && peek() == ']') {
            ++m_pos;
        } else {
            while (true) {
                skipWhitespace();
                auto record = readRecord(records.size());
                if (!record) {
                    return record.error();
                }
                records.push_back(std::move(record).value());
                skipWhitespace();
                if (atEnd()) {
                    return CodecError{m_in.size(), "SenML array is not closed with ']'"};
                }
                if (peek() == ']') {
                    ++m_pos;
                    break;
                }
                if (peek() != ',') {
                    return CodecError{m_pos, "expected ',' or ']' after a record"};
                }
                ++m_pos;
            }
        }
        skipWhitespace();
        if (!atEnd()) {
            return CodecError{m_pos, "unexpected data after the SenML array"};
        }
        return internal::resolveSenmlRecords(std::move(records));
    }

private:
    bool atEnd() const { return m_pos >= m_in.size(); }
    char peek() const { return m_in[m_pos]; }

    bool consume(std::string_view word) {
        if (m_in.substr(m_pos, word.size()) != word) {
            return false;
        }
        m_pos += word.size();
        return true;
    }

    void skipWhitespace() {
        while (!atEnd() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) {
            ++m_pos;
        }
    }

    Result<RawSenmlRecord> readRecord(std::size_t index) {
        RawSenmlRecord record;
        record.offset = m_pos;
        if (atEnd() || peek() != '{') {
            return CodecError{m_pos, "record " + std::to_string(index) + " is not a JSON object"};
        }
        ++m_pos;
        skipWhitespace();
        if (!atEnd() && peek() == '}') {
            ++m_pos;
            return record;
        }
        while (true) {
            skipWhitespace();
            if (atEnd() || peek() != '"') {
                return CodecError{
                    m_pos, "expected a quoted field label in record " + std::to_string(index)};
            }
            auto label = readString();
            if (!label) {
                return label.error();
            }
            skipWhitespace();
            if (atEnd() || peek() != ':') {
                return CodecError{m_pos, "expected ':' after the field label"};
            }
            ++m_pos;
            skipWhitespace();
            const auto valueOffset = m_pos;
            SenmlScalar value;
            if (auto error = readValue(0, value)) {
                return *error;
            }
            if (auto error = internal::applySenmlField(
                    record, internal::senmlFieldFromText(label.value()), std::move(value),
                    valueOffset, internal::SenmlSyntax::Json)) {
                error->message = "record " + std::to_string(index) + ": " + error->message;
                return *error;
            }
            skipWhitespace();
            if (atEnd()) {
                return CodecError{record.offset,
                                  "record " + std::to_string(index) + " is not closed with '}'"};
            }
            if (peek() == '}') {
                ++m_pos;
                return record;
            }
            if (peek() != ',') {
                return CodecError{m_pos, "expected ',' or '}' after a field"};
            }
            ++m_pos;
        }
    }

    // Reads one value into `out`. (Filled in place rather than returned: GCC 12 misreads moves
    // of a returned variant and raises -Wfree-nonheap-object.)
    std::optional<CodecError> readValue(int depth, SenmlScalar& out) {
        if (atEnd()) {
            return CodecError{m_pos, "expected a value, found the end of the payload"};
        }
        const char c = peek();
        if (c == '"') {
            auto text = readString();
            if (!text) {
                return text.error();
            }
            out = std::move(text).value();
            return std::nullopt;
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            return readNumber(out);
        }
        if (consume("true")) {
            out = true;
            return std::nullopt;
        }
        if (consume("false")) {
            out = false;
            return std::nullopt;
        }
        if (consume("null")) {
            out = std::monostate{};
            return std::nullopt;
        }
        if (c == '[' || c == '{') {
            if (depth >= kMaxSkipDepth) {
                return CodecError{m_pos, "JSON is nested more than " +
                                             std::to_string(kMaxSkipDepth) + " levels deep"};
            }
            out = std::monostate{};
            return skipContainer(depth);
        }
        return CodecError{m_pos, "expected a JSON value"};
    }

    // Skips an array or object (the value of a field SenML does not define).
    std::optional<CodecError> skipContainer(int depth) {
        const char close = peek() == '[' ? ']' : '}';
        const auto open = m_pos++;
        skipWhitespace();
        if (!atEnd() && peek() == close) {
            ++m_pos;
            return std::nullopt;
        }
        while (true) {
            skipWhitespace();
            if (close == '}') {
                if (atEnd() || peek() != '"') {
                    return CodecError{m_pos, "expected a quoted key"};
                }
                if (auto key = readString(); !key) {
                    return key.error();
                }
                skipWhitespace();
                if (atEnd() || peek() != ':') {
                    return CodecError{m_pos, "expected ':' after the key"};
                }
                ++m_pos;
                skipWhitespace();
            }
            SenmlScalar ignored;
            if (auto error = readValue(depth + 1, ignored)) {
                return error;
            }
            skipWhitespace();
            if (atEnd()) {
                return CodecError{open, "JSON array or object is never closed"};
            }
            if (peek() == close) {
                ++m_pos;
                return std::nullopt;
            }
            if (peek() != ',') {
                return CodecError{m_pos, std::string("expected ',' or '") + close + "'"};
            }
            ++m_pos;
        }
    }

    std::optional<CodecError> readNumber(SenmlScalar& out) {
        const auto start = m_pos;
        const auto digits = [&] {
            const auto first = m_pos;
            while (!atEnd() && peek() >= '0' && peek() <= '9') {
                ++m_pos;
            }
            return m_pos - first;
        };
        if (peek() == '-') {
            ++m_pos;
        }
        if (!atEnd() && peek() == '0') {
            ++m_pos;
        } else if (digits() == 0) {
            return CodecError{start, "malformed number"};
        }
        bool integral = true;
        if (!atEnd() && peek() == '.') {
            ++m_pos;
            integral = false;
            if (digits() == 0) {
                return CodecError{start, "malformed number: no digits after '.'"};
            }
        }
        if (!atEnd() && (peek() == 'e' || peek() == 'E')) {
            ++m_pos;
            integral = false;
            if (!atEnd() && (peek() == '+' || peek() == '-')) {
                ++m_pos;
            }
            if (digits() == 0) {
                return CodecError{start, "malformed number: no digits in the exponent"};
            }
        }
        const char* first = m_in.data() + start;
        const char* last = m_in.data() + m_pos;
        if (integral) {
            std::int64_t value = 0;
            const auto [end, ec] = std::from_chars(first, last, value);
            if (ec == std::errc{} && end == last) {
                out = value;
                return std::nullopt;
            }
        }
        double value = 0;
        const auto [end, ec] = std::from_chars(first, last, value);
        if (ec != std::errc{} || end != last || !std::isfinite(value)) {
            return CodecError{
                start, "number " + std::string(first, last) + " is out of the range of a double"};
        }
        out = value;
        return std::nullopt;
    }

    Result<std::string> readString() {
        const auto open = m_pos++;
        std::string text;
        while (true) {
            if (atEnd()) {
                return CodecError{open, "string is never closed with '\"'"};
            }
            const char c = peek();
            if (c == '"') {
                ++m_pos;
                return text;
            }
            if (static_cast<unsigned char>(c) < 0x20) {
                return CodecError{m_pos, "control characters must be escaped in JSON strings"};
            }
            if (c != '\\') {
                text += c;
                ++m_pos;
                continue;
            }
            const auto escape = m_pos;
            if (m_pos + 1 >= m_in.size()) {
                return CodecError{open, "string is never closed with '\"'"};
            }
            const char kind = m_in[m_pos + 1];
            m_pos += 2;
            constexpr std::string_view kFrom = "\"\\/bfnrt";
            constexpr std::string_view kTo = "\"\\/\b\f\n\r\t";
            if (const auto simple = kFrom.find(kind); simple != std::string_view::npos) {
                text += kTo[simple];
                continue;
            }
            if (kind != 'u') {
                return CodecError{escape, "invalid escape sequence in string"};
            }
            auto unit = readHex4();
            if (!unit) {
                return CodecError{escape, "\\u must be followed by four hex digits"};
            }
            std::uint32_t code = *unit;
            if (code >= 0xDC00 && code <= 0xDFFF) {
                return CodecError{escape, "unpaired low surrogate in string"};
            }
            if (code >= 0xD800 && code <= 0xDBFF) {
                std::optional<std::uint32_t> low;
                if (m_in.substr(m_pos, 2) == "\\u") {
                    m_pos += 2;
                    low = readHex4();
                }
                if (!low || *low < 0xDC00 || *low > 0xDFFF) {
                    return CodecError{escape, "high surrogate is not followed by a low one"};
                }
                code = 0x10000 + ((code - 0xD800) << 10) + (*low - 0xDC00);
            }
            appendUtf8(text, code);
        }
    }

    std::optional<std::uint32_t> readHex4() {
        if (m_in.size() - m_pos < 4) {
            return std::nullopt;
        }
        std::uint32_t value = 0;
        const auto [end, ec] =
            std::from_chars(m_in.data() + m_pos, m_in.data() + m_pos + 4, value, 16);
        if (ec != std::errc{} || end != m_in.data() + m_pos + 4) {
            return std::nullopt;
        }
        m_pos += 4;
        return value;
    }

    static void appendUtf8(std::string& out, std::uint32_t code) {
        const auto byte = [&](std::uint32_t b) { out += static_cast<char>(b); };
        if (code < 0x80) {
            byte(code);
        } else if (code < 0x800) {
            byte(0xC0 | (code >> 6));
            byte(0x80 | (code & 0x3F));
        } else if (code < 0x10000) {
            byte(0xE0 | (code >> 12));
            byte(0x80 | ((code >> 6) & 0x3F));
            byte(0x80 | (code & 0x3F));
        } else {
            byte(0xF0 | (code >> 18));
            byte(0x80 | ((code >> 12) & 0x3F));
            byte(0x80 | ((code >> 6) & 0x3F));
            byte(0x80 | (code & 0x3F));
        }
    }

    std::string_view m_in;
    std::size_t m_pos = 0;
};

void appendJsonString(std::string& out, std::string_view text) {
    out += '"';
    for (const char c : internal::sanitiseUtf8(text)) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            std::array<char, 8> escape{};
            std::snprintf(escape.data(), escape.size(), "\\u%04x", static_cast<unsigned>(c));
            out += escape.data();
        } else {
            out += c;
        }
    }
    out += '"';
}

// keepDouble: write 1.0 as "1.0", not "1", for values that must decode as doubles again.
void appendJsonDouble(std::string& out, double value, bool keepDouble) {
    if (!std::isfinite(value)) {
        out += "null";
        return;
    }
    std::array<char, 32> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    const std::string_view text(buffer.data(),
                                static_cast<std::size_t>(result.ptr - buffer.data()));
    out += text;
    if (keepDouble && text.find_first_of(".e") == std::string_view::npos) {
        out += ".0";
    }
}

void appendJsonValue(std::string& out, const SenmlValue& value) {
    std::visit(
        [&out](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, double>) {
                out += "\"v\":";
                appendJsonDouble(out, v, true);
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
                out += "\"v\":" + std::to_string(v);
            } else if constexpr (std::is_same_v<T, bool>) {
                out += v ? "\"vb\":true" : "\"vb\":false";
            } else if constexpr (std::is_same_v<T, std::string>) {
                out += "\"vs\":";
                appendJsonString(out, v);
            } else if constexpr (std::is_same_v<T, std::vector<std::uint8_t>>) {
                out += "\"vd\":\"" + internal::base64UrlEncode(v) + '"';
            } else {
                out += "\"vlo\":\"" + toString(v) + '"';
            }
        },
        value);
}

}  // namespace

Result<std::vector<SenmlRecord>> decodeSenmlJson(std::span<const std::uint8_t> bytes) {
    if (bytes.size() > kMaxSenmlSize) {
        return CodecError{kMaxSenmlSize, "SenML payload is larger than " +
                                             std::to_string(kMaxSenmlSize) + " bytes"};
    }
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return JsonReader(text).read();
}

std::vector<std::uint8_t> encodeSenmlJson(const std::vector<SenmlRecord>& records) {
    const std::string baseName = internal::senmlCommonBaseName(records);
    std::string out = "[";
    for (std::size_t i = 0; i < records.size(); ++i) {
        const auto& record = records[i];
        out += i == 0 ? "{" : ",{";
        std::string_view name = record.name;
        bool first = true;
        const auto separator = [&] {
            if (!first) {
                out += ',';
            }
            first = false;
        };
        if (i == 0 && !baseName.empty()) {
            separator();
            out += "\"bn\":";
            appendJsonString(out, baseName);
        }
        if (!baseName.empty()) {
            name.remove_prefix(baseName.size());
        }
        if (!name.empty()) {
            separator();
            out += "\"n\":";
            appendJsonString(out, name);
        }
        if (record.value) {
            separator();
            appendJsonValue(out, *record.value);
        }
        if (record.time) {
            separator();
            out += "\"t\":";
            appendJsonDouble(out, *record.time, false);
        }
        out += '}';
    }
    out += ']';
    return {out.begin(), out.end()};
}

}  // namespace lwm2mgw::lwm2m
