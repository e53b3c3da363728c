#include "registration_query.h"

#include <QRegularExpression>
#include <QSet>

namespace lwm2mgw {

namespace {

constexpr int kDefaultLifetimeSeconds = 86400;
constexpr qsizetype kMaxEndpointNameLength = 255;

RegistrationQueryError badRequest(const QString& message) {
    return {400, message};
}

bool validBinding(const QString& binding) {
    // LwM2M 1.0 bindings are U, UQ, S, SQ, US, UQS; 1.1 adds N and T and moves Q to its own
    // parameter. Accept any set of these letters, each once.
    if (binding.isEmpty()) {
        return false;
    }
    QSet<QChar> seen;
    for (const QChar c : binding) {
        if (!QStringLiteral("UQSNT").contains(c) || seen.contains(c)) {
            return false;
        }
        seen.insert(c);
    }
    return true;
}

bool validEndpointName(const QString& name) {
    if (name.isEmpty() || name.size() > kMaxEndpointNameLength) {
        return false;
    }
    for (const QChar c : name) {
        if (c.category() == QChar::Other_Control) {
            return false;
        }
    }
    return true;
}

}  // namespace

bool isServedLwm2mVersion(const QString& version) {
    return version == QLatin1String("1.0") || version == QLatin1String("1.1");
}

std::variant<RegistrationQuery, RegistrationQueryError> parseRegistrationQuery(
    const QList<QByteArray>& query, RegistrationOperation operation) {
    RegistrationQuery result;
    QSet<QByteArray> seen;
    for (const QByteArray& item : query) {
        const qsizetype equals = item.indexOf('=');
        const QByteArray name = equals < 0 ? item : item.left(equals);
        const QString value = equals < 0 ? QString() : QString::fromUtf8(item.mid(equals + 1));
        if (seen.contains(name)) {
            return badRequest(
                QStringLiteral("query parameter '%1' given twice").arg(QString::fromUtf8(name)));
        }
        seen.insert(name);
        if (name == "ep") {
            if (operation == RegistrationOperation::Update) {
                continue;  // Not an Update parameter; the registration id names the endpoint.
            }
            if (!validEndpointName(value)) {
                return badRequest(
                    QStringLiteral("endpoint name (ep) is empty, too long or has "
                                   "control characters"));
            }
            result.endpoint = value;
        } else if (name == "lt") {
            bool ok = false;
            const qlonglong lifetime = value.toLongLong(&ok);
            if (!ok || lifetime <= 0 || lifetime > 0x7fffffff) {
                return badRequest(
                    QStringLiteral("lifetime (lt) '%1' is not a positive integer").arg(value));
            }
            result.lifetimeSeconds = static_cast<int>(lifetime);
        } else if (name == "lwm2m") {
            if (operation == RegistrationOperation::Update) {
                continue;
            }
            static const QRegularExpression versionPattern(
                QStringLiteral("^[0-9]{1,3}\\.[0-9]{1,3}$"));
            if (!versionPattern.match(value).hasMatch()) {
                return badRequest(
                    QStringLiteral("LwM2M version (lwm2m) '%1' is malformed").arg(value));
            }
            if (!isServedLwm2mVersion(value)) {
                return RegistrationQueryError{
                    412,
                    QStringLiteral("LwM2M version %1 is not served (1.0 and 1.1 are)").arg(value)};
            }
            result.lwm2mVersion = value;
        } else if (name == "b") {
            if (!validBinding(value)) {
                return badRequest(QStringLiteral("binding (b) '%1' is not valid").arg(value));
            }
            result.binding = value;
        } else if (name == "sms") {
            result.smsNumber = value;
        } else if (name == "Q") {
            if (equals >= 0) {
                return badRequest(QStringLiteral("the queue mode flag (Q) takes no value"));
            }
            result.queueMode = true;
        }
    }
    if (operation == RegistrationOperation::Register) {
        if (!result.endpoint) {
            return badRequest(QStringLiteral("Register without an endpoint name (ep)"));
        }
        if (!result.lifetimeSeconds) {
            result.lifetimeSeconds = kDefaultLifetimeSeconds;
        }
        if (!result.lwm2mVersion) {
            result.lwm2mVersion = QStringLiteral("1.0");
        }
        if (!result.binding) {
            result.binding = QStringLiteral("U");
        }
    }
    return result;
}

}  // namespace lwm2mgw
