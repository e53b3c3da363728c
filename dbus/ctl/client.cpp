#include "client.h"

#include "dbus_json.h"
#include "dbus_names.h"
#include "exit_codes.h"

#include <QDBusMessage>
#include <QJsonDocument>
#include <QJsonObject>

namespace lwm2mgw::ctl {

namespace {

bool isUnreachable(const QString& name) {
    static const QStringList names{
        QStringLiteral("org.freedesktop.DBus.Error.ServiceUnknown"),
        QStringLiteral("org.freedesktop.DBus.Error.NameHasNoOwner"),
        QStringLiteral("org.freedesktop.DBus.Error.NoReply"),
        QStringLiteral("org.freedesktop.DBus.Error.Timeout"),
        QStringLiteral("org.freedesktop.DBus.Error.TimedOut"),
        QStringLiteral("org.freedesktop.DBus.Error.Disconnected"),
        QStringLiteral("org.freedesktop.DBus.Error.NoServer"),
        QStringLiteral("org.freedesktop.DBus.Error.UnknownObject"),
        QStringLiteral("org.freedesktop.DBus.Error.UnknownInterface"),
    };
    return names.contains(name);
}

// The bus daemon's own refusal text names matched rules; tell the person what to do instead.
QString explain(const QDBusError& error) {
    const QString name = error.name();
    if (name == QLatin1String("org.freedesktop.DBus.Error.AccessDenied")) {
        return QStringLiteral(
                   "access denied by the bus policy: only root and members of group %1 may do this "
                   "(ask an administrator for 'adduser <user> %1', then log in again)")
            .arg(dbus::kAdminGroup);
    }
    if (isUnreachable(name)) {
        return QStringLiteral(
                   "lwm2m-gatewayd does not answer (%1); is it running? "
                   "'systemctl status lwm2m-gateway' tells")
            .arg(error.message());
    }
    return error.message();
}

}  // namespace

int exitCodeFor(const QDBusError& error) {
    const QString name = error.name();
    if (name == dbus::error::kNotFound) {
        return kNotFound;
    }
    if (name == dbus::error::kAccessDenied ||
        name == QLatin1String("org.freedesktop.DBus.Error.AccessDenied")) {
        return kAccessDenied;
    }
    if (name == dbus::error::kNotSupported) {
        return kNotSupported;
    }
    if (name == dbus::error::kInvalidArgument ||
        name == QLatin1String("org.freedesktop.DBus.Error.InvalidArgs")) {
        return kUsage;
    }
    if (isUnreachable(name)) {
        return kUnreachable;
    }
    return kFailed;
}

Client::Client(QDBusConnection connection, bool json, int timeoutMs)
    : connection_(std::move(connection)),
      json_(json),
      gateway_(std::make_unique<Gateway1Proxy>(dbus::kServiceName, dbus::kObjectPath, connection_)),
      credentials_(std::make_unique<Gateway1CredentialsProxy>(dbus::kServiceName, dbus::kObjectPath,
                                                              connection_)) {
    gateway_->setTimeout(timeoutMs);
    credentials_->setTimeout(timeoutMs);
}

std::optional<QJsonObject> Client::properties(int& exitCode) {
    // One GetAll instead of the proxy's property accessors: those swallow errors.
    QDBusMessage call = QDBusMessage::createMethodCall(
        dbus::kServiceName, dbus::kObjectPath, QStringLiteral("org.freedesktop.DBus.Properties"),
        QStringLiteral("GetAll"));
    call << dbus::kInterface;
    const QDBusMessage reply = connection_.call(call, QDBus::Block, gateway_->timeout());
    if (reply.type() != QDBusMessage::ReplyMessage || reply.arguments().isEmpty()) {
        exitCode = report(QDBusError(reply));
        return std::nullopt;
    }
    return toJson(reply.arguments().first()).toObject();
}

int Client::report(const QDBusError& error) const {
    const QString text = explain(error);
    std::fprintf(stderr, "lwm2m-gatewayctl: %s\n", qPrintable(text));
    if (json_) {
        const QJsonObject object{{QStringLiteral("error"), error.name()},
                                 {QStringLiteral("message"), text}};
        std::fprintf(stdout, "%s\n",
                     QJsonDocument(object).toJson(QJsonDocument::Compact).constData());
    }
    return exitCodeFor(error);
}

void Client::print(const QJsonValue& value, const QString& text) const {
    if (json_) {
        const QJsonDocument document =
            value.isArray() ? QJsonDocument(value.toArray()) : QJsonDocument(value.toObject());
        std::fprintf(stdout, "%s", document.toJson(QJsonDocument::Indented).constData());
    } else {
        std::fprintf(stdout, "%s", qPrintable(text));
    }
    std::fflush(stdout);
}

}  // namespace lwm2mgw::ctl
