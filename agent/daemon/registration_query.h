#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <optional>
#include <variant>

namespace lwm2mgw {

// The Uri-Query of a Register (POST /rd) or Update (POST /rd/<id>), OMA LwM2M 1.1 Transport
// 6.2.1 / 6.2.2: ep, lt, lwm2m, b, sms and the Q flag.
struct RegistrationQuery {
    std::optional<QString> endpoint;
    std::optional<int> lifetimeSeconds;
    std::optional<QString> lwm2mVersion;
    std::optional<QString> binding;
    std::optional<QString> smsNumber;
    bool queueMode = false;
};

struct RegistrationQueryError {
    int code = 400;  // 400 Bad Request, or 412 Precondition Failed for an unserved version
    QString message;
};

enum class RegistrationOperation { Register, Update };

// Pure: checks syntax and the values the spec allows; unknown parameters are ignored as the
// spec asks. A Register gets its defaults filled in (lt 86400, lwm2m 1.0, b U).
std::variant<RegistrationQuery, RegistrationQueryError> parseRegistrationQuery(
    const QList<QByteArray>& query, RegistrationOperation operation);

// The LwM2M versions this gateway serves downstream.
bool isServedLwm2mVersion(const QString& version);

}  // namespace lwm2mgw
