#include "gateway_client_objects.h"

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
#include <QLoggingCategory>
#include <QTimer>
#include <variant>

Q_DECLARE_LOGGING_CATEGORY(lcUpstream)

namespace lwm2mgw {

namespace {

using lwm2m::kLinkFormat;
using lwm2m::kSenmlCbor;
using lwm2m::kSenmlJson;
using lwm2m::kTextPlain;
using lwm2m::kTlv;
constexpr std::uint16_t kServerObject = 1;
constexpr std::uint16_t kDeviceObject = 3;
constexpr std::uint16_t kRegistrationUpdateTrigger = 8;
constexpr std::uint16_t kBootstrapRequestTrigger = 9;

using ResourceValue = std::variant<std::string, std::int64_t, bool>;

struct ObjectResource {
    std::uint16_t id;
    ResourceValue value;
    bool multiple = false;  // a Multiple Resource with instance 0 only
};

std::vector<ObjectResource> deviceResources(const QString& serial) {
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

// The readable resources of the Server instance of the server the request came from.
std::vector<ObjectResource> serverResources(const UpstreamRegistration& registration) {
    const ServerAccount& account = registration.account();
    return {
        {0, std::int64_t{account.shortServerId}},
        {1, std::int64_t{registration.params().lifetimeSeconds}},
        {6, account.notificationStoring},
        {7, account.binding.toStdString()},
    };
}

std::string textOf(const ResourceValue& value) {
    if (const auto* text = std::get_if<std::string>(&value)) {
        return *text;
    }
    if (const auto* flag = std::get_if<bool>(&value)) {
        return *flag ? "1" : "0";
    }
    return std::to_string(std::get<std::int64_t>(value));
}

lwm2m::TlvRecord tlvOf(const ObjectResource& resource) {
    lwm2m::TlvRecord record;
    std::vector<std::uint8_t> bytes;
    if (const auto* text = std::get_if<std::string>(&resource.value)) {
        bytes = lwm2m::tlvFromString(*text);
    } else if (const auto* flag = std::get_if<bool>(&resource.value)) {
        bytes = lwm2m::tlvFromBoolean(*flag);
    } else {
        bytes = lwm2m::tlvFromInteger(std::get<std::int64_t>(resource.value));
    }
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

void addSenml(std::vector<lwm2m::SenmlRecord>& records, const std::string& instancePath,
              const ObjectResource& resource) {
    std::string name = instancePath + "/" + std::to_string(resource.id);
    if (resource.multiple) {
        name += "/0";
    }
    lwm2m::SenmlRecord record;
    record.name = name;
    if (const auto* text = std::get_if<std::string>(&resource.value)) {
        record.value = lwm2m::SenmlValue{*text};
    } else if (const auto* flag = std::get_if<bool>(&resource.value)) {
        record.value = lwm2m::SenmlValue{*flag};
    } else {
        record.value = lwm2m::SenmlValue{std::get<std::int64_t>(resource.value)};
    }
    records.push_back(std::move(record));
}

QByteArray bytesOf(const std::vector<std::uint8_t>& bytes) {
    return QByteArray(reinterpret_cast<const char*>(bytes.data()),
                      static_cast<qsizetype>(bytes.size()));
}

RelayedAnswer changed() {
    RelayedAnswer reply;
    reply.code = COAP_RESPONSE_CODE_CHANGED;
    return reply;
}

// Read and Discover of one object instance (or one of its resources) in the format asked for.
RelayedAnswer readAnswer(std::uint16_t objectId, std::uint16_t instanceId,
                         const std::vector<ObjectResource>& resources,
                         std::optional<std::uint16_t> resourceId, std::optional<quint32> accept,
                         const QByteArray& executableLinks) {
    std::vector<ObjectResource> selected;
    for (const ObjectResource& candidate : resources) {
        if (!resourceId || candidate.id == *resourceId) {
            selected.push_back(candidate);
        }
    }
    if (selected.empty()) {
        return RelayedAnswer::error(404);
    }
    const QByteArray instance =
        "/" + QByteArray::number(objectId) + "/" + QByteArray::number(instanceId);
    RelayedAnswer reply;
    reply.code = COAP_RESPONSE_CODE_CONTENT;
    if (accept == kLinkFormat) {
        // Discover: the instance and its resources.
        QByteArray links = "<" + instance + ">";
        for (const ObjectResource& item : selected) {
            links += ",<" + instance + "/" + QByteArray::number(item.id) + ">";
            if (item.multiple) {
                links += ";dim=1";
            }
        }
        if (!resourceId) {
            links += executableLinks;
        }
        reply.contentFormat = kLinkFormat;
        reply.payload = links;
    } else if (resourceId && !selected.front().multiple && (!accept || accept == kTextPlain)) {
        reply.contentFormat = kTextPlain;
        reply.payload = QByteArray::fromStdString(textOf(selected.front().value));
    } else if (!accept || accept == kTlv) {
        std::vector<lwm2m::TlvRecord> records;
        for (const ObjectResource& item : selected) {
            records.push_back(tlvOf(item));
        }
        if (!resourceId) {
            records = {lwm2m::TlvRecord{
                lwm2m::TlvType::ObjectInstance, instanceId, {}, std::move(records)}};
        }
        reply.contentFormat = kTlv;
        reply.payload = bytesOf(lwm2m::encodeTlv(records));
    } else if (accept == kSenmlJson || accept == kSenmlCbor) {
        std::vector<lwm2m::SenmlRecord> records;
        for (const ObjectResource& item : selected) {
            addSenml(records, instance.toStdString(), item);
        }
        reply.contentFormat = *accept;
        reply.payload = bytesOf(*accept == kSenmlJson ? lwm2m::encodeSenmlJson(records)
                                                      : lwm2m::encodeSenmlCbor(records));
    } else {
        return RelayedAnswer::error(406,
                                    "the gateway's objects are served as text, TLV, SenML JSON "
                                    "or CBOR");
    }
    return reply;
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

GatewayClientObjects::GatewayClientObjects(std::function<QString()> requestBootstrap)
    : serialNumber_(readSerialNumber()), requestBootstrap_(std::move(requestBootstrap)) {}

QByteArray GatewayClientObjects::objectLinks() {
    lwm2m::RegistrationLinks links;
    links.contentFormats = {static_cast<std::uint16_t>(kSenmlJson),
                            static_cast<std::uint16_t>(kTlv)};
    links.objects.push_back(lwm2m::ObjectLink{kDeviceObject, std::uint16_t{0}, std::nullopt});
    return QByteArray::fromStdString(lwm2m::writeRegistrationLinks(links));
}

QByteArray GatewayClientObjects::objectLinks(const ServerAccount& account) {
    lwm2m::RegistrationLinks links;
    links.contentFormats = {static_cast<std::uint16_t>(kSenmlJson),
                            static_cast<std::uint16_t>(kTlv)};
    links.objects.push_back(lwm2m::ObjectLink{
        kServerObject, static_cast<std::uint16_t>(account.serverInstanceId), std::nullopt});
    links.objects.push_back(lwm2m::ObjectLink{kDeviceObject, std::uint16_t{0}, std::nullopt});
    return QByteArray::fromStdString(lwm2m::writeRegistrationLinks(links));
}

void GatewayClientObjects::handleServerRequest(UpstreamRegistration& registration,
                                               coap_resource_t* resource, coap_session_t* session,
                                               const coap_pdu_t* request,
                                               const coap_string_t* query, coap_pdu_t* response) {
    auto answer = [&](RelayedAnswer reply) {
        reply.writeResponse(resource, session, request, query, response);
    };
    const QByteArray pathText = uriPathOf(request).toUtf8();
    const auto parsed = lwm2m::parseLwm2mPath(
        std::string_view(pathText.constData(), static_cast<size_t>(pathText.size())));
    if (!parsed || !parsed.value().object || parsed.value().resourceInstance) {
        answer(RelayedAnswer::error(404));
        return;
    }
    const lwm2m::Lwm2mPath& path = parsed.value();
    // A server sees its own Server instance only (no Access Control objects here).
    const std::uint16_t serverInstance =
        static_cast<std::uint16_t>(registration.account().serverInstanceId);
    const bool device = *path.object == kDeviceObject && (!path.instance || *path.instance == 0);
    const bool server =
        *path.object == kServerObject && (!path.instance || *path.instance == serverInstance);
    if (!device && !server) {
        answer(RelayedAnswer::error(404));
        return;
    }
    const coap_pdu_code_t method = coap_pdu_get_code(request);
    if (server && method == COAP_REQUEST_CODE_POST && path.instance && path.resource) {
        if (*path.resource == kRegistrationUpdateTrigger) {
            // After the 2.04 is out: the Update goes on the same session.
            QTimer::singleShot(0, &registration, [&registration] { registration.triggerUpdate(); });
            answer(changed());
            return;
        }
        if (*path.resource == kBootstrapRequestTrigger) {
            // Out of libcoap's handler: the bootstrap opens a session of its own. The outcome
            // comes as bootstrapFinished / bootstrapFailed, as for any client-initiated one.
            QTimer::singleShot(0, &registration, [trigger = requestBootstrap_] {
                if (const QString why = trigger(); !why.isEmpty()) {
                    qCWarning(lcUpstream).noquote()
                        << "Bootstrap-Request Trigger (/1/x/9): no bootstrap:" << why;
                }
            });
            answer(changed());
            return;
        }
    }
    if (method != COAP_REQUEST_CODE_GET) {
        answer(RelayedAnswer::error(405, "the gateway's own objects are read-only here"));
        return;
    }
    const std::optional<quint32> accept = uintOptionOf(request, COAP_OPTION_ACCEPT);
    if (device) {
        answer(readAnswer(kDeviceObject, 0, deviceResources(serialNumber_), path.resource, accept,
                          {}));
    } else {
        const QByteArray instance = "</1/" + QByteArray::number(serverInstance);
        answer(readAnswer(kServerObject, serverInstance, serverResources(registration),
                          path.resource, accept, "," + instance + "/8>," + instance + "/9>"));
    }
}

}  // namespace lwm2mgw
