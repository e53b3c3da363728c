// SenML CBOR syntax (RFC 8428 section 6), read with QCborStreamReader so that every error has
// a byte offset and duplicate labels are visible.
#include <QByteArray>
#include <QCborStreamReader>
#include <QCborStreamWriter>
#include <cmath>
#include <limits>

#include "internal/senml_common.h"
#include "internal/utf8.h"
#include "senml.h"

namespace lwm2mgw::lwm2m {
namespace {

using internal::RawSenmlRecord;
using internal::SenmlField;
using internal::SenmlScalar;

// Containers inside unknown fields are skipped up to this depth.
constexpr int kMaxSkipDepth = 32;

class CborReader {
public:
    explicit CborReader(std::span<const std::uint8_t> bytes)
        // fromRawData: no copy; bytes outlives the reader.
        : m_data(QByteArray::fromRawData(reinterpret_cast<const char*>(bytes.data()),
                                         static_cast<qsizetype>(bytes.size()))),
          m_reader(m_data) {}

    Result<std::vector<SenmlRecord>> read() {
        if (!m_reader.isArray()) {
            return failure("SenML CBOR must be an array of records");
        }
        if (!m_reader.enterContainer()) {
            auto error = failure("cannot read the SenML array");
            error.offset = 0;
            return error;
        }
        std::vector<RawSenmlRecord> records;
        while (hasNext()) {
            auto record = readRecord(records.size());
            if (!record) {
                return record.error();
            }
            records.push_back(std::move(record).value());
        }
        if (m_reader.lastError() != QCborError::NoError) {
            return failure("SenML array is malformed");
        }
        if (!m_reader.leaveContainer()) {
            return failure("SenML array is malformed");
        }
        if (offset() != static_cast<std::size_t>(m_data.size())) {
            return CodecError{offset(), "unexpected data after the SenML array"};
        }
        return internal::resolveSenmlRecords(std::move(records));
    }

private:
    std::size_t offset() const { return static_cast<std::size_t>(m_reader.currentOffset()); }

    bool hasNext() { return m_reader.lastError() == QCborError::NoError && m_reader.hasNext(); }

    // An error at the current position, naming Qt's diagnosis when it has one (e.g. truncation).
    CodecError failure(const std::string& what) {
        const auto error = m_reader.lastError();
        if (error == QCborError::NoError) {
            return CodecError{offset(), what};
        }
        return CodecError{offset(), what + ": " + error.toString().toStdString()};
    }

    Result<RawSenmlRecord> readRecord(std::size_t index) {
        const std::string context = "record " + std::to_string(index);
        RawSenmlRecord record;
        record.offset = offset();
        if (!m_reader.isMap()) {
            return failure(context + " is not a CBOR map");
        }
        if (!m_reader.enterContainer()) {
            auto error = failure(context + " is malformed");
            error.offset = record.offset;
            return error;
        }
        while (hasNext()) {
            const auto labelOffset = offset();
            if (m_reader.type() == QCborStreamReader::Invalid) {
                return failure(context + " is truncated or malformed");
            }
            SenmlField field = SenmlField::Unknown;
            if (m_reader.isUnsignedInteger() || m_reader.isNegativeInteger()) {
                // Labels beyond int64 cannot be SenML labels; they stay Unknown.
                const bool small = m_reader.isUnsignedInteger()
                                       ? m_reader.toUnsignedInteger() <= 1000
                                       : static_cast<quint64>(m_reader.toNegativeInteger()) <= 1000;
                if (small) {
                    field = internal::senmlFieldFromCbor(m_reader.toInteger());
                }
                m_reader.next();
            } else if (m_reader.isString()) {
                auto label = readChunks(/*text=*/true);
                if (!label) {
                    return label.error();
                }
                field = internal::senmlFieldFromText(label.value());
            } else {
                return CodecError{labelOffset, context +
                                                   ": map keys must be integers or text "
                                                   "strings"};
            }
            if (m_reader.lastError() != QCborError::NoError) {
                return failure(context + " is malformed");
            }
            if (!m_reader.hasNext()) {
                return failure(context + ": label has no value");
            }
            const auto valueOffset = offset();
            auto value = readValue();
            if (!value) {
                return value.error();
            }
            if (auto error = internal::applySenmlField(record, field, std::move(value).value(),
                                                       valueOffset, internal::SenmlSyntax::Cbor)) {
                error->message = context + ": " + error->message;
                return *error;
            }
        }
        if (m_reader.lastError() != QCborError::NoError || !m_reader.leaveContainer()) {
            return failure(context + " is malformed");
        }
        return record;
    }

    Result<SenmlScalar> readValue() {
        SenmlScalar scalar;
        switch (m_reader.type()) {
            case QCborStreamReader::UnsignedInteger: {
                const quint64 value = m_reader.toUnsignedInteger();
                if (value <= static_cast<quint64>(std::numeric_limits<std::int64_t>::max())) {
                    scalar = static_cast<std::int64_t>(value);
                } else {
                    scalar = static_cast<double>(value);
                }
                break;
            }
            case QCborStreamReader::NegativeInteger: {
                // Qt stores -n as n; 0 stands for -2^64, which wraps.
                const auto magnitude = static_cast<quint64>(m_reader.toNegativeInteger());
                constexpr quint64 kMinMagnitude = quint64{1} << 63;
                if (magnitude == 0) {
                    scalar = -18446744073709551616.0;
                } else if (magnitude < kMinMagnitude) {
                    scalar = -static_cast<std::int64_t>(magnitude);
                } else if (magnitude == kMinMagnitude) {
                    scalar = std::numeric_limits<std::int64_t>::min();
                } else {
                    scalar = -static_cast<double>(magnitude);
                }
                break;
            }
            case QCborStreamReader::HalfFloat:
                scalar = static_cast<double>(static_cast<float>(m_reader.toFloat16()));
                break;
            case QCborStreamReader::Float:
                scalar = static_cast<double>(m_reader.toFloat());
                break;
            case QCborStreamReader::Double:
                scalar = m_reader.toDouble();
                break;
            case QCborStreamReader::SimpleType:
                if (m_reader.isBool()) {
                    scalar = m_reader.toBool();
                }
                break;
            case QCborStreamReader::TextString:
            case QCborStreamReader::ByteArray: {
                const bool text = m_reader.isString();
                auto chunks = readChunks(text);
                if (!chunks) {
                    return chunks.error();
                }
                if (text) {
                    return SenmlScalar{std::move(chunks).value()};
                }
                const auto& raw = chunks.value();
                return SenmlScalar{std::vector<std::uint8_t>(raw.begin(), raw.end())};
            }
            case QCborStreamReader::Tag:
                // The reader treats a tag as an item of its own, followed by the tagged item.
                while (m_reader.isTag()) {
                    if (!m_reader.next()) {
                        return failure("malformed tag");
                    }
                }
                [[fallthrough]];
            case QCborStreamReader::Array:
            case QCborStreamReader::Map:
                // Not a SenML value; skip it so that unknown fields can carry anything.
                if (!m_reader.next(kMaxSkipDepth)) {
                    return failure("cannot skip a nested value (malformed, or nested more than " +
                                   std::to_string(kMaxSkipDepth) + " levels deep)");
                }
                return scalar;
            case QCborStreamReader::Invalid:
                return failure("expected a value");
        }
        if (!m_reader.next()) {
            return failure("malformed value");
        }
        return scalar;
    }

    // A whole text or byte string, however many chunks it arrives in.
    Result<std::string> readChunks(bool text) {
        const auto start = offset();
        std::string out;
        while (true) {
            const qsizetype size = m_reader.currentStringChunkSize();
            // A chunk cannot be longer than the payload; refuse before allocating for it.
            if (size > m_data.size()) {
                return CodecError{start, "string claims to be longer than the payload"};
            }
            const auto old = out.size();
            if (size > 0) {
                out.resize(old + static_cast<std::size_t>(size));
            }
            const auto result = m_reader.readStringChunk(out.data() + old, size > 0 ? size : 0);
            if (result.status == QCborStreamReader::Error) {
                auto error = failure("malformed string");
                error.offset = start;
                return error;
            }
            out.resize(old + static_cast<std::size_t>(result.data > 0 ? result.data : 0));
            if (result.status == QCborStreamReader::EndOfString) {
                break;
            }
        }
        if (text) {
            if (const auto bad = internal::findInvalidUtf8(out)) {
                return CodecError{start, "text string is not valid UTF-8 (at byte " +
                                             std::to_string(*bad) + " of the string)"};
            }
        }
        return out;
    }

    QByteArray m_data;
    QCborStreamReader m_reader;
};

void appendText(QCborStreamWriter& writer, std::string_view text) {
    const std::string valid = internal::sanitiseUtf8(text);
    writer.appendTextString(valid.data(), static_cast<qsizetype>(valid.size()));
}

void appendNumber(QCborStreamWriter& writer, double value) {
    // float32 when exact; the guard keeps the narrowing cast inside float's range.
    const bool fitsFloat =
        std::isinf(value) ||
        (std::isfinite(value) &&
         std::fabs(value) <= static_cast<double>(std::numeric_limits<float>::max()) &&
         static_cast<double>(static_cast<float>(value)) == value);
    if (fitsFloat) {
        writer.append(static_cast<float>(value));
    } else {
        writer.append(value);
    }
}

// Times are nearly always whole seconds; an integer is shorter than a double and exact.
void appendTime(QCborStreamWriter& writer, double time) {
    constexpr double kExactIntegers = 9007199254740992.0;  // 2^53
    if (std::isfinite(time) && std::trunc(time) == time && std::fabs(time) <= kExactIntegers) {
        writer.append(static_cast<qint64>(time));
    } else {
        appendNumber(writer, time);
    }
}

void appendValue(QCborStreamWriter& writer, const SenmlValue& value) {
    std::visit(
        [&writer](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, double>) {
                writer.append(qint64{2});
                appendNumber(writer, v);
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
                writer.append(qint64{2});
                writer.append(static_cast<qint64>(v));
            } else if constexpr (std::is_same_v<T, bool>) {
                writer.append(qint64{4});
                writer.append(v);
            } else if constexpr (std::is_same_v<T, std::string>) {
                writer.append(qint64{3});
                appendText(writer, v);
            } else if constexpr (std::is_same_v<T, std::vector<std::uint8_t>>) {
                writer.append(qint64{8});
                writer.appendByteString(reinterpret_cast<const char*>(v.data()),
                                        static_cast<qsizetype>(v.size()));
            } else {
                appendText(writer, "vlo");
                appendText(writer, toString(v));
            }
        },
        value);
}

}  // namespace

Result<std::vector<SenmlRecord>> decodeSenmlCbor(std::span<const std::uint8_t> bytes) {
    if (bytes.size() > kMaxSenmlSize) {
        return CodecError{kMaxSenmlSize, "SenML payload is larger than " +
                                             std::to_string(kMaxSenmlSize) + " bytes"};
    }
    if (bytes.empty()) {
        return CodecError{0, "SenML CBOR must be an array of records, the payload is empty"};
    }
    return CborReader(bytes).read();
}

std::vector<std::uint8_t> encodeSenmlCbor(const std::vector<SenmlRecord>& records) {
    const std::string baseName = internal::senmlCommonBaseName(records);
    QByteArray out;
    QCborStreamWriter writer(&out);
    writer.startArray(static_cast<quint64>(records.size()));
    for (std::size_t i = 0; i < records.size(); ++i) {
        const auto& record = records[i];
        std::string_view name = record.name;
        if (!baseName.empty()) {
            name.remove_prefix(baseName.size());
        }
        const bool writeBaseName = i == 0 && !baseName.empty();
        const quint64 fields = (writeBaseName ? 1u : 0u) + (name.empty() ? 0u : 1u) +
                               (record.value ? 1u : 0u) + (record.time ? 1u : 0u);
        writer.startMap(fields);
        if (writeBaseName) {
            writer.append(qint64{-2});
            appendText(writer, baseName);
        }
        if (!name.empty()) {
            writer.append(qint64{0});
            appendText(writer, name);
        }
        if (record.value) {
            appendValue(writer, *record.value);
        }
        if (record.time) {
            writer.append(qint64{6});
            appendTime(writer, *record.time);
        }
        writer.endMap();
    }
    writer.endArray();
    return {out.begin(), out.end()};
}

}  // namespace lwm2mgw::lwm2m
