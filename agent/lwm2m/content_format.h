#pragma once

#include <cstdint>

namespace lwm2mgw::lwm2m {

// CoAP Content-Format numbers (IANA registry) that LwM2M 1.1 uses.
enum ContentFormat : std::uint16_t {
    kTextPlain = 0,
    kLinkFormat = 40,
    kOpaque = 42,
    kCbor = 60,
    kSenmlJson = 110,
    kSenmlCbor = 112,
    kTlv = 11542,
    kLwm2mJson = 11543,
    kLwm2mCbor = 11544,
};

}  // namespace lwm2mgw::lwm2m
