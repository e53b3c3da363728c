#pragma once

#include "lwm2m_path.h"
#include "senml.h"

#include <QtGlobal>

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace lwm2mgw {

// One written value as it arrived. TLV and opaque bytes carry no type: only the resource id
// says whether they are an integer, a string or opaque. SenML and text/plain carry their own.
struct WrittenValue {
    enum class Kind { TlvBytes, Opaque, Senml, Text };
    Kind kind = Kind::TlvBytes;
    std::vector<std::uint8_t> bytes;  // TlvBytes, Opaque
    lwm2m::SenmlValue senml;          // Senml
    std::string text;                 // Text
};

struct WrittenResource {
    bool multiple = false;
    std::optional<WrittenValue> value;              // single-instance resource
    std::map<std::uint16_t, WrittenValue> entries;  // multiple: by resource instance id
};

using WrittenInstance = std::map<std::uint16_t, WrittenResource>;  // by resource id
using WrittenObject = std::map<std::uint16_t, WrittenInstance>;    // by instance id

// A Bootstrap-Write body split into the instances and resources it writes, or the CoAP code
// (4.00, 4.13, 4.15) and a reason for refusing it.
struct DecodedWrite {
    WrittenObject instances;
    int errorCode = 0;
    std::string error;
};

// Bodies beyond this are refused (4.13) unread: a whole Security and Server object is a few KiB.
inline constexpr std::size_t kMaxBootstrapWriteSize = 16 * 1024;

// `target` names an object, an instance or a single resource; the body must stay inside it.
DecodedWrite decodeBootstrapWrite(const lwm2m::Lwm2mPath& target,
                                  std::optional<quint32> contentFormat,
                                  std::span<const std::uint8_t> body);

}  // namespace lwm2mgw
