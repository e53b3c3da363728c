#include "private_bus.h"

#include <QFile>

#include <sys/stat.h>

namespace lwm2mgw::testing {

namespace {

// The rules of Debian's /usr/share/dbus-1/system.conf that matter for a service's policy: no
// one owns or calls anything unless a policy file allows it.
const char* const kSystemLikeRules = R"(
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
    <deny send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus" send_member="UpdateActivationEnvironment"/>
  </policy>
)";

const char* const kOpenRules = R"(
  <policy context="default">
    <allow user="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
)";

}  // namespace

PrivateBus::~PrivateBus() {
    if (process_.state() != QProcess::NotRunning) {
        process_.terminate();
        if (!process_.waitForFinished(3000)) {
            process_.kill();
            process_.waitForFinished(1000);
        }
    }
}

QString PrivateBus::start(Kind kind, const QString& policyFile) {
    if (!directory_.isValid()) {
        return QStringLiteral("no temporary directory");
    }
    // Callers of another uid (the policy test runs one as nobody) must reach the socket.
    ::chmod(QFile::encodeName(directory_.path()).constData(), 0755);
    const QString socket = directory_.filePath(QStringLiteral("bus"));
    QString config =
        QStringLiteral(
            "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN\"\n"
            " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
            "<busconfig>\n  <type>%1</type>\n  <listen>unix:path=%2</listen>\n"
            "  <auth>EXTERNAL</auth>\n")
            .arg(kind == Kind::SystemLike ? QStringLiteral("system") : QStringLiteral("session"),
                 socket);
    config += QString::fromLatin1(kind == Kind::SystemLike ? kSystemLikeRules : kOpenRules);
    if (!policyFile.isEmpty()) {
        config += QStringLiteral("  <include>%1</include>\n").arg(policyFile);
    }
    config += QStringLiteral("</busconfig>\n");
    QFile file(directory_.filePath(QStringLiteral("bus.conf")));
    if (!file.open(QIODevice::WriteOnly) || file.write(config.toUtf8()) < 0) {
        return QStringLiteral("cannot write %1").arg(file.fileName());
    }
    file.close();
    process_.start(QStringLiteral("dbus-daemon"),
                   {QStringLiteral("--config-file=") + file.fileName(), QStringLiteral("--nofork"),
                    QStringLiteral("--print-address=1")});
    if (!process_.waitForStarted(5000)) {
        return QStringLiteral("dbus-daemon does not start: %1 (install package dbus-daemon)")
            .arg(process_.errorString());
    }
    while (!process_.canReadLine() && process_.waitForReadyRead(5000)) {
    }
    address_ = QString::fromUtf8(process_.readLine()).trimmed();
    if (address_.isEmpty()) {
        return QStringLiteral("dbus-daemon printed no address: %1")
            .arg(QString::fromUtf8(process_.readAllStandardError()));
    }
    return {};
}

}  // namespace lwm2mgw::testing
