#pragma once

// The format-independent half of SenML: what each field means, how base fields resolve, and
// which base name an encoder factors out. senml_json.cpp and senml_cbor.cpp only read and write
// syntax.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "senml.h"

namespace lwm2mgw::lwm2m::internal {

enum class SenmlField : std::uint8_t {
    BaseName,
    BaseTime,
    BaseUnit,
    BaseValue,
    BaseSum,
    BaseVersion,
    Name,
    Unit,
    Value,
    StringValue,
    BoolValue,
    Sum,
    Time,
    UpdateTime,
    DataValue,
    ObjectLink,
    Unknown,
    MustUnderstand,  // an unknown label ending in '_' (RFC 8428 4.4)
};

SenmlField senmlFieldFromText(std::string_view label);  // JSON labels, CBOR text labels
SenmlField senmlFieldFromCbor(std::int64_t label);      // CBOR integer labels
const char* senmlFieldName(SenmlField field);           // the JSON label, for messages

// One field's value as the syntax layer saw it. monostate stands for null or anything else
// that no SenML field accepts (arrays, maps, tags, undefined).
using SenmlScalar = std::variant<std::monostate, double, std::int64_t, bool, std::string,
                                 std::vector<std::uint8_t>>;

// A record before base fields are applied.
struct RawSenmlRecord {
    std::size_t offset = 0;  // where the record starts, for errors found while resolving
    std::optional<std::string> baseName;
    std::optional<double> baseTime;
    std::optional<std::variant<double, std::int64_t>> baseValue;
    std::optional<std::string> name;
    std::optional<double> time;
    std::optional<SenmlValue> value;
    std::optional<SenmlField> valueField;  // which of v/vs/vb/vd/vlo supplied value
    std::uint32_t seen = 0;                // bit per SenmlField, to refuse duplicates
};

enum class SenmlSyntax : std::uint8_t { Json, Cbor };

// Checks the scalar's type against the field and stores it. The error offset is `offset`
// (where the value starts) unless the problem is inside the value.
std::optional<CodecError> applySenmlField(RawSenmlRecord& record, SenmlField field,
                                          SenmlScalar&& scalar, std::size_t offset,
                                          SenmlSyntax syntax);

// Applies base name/time/value down the pack (RFC 8428 4.6) and checks resolved names.
Result<std::vector<SenmlRecord>> resolveSenmlRecords(std::vector<RawSenmlRecord>&& records);

// The base name an encoder should put on the first record, "" for none.
std::string senmlCommonBaseName(const std::vector<SenmlRecord>& records);

}  // namespace lwm2mgw::lwm2m::internal
