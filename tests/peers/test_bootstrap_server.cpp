#include "test_bootstrap_server.h"

#include "coap_pdu_util.h"

#include <QMetaObject>

namespace lwm2mgw::peers {

namespace {

constexpr int kRequestTimeoutMs = 10000;

quint16 boundPort(const coap_endpoint_t* endpoint) {
    const QString text = QString::fromLatin1(coap_endpoint_str(endpoint)).section(u' ', 0, 0);
    return static_cast<quint16>(text.section(u':', -1).toUInt());
}

void addStringOption(coap_pdu_t* pdu, coap_option_num_t number, const QString& value) {
    const QByteArray bytes = value.toUtf8();
    coap_add_option(pdu, number, static_cast<size_t>(bytes.size()),
                    reinterpret_cast<const uint8_t*>(bytes.constData()));
}

}  // namespace

TestBootstrapServer::Step TestBootstrapServer::deleteStep(const QString& path) {
    return Step{COAP_REQUEST_CODE_DELETE, path, -1, -1, {}};
}

TestBootstrapServer::Step TestBootstrapServer::writeStep(const QString& path, int contentFormat,
                                                         const QByteArray& payload) {
    return Step{COAP_REQUEST_CODE_PUT, path, contentFormat, -1, payload};
}

TestBootstrapServer::Step TestBootstrapServer::discoverStep(const QString& path) {
    return Step{COAP_REQUEST_CODE_GET, path, -1, format::kLinkFormat, {}};
}

TestBootstrapServer::Step TestBootstrapServer::readStep(const QString& path, int accept) {
    return Step{COAP_REQUEST_CODE_GET, path, -1, accept, {}};
}

TestBootstrapServer::Step TestBootstrapServer::finishStep() {
    return Step{COAP_REQUEST_CODE_POST, QStringLiteral("/bs"), -1, -1, {}};
}

TestBootstrapServer::TestBootstrapServer(QObject* parent) : QObject(parent), exchanges_(this) {}

TestBootstrapServer::~TestBootstrapServer() {
    exchanges_.clear();
    releaseSession();
    if (loop_) {
        coap_set_app_data(loop_->context(), nullptr);
    }
}

void TestBootstrapServer::releaseSession() {
    if (session_ != nullptr) {
        exchanges_.forgetSession(session_);
        coap_session_release(session_);
        session_ = nullptr;
    }
}

void TestBootstrapServer::setSequence(const QList<Step>& steps) {
    ++generation_;
    releaseSession();
    steps_ = steps;
    next_ = 0;
    playing_ = false;
    done_ = false;
    answers_.clear();
}

bool TestBootstrapServer::listen(const QString& host, quint16 port) {
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
    coap_register_response_handler(context, &TestBootstrapServer::onResponse);
    coap_register_nack_handler(context, &TestBootstrapServer::onNack);
    coap_resource_t* resource = coap_resource_unknown_init2(&TestBootstrapServer::onRequest, 0);
    for (const coap_request_t method : {COAP_REQUEST_GET, COAP_REQUEST_POST, COAP_REQUEST_DELETE}) {
        coap_register_request_handler(resource, method, &TestBootstrapServer::onRequest);
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

QList<int> TestBootstrapServer::answerCodes() const {
    QList<int> codes;
    for (const Response& response : answers_) {
        codes.append(response.code);
    }
    return codes;
}

TestBootstrapServer* TestBootstrapServer::fromSession(const coap_session_t* session) {
    return static_cast<TestBootstrapServer*>(coap_get_app_data(coap_session_get_context(session)));
}

void TestBootstrapServer::onRequest(coap_resource_t*, coap_session_t* session,
                                    const coap_pdu_t* request, const coap_string_t*,
                                    coap_pdu_t* response) {
    TestBootstrapServer* self = fromSession(session);
    if (self == nullptr || uriPath(request) != QStringList{QStringLiteral("bs")} ||
        coap_pdu_get_code(request) != COAP_REQUEST_CODE_POST) {
        coap_pdu_set_code(response, COAP_RESPONSE_CODE_NOT_FOUND);
        return;
    }
    ++self->bootstrapRequests_;
    self->lastQuery_ = uriQuery(request);
    emit self->bootstrapRequested(self->lastQuery_.value(QStringLiteral("ep")));
    coap_pdu_set_code(response, COAP_RESPONSE_CODE_CHANGED);
    if (self->playing_ || self->done_ || self->steps_.isEmpty()) {
        return;
    }
    self->playing_ = true;
    self->session_ = coap_session_reference(session);
    // After the 2.04 has gone out (Core 6.1.5: the server starts once it answered).
    QMetaObject::invokeMethod(
        self, [self, generation = self->generation_] { self->playNext(generation); },
        Qt::QueuedConnection);
}

void TestBootstrapServer::playNext(quint64 generation) {
    if (generation != generation_) {
        return;
    }
    if (next_ >= steps_.size() || session_ == nullptr) {
        playing_ = false;
        done_ = true;
        releaseSession();
        emit finished();
        return;
    }
    const Step& step = steps_.at(next_++);
    coap_pdu_t* pdu = coap_pdu_init(COAP_MESSAGE_CON, step.method, coap_new_message_id(session_),
                                    coap_session_max_pdu_size(session_));
    uint8_t token[8];
    size_t tokenLength = 0;
    coap_session_new_token(session_, &tokenLength, token);
    coap_add_token(pdu, tokenLength, token);
    for (const QString& segment : step.path.split(u'/', Qt::SkipEmptyParts)) {
        addStringOption(pdu, COAP_OPTION_URI_PATH, segment);
    }
    if (step.contentFormat >= 0) {
        addUintOption(pdu, COAP_OPTION_CONTENT_FORMAT, static_cast<quint32>(step.contentFormat));
    }
    if (step.accept >= 0) {
        addUintOption(pdu, COAP_OPTION_ACCEPT, static_cast<quint32>(step.accept));
    }
    if (!step.payload.isEmpty()) {
        addLargeRequestBody(session_, pdu, step.payload);
    }
    const QByteArray tokenBytes(reinterpret_cast<const char*>(token),
                                static_cast<qsizetype>(tokenLength));
    exchanges_.add(
        session_, tokenBytes, kRequestTimeoutMs, [this, generation](const Response& response) {
            if (generation != generation_) {
                return;
            }
            answers_.append(response);
            emit answered(static_cast<int>(answers_.size()));
            // Not from inside libcoap's response handler: the next request is a fresh send.
            QMetaObject::invokeMethod(
                this, [this, generation] { playNext(generation); }, Qt::QueuedConnection);
        });
    coap_send(session_, pdu);
    loop_->rearm();
}

coap_response_t TestBootstrapServer::onResponse(coap_session_t* session, const coap_pdu_t*,
                                                const coap_pdu_t* received, coap_mid_t) {
    TestBootstrapServer* self = fromSession(session);
    if (self != nullptr && self->exchanges_.deliver(session, received)) {
        return COAP_RESPONSE_OK;
    }
    return coap_pdu_get_type(received) == COAP_MESSAGE_ACK ? COAP_RESPONSE_OK : COAP_RESPONSE_FAIL;
}

void TestBootstrapServer::onNack(coap_session_t* session, const coap_pdu_t* sent,
                                 coap_nack_reason_t reason, coap_mid_t) {
    TestBootstrapServer* self = fromSession(session);
    const int code = sent ? static_cast<int>(coap_pdu_get_code(sent)) : 0;
    if (self != nullptr && code >= 1 && code <= 31) {
        self->exchanges_.fail(session, pduToken(sent), reason);
    }
}

}  // namespace lwm2mgw::peers
