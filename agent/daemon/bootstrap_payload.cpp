#include "bootstrap_payload.h"

#include "content_format.h"
#include "tlv.h"

namespace lwm2mgw {

namespace {

DecodedWrite refuse(int code, std::string reason) {
    DecodedWrite out;
    out.errorCode = code;
    out.error = std::move(reason);
    return out;
}

WrittenValue tlvValue(const std::vector<std::uint8_t>& bytes) {
    WrittenValue value;
    value.kind = WrittenValue::Kind::TlvBytes;
    value.bytes = bytes;
    return value;
}

// A ResourceValue or MultipleResource record into `instance`; false for any other type.
bool addTlvResource(const lwm2m::TlvRecord& record, WrittenInstance& instance) {
    WrittenResource& resource = instance[record.id];
    if (record.type == lwm2m::TlvType::ResourceValue) {
        resource.value = tlvValue(record.value);
        return true;
    }
    if (record.type != lwm2m::TlvType::MultipleResource) {
        return false;
    }
    resource.multiple = true;
    for (const lwm2m::TlvRecord& entry : record.children) {
        resource.entries[entry.id] = tlvValue(entry.value);
    }
    return true;
}

DecodedWrite decodeTlv(const lwm2m::Lwm2mPath& target, std::span<const std::uint8_t> body) {
    auto records = lwm2m::decodeTlv(body);
    if (!records) {
        return refuse(400, "malformed TLV: " + records.error().message);
    }
    DecodedWrite out;
    std::vector<lwm2m::TlvRecord> top = std::move(records).value();
    if (!target.instance) {
        for (const lwm2m::TlvRecord& record : top) {
            if (record.type != lwm2m::TlvType::ObjectInstance) {
                return refuse(400, "TLV for an object holds object instances only");
            }
            WrittenInstance& instance = out.instances[record.id];
            for (const lwm2m::TlvRecord& child : record.children) {
                if (!addTlvResource(child, instance)) {
                    return refuse(400, "TLV object instance holds resources only");
                }
            }
        }
        return out;
    }
    // Some servers wrap an instance write in its ObjectInstance record: accept that one shape.
    if (top.size() == 1 && top.front().type == lwm2m::TlvType::ObjectInstance) {
        if (top.front().id != *target.instance || target.resource) {
            return refuse(400, "TLV object instance does not match the request path");
        }
        std::vector<lwm2m::TlvRecord> children = std::move(top.front().children);
        top = std::move(children);
    }
    WrittenInstance& instance = out.instances[*target.instance];
    for (const lwm2m::TlvRecord& record : top) {
        if (target.resource && record.id != *target.resource) {
            return refuse(400, "TLV resource id does not match the request path");
        }
        if (!addTlvResource(record, instance)) {
            return refuse(400, "TLV for an instance or resource holds resources only");
        }
    }
    return out;
}

DecodedWrite decodeSenml(const lwm2m::Lwm2mPath& target, std::span<const std::uint8_t> body,
                         bool cbor) {
    auto records = cbor ? lwm2m::decodeSenmlCbor(body) : lwm2m::decodeSenmlJson(body);
    if (!records) {
        return refuse(400, std::string(cbor ? "malformed SenML CBOR: " : "malformed SenML JSON: ") +
                               records.error().message);
    }
    DecodedWrite out;
    for (const lwm2m::SenmlRecord& record : records.value()) {
        auto path = lwm2m::parseLwm2mPath(record.name);
        if (!path || !path.value().resource) {
            return refuse(400, "SenML record name is not a resource path");
        }
        const lwm2m::Lwm2mPath& name = path.value();
        if (name.object != target.object || (target.instance && name.instance != target.instance) ||
            (target.resource && name.resource != target.resource)) {
            return refuse(400, "SenML record outside the request path");
        }
        if (!record.value) {
            return refuse(400, "SenML record without a value");
        }
        WrittenValue value;
        value.kind = WrittenValue::Kind::Senml;
        value.senml = *record.value;
        WrittenResource& resource = out.instances[*name.instance][*name.resource];
        if (name.resourceInstance) {
            resource.multiple = true;
            resource.entries[*name.resourceInstance] = std::move(value);
        } else {
            resource.value = std::move(value);
        }
    }
    return out;
}

}  // namespace

DecodedWrite decodeBootstrapWrite(const lwm2m::Lwm2mPath& target,
                                  std::optional<quint32> contentFormat,
                                  std::span<const std::uint8_t> body) {
    if (body.size() > kMaxBootstrapWriteSize) {
        return refuse(413, "Bootstrap-Write body too large");
    }
    if (!target.object || target.resourceInstance) {
        return refuse(400, "Bootstrap-Write names an object, an instance or a resource");
    }
    if (!contentFormat) {
        return refuse(400, "Bootstrap-Write without Content-Format");
    }
    switch (*contentFormat) {
        case lwm2m::kTlv:
            return decodeTlv(target, body);
        case lwm2m::kSenmlJson:
            return decodeSenml(target, body, false);
        case lwm2m::kSenmlCbor:
            return decodeSenml(target, body, true);
        case lwm2m::kTextPlain:
        case lwm2m::kOpaque: {
            if (!target.resource) {
                return refuse(400, "text/plain and opaque write single resources only");
            }
            WrittenValue value;
            if (*contentFormat == lwm2m::kOpaque) {
                value.kind = WrittenValue::Kind::Opaque;
                value.bytes.assign(body.begin(), body.end());
            } else {
                value.kind = WrittenValue::Kind::Text;
                value.text.assign(body.begin(), body.end());
            }
            DecodedWrite out;
            out.instances[*target.instance][*target.resource].value = std::move(value);
            return out;
        }
        default:
            return refuse(415, "unsupported Content-Format " + std::to_string(*contentFormat));
    }
}

}  // namespace lwm2mgw
