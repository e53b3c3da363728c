#include "der.h"

#include <cstddef>
#include <cstdint>

namespace lwm2mgw::credstore::detail {

bool isDerSequence(std::string_view der) {
    constexpr unsigned char kSequence = 0x30;
    if (der.size() < 2 || static_cast<unsigned char>(der[0]) != kSequence) {
        return false;
    }
    const auto first = static_cast<unsigned char>(der[1]);
    std::size_t length = 0;
    std::size_t header = 2;
    if (first < 0x80) {
        length = first;
    } else {
        const std::size_t lengthBytes = first & 0x7fu;
        // 0x80 is BER's indefinite length, not DER; more than 4 length bytes is not a key.
        if (lengthBytes == 0 || lengthBytes > 4 || der.size() < 2 + lengthBytes) {
            return false;
        }
        for (std::size_t i = 0; i < lengthBytes; ++i) {
            length = (length << 8) | static_cast<unsigned char>(der[2 + i]);
        }
        header += lengthBytes;
    }
    return header + length == der.size();
}

}  // namespace lwm2mgw::credstore::detail
