#include "bootstrap_request_handler.h"

#include "bootstrap_objects.h"
#include "bootstrap_payload.h"
#include "coap_message.h"
#include "content_format.h"
#include "lwm2m_path.h"

#include <lwm2m-gateway/credstore/credential_store.h>

#include <QLoggingCategory>
#include <algorithm>

Q_LOGGING_CATEGORY(lcBootstrap, "lwm2mgw.bootstrap")

namespace lwm2mgw {

namespace {

namespace cs = credstore;

constexpr std::uint16_t kSecurityObject = 0;
constexpr std::uint16_t kServerObject = 1;

RelayedAnswer fail(int code, const std::string& reason) {
    return RelayedAnswer::error(code, QByteArray::fromStdString(reason));
}

RelayedAnswer content(quint32 format, QByteArray payload) {
    RelayedAnswer answer;
    answer.code = COAP_RESPONSE_CODE_CONTENT;
    answer.contentFormat = format;
    answer.payload = std::move(payload);
    return answer;
}

QByteArray bytesOf(const std::vector<std::uint8_t>& bytes) {
    return QByteArray(reinterpret_cast<const char*>(bytes.data()),
                      static_cast<qsizetype>(bytes.size()));
}

// 4.00 for values the store refuses; anything else is the gateway's own trouble.
int codeFor(const cs::Error& error) {
    switch (error.code) {
        case cs::ErrorCode::InvalidArgument:
        case cs::ErrorCode::BootstrapAccountProtected:
            return 400;
        default:
            return 500;
    }
}

std::optional<lwm2m::Lwm2mPath> pathOf(const QString& text) {
    const QByteArray utf8 = text.toUtf8();
    auto parsed =
        lwm2m::parseLwm2mPath(std::string_view(utf8.constData(), static_cast<size_t>(utf8.size())));
    return parsed ? std::optional<lwm2m::Lwm2mPath>(parsed.value()) : std::nullopt;
}

// Core 5.2.7.3 "uri" attribute: quoted, with '"' and '\' escaped.
QByteArray quoted(const std::string& text) {
    QByteArray out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out + '"';
}

const char* methodName(coap_pdu_code_t method) {
    switch (method) {
        case COAP_REQUEST_CODE_GET:
            return "GET";
        case COAP_REQUEST_CODE_PUT:
            return "PUT";
        case COAP_REQUEST_CODE_POST:
            return "POST";
        case COAP_REQUEST_CODE_DELETE:
            return "DELETE";
        default:
            return "other method";
    }
}

// A write merges into the instance the session holds, or starts a new one with that id.
template <typename Instance>
Instance storedOrNew(const std::vector<Instance>& current, std::uint16_t id) {
    const auto existing = std::find_if(current.begin(), current.end(), [id](const Instance& each) {
        return each.instanceId == id;
    });
    if (existing != current.end()) {
        return *existing;
    }
    Instance fresh;
    fresh.instanceId = id;
    return fresh;
}

}  // namespace

BootstrapRequestHandler::BootstrapRequestHandler(cs::CredentialStore& store, QString endpoint,
                                                 cs::ModeAvailable modeAvailable, Finished finished)
    : store_(store),
      endpoint_(std::move(endpoint)),
      modeAvailable_(std::move(modeAvailable)),
      finished_(std::move(finished)) {}

void BootstrapRequestHandler::abandon() {
    if (session_) {
        session_->abandon();
        session_.reset();
    }
}

cs::BootstrapSession* BootstrapRequestHandler::session(QString& error) {
    if (session_ && session_->isOpen()) {
        return &*session_;
    }
    session_.reset();
    auto begun = store_.beginBootstrap(endpoint_.toStdString());
    if (!begun) {
        error = QString::fromStdString(begun.error().message);
        return nullptr;
    }
    session_.emplace(std::move(begun).value());
    return &*session_;
}

void BootstrapRequestHandler::serve(coap_resource_t* resource, coap_session_t* session,
                                    const coap_pdu_t* request, const coap_string_t* query,
                                    coap_pdu_t* response) {
    BootstrapRequest parsed;
    parsed.method = coap_pdu_get_code(request);
    parsed.path = uriPathOf(request);
    parsed.contentFormat = uintOptionOf(request, COAP_OPTION_CONTENT_FORMAT);
    parsed.accept = uintOptionOf(request, COAP_OPTION_ACCEPT);
    parsed.payload = payloadOf(request);
    const RelayedAnswer answer = handle(parsed);
    answer.writeResponse(resource, session, request, query, response);
    if (parsed.method == COAP_REQUEST_CODE_POST && parsed.path == QLatin1String("/bs") &&
        finished_) {
        finished_(answer.code == COAP_RESPONSE_CODE_CHANGED);
    }
}

RelayedAnswer BootstrapRequestHandler::handle(const BootstrapRequest& request) {
    RelayedAnswer answer;
    switch (request.method) {
        case COAP_REQUEST_CODE_PUT:
            answer = write(request);
            break;
        case COAP_REQUEST_CODE_DELETE:
            answer = remove(request);
            break;
        case COAP_REQUEST_CODE_GET:
            answer = request.accept == lwm2m::kLinkFormat ? discover(request) : read(request);
            break;
        case COAP_REQUEST_CODE_POST:
            answer = request.path == QLatin1String("/bs")
                         ? finish()
                         : fail(405, "only Bootstrap-Finish (POST /bs) is a POST here");
            break;
        default:
            answer = fail(405, "not a Bootstrap Interface operation");
            break;
    }
    // Never the payload: a Bootstrap-Write carries secret keys.
    const QByteArray diagnostic =
        COAP_RESPONSE_CLASS(answer.code) >= 4 ? answer.payload : QByteArray();
    qCInfo(lcBootstrap).noquote() << endpoint_ << "bootstrap" << methodName(request.method)
                                  << request.path << "->" << codeText(answer.code)
                                  << QString::fromUtf8(diagnostic);
    return answer;
}

RelayedAnswer BootstrapRequestHandler::write(const BootstrapRequest& request) {
    const std::optional<lwm2m::Lwm2mPath> target = pathOf(request.path);
    if (!target || !target->object) {
        return fail(400, "Bootstrap-Write needs an object path");
    }
    if (*target->object != kSecurityObject && *target->object != kServerObject) {
        return fail(404, "the gateway keeps only the Security and Server objects");
    }
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(request.payload.constData());
    const DecodedWrite decoded = decodeBootstrapWrite(
        *target, request.contentFormat,
        std::span<const std::uint8_t>(bytes, static_cast<size_t>(request.payload.size())));
    if (decoded.errorCode != 0) {
        return fail(decoded.errorCode, decoded.error);
    }
    QString error;
    cs::BootstrapSession* bootstrap = session(error);
    if (!bootstrap) {
        return fail(500, "cannot start a bootstrap session: " + error.toStdString());
    }
    // Convert every instance before writing any, so a type error leaves the session as it was.
    if (*target->object == kSecurityObject) {
        std::vector<std::pair<cs::SecurityObjectInstance, std::optional<cs::SecurityObjectSecrets>>>
            updates;
        const std::vector<cs::SecurityObjectInstance> current = bootstrap->securityInstances();
        for (const auto& [id, written] : decoded.instances) {
            cs::SecurityObjectInstance instance = storedOrNew(current, id);
            std::optional<cs::SecurityObjectSecrets> secrets;
            if (auto problem = applySecurityWrite(written, instance, secrets)) {
                return fail(400, "/0/" + std::to_string(id) + ": " + *problem);
            }
            updates.emplace_back(std::move(instance), std::move(secrets));
        }
        for (auto& [instance, secrets] : updates) {
            if (auto written = bootstrap->writeSecurity(instance, std::move(secrets)); !written) {
                return fail(codeFor(written.error()), written.error().message);
            }
        }
    } else {
        std::vector<cs::ServerObjectInstance> updates;
        const std::vector<cs::ServerObjectInstance> current = bootstrap->serverInstances();
        for (const auto& [id, written] : decoded.instances) {
            cs::ServerObjectInstance instance = storedOrNew(current, id);
            if (auto problem = applyServerWrite(written, instance)) {
                return fail(400, "/1/" + std::to_string(id) + ": " + *problem);
            }
            updates.push_back(std::move(instance));
        }
        for (const cs::ServerObjectInstance& instance : updates) {
            if (auto written = bootstrap->writeServer(instance); !written) {
                return fail(codeFor(written.error()), written.error().message);
            }
        }
    }
    RelayedAnswer answer;
    answer.code = COAP_RESPONSE_CODE_CHANGED;
    return answer;
}

RelayedAnswer BootstrapRequestHandler::remove(const BootstrapRequest& request) {
    const std::optional<lwm2m::Lwm2mPath> target = pathOf(request.path);
    if (!target || target->resource) {
        return fail(400, "Bootstrap-Delete names /, an object or an instance");
    }
    RelayedAnswer deleted;
    deleted.code = COAP_RESPONSE_CODE_DELETED;
    if (target->object && *target->object != kSecurityObject && *target->object != kServerObject) {
        return fail(404, "the gateway keeps only the Security and Server objects");
    }
    QString error;
    cs::BootstrapSession* bootstrap = session(error);
    if (!bootstrap) {
        return fail(500, "cannot start a bootstrap session: " + error.toStdString());
    }
    if (auto removed = bootstrap->deletePath(lwm2m::toString(*target)); !removed) {
        return fail(codeFor(removed.error()), removed.error().message);
    }
    return deleted;
}

RelayedAnswer BootstrapRequestHandler::read(const BootstrapRequest& request) {
    const std::optional<lwm2m::Lwm2mPath> target = pathOf(request.path);
    // LwM2M 1.1 allows Bootstrap-Read of the Server object only: /0 holds secrets.
    if (!target || target->object != kServerObject || target->resource) {
        return fail(405, "Bootstrap-Read is allowed on /1 and /1/x only");
    }
    const quint32 format = request.accept.value_or(lwm2m::kTlv);
    if (format != lwm2m::kTlv && format != lwm2m::kSenmlJson) {
        return fail(406, "Bootstrap-Read answers in TLV or SenML JSON");
    }
    QString error;
    cs::BootstrapSession* bootstrap = session(error);
    if (!bootstrap) {
        return fail(500, "cannot start a bootstrap session: " + error.toStdString());
    }
    std::vector<lwm2m::TlvRecord> tlv;
    std::vector<lwm2m::SenmlRecord> senml;
    bool found = false;
    for (const cs::ServerObjectInstance& instance : bootstrap->serverInstances()) {
        if (target->instance && *target->instance != instance.instanceId) {
            continue;
        }
        found = true;
        if (format == lwm2m::kSenmlJson) {
            std::vector<lwm2m::SenmlRecord> records = serverSenml(instance);
            senml.insert(senml.end(), records.begin(), records.end());
        } else if (target->instance) {
            tlv = serverTlv(instance);
        } else {
            tlv.push_back(lwm2m::TlvRecord{
                lwm2m::TlvType::ObjectInstance, instance.instanceId, {}, serverTlv(instance)});
        }
    }
    if (target->instance && !found) {
        return fail(404, "no such Server instance");
    }
    return format == lwm2m::kSenmlJson ? content(format, bytesOf(lwm2m::encodeSenmlJson(senml)))
                                       : content(format, bytesOf(lwm2m::encodeTlv(tlv)));
}

RelayedAnswer BootstrapRequestHandler::discover(const BootstrapRequest& request) {
    const std::optional<lwm2m::Lwm2mPath> target = pathOf(request.path);
    if (!target || target->instance) {
        return fail(400, "Bootstrap-Discover names / or an object");
    }
    QString error;
    cs::BootstrapSession* bootstrap = session(error);
    if (!bootstrap) {
        return fail(500, "cannot start a bootstrap session: " + error.toStdString());
    }
    const bool all = !target->object;
    QByteArray links = "</>;lwm2m=1.1";
    if (all || target->object == kSecurityObject) {
        for (const cs::SecurityObjectInstance& s : bootstrap->securityInstances()) {
            links += ",</0/" + QByteArray::number(s.instanceId) + ">";
            if (s.shortServerId && !s.bootstrapServer) {
                links += ";ssid=" + QByteArray::number(*s.shortServerId);
            }
            links += ";uri=" + quoted(s.serverUri);
        }
    }
    if (all || target->object == kServerObject) {
        for (const cs::ServerObjectInstance& s : bootstrap->serverInstances()) {
            links += ",</1/" + QByteArray::number(s.instanceId) +
                     ">;ssid=" + QByteArray::number(s.shortServerId);
        }
    }
    for (const lwm2m::ObjectLink& link : objectLinks_) {
        if (link.objectId == kSecurityObject || link.objectId == kServerObject ||
            (!all && target->object != link.objectId)) {
            continue;
        }
        links += ",</" + QByteArray::number(link.objectId);
        if (link.instanceId) {
            links += "/" + QByteArray::number(*link.instanceId);
        }
        links += ">";
        if (link.version) {
            links += ";ver=" + QByteArray::fromStdString(*link.version);
        }
    }
    return content(lwm2m::kLinkFormat, links);
}

RelayedAnswer BootstrapRequestHandler::finish() {
    QString error;
    cs::BootstrapSession* bootstrap = session(error);
    if (!bootstrap) {
        return fail(500, "cannot start a bootstrap session: " + error.toStdString());
    }
    if (auto committed = bootstrap->commit(modeAvailable_); !committed) {
        // Keep what the store had: the next Bootstrap-Request starts over from it.
        qCWarning(lcBootstrap).noquote()
            << endpoint_
            << "Bootstrap-Finish refused:" << QString::fromStdString(committed.error().message);
        abandon();
        return fail(406, committed.error().message);
    }
    session_.reset();
    qCInfo(lcBootstrap).noquote() << endpoint_ << "bootstrap committed";
    RelayedAnswer answer;
    answer.code = COAP_RESPONSE_CODE_CHANGED;
    return answer;
}

}  // namespace lwm2mgw
