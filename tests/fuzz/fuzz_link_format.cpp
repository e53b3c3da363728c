// Link Format, registration links and LwM2M paths: decoding never crashes, and whatever decodes
// survives an encode/decode round trip unchanged.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "link_format.h"
#include "lwm2m_path.h"
#include "registration_links.h"

using namespace lwm2mgw::lwm2m;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    if (auto links = parseLinkFormat(input)) {
        const auto written = writeLinkFormat(links.value());
        if (written.size() <= kMaxLinkFormatSize) {
            const auto again = parseLinkFormat(written);
            FUZZ_CHECK(again.ok());
            FUZZ_CHECK(again.value() == links.value());
        }
    } else {
        FUZZ_CHECK(links.error().offset <= size);
        FUZZ_CHECK(!links.error().message.empty());
    }

    if (auto registration = parseRegistrationLinks(input)) {
        const auto written = writeRegistrationLinks(registration.value());
        if (written.size() <= kMaxLinkFormatSize) {
            const auto again = parseRegistrationLinks(written);
            FUZZ_CHECK(again.ok());
            FUZZ_CHECK(again.value() == registration.value());
        }
    } else {
        FUZZ_CHECK(registration.error().offset <= size);
    }

    if (auto path = parseLwm2mPath(input)) {
        FUZZ_CHECK(toString(path.value()) == input);
    } else {
        FUZZ_CHECK(path.error().offset <= size);
    }
    return 0;
}
