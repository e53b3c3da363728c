#include "test_lwm2m_server.h"

#include "coap_pdu_util.h"
#include "senml_json.h"

#include <QMetaObject>

namespace lwm2mgw::peers {

namespace {

constexpr int kCreated = 201;
constexpr int kDeleted = 202;
constexpr int kChanged = 204;
constexpr int kBadRequest = 400;
constexpr int kForbidden = 403;
constexpr int kNotFound = 404;
constexpr int kMethodNotAllowed = 405;
constexpr int kServiceUnavailable = 503;

class CallbackScope {
public:
    explicit CallbackScope(int& depth) : depth_(depth) { ++depth_; }
    ~CallbackScope() { --depth_; }
    CallbackScope(const CallbackScope&) = delete;
    CallbackScope& operator=(const CallbackScope&) = delete;

private:
    int& depth_;
};

bool isRequest(const coap_pdu_t* pdu) {
    const int code = static_cast<int>(coap_pdu_get_code(pdu));
    return code >= 1 && code <= 31;
}

void addStringOption(coap_pdu_t* pdu, coap_option_num_t number, const QString& value) {
    const QByteArray bytes = value.toUtf8();
    coap_add_option(pdu, number, static_cast<size_t>(bytes.size()),
                    reinterpret_cast<const uint8_t*>(bytes.constData()));
}

// The bound port, which libcoap only exposes through its endpoint description.
quint16 boundPort(const coap_endpoint_t* endpoint) {
    const QString text = QString::fromLatin1(coap_endpoint_str(endpoint)).section(u' ', 0, 0);
    return static_cast<quint16>(text.section(u':', -1).toUInt());
}

QByteArray senmlNames(const QStringList& paths) {
    QList<SenmlRecord> records;
    for (const QString& path : paths) {
        records.append(SenmlRecord{path, SenmlRecord::Kind::None, {}});
    }
    return senml::encode(records);
}

}  // namespace

TestLwm2mServer::TestLwm2mServer(QObject* parent) : QObject(parent), exchanges_(this) {
    clock_.start();
    expiryTimer_.setSingleShot(true);
    connect(&expiryTimer_, &QTimer::timeout, this, &TestLwm2mServer::expireRegistrations);
}

TestLwm2mServer::~TestLwm2mServer() {
    close();
}

bool TestLwm2mServer::listen(const QString& host, quint16 port) {
    close();
    initCoapLibrary();
    coap_address_t address;
    if (!addressFromString(host, port, &address)) {
        return false;
    }
    coap_context_t* context = coap_new_context(nullptr);
    if (context == nullptr) {
        return false;
    }
    coap_context_set_block_mode(context, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
    coap_set_app_data(context, this);
    coap_register_response_handler(context, &TestLwm2mServer::onResponse);
    coap_register_nack_handler(context, &TestLwm2mServer::onNack);
    coap_resource_t* resource = coap_resource_unknown_init2(&TestLwm2mServer::onRequest, 0);
    for (const coap_request_t method :
         {COAP_REQUEST_GET, COAP_REQUEST_POST, COAP_REQUEST_DELETE, COAP_REQUEST_FETCH,
          COAP_REQUEST_PATCH, COAP_REQUEST_IPATCH}) {
        coap_register_request_handler(resource, method, &TestLwm2mServer::onRequest);
    }
    coap_add_resource(context, resource);
    coap_endpoint_t* endpoint = coap_new_endpoint(context, &address, COAP_PROTO_UDP);
    if (endpoint == nullptr) {
        coap_free_context(context);
        return false;
    }
    port_ = boundPort(endpoint);
    loop_ = std::make_unique<CoapEventLoop>(context);
    return true;
}

void TestLwm2mServer::close() {
    exchanges_.clear();
    observedEndpoint_.clear();
    for (auto& [endpoint, registration] : registrations_) {
        if (registration.session != nullptr && loop_) {
            coap_session_release(registration.session);
        }
    }
    registrations_.clear();
    locations_.clear();
    expiryTimer_.stop();
    if (loop_) {
        coap_set_app_data(loop_->context(), nullptr);
        if (callbackDepth_ > 0) {
            // Called from one of our libcoap callbacks: libcoap is still using the context.
            loop_.release()->deleteLater();
        } else {
            loop_.reset();
        }
    }
    port_ = 0;
}

QStringList TestLwm2mServer::endpoints() const {
    QStringList out;
    for (const auto& entry : registrations_) {
        out.append(entry.first);
    }
    return out;
}

std::optional<TestLwm2mServer::ClientRecord> TestLwm2mServer::client(
    const QString& endpoint) const {
    const auto it = registrations_.find(endpoint);
    if (it == registrations_.end()) {
        return std::nullopt;
    }
    return it->second.record;
}

QList<TestLwm2mServer::SendRecord> TestLwm2mServer::sends(const QString& endpoint) const {
    const auto it = registrations_.find(endpoint);
    return it == registrations_.end() ? QList<SendRecord>() : it->second.sends;
}

void TestLwm2mServer::setAcceptRegistrations(bool accept, Refusal refusal) {
    acceptRegistrations_ = accept;
    refusal_ = refusal;
}

TestLwm2mServer* TestLwm2mServer::fromSession(const coap_session_t* session) {
    return static_cast<TestLwm2mServer*>(coap_get_app_data(coap_session_get_context(session)));
}

void TestLwm2mServer::onRequest(coap_resource_t* /*resource*/, coap_session_t* session,
                                const coap_pdu_t* request, const coap_string_t* /*query*/,
                                coap_pdu_t* response) {
    TestLwm2mServer* self = fromSession(session);
    if (self == nullptr) {
        coap_pdu_set_code(response, COAP_RESPONSE_CODE_SERVICE_UNAVAILABLE);
        return;
    }
    CallbackScope scope(self->callbackDepth_);
    const QStringList path = uriPath(request);
    const coap_pdu_code_t method = coap_pdu_get_code(request);
    int code = kNotFound;
    QString endpoint;
    void (TestLwm2mServer::*event)(const QString&) = nullptr;
    if (path == QStringList{QStringLiteral("rd")}) {
        if (method != COAP_REQUEST_CODE_POST) {
            code = kMethodNotAllowed;
        } else if (!self->acceptRegistrations_) {
            ++self->counters_.refusedRegisters;
            if (self->refusal_ == Refusal::Drop) {
                dropWithoutAnswer(request, response);
                return;
            }
            code = kServiceUnavailable;
        } else {
            code = self->handleRegister(session, request, response, &endpoint);
            event = &TestLwm2mServer::registered;
        }
    } else if (path.size() == 2 && path.front() == QLatin1String("rd")) {
        if (method == COAP_REQUEST_CODE_POST) {
            code = self->handleUpdate(path.back(), session, request, &endpoint);
            event = &TestLwm2mServer::updated;
        } else if (method == COAP_REQUEST_CODE_DELETE) {
            code = self->handleDeregister(path.back(), &endpoint);
            event = &TestLwm2mServer::deregistered;
        } else {
            code = kMethodNotAllowed;
        }
    } else if (path == QStringList{QStringLiteral("dp")}) {
        if (method == COAP_REQUEST_CODE_POST) {
            code = self->handleSend(session, request, &endpoint);
            event = &TestLwm2mServer::sendReceived;
        } else {
            code = kMethodNotAllowed;
        }
    }
    coap_pdu_set_code(response, codeFromNumber(code));
    if (event != nullptr && code / 100 == 2) {
        // Emitted once the answer is on its way, so a slot may at once talk to the client.
        QMetaObject::invokeMethod(
            self, [self, event, endpoint] { emit(self->*event)(endpoint); }, Qt::QueuedConnection);
    }
}

int TestLwm2mServer::handleRegister(coap_session_t* session, const coap_pdu_t* request,
                                    coap_pdu_t* response, QString* registeredEndpoint) {
    const QMap<QString, QString> query = uriQuery(request);
    const QString endpoint = query.value(QStringLiteral("ep"));
    bool lifetimeOk = true;
    const qint64 lifetime = query.contains(QStringLiteral("lt"))
                                ? query.value(QStringLiteral("lt")).toLongLong(&lifetimeOk)
                                : 86400;
    if (endpoint.isEmpty() || !lifetimeOk || lifetime <= 0) {
        return kBadRequest;
    }
    ++counters_.registers;
    int previousRegistrations = 0;
    if (const auto existing = registrations_.find(endpoint); existing != registrations_.end()) {
        // A second Register of the same endpoint replaces the first (Core 6.2.1).
        previousRegistrations = existing->second.record.registrations;
        dropRegistration(endpoint);
    }
    const QString id = QString::number(nextLocation_++);
    Registration registration;
    ClientRecord& record = registration.record;
    record.endpoint = endpoint;
    record.location = QStringLiteral("/rd/") + id;
    record.lifetime = lifetime;
    record.binding = query.value(QStringLiteral("b"), QStringLiteral("U"));
    record.lwm2mVersion = query.value(QStringLiteral("lwm2m"), QStringLiteral("1.0"));
    record.smsNumber = query.value(QStringLiteral("sms"));
    record.queueMode = query.contains(QStringLiteral("Q"));
    record.links = pduBody(request);
    record.peerAddress = addressToString(coap_session_get_addr_remote(session));
    record.registrations = previousRegistrations + 1;
    registration.session = coap_session_reference(session);
    coap_session_set_nstart(session, nstart_);
    registration.expiresAt = clock_.elapsed() + lifetime * 1000;
    registrations_.emplace(endpoint, std::move(registration));
    locations_.emplace(id, endpoint);
    armExpiry();

    addStringOption(response, COAP_OPTION_LOCATION_PATH, QStringLiteral("rd"));
    addStringOption(response, COAP_OPTION_LOCATION_PATH, id);
    *registeredEndpoint = endpoint;
    return kCreated;
}

int TestLwm2mServer::handleUpdate(const QString& id, coap_session_t* session,
                                  const coap_pdu_t* request, QString* updatedEndpoint) {
    const auto location = locations_.find(id);
    if (location == locations_.end()) {
        return kNotFound;
    }
    Registration& registration = registrations_.at(location->second);
    const QMap<QString, QString> query = uriQuery(request);
    if (query.contains(QStringLiteral("lt"))) {
        bool ok = false;
        const qint64 lifetime = query.value(QStringLiteral("lt")).toLongLong(&ok);
        if (!ok || lifetime <= 0) {
            return kBadRequest;
        }
        registration.record.lifetime = lifetime;
    }
    if (query.contains(QStringLiteral("b"))) {
        registration.record.binding = query.value(QStringLiteral("b"));
    }
    if (query.contains(QStringLiteral("sms"))) {
        registration.record.smsNumber = query.value(QStringLiteral("sms"));
    }
    if (const QByteArray links = pduBody(request); !links.isEmpty()) {
        registration.record.links = links;
    }
    if (session != registration.session) {
        // The client moved (new source port or NAT rebinding): follow it (Core 6.2.2).
        coap_session_release(registration.session);
        registration.session = coap_session_reference(session);
        coap_session_set_nstart(session, nstart_);
        registration.record.peerAddress = addressToString(coap_session_get_addr_remote(session));
    }
    ++registration.record.updates;
    ++counters_.updates;
    registration.expiresAt = clock_.elapsed() + registration.record.lifetime * 1000;
    armExpiry();
    *updatedEndpoint = location->second;
    return kChanged;
}

int TestLwm2mServer::handleDeregister(const QString& id, QString* removedEndpoint) {
    const auto location = locations_.find(id);
    if (location == locations_.end()) {
        return kNotFound;
    }
    *removedEndpoint = location->second;
    ++counters_.deregisters;
    dropRegistration(location->second);
    return kDeleted;
}

int TestLwm2mServer::handleSend(coap_session_t* session, const coap_pdu_t* request,
                                QString* sender) {
    for (auto& [endpoint, registration] : registrations_) {
        if (registration.session == session) {
            SendRecord record;
            const auto format = uintOption(request, COAP_OPTION_CONTENT_FORMAT);
            record.contentFormat = format ? static_cast<int>(*format) : -1;
            record.payload = pduBody(request);
            registration.sends.append(record);
            ++counters_.sends;
            *sender = endpoint;
            return kChanged;
        }
    }
    return kForbidden;  // Send is only for registered clients (Core 6.4.1)
}

void TestLwm2mServer::dropRegistration(const QString& endpoint) {
    const auto it = registrations_.find(endpoint);
    if (it == registrations_.end()) {
        return;
    }
    locations_.erase(it->second.record.location.section(u'/', -1));
    for (auto observed = observedEndpoint_.begin(); observed != observedEndpoint_.end();) {
        if (observed->second == endpoint) {
            exchanges_.forget(observed->first);
            observed = observedEndpoint_.erase(observed);
        } else {
            ++observed;
        }
    }
    if (it->second.session != nullptr) {
        coap_session_release(it->second.session);
    }
    registrations_.erase(it);
    armExpiry();
}

void TestLwm2mServer::expireRegistrations() {
    const qint64 now = clock_.elapsed();
    QStringList gone;
    for (const auto& [endpoint, registration] : registrations_) {
        if (registration.expiresAt <= now) {
            gone.append(endpoint);
        }
    }
    for (const QString& endpoint : gone) {
        ++counters_.expiries;
        dropRegistration(endpoint);
        emit expired(endpoint);
        emit deregistered(endpoint);
    }
    armExpiry();
}

void TestLwm2mServer::armExpiry() {
    qint64 earliest = -1;
    for (const auto& entry : registrations_) {
        if (earliest < 0 || entry.second.expiresAt < earliest) {
            earliest = entry.second.expiresAt;
        }
    }
    if (earliest < 0) {
        expiryTimer_.stop();
        return;
    }
    const qint64 wait = std::max<qint64>(0, earliest - clock_.elapsed());
    expiryTimer_.start(static_cast<int>(std::min<qint64>(wait, 24LL * 3600 * 1000)));
}

coap_response_t TestLwm2mServer::onResponse(coap_session_t* session, const coap_pdu_t* /*sent*/,
                                            const coap_pdu_t* received, coap_mid_t /*mid*/) {
    TestLwm2mServer* self = fromSession(session);
    if (self != nullptr) {
        CallbackScope scope(self->callbackDepth_);
        if (self->exchanges_.deliver(session, received)) {
            return COAP_RESPONSE_OK;
        }
    }
    // Unknown token: a late piggy-backed answer is harmless, a notification nobody wants
    // gets RST (which is also how a reset-cancelled observation ends, RFC 7641 3.6).
    return coap_pdu_get_type(received) == COAP_MESSAGE_ACK ? COAP_RESPONSE_OK : COAP_RESPONSE_FAIL;
}

void TestLwm2mServer::onNack(coap_session_t* session, const coap_pdu_t* sent,
                             coap_nack_reason_t reason, coap_mid_t /*mid*/) {
    TestLwm2mServer* self = fromSession(session);
    if (self == nullptr || sent == nullptr || !isRequest(sent)) {
        return;
    }
    CallbackScope scope(self->callbackDepth_);
    self->exchanges_.fail(session, pduToken(sent), reason);
}

void TestLwm2mServer::afterSend() {
    if (callbackDepth_ == 0 && loop_) {
        loop_->rearm();
    }
}

quint64 TestLwm2mServer::request(const QString& endpoint, coap_pdu_code_t method,
                                 const QString& path, const RequestOptions& options, Callback done,
                                 Callback onNotify) {
    const auto it = registrations_.find(endpoint);
    if (it == registrations_.end() || !loop_) {
        return 0;
    }
    coap_session_t* session = it->second.session;
    coap_pdu_t* pdu = coap_pdu_init(COAP_MESSAGE_CON, method, coap_new_message_id(session),
                                    coap_session_max_pdu_size(session));
    if (pdu == nullptr) {
        return 0;
    }
    uint8_t token[8];
    size_t tokenLength = 0;
    coap_session_new_token(session, &tokenLength, token);
    coap_add_token(pdu, tokenLength, token);
    if (options.observe >= 0) {
        addUintOption(pdu, COAP_OPTION_OBSERVE, static_cast<quint32>(options.observe));
    }
    for (const QString& segment : path.split(u'/', Qt::SkipEmptyParts)) {
        addStringOption(pdu, COAP_OPTION_URI_PATH, segment);
    }
    if (options.contentFormat >= 0) {
        addUintOption(pdu, COAP_OPTION_CONTENT_FORMAT, static_cast<quint32>(options.contentFormat));
    }
    for (const QString& item : options.query) {
        addStringOption(pdu, COAP_OPTION_URI_QUERY, item);
    }
    if (options.accept >= 0) {
        addUintOption(pdu, COAP_OPTION_ACCEPT, static_cast<quint32>(options.accept));
    }
    if (!addLargeRequestBody(session, pdu, options.payload)) {
        coap_delete_pdu(pdu);
        return 0;
    }
    const QByteArray tokenBytes(reinterpret_cast<const char*>(token),
                                static_cast<qsizetype>(tokenLength));
    Callback finish = [this, done = std::move(done)](const Response& response) {
        if (response.timedOut) {
            ++counters_.requestTimeouts;
        }
        if (done) {
            done(response);
        }
    };
    Callback notify;
    const bool observing = options.observe == COAP_OBSERVE_ESTABLISH;
    if (observing) {
        notify = [this, endpoint, path, onNotify = std::move(onNotify)](const Response& response) {
            if (onNotify) {
                onNotify(response);
            }
            emit notification(endpoint, path, response);
        };
    }
    const quint64 handle = exchanges_.add(session, tokenBytes, requestTimeoutMs_, std::move(finish),
                                          std::move(notify));
    if (coap_send(session, pdu) == COAP_INVALID_MID) {
        exchanges_.forget(handle);
        return 0;
    }
    if (observing) {
        observedEndpoint_.emplace(handle, endpoint);
    }
    ++counters_.requestsSent;
    afterSend();
    return handle;
}

quint64 TestLwm2mServer::read(const QString& endpoint, const QString& path, Callback done,
                              int accept) {
    RequestOptions options;
    options.accept = accept;
    return request(endpoint, COAP_REQUEST_CODE_GET, path, options, std::move(done));
}

quint64 TestLwm2mServer::discover(const QString& endpoint, const QString& path, Callback done) {
    return read(endpoint, path, std::move(done), format::kLinkFormat);
}

quint64 TestLwm2mServer::write(const QString& endpoint, const QString& path, int contentFormat,
                               const QByteArray& payload, Callback done) {
    RequestOptions options;
    options.contentFormat = contentFormat;
    options.payload = payload;
    return request(endpoint, COAP_REQUEST_CODE_PUT, path, options, std::move(done));
}

quint64 TestLwm2mServer::writePartial(const QString& endpoint, const QString& path,
                                      int contentFormat, const QByteArray& payload, Callback done) {
    RequestOptions options;
    options.contentFormat = contentFormat;
    options.payload = payload;
    return request(endpoint, COAP_REQUEST_CODE_POST, path, options, std::move(done));
}

quint64 TestLwm2mServer::execute(const QString& endpoint, const QString& path,
                                 const QByteArray& arguments, Callback done) {
    RequestOptions options;
    if (!arguments.isEmpty()) {
        options.contentFormat = format::kText;
        options.payload = arguments;
    }
    return request(endpoint, COAP_REQUEST_CODE_POST, path, options, std::move(done));
}

quint64 TestLwm2mServer::create(const QString& endpoint, const QString& objectPath,
                                int contentFormat, const QByteArray& payload, Callback done) {
    return writePartial(endpoint, objectPath, contentFormat, payload, std::move(done));
}

quint64 TestLwm2mServer::remove(const QString& endpoint, const QString& path, Callback done) {
    return request(endpoint, COAP_REQUEST_CODE_DELETE, path, {}, std::move(done));
}

quint64 TestLwm2mServer::writeAttributes(const QString& endpoint, const QString& path,
                                         const QStringList& query, Callback done) {
    RequestOptions options;
    options.query = query;
    return request(endpoint, COAP_REQUEST_CODE_PUT, path, options, std::move(done));
}

quint64 TestLwm2mServer::readComposite(const QString& endpoint, const QStringList& paths,
                                       Callback done) {
    RequestOptions options;
    options.contentFormat = format::kSenmlJson;
    options.accept = format::kSenmlJson;
    options.payload = senmlNames(paths);
    return request(endpoint, COAP_REQUEST_CODE_FETCH, QString(), options, std::move(done));
}

quint64 TestLwm2mServer::writeComposite(const QString& endpoint, const QByteArray& senmlJson,
                                        Callback done) {
    RequestOptions options;
    options.contentFormat = format::kSenmlJson;
    options.payload = senmlJson;
    return request(endpoint, COAP_REQUEST_CODE_IPATCH, QString(), options, std::move(done));
}

quint64 TestLwm2mServer::observe(const QString& endpoint, const QString& path, Callback done,
                                 Callback onNotify, int accept) {
    RequestOptions options;
    options.observe = COAP_OBSERVE_ESTABLISH;
    options.accept = accept;
    return request(endpoint, COAP_REQUEST_CODE_GET, path, options, std::move(done),
                   std::move(onNotify));
}

quint64 TestLwm2mServer::observeComposite(const QString& endpoint, const QStringList& paths,
                                          Callback done, Callback onNotify) {
    RequestOptions options;
    options.observe = COAP_OBSERVE_ESTABLISH;
    options.contentFormat = format::kSenmlJson;
    options.accept = format::kSenmlJson;
    options.payload = senmlNames(paths);
    return request(endpoint, COAP_REQUEST_CODE_FETCH, QString(), options, std::move(done),
                   std::move(onNotify));
}

bool TestLwm2mServer::cancelObserve(quint64 handle, CancelBy by, Callback done) {
    coap_session_t* session = exchanges_.session(handle);
    if (session == nullptr) {
        return false;
    }
    observedEndpoint_.erase(handle);
    if (by == CancelBy::Reset) {
        exchanges_.forget(handle);
        return true;
    }
    // libcoap rewrites tokens of observe requests it tracks for block-wise transfers, so only
    // coap_cancel_observe() knows which token the client saw; it re-sends the original GET
    // or FETCH (payload included) with Observe=1.
    QByteArray token = exchanges_.token(handle);
    coap_binary_t binary{static_cast<size_t>(token.size()),
                         reinterpret_cast<uint8_t*>(token.data())};
    exchanges_.expectCancelResponse(handle, requestTimeoutMs_, std::move(done));
    if (coap_cancel_observe(session, &binary, COAP_MESSAGE_CON) == 0) {
        exchanges_.forget(handle);
        return false;
    }
    afterSend();
    return true;
}

}  // namespace lwm2mgw::peers
