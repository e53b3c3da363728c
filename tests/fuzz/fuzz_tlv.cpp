// TLV: decoding never crashes, decoded records survive encode/decode, and every typed view of
// every value either fails cleanly or round-trips.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_check.h"
#include "tlv.h"

using namespace lwm2mgw::lwm2m;

namespace {

void checkTypedViews(std::span<const std::uint8_t> value) {
    if (const auto i = tlvToInteger(value)) {
        FUZZ_CHECK(tlvToInteger(tlvFromInteger(i.value())).value() == i.value());
        FUZZ_CHECK(tlvFromInteger(i.value()).size() <= value.size());
    }
    if (const auto u = tlvToUnsignedInteger(value)) {
        FUZZ_CHECK(tlvToUnsignedInteger(tlvFromUnsignedInteger(u.value())).value() == u.value());
    }
    if (const auto f = tlvToFloat(value)) {
        const double back = tlvToFloat(tlvFromFloat(f.value())).value();
        FUZZ_CHECK(back == f.value() || (std::isnan(back) && std::isnan(f.value())));
    }
    if (const auto b = tlvToBoolean(value)) {
        FUZZ_CHECK(tlvToBoolean(tlvFromBoolean(b.value())).value() == b.value());
    }
    if (const auto s = tlvToString(value)) {
        FUZZ_CHECK(tlvFromString(s.value()).size() == value.size());
    } else {
        FUZZ_CHECK(s.error().offset < value.size());
    }
    if (const auto l = tlvToObjectLink(value)) {
        FUZZ_CHECK(tlvToObjectLink(tlvFromObjectLink(l.value())).value() == l.value());
    }
}

void checkRecords(const std::vector<TlvRecord>& records, std::size_t depth) {
    FUZZ_CHECK(records.empty() || depth <= kMaxTlvDepth);
    for (const auto& record : records) {
        checkTypedViews(record.value);
        checkRecords(record.children, depth + 1);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> input(data, size);
    const auto records = decodeTlv(input);
    if (!records) {
        FUZZ_CHECK(records.error().offset < size);
        FUZZ_CHECK(!records.error().message.empty());
        return 0;
    }
    checkRecords(records.value(), 1);
    const auto encoded = encodeTlv(records.value());
    FUZZ_CHECK(encoded.size() <= size);  // the encoder is minimal, the input may not be
    const auto again = decodeTlv(encoded);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again.value() == records.value());
    return 0;
}
