// The agent's side of a plugin, cut down for tests: load the .so as the agent does, serve a
// "whoami" resource from a listener the plugin opened, and open client sessions.
#pragma once

#include "coap_event_loop.h"
#include "free_udp_port.h"

#include <lwm2m-gateway/security_mode_plugin.h>

#include <QByteArray>
#include <QLibrary>
#include <QProcess>

#include <map>
#include <memory>

class LoadedPlugin {
public:
    // Loads `${LWM2MGW_BUILD_PLUGIN_DIR}/lwm2mgw-<name>.so`, checks its API version, creates it.
    bool load(const QString& name, lwm2mgw::PluginHost* host, QString& error);
    ~LoadedPlugin();
    lwm2mgw::SecurityModePlugin* operator->() const { return plugin_.get(); }
    lwm2mgw::SecurityModePlugin* get() const { return plugin_.get(); }

private:
    QLibrary library_;
    std::unique_ptr<lwm2mgw::SecurityModePlugin> plugin_;
};

// A listener context serving only the plugin's mode. GET /whoami answers 2.05 "admitted ep=<bound
// endpoint>" or 4.03 "refused: <reason>"; a refused session is then closed as the agent must.
class PluginServer {
public:
    explicit PluginServer(lwm2mgw::SecurityModePlugin* plugin);
    ~PluginServer();
    bool listen(quint16 port, QString& error);

    int admitted = 0;
    int refused = 0;
    int dtlsConnectedEvents = 0;
    QStringList reasons;

    void handle(coap_session_t* session, coap_pdu_t* response);
    void event(coap_session_t* session, coap_event_t event);

private:
    lwm2mgw::SecurityModePlugin* plugin_;
    lwm2mgw::CoapEventLoop* loop_ = nullptr;
    std::map<coap_session_t*, bool> admission_;
};

// One upstream context per plugin, as the agent must have (see plugins/README.md).
class PluginClient {
public:
    PluginClient();
    ~PluginClient();
    coap_session_t* open(lwm2mgw::SecurityModePlugin* plugin, quint16 port,
                         const lwm2mgw::SecurityInstance& security, QString& error);
    void get(coap_session_t* session, const char* path);

    int responses = 0;
    int lastCode = 0;
    QByteArray lastPayload;

private:
    lwm2mgw::CoapEventLoop* loop_ = nullptr;
};

// An external peer (coap-client, openssl, gnutls-cli...), its output merged.
class Peer {
public:
    Peer(const QString& program, const QStringList& arguments, const QByteArray& input = {});
    ~Peer();
    bool waitFor(const QString& text, int milliseconds = 8000);
    bool finish(int milliseconds = 8000);
    QString output();
    int exitCode() const { return process_.exitCode(); }

private:
    QProcess process_;
    QString output_;
};

using lwm2mgw::testing::freeUdpPort;
using lwm2mgw::testing::freeUdpPortPair;
// CON GET /whoami with a one-byte payload ending in a newline (for line-buffered peers).
QByteArray whoamiRequest();
