#include "internal/senml_common.h"

#include <array>
#include <cmath>
#include <limits>

#include "internal/base64url.h"

namespace lwm2mgw::lwm2m::internal {
namespace {

struct FieldInfo {
    SenmlField field;
    const char* text;
    std::int64_t cbor;
};

// RFC 8428 table 4 (CBOR labels), plus LwM2M 1.1's "vlo", which has no integer label.
constexpr std::array<FieldInfo, 16> kFields{{
    {SenmlField::BaseName, "bn", -2},
    {SenmlField::BaseTime, "bt", -3},
    {SenmlField::BaseUnit, "bu", -4},
    {SenmlField::BaseValue, "bv", -5},
    {SenmlField::BaseSum, "bs", -6},
    {SenmlField::BaseVersion, "bver", -1},
    {SenmlField::Name, "n", 0},
    {SenmlField::Unit, "u", 1},
    {SenmlField::Value, "v", 2},
    {SenmlField::StringValue, "vs", 3},
    {SenmlField::BoolValue, "vb", 4},
    {SenmlField::Sum, "s", 5},
    {SenmlField::Time, "t", 6},
    {SenmlField::UpdateTime, "ut", 7},
    {SenmlField::DataValue, "vd", 8},
    {SenmlField::ObjectLink, "vlo", std::numeric_limits<std::int64_t>::min()},
}};

// Latest SenML version this decoder understands (RFC 8428 4.4: refuse newer ones).
constexpr std::int64_t kSenmlVersion = 10;

bool isValueField(SenmlField field) {
    return field == SenmlField::Value || field == SenmlField::StringValue ||
           field == SenmlField::BoolValue || field == SenmlField::DataValue ||
           field == SenmlField::ObjectLink;
}

// RFC 8428 4.5.1 name characters. The rule that a name starts with a letter or digit is not
// applied: LwM2M names are paths and start with '/'.
bool isNameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == ':' || c == '.' || c == '/' || c == '_';
}

std::string quoted(SenmlField field) {
    return std::string("'") + senmlFieldName(field) + "'";
}

std::optional<double> asNumber(const SenmlScalar& scalar) {
    if (const auto* d = std::get_if<double>(&scalar)) {
        return *d;
    }
    if (const auto* i = std::get_if<std::int64_t>(&scalar)) {
        return static_cast<double>(*i);
    }
    return std::nullopt;
}

template <typename Variant>
bool isFinite(const Variant& value) {
    const auto* d = std::get_if<double>(&value);
    return d == nullptr || std::isfinite(*d);
}

SenmlValue addBaseValue(const std::variant<double, std::int64_t>& base, const SenmlValue& value) {
    const auto* baseInt = std::get_if<std::int64_t>(&base);
    const auto* valueInt = std::get_if<std::int64_t>(&value);
    if (baseInt != nullptr && valueInt != nullptr) {
        std::int64_t sum = 0;
        if (!__builtin_add_overflow(*baseInt, *valueInt, &sum)) {
            return sum;
        }
    }
    const auto toDouble = [](const auto& v) -> double {
        if (const auto* i = std::get_if<std::int64_t>(&v)) {
            return static_cast<double>(*i);
        }
        return std::get<double>(v);
    };
    return toDouble(base) + toDouble(value);
}

}  // namespace

SenmlField senmlFieldFromText(std::string_view label) {
    for (const auto& info : kFields) {
        if (label == info.text) {
            return info.field;
        }
    }
    return !label.empty() && label.back() == '_' ? SenmlField::MustUnderstand : SenmlField::Unknown;
}

SenmlField senmlFieldFromCbor(std::int64_t label) {
    for (const auto& info : kFields) {
        if (label == info.cbor) {
            return info.field;
        }
    }
    return SenmlField::Unknown;
}

const char* senmlFieldName(SenmlField field) {
    for (const auto& info : kFields) {
        if (field == info.field) {
            return info.text;
        }
    }
    return "unknown";
}

std::optional<CodecError> applySenmlField(RawSenmlRecord& record, SenmlField field,
                                          SenmlScalar&& scalar, std::size_t offset,
                                          SenmlSyntax syntax) {
    if (field == SenmlField::Unknown) {
        return std::nullopt;  // RFC 8428 4.4: unknown fields are ignored
    }
    if (field == SenmlField::MustUnderstand) {
        return CodecError{offset,
                          "record uses a must-understand field (label ending in '_') "
                          "that this decoder does not support"};
    }
    const auto bit = std::uint32_t{1} << static_cast<unsigned>(field);
    if ((record.seen & bit) != 0) {
        return CodecError{offset, "field " + quoted(field) + " appears twice in one record"};
    }
    record.seen |= bit;
    if (isValueField(field) && record.valueField) {
        return CodecError{offset, "record has more than one value field (" +
                                      quoted(*record.valueField) + " and " + quoted(field) + ")"};
    }

    const auto typeError = [&](const char* expected) {
        return CodecError{offset, "field " + quoted(field) + " must be " + expected};
    };
    const auto number = asNumber(scalar);
    auto* text = std::get_if<std::string>(&scalar);

    switch (field) {
        case SenmlField::BaseName:
        case SenmlField::Name:
            if (text == nullptr) {
                return typeError("a string");
            }
            (field == SenmlField::BaseName ? record.baseName : record.name) = std::move(*text);
            return std::nullopt;
        case SenmlField::BaseUnit:
        case SenmlField::Unit:
            return text == nullptr ? std::optional(typeError("a string")) : std::nullopt;
        case SenmlField::BaseTime:
        case SenmlField::Time:
            if (!number) {
                return typeError("a number");
            }
            (field == SenmlField::BaseTime ? record.baseTime : record.time) = *number;
            return std::nullopt;
        case SenmlField::BaseSum:
        case SenmlField::Sum:
        case SenmlField::UpdateTime:
            return number ? std::nullopt : std::optional(typeError("a number"));
        case SenmlField::BaseVersion: {
            const auto* version = std::get_if<std::int64_t>(&scalar);
            if (version == nullptr || *version < 1) {
                return typeError("a positive integer");
            }
            if (*version > kSenmlVersion) {
                return CodecError{offset, "SenML version " + std::to_string(*version) +
                                              " is newer than the supported version 10"};
            }
            return std::nullopt;
        }
        case SenmlField::BaseValue:
            if (const auto* i = std::get_if<std::int64_t>(&scalar)) {
                record.baseValue = *i;
            } else if (const auto* d = std::get_if<double>(&scalar)) {
                record.baseValue = *d;
            } else {
                return typeError("a number");
            }
            return std::nullopt;
        case SenmlField::Value:
            if (const auto* i = std::get_if<std::int64_t>(&scalar)) {
                record.value = *i;
            } else if (const auto* d = std::get_if<double>(&scalar)) {
                record.value = *d;
            } else {
                return typeError("a number");
            }
            break;
        case SenmlField::StringValue:
            if (text == nullptr) {
                return typeError("a string");
            }
            record.value = std::move(*text);
            break;
        case SenmlField::BoolValue: {
            const auto* flag = std::get_if<bool>(&scalar);
            if (flag == nullptr) {
                return typeError("a boolean");
            }
            record.value = *flag;
            break;
        }
        case SenmlField::DataValue:
            if (syntax == SenmlSyntax::Json) {
                if (text == nullptr) {
                    return typeError("a base64url string");
                }
                auto bytes = base64UrlDecode(*text);
                if (!bytes) {
                    // +1 skips the opening quote of the JSON string.
                    return CodecError{offset + 1 + bytes.error().offset,
                                      "field 'vd': " + bytes.error().message};
                }
                record.value = std::move(bytes).value();
            } else {
                auto* bytes = std::get_if<std::vector<std::uint8_t>>(&scalar);
                if (bytes == nullptr) {
                    return typeError("a byte string");
                }
                record.value = std::move(*bytes);
            }
            break;
        case SenmlField::ObjectLink: {
            if (text == nullptr) {
                return typeError("a string like \"3:0\"");
            }
            auto link = parseObjectLinkValue(*text);
            if (!link) {
                return CodecError{offset, "field 'vlo': " + link.error().message};
            }
            record.value = link.value();
            break;
        }
        case SenmlField::Unknown:
        case SenmlField::MustUnderstand:
            break;
    }
    record.valueField = field;
    return std::nullopt;
}

Result<std::vector<SenmlRecord>> resolveSenmlRecords(std::vector<RawSenmlRecord>&& records) {
    std::vector<SenmlRecord> resolved;
    resolved.reserve(records.size());
    std::string baseName;
    std::optional<double> baseTime;
    std::optional<std::variant<double, std::int64_t>> baseValue;
    for (std::size_t index = 0; index < records.size(); ++index) {
        auto& raw = records[index];
        // Base fields apply to their own record and all later ones until replaced.
        if (raw.baseName) {
            baseName = std::move(*raw.baseName);
        }
        if (raw.baseTime) {
            baseTime = raw.baseTime;
        }
        if (raw.baseValue) {
            baseValue = raw.baseValue;
        }
        SenmlRecord record;
        record.name = baseName + raw.name.value_or(std::string());
        const std::string context = "record " + std::to_string(index) + ": ";
        if (record.name.empty()) {
            return CodecError{raw.offset, context +
                                              "has no name: it has no 'n' and no earlier "
                                              "record set a 'bn'"};
        }
        for (const char c : record.name) {
            if (!isNameChar(c)) {
                return CodecError{raw.offset, context + "resolved name \"" + record.name +
                                                  "\" has characters SenML names may not use "
                                                  "(allowed: A-Z a-z 0-9 - : . / _)"};
            }
        }
        if (raw.time || baseTime) {
            record.time = baseTime.value_or(0.0) + raw.time.value_or(0.0);
            // Finite parts adding up to infinity is an overflow, not a time.
            if (!std::isfinite(*record.time) && std::isfinite(baseTime.value_or(0.0)) &&
                std::isfinite(raw.time.value_or(0.0))) {
                return CodecError{raw.offset, context + "bt + t overflows a double"};
            }
        }
        if (raw.value && baseValue && raw.valueField == SenmlField::Value) {
            record.value = addBaseValue(*baseValue, *raw.value);
            const auto* sum = std::get_if<double>(&*record.value);
            if (sum != nullptr && !std::isfinite(*sum) && isFinite(*baseValue) &&
                isFinite(*raw.value)) {
                return CodecError{raw.offset, context + "bv + v overflows a double"};
            }
        } else {
            record.value = std::move(raw.value);
        }
        resolved.push_back(std::move(record));
    }
    return resolved;
}

std::string senmlCommonBaseName(const std::vector<SenmlRecord>& records) {
    if (records.size() < 2) {
        return {};
    }
    std::string_view prefix = records.front().name;
    for (const auto& record : records) {
        std::size_t common = 0;
        while (common < prefix.size() && common < record.name.size() &&
               prefix[common] == record.name[common]) {
            ++common;
        }
        prefix = prefix.substr(0, common);
    }
    const auto slash = prefix.rfind('/');
    // A bare "/" saves one byte per record and costs a field; not worth it.
    if (slash == std::string_view::npos || slash == 0) {
        return {};
    }
    return std::string(prefix.substr(0, slash + 1));
}

}  // namespace lwm2mgw::lwm2m::internal
