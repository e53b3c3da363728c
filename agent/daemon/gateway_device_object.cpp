#include "gateway_device_object.h"

#include "coap_message.h"
#include "content_format.h"
#include "lwm2m_path.h"
#include "registration_links.h"
#include "relayed_answer.h"
#include "senml.h"
#include "tlv.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFile>
#include <variant>

namespace lwm2mgw {

namespace {

using lwm2m::kLinkFormat;
using lwm2m::kSenmlCbor;
using lwm2m::kSenmlJson;
using lwm2m::kTextPlain;
using lwm2m::kTlv;
constexpr std::uint16_t kDeviceObject = 3;

using ResourceValue = std::variant<std::string, std::int64_t>;

struct DeviceResource {
    std::uint16_t id;
    ResourceValue value;
    bool multiple = false;  // a Multiple Resource with instance 0 only
};

std::vector<DeviceResource> deviceResources(const QString& serial) {
    return {
        {0, std::string("lwm2m-gateway project")},
        {1, std::string("lwm2m-gatewayd")},
        {2, serial.toStdString()},
        {3, QCoreApplication::applicationVersion().toStdString()},
        {11, std::int64_t{0}, true},  // Error Code: no error
        {13, std::int64_t{QDateTime::currentSecsSinceEpoch()}},
        {16, std::string("U")},
    };
}

std::string textOf(const ResourceValue& value) {
    if (const auto* text = std::get_if<std::string>(&value)) {
        return *text;
    }
    return std::to_string(std::get<std::int64_t>(value));
}

lwm2m::TlvRecord tlvOf(const DeviceResource& resource) {
    lwm2m::TlvRecord record;
    const std::vector<std::uint8_t> bytes =
        std::holds_alternative<std::string>(resource.value)
            ? lwm2m::tlvFromString(std::get<std::string>(resource.value))
            : lwm2m::tlvFromInteger(std::get<std::int64_t>(resource.value));
    record.id = resource.id;
    if (resource.multiple) {
        record.type = lwm2m::TlvType::MultipleResource;
        record.children.push_back(lwm2m::TlvRecord{lwm2m::TlvType::ResourceInstance, 0, bytes, {}});
    } else {
        record.type = lwm2m::TlvType::ResourceValue;
        record.value = bytes;
    }
    return record;
}

void addSenml(std::vector<lwm2m::SenmlRecord>& records, const DeviceResource& resource) {
    std::string name = "/3/0/" + std::to_string(resource.id);
    if (resource.multiple) {
        name += "/0";
    }
    lwm2m::SenmlRecord record;
    record.name = name;
    if (const auto* text = std::get_if<std::string>(&resource.value)) {
        record.value = lwm2m::SenmlValue{*text};
    } else {
        record.value = lwm2m::SenmlValue{std::get<std::int64_t>(resource.value)};
    }
    records.push_back(std::move(record));
}

QByteArray bytesOf(const std::vector<std::uint8_t>& bytes) {
    return QByteArray(reinterpret_cast<const char*>(bytes.data()),
                      static_cast<qsizetype>(bytes.size()));
}

QString readSerialNumber() {
    QFile file(QStringLiteral("/etc/machine-id"));
    if (file.open(QIODevice::ReadOnly)) {
        const QByteArray id = file.readAll().trimmed();
        if (!id.isEmpty()) {
            return QString::fromLatin1(id.left(16));
        }
    }
    return QStringLiteral("unknown");
}

}  // namespace

GatewayDeviceObject::GatewayDeviceObject() : serialNumber_(readSerialNumber()) {}

QByteArray GatewayDeviceObject::objectLinks() {
    lwm2m::RegistrationLinks links;
    links.contentFormats = {static_cast<std::uint16_t>(kSenmlJson),
                            static_cast<std::uint16_t>(kTlv)};
    links.objects.push_back(lwm2m::ObjectLink{kDeviceObject, std::uint16_t{0}, std::nullopt});
    const std::string text = lwm2m::writeRegistrationLinks(links);
    return QByteArray::fromStdString(text);
}

void GatewayDeviceObject::handleServerRequest(UpstreamRegistration&, coap_resource_t* resource,
                                              coap_session_t* session, const coap_pdu_t* request,
                                              const coap_string_t* query, coap_pdu_t* response) {
    auto answer = [&](RelayedAnswer reply) {
        reply.writeResponse(resource, session, request, query, response);
    };
    const QByteArray pathText = uriPathOf(request).toUtf8();
    const auto path = lwm2m::parseLwm2mPath(
        std::string_view(pathText.constData(), static_cast<size_t>(pathText.size())));
    if (!path || !path.value().object || *path.value().object != kDeviceObject ||
        (path.value().instance && *path.value().instance != 0) || path.value().resourceInstance) {
        answer(RelayedAnswer::error(404));
        return;
    }
    const coap_pdu_code_t method = coap_pdu_get_code(request);
    if (method != COAP_REQUEST_CODE_GET) {
        answer(RelayedAnswer::error(405, "the gateway's Device object is read-only"));
        return;
    }
    const std::vector<DeviceResource> resources = deviceResources(serialNumber_);
    const std::optional<quint32> accept = uintOptionOf(request, COAP_OPTION_ACCEPT);
    const std::optional<std::uint16_t> resourceId = path.value().resource;
    std::vector<DeviceResource> selected;
    for (const DeviceResource& candidate : resources) {
        if (!resourceId || candidate.id == *resourceId) {
            selected.push_back(candidate);
        }
    }
    if (selected.empty()) {
        answer(RelayedAnswer::error(404));
        return;
    }
    RelayedAnswer reply;
    reply.code = COAP_RESPONSE_CODE_CONTENT;
    if (accept == kLinkFormat) {
        // Discover: the instance and its resources.
        QByteArray links = "</3/0>";
        for (const DeviceResource& item : selected) {
            links += ",</3/0/" + QByteArray::number(item.id) + ">";
            if (item.multiple) {
                links += ";dim=1";
            }
        }
        reply.contentFormat = kLinkFormat;
        reply.payload = links;
    } else if (resourceId && !selected.front().multiple && (!accept || accept == kTextPlain)) {
        reply.contentFormat = kTextPlain;
        reply.payload = QByteArray::fromStdString(textOf(selected.front().value));
    } else if (!accept || accept == kTlv) {
        std::vector<lwm2m::TlvRecord> records;
        for (const DeviceResource& item : selected) {
            records.push_back(tlvOf(item));
        }
        if (!resourceId) {
            records = {lwm2m::TlvRecord{lwm2m::TlvType::ObjectInstance, 0, {}, std::move(records)}};
        }
        reply.contentFormat = kTlv;
        reply.payload = bytesOf(lwm2m::encodeTlv(records));
    } else if (accept == kSenmlJson || accept == kSenmlCbor) {
        std::vector<lwm2m::SenmlRecord> records;
        for (const DeviceResource& item : selected) {
            addSenml(records, item);
        }
        reply.contentFormat = *accept;
        reply.payload = bytesOf(*accept == kSenmlJson ? lwm2m::encodeSenmlJson(records)
                                                      : lwm2m::encodeSenmlCbor(records));
    } else {
        answer(RelayedAnswer::error(
            406, "the Device object is served as text, TLV, SenML JSON or CBOR"));
        return;
    }
    answer(reply);
}

}  // namespace lwm2mgw
