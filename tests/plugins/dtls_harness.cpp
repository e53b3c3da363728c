#include "dtls_harness.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTimer>

using namespace lwm2mgw;

bool LoadedPlugin::load(const QString& name, PluginHost* host, QString& error) {
    library_.setFileName(QStringLiteral(LWM2MGW_BUILD_PLUGIN_DIR "/lwm2mgw-%1.so").arg(name));
    library_.setLoadHints(QLibrary::ResolveAllSymbolsHint);
    if (!library_.load()) {
        error = library_.errorString();
        return false;
    }
    const auto version = reinterpret_cast<lwm2mgw_plugin_api_version_fn>(
        library_.resolve("lwm2mgw_plugin_api_version"));
    const auto create =
        reinterpret_cast<lwm2mgw_plugin_create_fn>(library_.resolve("lwm2mgw_plugin_create"));
    if (!version || !create) {
        error = "missing entry points";
        return false;
    }
    const PluginApiVersion built = version();
    if (built.major != LWM2MGW_PLUGIN_API_MAJOR || built.minor > LWM2MGW_PLUGIN_API_MINOR) {
        error = "API version mismatch";
        return false;
    }
    plugin_.reset(create(host));
    return plugin_ != nullptr;
}

LoadedPlugin::~LoadedPlugin() {
    plugin_.reset();
}

namespace {

PluginServer* serverOf(coap_session_t* session) {
    return static_cast<PluginServer*>(coap_get_app_data(coap_session_get_context(session)));
}

void onWhoami(coap_resource_t*, coap_session_t* session, const coap_pdu_t*, const coap_string_t*,
              coap_pdu_t* response) {
    serverOf(session)->handle(session, response);
}

int onServerEvent(coap_session_t* session, const coap_event_t event) {
    if (session) {
        serverOf(session)->event(session, event);
    }
    return 0;
}

PluginClient* clientOf(coap_session_t* session) {
    return static_cast<PluginClient*>(coap_get_app_data(coap_session_get_context(session)));
}

void setPayload(coap_pdu_t* response, const std::string& text) {
    coap_add_data(response, text.size(), reinterpret_cast<const uint8_t*>(text.data()));
}

}  // namespace

PluginServer::PluginServer(SecurityModePlugin* plugin) : plugin_(plugin) {
    coap_context_t* context = coap_new_context(nullptr);
    coap_set_app_data(context, this);
    coap_register_event_handler(context, onServerEvent);
    coap_resource_t* resource = coap_resource_init(coap_make_str_const("whoami"), 0);
    coap_register_request_handler(resource, COAP_REQUEST_GET, onWhoami);
    coap_add_resource(context, resource);
    loop_ = new CoapEventLoop(context);
}

PluginServer::~PluginServer() {
    delete loop_;
}

bool PluginServer::listen(quint16 port, QString& error) {
    coap_address_t address;
    coap_address_init(&address);
    address.addr.sin.sin_family = AF_INET;
    address.addr.sin.sin_port = htons(port);
    address.addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.size = sizeof(address.addr.sin);
    std::string pluginError;
    if (!plugin_->openListener(loop_->context(), address, pluginError)) {
        error = QString::fromStdString(pluginError);
        return false;
    }
    loop_->rearm();
    return true;
}

void PluginServer::handle(coap_session_t* session, coap_pdu_t* response) {
    auto [entry, fresh] = admission_.try_emplace(session, false);
    std::string reason;
    if (fresh) {
        entry->second = plugin_->admitPeer(session, reason);
        (entry->second ? admitted : refused) += 1;
        if (!entry->second) {
            reasons.append(QString::fromStdString(reason));
        }
    }
    if (!entry->second) {
        coap_pdu_set_code(response, COAP_RESPONSE_CODE_FORBIDDEN);
        setPayload(response, "refused: " + reason);
        // Closing inside a libcoap callback would free the DTLS state under libcoap's feet.
        coap_session_reference(session);
        QTimer::singleShot(0, [session] {
            coap_session_disconnected(session, COAP_NACK_TLS_FAILED);
            coap_session_release(session);
        });
        return;
    }
    const std::optional<std::string> bound = plugin_->boundEndpoint(session);
    coap_pdu_set_code(response, COAP_RESPONSE_CODE_CONTENT);
    setPayload(response, "admitted ep=" + bound.value_or("(none)"));
}

void PluginServer::event(coap_session_t* session, coap_event_t event) {
    if (event == COAP_EVENT_DTLS_CONNECTED) {
        ++dtlsConnectedEvents;
    } else if (event == COAP_EVENT_SERVER_SESSION_DEL) {
        admission_.erase(session);
    }
}

namespace {
coap_response_t onResponse(coap_session_t* session, const coap_pdu_t*, const coap_pdu_t* received,
                           const coap_mid_t) {
    PluginClient* client = clientOf(session);
    size_t length = 0;
    const uint8_t* data = nullptr;
    coap_get_data(received, &length, &data);
    client->lastPayload =
        QByteArray(reinterpret_cast<const char*>(data), static_cast<qsizetype>(length));
    client->lastCode = static_cast<int>(coap_pdu_get_code(received));
    ++client->responses;
    return COAP_RESPONSE_OK;
}
}  // namespace

PluginClient::PluginClient() {
    coap_context_t* context = coap_new_context(nullptr);
    coap_set_app_data(context, this);
    coap_register_response_handler(context, onResponse);
    loop_ = new CoapEventLoop(context);
}

PluginClient::~PluginClient() {
    delete loop_;
}

coap_session_t* PluginClient::open(SecurityModePlugin* plugin, quint16 port,
                                   const SecurityInstance& security, QString& error) {
    coap_address_t address;
    coap_address_init(&address);
    address.addr.sin.sin_family = AF_INET;
    address.addr.sin.sin_port = htons(port);
    address.addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.size = sizeof(address.addr.sin);
    std::string pluginError;
    coap_session_t* session =
        plugin->openClientSession(loop_->context(), address, security, pluginError);
    if (!session) {
        error = QString::fromStdString(pluginError);
    }
    loop_->rearm();
    return session;
}

void PluginClient::get(coap_session_t* session, const char* path) {
    coap_pdu_t* pdu =
        coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, coap_new_message_id(session),
                      coap_session_max_pdu_size(session));
    const std::string_view text(path);
    if (!text.empty()) {
        coap_add_option(pdu, COAP_OPTION_URI_PATH, text.size(),
                        reinterpret_cast<const uint8_t*>(text.data()));
    }
    coap_send(session, pdu);
    loop_->rearm();
}

Peer::Peer(const QString& program, const QStringList& arguments, const QByteArray& input) {
    process_.setProcessChannelMode(QProcess::MergedChannels);
    // Peers are independent of the gateway's GnuTLS overrides.
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove("GNUTLS_SYSTEM_PRIORITY_FILE");
    process_.setProcessEnvironment(environment);
    process_.start(program, arguments);
    process_.waitForStarted(5000);
    if (!input.isEmpty()) {
        process_.write(input);
    }
}

Peer::~Peer() {
    if (process_.state() != QProcess::NotRunning) {
        process_.kill();
        process_.waitForFinished(3000);
    }
}

QString Peer::output() {
    output_ += QString::fromLatin1(process_.readAll());
    return output_;
}

bool Peer::waitFor(const QString& text, int milliseconds) {
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < milliseconds) {
        if (output().contains(text)) {
            return true;
        }
        if (process_.state() == QProcess::NotRunning) {
            return output().contains(text);
        }
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    }
    return output().contains(text);
}

bool Peer::finish(int milliseconds) {
    QElapsedTimer timer;
    timer.start();
    while (process_.state() != QProcess::NotRunning && timer.elapsed() < milliseconds) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    }
    output();
    return process_.state() == QProcess::NotRunning;
}

QByteArray whoamiRequest() {
    static quint16 mid = 0x1000;
    ++mid;
    QByteArray pdu;
    pdu.append(char(0x40));
    pdu.append(char(0x01));
    pdu.append(char(mid >> 8));
    pdu.append(char(mid & 0xff));
    pdu.append(char(0xB6));
    pdu.append("whoami");
    pdu.append(char(0xFF));
    pdu.append("x\n");
    return pdu;
}
