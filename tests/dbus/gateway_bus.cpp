#include "gateway_bus.h"

#include <QDBusPendingCall>
#include <QTest>

namespace lwm2mgw::testing {

QDBusMessage callGateway(QDBusConnection& connection, const QString& interface,
                         const QString& method, const QVariantList& arguments) {
    QDBusMessage message =
        QDBusMessage::createMethodCall(kGatewayService, kGatewayPath, interface, method);
    message.setArguments(arguments);
    QDBusPendingCall pending = connection.asyncCall(message, 10000);
    if (!QTest::qWaitFor([&] { return pending.isFinished(); }, 12000)) {
        return QDBusMessage::createError(QStringLiteral("test.NoAnswer"), method);
    }
    return pending.reply();
}

}  // namespace lwm2mgw::testing
