#include "commands.h"

#include "client.h"
#include "dbus_json.h"
#include "exit_codes.h"
#include "formatting.h"
#include "monitor.h"
#include "secret_input.h"
#include "table.h"

#include <QDBusUnixFileDescriptor>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace lwm2mgw::ctl {

namespace {

using Arguments = QStringList;

// Waits for a call; on error reports it and sets `exitCode`.
template <typename... Types>
bool succeeded(Client& client, QDBusPendingReply<Types...> reply, int& exitCode) {
    reply.waitForFinished();
    if (reply.isError()) {
        exitCode = client.report(reply.error());
        return false;
    }
    return true;
}

int usage(const QString& text) {
    std::fprintf(stderr, "lwm2m-gatewayctl: %s (see lwm2m-gatewayctl --help)\n", qPrintable(text));
    return kUsage;
}

// A mutating call without a result: prints `done` for people, {"ok":true} for scripts.
template <typename Reply>
int simpleCall(Client& client, Reply reply, const QString& done) {
    int code = kOk;
    if (!succeeded(client, reply, code)) {
        return code;
    }
    client.print(QJsonObject{{QStringLiteral("ok"), true}}, done + QLatin1Char('\n'));
    return kOk;
}

QString text(const QJsonObject& object, const char* key) {
    return object.value(QLatin1String(key)).toVariant().toString();
}

QString endpointsTable(const QJsonArray& endpoints) {
    Table table({QStringLiteral("ENDPOINT"), QStringLiteral("STATE"), QStringLiteral("PEER"),
                 QStringLiteral("MODE"), QStringLiteral("LIFETIME"), QStringLiteral("UPSTREAM")});
    for (const QJsonValue& value : endpoints) {
        const QJsonObject endpoint = value.toObject();
        table.addRow({text(endpoint, "endpoint"), text(endpoint, "state"), text(endpoint, "peer"),
                      text(endpoint, "security_mode"),
                      text(endpoint, "lifetime") + QLatin1Char('s'),
                      serversSummary(endpoint.value(QStringLiteral("servers")).toArray())});
    }
    return table.isEmpty() ? QStringLiteral("no sensor is registered\n") : table.render();
}

QString serversTable(const QJsonArray& servers, bool withEndpointCount) {
    QStringList header{QStringLiteral("SSID"), QStringLiteral("SERVER"), QStringLiteral("MODE"),
                       QStringLiteral("STATE"), QStringLiteral("LOCATION")};
    if (withEndpointCount) {
        header << QStringLiteral("ENDPOINTS");
    }
    Table table(header);
    for (const QJsonValue& value : servers) {
        const QJsonObject server = value.toObject();
        QStringList row{text(server, "short_server_id"), text(server, "server_uri"),
                        text(server, "security_mode"), serverStateText(server),
                        text(server, "location")};
        if (withEndpointCount) {
            row << text(server, "endpoints_registered");
        }
        table.addRow(row);
    }
    return table.isEmpty() ? QStringLiteral("no upstream server is configured (upstream/servers)\n")
                           : table.render();
}

int status(Client& client, const Arguments&) {
    int code = kOk;
    const std::optional<QJsonObject> properties = client.properties(code);
    if (!properties) {
        return code;
    }
    auto servers = client.gateway().ListServers();
    auto counters = client.gateway().GetCounters();
    if (!succeeded(client, servers, code) || !succeeded(client, counters, code)) {
        return code;
    }
    const QJsonArray serverList = toJson(QVariant::fromValue(servers.value())).toArray();
    const QJsonObject counterMap = toJson(counters.value()).toObject();
    QStringList plugins;
    for (const QJsonValue& plugin : properties->value(QStringLiteral("Plugins")).toArray()) {
        if (plugin.toObject().value(QStringLiteral("loaded")).toBool()) {
            plugins << text(plugin.toObject(), "name");
        }
    }
    QStringList listeners;
    for (const QJsonValue& listener : properties->value(QStringLiteral("Listeners")).toArray()) {
        listeners << listener.toString();
    }
    QList<std::pair<QString, QString>> fields{
        {QStringLiteral("version"), properties->value(QStringLiteral("Version")).toString()},
        {QStringLiteral("gateway endpoint"),
         properties->value(QStringLiteral("GatewayEndpoint")).toString()},
        {QStringLiteral("listeners"), listeners.join(QStringLiteral(", "))},
        {QStringLiteral("plugins"), plugins.join(QStringLiteral(", "))},
        {QStringLiteral("endpoints"),
         countsText(properties->value(QStringLiteral("EndpointCounts")).toObject())},
    };
    for (const QJsonValue& server : serverList) {
        fields.append({QStringLiteral("server ") + text(server.toObject(), "short_server_id"),
                       text(server.toObject(), "server_uri") + QLatin1Char(' ') +
                           serverStateText(server.toObject())});
    }
    for (auto it = counterMap.begin(); it != counterMap.end(); ++it) {
        QString value = it.value().toVariant().toString();
        if (it.value().isObject()) {  // refusals: by reason
            QStringList parts;
            const QJsonObject byReason = it.value().toObject();
            for (auto reason = byReason.begin(); reason != byReason.end(); ++reason) {
                parts << reason.key() + QLatin1Char(' ') + reason.value().toVariant().toString();
            }
            value = parts.join(QStringLiteral(", "));
        }
        fields.append({QString(it.key()).replace(QLatin1Char('_'), QLatin1Char(' ')), value});
    }
    QJsonObject json{{QStringLiteral("properties"), *properties},
                     {QStringLiteral("servers"), serverList},
                     {QStringLiteral("counters"), counterMap}};
    client.print(json, renderFields(fields));
    return kOk;
}

int endpoints(Client& client, const Arguments&) {
    int code = kOk;
    auto reply = client.gateway().ListEndpoints();
    if (!succeeded(client, reply, code)) {
        return code;
    }
    const QJsonArray list = toJson(QVariant::fromValue(reply.value())).toArray();
    client.print(list, endpointsTable(list));
    return kOk;
}

int endpoint(Client& client, const Arguments& arguments) {
    int code = kOk;
    auto reply = client.gateway().GetEndpoint(arguments.at(0));
    if (!succeeded(client, reply, code)) {
        return code;
    }
    const QJsonObject details = toJson(reply.value()).toObject();
    const QList<std::pair<QString, QString>> fields{
        {QStringLiteral("endpoint"), text(details, "endpoint")},
        {QStringLiteral("upstream name"), text(details, "upstream_endpoint")},
        {QStringLiteral("state"), text(details, "state")},
        {QStringLiteral("registration"), text(details, "registration_id")},
        {QStringLiteral("peer"), text(details, "peer")},
        {QStringLiteral("security mode"), text(details, "security_mode")},
        {QStringLiteral("lwm2m version"), text(details, "lwm2m_version")},
        {QStringLiteral("binding"),
         text(details, "binding") + (details.value(QStringLiteral("queue_mode")).toBool()
                                         ? QStringLiteral(" (queue mode)")
                                         : QString())},
        {QStringLiteral("lifetime"), text(details, "lifetime") + QStringLiteral(" s")},
        {QStringLiteral("registered at"), timeText(details.value(QStringLiteral("registered_at")))},
        {QStringLiteral("last update"), timeText(details.value(QStringLiteral("last_update_at")))},
        {QStringLiteral("expires at"), timeText(details.value(QStringLiteral("expires_at")))},
        {QStringLiteral("object links"), text(details, "object_links")},
    };
    client.print(details,
                 renderFields(fields) + QLatin1Char('\n') +
                     serversTable(details.value(QStringLiteral("servers")).toArray(), false));
    return kOk;
}

int servers(Client& client, const Arguments&) {
    int code = kOk;
    auto reply = client.gateway().ListServers();
    if (!succeeded(client, reply, code)) {
        return code;
    }
    const QJsonArray list = toJson(QVariant::fromValue(reply.value())).toArray();
    client.print(list, serversTable(list, true));
    return kOk;
}

int plugins(Client& client, const Arguments&) {
    int code = kOk;
    const std::optional<QJsonObject> properties = client.properties(code);
    if (!properties) {
        return code;
    }
    const QJsonArray list = properties->value(QStringLiteral("Plugins")).toArray();
    Table table({QStringLiteral("NAME"), QStringLiteral("MODE"), QStringLiteral("STATUS"),
                 QStringLiteral("FILE")});
    for (const QJsonValue& value : list) {
        const QJsonObject plugin = value.toObject();
        const bool loaded = plugin.value(QStringLiteral("loaded")).toBool();
        table.addRow({text(plugin, "name"), text(plugin, "mode"),
                      loaded ? QStringLiteral("loaded")
                             : QStringLiteral("skipped: ") + text(plugin, "reason"),
                      text(plugin, "file")});
    }
    client.print(list,
                 table.isEmpty() ? QStringLiteral("no plugin file was found\n") : table.render());
    return kOk;
}

int bootstrap(Client& client, const Arguments& arguments) {
    const QString endpointName = arguments.value(0);
    return simpleCall(
        client, client.gateway().StartBootstrap(endpointName),
        QStringLiteral("bootstrap started for %1")
            .arg(endpointName.isEmpty() ? QStringLiteral("the gateway") : endpointName));
}

int deregister(Client& client, const Arguments& arguments) {
    return simpleCall(client, client.gateway().Deregister(arguments.at(0)),
                      QStringLiteral("%1 de-registered").arg(arguments.at(0)));
}

int update(Client& client, const Arguments& arguments) {
    return simpleCall(client, client.gateway().TriggerUpdate(arguments.at(0)),
                      QStringLiteral("registration update sent for %1").arg(arguments.at(0)));
}

int reload(Client& client, const Arguments&) {
    int code = kOk;
    auto reply = client.gateway().Reload();
    if (!succeeded(client, reply, code)) {
        return code;
    }
    const QStringList changes = reply.value();
    client.print(QJsonObject{{QStringLiteral("changes"), QJsonArray::fromStringList(changes)}},
                 QStringLiteral("configuration reloaded:\n  ") +
                     changes.join(QStringLiteral("\n  ")) + QLatin1Char('\n'));
    return kOk;
}

int listOf(Client& client, QDBusPendingReply<QList<QVariantMap>> reply, const QStringList& header,
           const QStringList& keys) {
    int code = kOk;
    if (!succeeded(client, reply, code)) {
        return code;
    }
    const QJsonArray list = toJson(QVariant::fromValue(reply.value())).toArray();
    Table table(header);
    for (const QJsonValue& value : list) {
        QStringList row;
        for (const QString& key : keys) {
            row << value.toObject().value(key).toVariant().toString();
        }
        table.addRow(row);
    }
    client.print(list, table.isEmpty() ? QStringLiteral("none\n") : table.render());
    return kOk;
}

// PEM or DER from a file; the daemon checks what it is.
std::optional<QByteArray> readMaterial(const QString& path, QString& error) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        error = QStringLiteral("cannot read %1: %2").arg(path, file.errorString());
        return std::nullopt;
    }
    return file.read(1024 * 1024);
}

int credentials(Client& client, const Arguments& arguments) {
    const QString action = arguments.at(0);
    if (action == QLatin1String("list") && arguments.size() == 1) {
        int code = kOk;
        auto reply = client.credentials().ListCredentials();
        if (!succeeded(client, reply, code)) {
            return code;
        }
        const QJsonArray list = toJson(QVariant::fromValue(reply.value())).toArray();
        Table table({QStringLiteral("MODE"), QStringLiteral("ENDPOINT"), QStringLiteral("ID"),
                     QStringLiteral("DETAILS")});
        for (const QJsonValue& value : list) {
            const QJsonObject credential = value.toObject();
            QString details;
            if (text(credential, "mode") == QLatin1String("x509")) {
                details = text(credential, "subject") + QStringLiteral(", expires ") +
                          timeText(credential.value(QStringLiteral("not_after")));
            }
            const QString endpointName = text(credential, "endpoint");
            table.addRow({text(credential, "mode"),
                          endpointName.isEmpty() ? QStringLiteral("(any)") : endpointName,
                          text(credential, "id"), details});
        }
        client.print(list, table.isEmpty() ? QStringLiteral("no downstream credential is stored\n")
                                           : table.render());
        return kOk;
    }
    if (action == QLatin1String("add") && arguments.size() >= 4) {
        const QString mode = arguments.at(1);
        QVariantMap credential{{QStringLiteral("mode"), mode}};
        QString error;
        QString done;
        if (mode == QLatin1String("psk") && arguments.size() == 4) {
            // The key never goes on the command line, where every user's ps would show it.
            const std::optional<QByteArray> key =
                readHexSecret(QStringLiteral("pre-shared key (hex): "), error);
            if (!key) {
                return usage(error);
            }
            credential.insert(QStringLiteral("endpoint"), arguments.at(2));
            credential.insert(QStringLiteral("identity"), arguments.at(3));
            credential.insert(QStringLiteral("key"), *key);
            done = QStringLiteral("PSK identity %1 of %2 stored")
                       .arg(arguments.at(3), arguments.at(2));
        } else if (mode == QLatin1String("rpk") && arguments.size() == 4) {
            const std::optional<QByteArray> key = readMaterial(arguments.at(3), error);
            if (!key) {
                return usage(error);
            }
            credential.insert(QStringLiteral("endpoint"), arguments.at(2));
            credential.insert(QStringLiteral("public_key"), *key);
            done = QStringLiteral("raw public key of %1 stored").arg(arguments.at(2));
        } else if (mode == QLatin1String("x509") && arguments.size() <= 5) {
            const std::optional<QByteArray> certificate = readMaterial(arguments.at(3), error);
            if (!certificate) {
                return usage(error);
            }
            credential.insert(QStringLiteral("label"), arguments.at(2));
            credential.insert(QStringLiteral("certificate"), *certificate);
            if (arguments.size() == 5) {
                credential.insert(QStringLiteral("endpoint"), arguments.at(4));
            }
            done = QStringLiteral("trust anchor %1 stored").arg(arguments.at(2));
        } else {
            return usage(
                QStringLiteral("credentials add psk EP IDENTITY | add rpk EP KEYFILE | add x509 "
                               "LABEL CERTFILE [EP]"));
        }
        return simpleCall(client, client.credentials().AddCredential(credential), done);
    }
    if (action == QLatin1String("remove") && arguments.size() == 3) {
        return simpleCall(
            client, client.credentials().RemoveCredential(arguments.at(1), arguments.at(2)),
            QStringLiteral("%1 credential %2 removed").arg(arguments.at(1), arguments.at(2)));
    }
    return usage(
        QStringLiteral("credentials list | add psk EP IDENTITY | add rpk EP KEYFILE | add x509 "
                       "LABEL CERTFILE [EP] | "
                       "remove psk|rpk|x509 ID"));
}

std::optional<int> shortServerId(const QString& text) {
    bool ok = false;
    const int id = text.toInt(&ok);
    return ok && id >= 1 && id <= 65534 ? std::optional<int>(id) : std::nullopt;
}

int accounts(Client& client, const Arguments& arguments) {
    const QString action = arguments.at(0);
    if (action == QLatin1String("list") && arguments.size() == 1) {
        return listOf(
            client, client.credentials().ListAccounts(),
            {QStringLiteral("ENDPOINT"), QStringLiteral("SSID"), QStringLiteral("SERVER"),
             QStringLiteral("MODE"), QStringLiteral("IDENTITY"), QStringLiteral("BOOTSTRAP")},
            {QStringLiteral("endpoint"), QStringLiteral("short_server_id"),
             QStringLiteral("server_uri"), QStringLiteral("security_mode"),
             QStringLiteral("identity"), QStringLiteral("bootstrap_server")});
    }
    if (action == QLatin1String("add") && (arguments.size() == 4 || arguments.size() == 5)) {
        const std::optional<int> id = shortServerId(arguments.at(2));
        if (!id) {
            return usage(QStringLiteral("the short server id must be 1..65534, not '%1'")
                             .arg(arguments.at(2)));
        }
        QVariantMap account{{QStringLiteral("endpoint"), arguments.at(1)},
                            {QStringLiteral("short_server_id"), *id},
                            {QStringLiteral("server_uri"), arguments.at(3)},
                            {QStringLiteral("security_mode"), QStringLiteral("nosec")}};
        if (arguments.size() == 5) {
            QString error;
            const std::optional<QByteArray> key =
                readHexSecret(QStringLiteral("pre-shared key (hex): "), error);
            if (!key) {
                return usage(error);
            }
            account.insert(QStringLiteral("security_mode"), QStringLiteral("psk"));
            account.insert(QStringLiteral("identity"), arguments.at(4));
            account.insert(QStringLiteral("secret_key"), *key);
        }
        return simpleCall(client, client.credentials().AddAccount(account),
                          QStringLiteral("account %1 of %2 stored").arg(*id).arg(arguments.at(1)));
    }
    if (action == QLatin1String("remove") && arguments.size() == 3) {
        const std::optional<int> id = shortServerId(arguments.at(2));
        if (!id) {
            return usage(QStringLiteral("the short server id must be 1..65534, not '%1'")
                             .arg(arguments.at(2)));
        }
        return simpleCall(client, client.credentials().RemoveAccount(arguments.at(1), *id),
                          QStringLiteral("account %1 of %2 removed").arg(*id).arg(arguments.at(1)));
    }
    return usage(QStringLiteral(
        "accounts list | add ENDPOINT SSID URI [PSK-IDENTITY] | remove ENDPOINT SSID"));
}

int import(Client& client, const Arguments& arguments) {
    // The daemon reads the file through this descriptor: it may not see the caller's files.
    const int fd = ::open(QFile::encodeName(arguments.at(0)).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return usage(QStringLiteral("cannot open %1: %2")
                         .arg(arguments.at(0), QString::fromLocal8Bit(std::strerror(errno))));
    }
    const QDBusUnixFileDescriptor descriptor(fd);  // duplicates it
    ::close(fd);
    int code = kOk;
    auto reply = client.credentials().ImportProvisioningFile(descriptor);
    if (!succeeded(client, reply, code)) {
        return code;
    }
    const QJsonObject summary = toJson(reply.value()).toObject();
    QStringList names;
    for (const QJsonValue& name : summary.value(QStringLiteral("endpoint_names")).toArray()) {
        names << name.toString();
    }
    client.print(
        summary,
        QStringLiteral("imported %1 endpoint(s) from %2: %3 (%4 security, %5 "
                       "server instance(s))\n")
            .arg(text(summary, "endpoints"), arguments.at(0), names.join(QStringLiteral(", ")),
                 text(summary, "security_instances"), text(summary, "server_instances")));
    return kOk;
}

// Set by runCommand: the command table's functions all take the same arguments.
int monitorSignalFd = -1;

int monitorCommand(Client& client, const Arguments&) {
    return runMonitor(client, monitorSignalFd);
}

struct Command {
    const char* name;
    qsizetype minArguments;
    qsizetype maxArguments;
    const char* synopsis;
    int (*run)(Client&, const Arguments&);
};

const Command kCommands[] = {
    {"status", 0, 0,
     "status                 version, listeners, plugins, endpoint counts, servers, counters",
     status},
    {"endpoints", 0, 0, "endpoints              every proxied sensor with its upstream state",
     endpoints},
    {"endpoint", 1, 1, "endpoint EP            one sensor in detail", endpoint},
    {"servers", 0, 0,
     "servers                the upstream servers and the gateway's registration there", servers},
    {"plugins", 0, 0, "plugins                security-mode plugins, loaded or skipped", plugins},
    {"bootstrap", 0, 1,
     "bootstrap [EP]         start LwM2M bootstrap for the gateway or one sensor", bootstrap},
    {"deregister", 1, 1, "deregister EP          end a sensor's registration, here and upstream",
     deregister},
    {"update", 1, 1, "update EP              send a registration Update upstream now", update},
    {"credentials", 1, 5,
     "credentials list|add|remove   downstream credentials (PSK keys are read from stdin)",
     credentials},
    {"accounts", 1, 5, "accounts list|add|remove      upstream server accounts", accounts},
    {"import", 1, 1, "import FILE            import a factory provisioning file", import},
    {"reload", 0, 0, "reload                 re-read configuration and plugins", reload},
    {"monitor", 0, 0, "monitor                print the daemon's signals as they come",
     monitorCommand},
};

}  // namespace

int runCommand(Client& client, const QStringList& arguments, int stopSignalFd) {
    monitorSignalFd = stopSignalFd;
    if (arguments.isEmpty()) {
        return usage(QStringLiteral("no command given"));
    }
    const QString name = arguments.first();
    const Arguments rest = arguments.mid(1);
    for (const Command& command : kCommands) {
        if (name == QLatin1String(command.name)) {
            if (rest.size() < command.minArguments || rest.size() > command.maxArguments) {
                return usage(QStringLiteral("usage: lwm2m-gatewayctl %1")
                                 .arg(QString::fromLatin1(command.synopsis)
                                          .section(QStringLiteral("  "), 0, 0)
                                          .trimmed()));
            }
            return command.run(client, rest);
        }
    }
    return usage(QStringLiteral("unknown command '%1'").arg(name));
}

QString commandsHelp() {
    QString text = QStringLiteral("\nCommands:\n");
    for (const Command& command : kCommands) {
        text += QStringLiteral("  %1\n").arg(QString::fromLatin1(command.synopsis));
    }
    text += QStringLiteral(
        "\nExit codes: 0 success, 1 the operation failed, 2 usage or invalid argument, 3 daemon "
        "not\n"
        "reachable, 4 not found, 5 access denied, 6 not supported by this daemon.\n");
    return text;
}

}  // namespace lwm2mgw::ctl
