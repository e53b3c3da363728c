// SenML JSON and CBOR: both decoders see every input; whatever decodes survives an
// encode/decode round trip in its own syntax and, when it has a JSON form, in the other.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_check.h"
#include "senml.h"

using namespace lwm2mgw::lwm2m;

namespace {

// Equality that treats NaN as equal to NaN, since CBOR can carry NaN.
bool sameDouble(double a, double b) {
    return a == b || (std::isnan(a) && std::isnan(b));
}

bool sameRecords(const std::vector<SenmlRecord>& a, const std::vector<SenmlRecord>& b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].name != b[i].name || a[i].value.has_value() != b[i].value.has_value() ||
            a[i].time.has_value() != b[i].time.has_value()) {
            return false;
        }
        if (a[i].time && !sameDouble(*a[i].time, *b[i].time)) {
            return false;
        }
        if (a[i].value) {
            const auto* da = std::get_if<double>(&*a[i].value);
            const auto* db = std::get_if<double>(&*b[i].value);
            if (da != nullptr && db != nullptr ? !sameDouble(*da, *db)
                                               : *a[i].value != *b[i].value) {
                return false;
            }
        }
    }
    return true;
}

bool allFinite(const std::vector<SenmlRecord>& records) {
    for (const auto& record : records) {
        if (record.time && !std::isfinite(*record.time)) {
            return false;
        }
        if (record.value) {
            const auto* d = std::get_if<double>(&*record.value);
            if (d != nullptr && !std::isfinite(*d)) {
                return false;
            }
        }
    }
    return true;
}

void checkRoundTrips(const std::vector<SenmlRecord>& records) {
    const auto cbor = encodeSenmlCbor(records);
    if (cbor.size() <= kMaxSenmlSize) {
        const auto again = decodeSenmlCbor(cbor);
        FUZZ_CHECK(again.ok());
        FUZZ_CHECK(sameRecords(again.value(), records));
    }
    if (allFinite(records)) {
        const auto json = encodeSenmlJson(records);
        if (json.size() <= kMaxSenmlSize) {
            const auto again = decodeSenmlJson(json);
            FUZZ_CHECK(again.ok());
            FUZZ_CHECK(sameRecords(again.value(), records));
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> input(data, size);
    if (const auto json = decodeSenmlJson(input)) {
        checkRoundTrips(json.value());
    } else {
        FUZZ_CHECK(json.error().offset <= size);
        FUZZ_CHECK(!json.error().message.empty());
    }
    if (const auto cbor = decodeSenmlCbor(input)) {
        checkRoundTrips(cbor.value());
    } else {
        FUZZ_CHECK(cbor.error().offset <= size);
        FUZZ_CHECK(!cbor.error().message.empty());
    }
    return 0;
}
