#include "test_sensor.h"

#include "coap_pdu_util.h"
#include "senml_json.h"
#include "sensor_hub.h"

#include <QDateTime>
#include <QTimerEvent>

#include <algorithm>
#include <set>

namespace lwm2mgw::peers {

namespace {

constexpr int kCreated = 201;
constexpr int kDeleted = 202;
constexpr int kChanged = 204;
constexpr int kContent = 205;
constexpr int kBadRequest = 400;
constexpr int kNotFound = 404;
constexpr int kMethodNotAllowed = 405;
constexpr int kNotAcceptable = 406;
constexpr int kUnsupportedFormat = 415;
constexpr int kInternalError = 500;

// Notifications are built by hand, so they carry the first block themselves (RFC 7959 2.6).
constexpr qsizetype kNotificationBlock = 1024;
constexpr quint32 kNotificationSzx = 6;

int statusCode(ObjectTree::Status status) {
    switch (status) {
        case ObjectTree::Status::Ok:
            return kChanged;
        case ObjectTree::Status::NotFound:
            return kNotFound;
        case ObjectTree::Status::MethodNotAllowed:
            return kMethodNotAllowed;
        case ObjectTree::Status::BadRequest:
            break;
    }
    return kBadRequest;
}

Lwm2mPath pathTo(int object, int instance = -1) {
    Lwm2mPath path;
    path.object = object;
    path.instance = instance;
    return path;
}

int contentFormatOf(const coap_pdu_t* pdu) {
    const auto format = uintOption(pdu, COAP_OPTION_CONTENT_FORMAT);
    return format ? static_cast<int>(*format) : -1;
}

int acceptOf(const coap_pdu_t* pdu) {
    const auto accept = uintOption(pdu, COAP_OPTION_ACCEPT);
    return accept ? static_cast<int>(*accept) : -1;
}

bool isNumber(const QString& text) {
    bool ok = false;
    text.toDouble(&ok);
    return ok;
}

}  // namespace

CoapEventLoop* TestSensor::createEventLoop(QObject* parent) {
    initCoapLibrary();
    coap_context_t* context = coap_new_context(nullptr);
    if (context == nullptr) {
        return nullptr;
    }
    coap_context_set_block_mode(context, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
    return new CoapEventLoop(context, parent);
}

TestSensor::TestSensor(CoapEventLoop* loop, QObject* parent)
    : QObject(parent), loop_(loop), hub_(SensorHub::forLoop(loop)) {
    tree_.set(*Lwm2mPath::parse(u"/1/0/0"), ResourceType::Integer, "1");
    tree_.set(*Lwm2mPath::parse(u"/1/0/1"), ResourceType::Integer, "86400");
    tree_.set(*Lwm2mPath::parse(u"/1/0/7"), ResourceType::String, "U");
    tree_.set(*Lwm2mPath::parse(u"/3/0/0"), ResourceType::String, "lwm2m-gateway tests");
    tree_.set(*Lwm2mPath::parse(u"/3/0/1"), ResourceType::String, "test-sensor");
    tree_.set(*Lwm2mPath::parse(u"/3/0/2"), ResourceType::String, "0000");
    tree_.set(*Lwm2mPath::parse(u"/3/0/3"), ResourceType::String, "1.0");
    tree_.addExecutable(*Lwm2mPath::parse(u"/3/0/4"));
    tree_.set(*Lwm2mPath::parse(u"/3/0/13"), ResourceType::Integer,
              QByteArray::number(QDateTime::currentSecsSinceEpoch()));
    tree_.set(*Lwm2mPath::parse(u"/3/0/16"), ResourceType::String, "U");
}

TestSensor::~TestSensor() {
    if (updateTimer_ != 0) {
        killTimer(updateTimer_);
    }
    // Once the loop is gone its context has freed the session already.
    if (loop_ && session_ != nullptr) {
        hub_->exchanges().forgetSession(session_);
        coap_session_set_app_data(session_, nullptr);
        coap_session_release(session_);
    }
}

quint16 TestSensor::localPort() const {
    return session_ == nullptr ? 0 : peers::localPort(session_).value_or(0);
}

bool TestSensor::registerTo(const QString& uri, const QString& endpoint, qint64 lifetime,
                            const QString& lwm2mVersion, const QString& binding) {
    if (!loop_ || endpoint.isEmpty() || lifetime <= 0) {
        return false;
    }
    const QByteArray uriText = uri.toUtf8();
    coap_uri_t parsed;
    if (coap_split_uri(reinterpret_cast<const uint8_t*>(uriText.constData()),
                       static_cast<size_t>(uriText.size()), &parsed) < 0 ||
        parsed.scheme != COAP_URI_SCHEME_COAP) {
        return false;
    }
    const QString host = QString::fromUtf8(reinterpret_cast<const char*>(parsed.host.s),
                                           static_cast<qsizetype>(parsed.host.length));
    coap_address_t server;
    if (!addressFromString(host, parsed.port, &server)) {
        return false;
    }
    if (session_ != nullptr && uri != serverUri_) {
        hub_->exchanges().forgetSession(session_);
        coap_session_set_app_data(session_, nullptr);
        coap_session_release(session_);
        session_ = nullptr;
    }
    if (session_ == nullptr) {
        session_ = coap_new_client_session(hub_->context(), nullptr, &server, COAP_PROTO_UDP);
        if (session_ == nullptr) {
            return false;
        }
        coap_session_set_app_data(session_, this);
    }
    serverUri_ = uri;
    endpoint_ = endpoint;
    lifetime_ = lifetime;
    lwm2mVersion_ = lwm2mVersion;
    binding_ = binding;
    tree_.set(*Lwm2mPath::parse(u"/1/0/1"), ResourceType::Integer, QByteArray::number(lifetime));
    tree_.set(*Lwm2mPath::parse(u"/1/0/7"), ResourceType::String, binding.toUtf8());
    tree_.set(*Lwm2mPath::parse(u"/3/0/16"), ResourceType::String, binding.toUtf8());
    return sendRegister();
}

bool TestSensor::sendRegister() {
    const QStringList query = {
        QStringLiteral("ep=") + endpoint_,
        QStringLiteral("lt=") + QString::number(lifetime_),
        QStringLiteral("lwm2m=") + lwm2mVersion_,
        QStringLiteral("b=") + binding_,
    };
    const bool withRoot = lwm2mVersion_ != QLatin1String("1.0");
    return sendRequest(COAP_REQUEST_CODE_POST, {QStringLiteral("rd")}, query, format::kLinkFormat,
                       tree_.registrationLinks(withRoot), [this](const Response& response) {
                           if (response.code != kCreated || response.locationPath.isEmpty()) {
                               emit registrationFailed(response.code);
                               return;
                           }
                           location_ = u'/' + response.locationPath.join(u'/');
                           scheduleUpdate();
                           emit registered(location_);
                       });
}

bool TestSensor::update(bool withLinks) {
    if (!isRegistered()) {
        return false;
    }
    const QByteArray links =
        withLinks ? tree_.registrationLinks(lwm2mVersion_ != QLatin1String("1.0")) : QByteArray();
    return sendRequest(COAP_REQUEST_CODE_POST, location_.split(u'/', Qt::SkipEmptyParts), {},
                       withLinks ? format::kLinkFormat : -1, links,
                       [this](const Response& response) {
                           if (response.code == kChanged) {
                               scheduleUpdate();
                               emit updated();
                               return;
                           }
                           emit updateFailed(response.code);
                           if (response.code == kNotFound) {
                               // The server forgot us: register again (Core 6.2.2).
                               resetRegistration();
                               sendRegister();
                           }
                       });
}

bool TestSensor::deregister() {
    if (!isRegistered()) {
        return false;
    }
    const QStringList path = location_.split(u'/', Qt::SkipEmptyParts);
    resetRegistration();
    return sendRequest(COAP_REQUEST_CODE_DELETE, path, {}, -1, {},
                       [this](const Response& response) {
                           if (response.code == kDeleted) {
                               emit deregistered();
                           } else {
                               emit deregistrationFailed(response.code);
                           }
                       });
}

void TestSensor::resetRegistration() {
    location_.clear();
    observations_.clear();
    if (updateTimer_ != 0) {
        killTimer(updateTimer_);
        updateTimer_ = 0;
    }
}

void TestSensor::setAutoUpdate(bool enabled) {
    autoUpdate_ = enabled;
    scheduleUpdate();
}

void TestSensor::scheduleUpdate() {
    if (updateTimer_ != 0) {
        killTimer(updateTimer_);
        updateTimer_ = 0;
    }
    if (autoUpdate_ && isRegistered()) {
        const qint64 ms = std::max<qint64>(500, lifetime_ * 750);
        updateTimer_ = startTimer(static_cast<int>(std::min<qint64>(ms, 24LL * 3600 * 1000)));
    }
}

void TestSensor::timerEvent(QTimerEvent* event) {
    if (event->timerId() != updateTimer_) {
        QObject::timerEvent(event);
        return;
    }
    killTimer(updateTimer_);
    updateTimer_ = 0;
    update(false);
}

bool TestSensor::send(const QByteArray& senmlJson) {
    if (!isRegistered()) {
        return false;
    }
    return sendRequest(COAP_REQUEST_CODE_POST, {QStringLiteral("dp")}, {}, format::kSenmlJson,
                       senmlJson,
                       [this](const Response& response) { emit sendCompleted(response.code); });
}

bool TestSensor::sendRequest(coap_pdu_code_t method, const QStringList& uriPath,
                             const QStringList& query, int contentFormat, const QByteArray& body,
                             std::function<void(const Response&)> done) {
    if (!loop_ || session_ == nullptr) {
        return false;
    }
    coap_pdu_t* pdu = coap_pdu_init(COAP_MESSAGE_CON, method, coap_new_message_id(session_),
                                    coap_session_max_pdu_size(session_));
    if (pdu == nullptr) {
        return false;
    }
    uint8_t token[8];
    size_t tokenLength = 0;
    coap_session_new_token(session_, &tokenLength, token);
    coap_add_token(pdu, tokenLength, token);
    for (const QString& segment : uriPath) {
        const QByteArray bytes = segment.toUtf8();
        coap_add_option(pdu, COAP_OPTION_URI_PATH, static_cast<size_t>(bytes.size()),
                        reinterpret_cast<const uint8_t*>(bytes.constData()));
    }
    if (contentFormat >= 0) {
        addUintOption(pdu, COAP_OPTION_CONTENT_FORMAT, static_cast<quint32>(contentFormat));
    }
    for (const QString& item : query) {
        const QByteArray bytes = item.toUtf8();
        coap_add_option(pdu, COAP_OPTION_URI_QUERY, static_cast<size_t>(bytes.size()),
                        reinterpret_cast<const uint8_t*>(bytes.constData()));
    }
    if (!addLargeRequestBody(session_, pdu, body)) {
        coap_delete_pdu(pdu);
        return false;
    }
    const QByteArray tokenBytes(reinterpret_cast<const char*>(token),
                                static_cast<qsizetype>(tokenLength));
    // Registered before sending: libcoap may report a failure from inside coap_send().
    const quint64 handle =
        hub_->exchanges().add(session_, tokenBytes, requestTimeoutMs_, std::move(done));
    if (coap_send(session_, pdu) == COAP_INVALID_MID) {
        hub_->exchanges().forget(handle);
        return false;
    }
    hub_->afterSend();
    return true;
}

bool TestSensor::setResource(const QString& path, const QByteArray& value,
                             std::optional<ResourceType> type) {
    const auto parsed = Lwm2mPath::parse(path);
    if (!parsed || parsed->depth() < 3) {
        return false;
    }
    const ResourceNode* existing = tree_.resource(*parsed);
    const ResourceType resolved =
        type.value_or(existing != nullptr ? existing->type : ResourceType::String);
    const auto normalised = ObjectTree::normalise(resolved, value);
    if (!normalised) {
        return false;
    }
    if (existing != nullptr && existing->multiple && parsed->depth() == 4) {
        tree_.resource(*parsed)->values[parsed->resourceInstance] = *normalised;
        tree_.resource(*parsed)->type = resolved;
    } else {
        tree_.set(*parsed, resolved, *normalised);
    }
    notifyChanged(*parsed);
    return true;
}

std::optional<QByteArray> TestSensor::resourceValue(const QString& path) const {
    const auto parsed = Lwm2mPath::parse(path);
    if (!parsed || parsed->depth() < 3) {
        return std::nullopt;
    }
    const ResourceNode* node = tree_.resource(*parsed);
    if (node == nullptr || node->executable) {
        return std::nullopt;
    }
    const auto value = node->values.find(parsed->depth() == 4 ? parsed->resourceInstance : 0);
    if (value == node->values.end()) {
        return std::nullopt;
    }
    return value->second;
}

void TestSensor::addObject(int objectId) {
    tree_.addObject(objectId);
}

void TestSensor::addObjectInstance(int objectId, int instanceId) {
    tree_.addInstance(objectId, instanceId);
    notifyChanged(pathTo(objectId, instanceId));
}

void TestSensor::addExecutableResource(const QString& path) {
    if (const auto parsed = Lwm2mPath::parse(path)) {
        tree_.addExecutable(*parsed);
    }
}

int TestSensor::executionCount(const QString& path) const {
    const auto it = executions_.find(path);
    return it == executions_.end() ? 0 : it->second.count;
}

QList<QByteArray> TestSensor::executeArguments(const QString& path) const {
    const auto it = executions_.find(path);
    return it == executions_.end() ? QList<QByteArray>() : it->second.arguments;
}

quint32 TestSensor::requestsServed(coap_request_t method) const {
    const auto index = static_cast<size_t>(method);
    return index < served_.size() ? served_[index] : 0;
}

void TestSensor::handleRequest(coap_resource_t* resource, coap_session_t* session,
                               const coap_pdu_t* request, const coap_string_t* query,
                               coap_pdu_t* response) {
    if (silent_) {
        ++dropped_;
        dropWithoutAnswer(request, response);
        return;
    }
    const auto method = static_cast<size_t>(coap_pdu_get_code(request));
    if (method < served_.size()) {
        ++served_[method];
    }
    const auto path = Lwm2mPath::fromSegments(uriPath(request));
    if (!path) {
        coap_pdu_set_code(response, codeFromNumber(kNotFound));
        return;
    }

    ReadResult result;
    int code = kMethodNotAllowed;
    switch (coap_pdu_get_code(request)) {
        case COAP_REQUEST_CODE_GET:
            code = serveGet(*path, request, &result);
            if (const auto action = uintOption(request, COAP_OPTION_OBSERVE);
                action && *action == COAP_OBSERVE_CANCEL) {
                endObservation(pduToken(request));  // RFC 7641 3.6
            }
            if (code == kContent) {
                const auto observeAction = uintOption(request, COAP_OPTION_OBSERVE);
                if (observeAction && *observeAction == COAP_OBSERVE_ESTABLISH) {
                    observe(request, {*path}, false, acceptOf(request), response);
                }
            }
            break;
        case COAP_REQUEST_CODE_PUT:
            code = servePut(*path, request);
            break;
        case COAP_REQUEST_CODE_POST:
            code = servePost(*path, request, response);
            break;
        case COAP_REQUEST_CODE_DELETE:
            code = serveDelete(*path);
            break;
        case COAP_REQUEST_CODE_FETCH: {
            std::vector<Lwm2mPath> paths;
            code = serveFetch(request, &result, &paths);
            const auto observeAction = uintOption(request, COAP_OPTION_OBSERVE);
            if (observeAction && *observeAction == COAP_OBSERVE_CANCEL) {
                endObservation(pduToken(request));
            }
            if (code == kContent && observeAction && *observeAction == COAP_OBSERVE_ESTABLISH) {
                observe(request, std::move(paths), true, acceptOf(request), response);
            }
            break;
        }
        case COAP_REQUEST_CODE_IPATCH:
            code = serveIpatch(request);
            break;
        default:
            break;
    }
    coap_pdu_set_code(response, codeFromNumber(code));
    if (code == kContent && !addLargeResponseBody(resource, session, request, response, query,
                                                  result.contentFormat, result.body)) {
        coap_pdu_set_code(response, codeFromNumber(kInternalError));
    }
}

TestSensor::ReadResult TestSensor::read(const std::vector<Lwm2mPath>& paths, bool composite,
                                        int accept) const {
    ReadResult result;
    if (paths.empty()) {
        result.code = kBadRequest;
        return result;
    }
    QList<SenmlRecord> records;
    for (const Lwm2mPath& path : paths) {
        if (!tree_.exists(path)) {
            if (composite) {
                continue;  // Read-Composite reports what exists
            }
            result.code = kNotFound;
            return result;
        }
        if (path.depth() == 0) {
            result.code = kMethodNotAllowed;  // only a Bootstrap Server reads the root
            return result;
        }
        if (path.depth() >= 3 && tree_.resource(path)->executable) {
            result.code = kMethodNotAllowed;
            return result;
        }
        records.append(tree_.read(path));
    }
    if (composite && records.isEmpty()) {
        result.code = kNotFound;
        return result;
    }
    const Lwm2mPath& first = paths.front();
    const ResourceNode* single = !composite && first.depth() >= 3 ? tree_.resource(first) : nullptr;
    const bool scalar = single != nullptr && (!single->multiple || first.depth() == 4);
    const int wanted =
        accept >= 0
            ? accept
            : (scalar ? (single->type == ResourceType::Opaque ? format::kOpaque : format::kText)
                      : format::kSenmlJson);
    result.contentFormat = wanted;
    if (wanted == format::kSenmlJson) {
        result.body = senml::encode(records);
    } else if (scalar && wanted == format::kText) {
        const QByteArray& value = records.front().text;
        result.body = single->type == ResourceType::Opaque ? value.toBase64() : value;
    } else if (scalar && wanted == format::kOpaque && single->type == ResourceType::Opaque) {
        result.body = records.front().text;
    } else {
        result.code = kNotAcceptable;  // TLV, LwM2M JSON, CBOR: not produced here
        result.contentFormat = -1;
    }
    return result;
}

int TestSensor::serveGet(const Lwm2mPath& path, const coap_pdu_t* request, ReadResult* out) {
    const auto accept = uintOption(request, COAP_OPTION_ACCEPT);
    if (accept && *accept == format::kLinkFormat) {
        if (path.depth() == 0 || path.depth() == 4) {
            return path.depth() == 0 ? kMethodNotAllowed : kBadRequest;
        }
        if (!tree_.exists(path)) {
            return kNotFound;
        }
        out->contentFormat = format::kLinkFormat;
        out->body = tree_.discover(path);
        return kContent;
    }
    *out = read({path}, false, accept ? static_cast<int>(*accept) : -1);
    return out->code;
}

int TestSensor::writeAttributes(const Lwm2mPath& path, const coap_pdu_t* request) {
    if (path.depth() == 0 || path.depth() == 4) {
        return kMethodNotAllowed;
    }
    Attributes* attributes = tree_.attributes(path);
    if (attributes == nullptr) {
        return kNotFound;
    }
    static const std::set<QString> integral = {QStringLiteral("pmin"), QStringLiteral("pmax"),
                                               QStringLiteral("epmin"), QStringLiteral("epmax")};
    static const std::set<QString> numeric = {QStringLiteral("gt"), QStringLiteral("lt"),
                                              QStringLiteral("st")};
    const QMap<QString, QString> query = uriQuery(request);
    for (auto it = query.begin(); it != query.end(); ++it) {
        bool ok = true;
        if (integral.count(it.key()) != 0) {
            if (!it.value().isEmpty()) {
                ok = it.value().toUInt(&ok) <= 0x7fffffffU && ok;
            }
        } else if (numeric.count(it.key()) != 0) {
            ok = it.value().isEmpty() || isNumber(it.value());
        } else {
            ok = false;
        }
        if (!ok) {
            return kBadRequest;
        }
    }
    for (auto it = query.begin(); it != query.end(); ++it) {
        if (it.value().isEmpty()) {
            attributes->erase(it.key());  // "?pmin" without value removes it (Core 5.4.4)
        } else {
            (*attributes)[it.key()] = it.value();
        }
    }
    return kChanged;
}

int TestSensor::servePut(const Lwm2mPath& path, const coap_pdu_t* request) {
    const QByteArray body = pduBody(request);
    if (body.isEmpty() && !optionValues(request, COAP_OPTION_URI_QUERY).isEmpty()) {
        return writeAttributes(path, request);
    }
    if (path.depth() < 2) {
        return kMethodNotAllowed;
    }
    if (!tree_.exists(path)) {
        return kNotFound;
    }
    const int format = contentFormatOf(request);
    int code = kUnsupportedFormat;
    if (format == format::kSenmlJson) {
        const auto records = senml::decode(body);
        code = records ? statusCode(tree_.writeRecords(path, *records, true)) : kBadRequest;
    } else if (path.depth() >= 3 && (format == format::kText || format < 0)) {
        const ResourceNode* node = tree_.resource(path);
        QByteArray value = body;
        if (node != nullptr && node->type == ResourceType::Opaque) {
            auto decoded = QByteArray::fromBase64Encoding(body);
            if (!decoded) {
                return kBadRequest;
            }
            value = *decoded;
        }
        code = statusCode(tree_.writeText(path, value));
    } else if (path.depth() >= 3 && format == format::kOpaque) {
        const ResourceNode* node = tree_.resource(path);
        code = node != nullptr && node->type != ResourceType::Opaque
                   ? kBadRequest
                   : statusCode(tree_.writeText(path, body));
    }
    if (code == kChanged) {
        notifyChanged(path);
        emit written(path.toString());
    }
    return code;
}

int TestSensor::servePost(const Lwm2mPath& path, const coap_pdu_t* request, coap_pdu_t* response) {
    switch (path.depth()) {
        case 1:
            return create(path, request, response);
        case 2: {
            if (!tree_.exists(path)) {
                return kNotFound;
            }
            if (contentFormatOf(request) != format::kSenmlJson) {
                return kUnsupportedFormat;
            }
            const auto records = senml::decode(pduBody(request));
            const int code =
                records ? statusCode(tree_.writeRecords(path, *records, false)) : kBadRequest;
            if (code == kChanged) {
                notifyChanged(path);
                emit written(path.toString());
            }
            return code;
        }
        case 3: {
            const ResourceNode* node = tree_.resource(path);
            if (node == nullptr) {
                return kNotFound;
            }
            if (!node->executable) {
                return kMethodNotAllowed;
            }
            const QString key = path.toString();
            const QByteArray arguments = pduBody(request);
            Execution& execution = executions_[key];
            ++execution.count;
            execution.arguments.append(arguments);
            emit executed(key, arguments);
            return kChanged;
        }
        default:
            return kMethodNotAllowed;
    }
}

int TestSensor::create(const Lwm2mPath& path, const coap_pdu_t* request, coap_pdu_t* response) {
    if (tree_.object(path.object) == nullptr) {
        return kNotFound;
    }
    const QByteArray body = pduBody(request);
    QList<SenmlRecord> records;
    if (!body.isEmpty()) {
        if (contentFormatOf(request) != format::kSenmlJson) {
            return kUnsupportedFormat;
        }
        auto decoded = senml::decode(body);
        if (!decoded) {
            return kBadRequest;
        }
        records = *decoded;
    }
    // Names carry the new instance id ("/5/1/0") or are bare resource ids ("0").
    std::optional<int> instanceId;
    QList<std::pair<Lwm2mPath, SenmlRecord>> placed;
    for (const SenmlRecord& record : records) {
        const auto full = Lwm2mPath::parse(record.name);
        if (!full || record.kind == SenmlRecord::Kind::None) {
            return kBadRequest;
        }
        Lwm2mPath target;
        if (record.name.startsWith(u'/')) {
            if (full->depth() < 3 || full->object != path.object ||
                (instanceId && *instanceId != full->instance)) {
                return kBadRequest;
            }
            instanceId = full->instance;
            target = *full;
        } else {
            if (full->depth() > 2) {
                return kBadRequest;
            }
            target.object = path.object;
            target.resource = full->object;
            target.resourceInstance = full->instance;
        }
        placed.append({target, record});
    }
    if (!instanceId) {
        instanceId = tree_.freeInstanceId(path.object);
        if (!instanceId) {
            return kInternalError;
        }
    }
    if (tree_.instance(path.object, *instanceId) != nullptr) {
        return kBadRequest;  // instance already exists (Core 5.4.5)
    }
    tree_.addInstance(path.object, *instanceId);
    for (auto& [target, record] : placed) {
        target.instance = *instanceId;
        tree_.set(target, ObjectTree::typeOf(record), record.text);
    }
    const QByteArray objectSegment = QByteArray::number(path.object);
    const QByteArray instanceSegment = QByteArray::number(*instanceId);
    coap_add_option(response, COAP_OPTION_LOCATION_PATH, static_cast<size_t>(objectSegment.size()),
                    reinterpret_cast<const uint8_t*>(objectSegment.constData()));
    coap_add_option(response, COAP_OPTION_LOCATION_PATH,
                    static_cast<size_t>(instanceSegment.size()),
                    reinterpret_cast<const uint8_t*>(instanceSegment.constData()));
    notifyChanged(pathTo(path.object, *instanceId));
    return kCreated;
}

int TestSensor::serveDelete(const Lwm2mPath& path) {
    if (path.depth() != 2) {
        return kMethodNotAllowed;
    }
    if (!tree_.removeInstance(path.object, path.instance)) {
        return kNotFound;
    }
    notifyChanged(path);
    return kDeleted;
}

int TestSensor::serveFetch(const coap_pdu_t* request, ReadResult* out,
                           std::vector<Lwm2mPath>* paths) {
    if (contentFormatOf(request) != format::kSenmlJson) {
        return kUnsupportedFormat;
    }
    const auto records = senml::decode(pduBody(request));
    if (!records || records->isEmpty()) {
        return kBadRequest;
    }
    for (const SenmlRecord& record : *records) {
        const auto path = Lwm2mPath::parse(record.name);
        if (!path || path->depth() == 0) {
            return kBadRequest;
        }
        paths->push_back(*path);
    }
    const auto accept = uintOption(request, COAP_OPTION_ACCEPT);
    *out = read(*paths, true, accept ? static_cast<int>(*accept) : format::kSenmlJson);
    return out->code;
}

int TestSensor::serveIpatch(const coap_pdu_t* request) {
    if (contentFormatOf(request) != format::kSenmlJson) {
        return kUnsupportedFormat;
    }
    const auto records = senml::decode(pduBody(request));
    if (!records) {
        return kBadRequest;
    }
    const int code = statusCode(tree_.writeRecords(Lwm2mPath{}, *records, false));
    if (code == kChanged) {
        for (const SenmlRecord& record : *records) {
            const Lwm2mPath path = *Lwm2mPath::parse(record.name);
            notifyChanged(path);
            emit written(path.toString());
        }
    }
    return code;
}

void TestSensor::observe(const coap_pdu_t* request, std::vector<Lwm2mPath> paths, bool composite,
                         int accept, coap_pdu_t* response) {
    Observation observation;
    observation.token = pduToken(request);
    observation.paths = std::move(paths);
    observation.composite = composite;
    observation.accept = accept < 0 && composite ? format::kSenmlJson : accept;
    // Re-registering with the same token replaces the observation (RFC 7641 4.1).
    observations_.erase(std::remove_if(observations_.begin(), observations_.end(),
                                       [&](const Observation& existing) {
                                           return existing.token == observation.token;
                                       }),
                        observations_.end());
    const QString name = observation.paths.front().toString();
    observations_.push_back(std::move(observation));
    addUintOption(response, COAP_OPTION_OBSERVE, observeSequence_++ & 0xffffffU);
    emit observationStarted(name);
}

void TestSensor::notifyChanged(const Lwm2mPath& changed) {
    if (observations_.empty() || session_ == nullptr) {
        return;
    }
    // Copy: a failed send may remove observations while iterating.
    const std::vector<Observation> current = observations_;
    for (const Observation& observation : current) {
        const bool affected = std::any_of(
            observation.paths.begin(), observation.paths.end(), [&](const Lwm2mPath& observed) {
                return observed.covers(changed) || changed.covers(observed);
            });
        if (!affected) {
            continue;
        }
        const ReadResult result =
            read(observation.paths, observation.composite, observation.accept);
        sendNotification(observation, result);
        if (result.code != kContent) {
            // The observed target is gone: that error notification ends it (RFC 7641 3.2).
            endObservation(observation.token);
        }
    }
}

void TestSensor::sendNotification(const Observation& observation, const ReadResult& result) {
    const coap_pdu_type_t type =
        notificationsNon_ && result.code == kContent ? COAP_MESSAGE_NON : COAP_MESSAGE_CON;
    coap_pdu_t* pdu =
        coap_pdu_init(type, codeFromNumber(result.code), coap_new_message_id(session_),
                      coap_session_max_pdu_size(session_));
    if (pdu == nullptr) {
        return;
    }
    coap_add_token(pdu, static_cast<size_t>(observation.token.size()),
                   reinterpret_cast<const uint8_t*>(observation.token.constData()));
    if (result.code == kContent) {
        addUintOption(pdu, COAP_OPTION_OBSERVE, observeSequence_++ & 0xffffffU);
        addUintOption(pdu, COAP_OPTION_CONTENT_FORMAT, static_cast<quint32>(result.contentFormat));
    }
    QByteArray payload = result.body;
    if (payload.size() > kNotificationBlock) {
        // First block only; the observer fetches the rest with GET Block2 (RFC 7959 2.6).
        addUintOption(pdu, COAP_OPTION_BLOCK2, (1U << 3) | kNotificationSzx);
        addUintOption(pdu, COAP_OPTION_SIZE2, static_cast<quint32>(payload.size()));
        payload.truncate(kNotificationBlock);
    }
    if (!payload.isEmpty()) {
        coap_add_data(pdu, static_cast<size_t>(payload.size()),
                      reinterpret_cast<const uint8_t*>(payload.constData()));
    }
    if (coap_send(session_, pdu) != COAP_INVALID_MID) {
        ++notificationsSent_;
    }
    hub_->afterSend();
}

void TestSensor::handleNotificationFailure(const QByteArray& token, coap_nack_reason_t reason) {
    if (reason == COAP_NACK_ICMP_ISSUE) {
        return;
    }
    // RST or no ACK to a notification: the observer is gone (RFC 7641 3.6 and 4.5).
    endObservation(token);
}

void TestSensor::endObservation(const QByteArray& token) {
    const auto it = std::find_if(observations_.begin(), observations_.end(),
                                 [&](const Observation& o) { return o.token == token; });
    if (it == observations_.end()) {
        return;
    }
    const QString name = it->paths.front().toString();
    observations_.erase(it);
    emit observationEnded(name);
}

}  // namespace lwm2mgw::peers
