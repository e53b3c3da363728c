#include "registration_registry.h"

#include "coap_message.h"
#include "content_format.h"
#include "registration_links.h"
#include "registration_query.h"

#include <QLoggingCategory>
#include <QRandomGenerator>
#include <limits>

Q_LOGGING_CATEGORY(lcDownstream, "lwm2mgw.downstream")

namespace lwm2mgw {

namespace {

using lwm2m::kLinkFormat;
// Network delay between the sensor's Update and its arrival here.
constexpr int kExpiryGraceMs = 1000;

void refuse(coap_pdu_t* response, int code, const QString& reason) {
    coap_pdu_set_code(response, codeFromNumber(code));
    // RFC 7252 5.5.2: a diagnostic payload a person can read.
    const QByteArray text = reason.toUtf8();
    coap_add_data(response, static_cast<size_t>(text.size()),
                  reinterpret_cast<const uint8_t*>(text.constData()));
}

bool contentFormatIsLinkFormat(const coap_pdu_t* request) {
    const std::optional<quint32> format = uintOptionOf(request, COAP_OPTION_CONTENT_FORMAT);
    return !format || *format == kLinkFormat;
}

// The endpoint a secured peer's credentials are bound to must be the one it registers as.
bool peerMayUse(SecurityModePlugin* plugin, coap_session_t* session, const QString& endpoint,
                QString& reason) {
    const std::optional<std::string> bound = plugin->boundEndpoint(session);
    if (bound && QString::fromStdString(*bound) != endpoint) {
        reason = QStringLiteral("credentials are bound to endpoint '%1', not '%2'")
                     .arg(QString::fromStdString(*bound), endpoint);
        return false;
    }
    return true;
}

}  // namespace

QString registrationEndText(RegistrationEnd end) {
    switch (end) {
        case RegistrationEnd::Deregistered:
            return QStringLiteral("de-registered");
        case RegistrationEnd::Expired:
            return QStringLiteral("lifetime expired");
        case RegistrationEnd::Replaced:
            return QStringLiteral("replaced by a new registration");
        case RegistrationEnd::Shutdown:
            return QStringLiteral("gateway shutting down");
    }
    return {};
}

RegistrationRegistry::RegistrationRegistry(QObject* parent) : QObject(parent) {}

RegistrationRegistry::~RegistrationRegistry() {
    qDeleteAll(byId_);
}

RegistrationRegistry::Outcome RegistrationRegistry::handleRegister(coap_session_t* session,
                                                                   SecurityModePlugin* plugin,
                                                                   const coap_pdu_t* request,
                                                                   coap_pdu_t* response) {
    const QString peer = addressText(coap_session_get_addr_remote(session));
    const auto parsed =
        parseRegistrationQuery(uriQueryOf(request), RegistrationOperation::Register);
    if (const auto* error = std::get_if<RegistrationQueryError>(&parsed)) {
        qCWarning(lcDownstream).noquote()
            << "Register from" << peer << "refused:" << error->message;
        refuse(response, error->code, error->message);
        return Outcome::Served;
    }
    const RegistrationQuery& query = std::get<RegistrationQuery>(parsed);
    if (!contentFormatIsLinkFormat(request)) {
        qCWarning(lcDownstream).noquote()
            << "Register from" << peer << "refused: payload is not link format";
        refuse(response, 415, QStringLiteral("object links must be application/link-format (40)"));
        return Outcome::Served;
    }
    const QByteArray payload = payloadOf(request);
    const auto links = lwm2m::parseRegistrationLinks(
        std::string_view(payload.constData(), static_cast<size_t>(payload.size())));
    if (!links) {
        const QString message = QStringLiteral("malformed object links at byte %1: %2")
                                    .arg(links.error().offset)
                                    .arg(QString::fromStdString(links.error().message));
        qCWarning(lcDownstream).noquote()
            << "Register of" << *query.endpoint << "from" << peer << "refused:" << message;
        refuse(response, 400, message);
        return Outcome::Served;
    }
    QString reason;
    if (!peerMayUse(plugin, session, *query.endpoint, reason)) {
        qCWarning(lcDownstream).noquote()
            << "Register of" << *query.endpoint << "from" << peer << "forbidden:" << reason;
        refuse(response, 403, QStringLiteral("endpoint name does not match the credentials"));
        return Outcome::Forbidden;
    }
    if (DownstreamRegistration* previous = byEndpoint(*query.endpoint)) {
        remove(previous->id, RegistrationEnd::Replaced);
    }

    auto* registration = new DownstreamRegistration;
    registration->id = newId();
    registration->endpoint = *query.endpoint;
    registration->lifetimeSeconds = *query.lifetimeSeconds;
    registration->lwm2mVersion = *query.lwm2mVersion;
    registration->binding = *query.binding;
    registration->smsNumber = query.smsNumber.value_or(QString());
    registration->queueMode = query.queueMode || registration->binding.contains(QLatin1Char('Q'));
    registration->objectLinks = payload;
    registration->rootPath = QString::fromStdString(links.value().rootPath);
    registration->plugin = plugin;
    registration->registeredAt = registration->lastUpdateAt = QDateTime::currentDateTimeUtc();
    registration->setSession(session);
    restartExpiry(*registration);
    byId_.insert(registration->id, registration);
    byEndpoint_.insert(registration->endpoint, registration);

    coap_pdu_set_code(response, COAP_RESPONSE_CODE_CREATED);
    addPathOptions(response, COAP_OPTION_LOCATION_PATH, QStringLiteral("rd/") + registration->id);
    qCInfo(lcDownstream).noquote()
        << "registered" << registration->endpoint << "from" << peer << "as rd/" + registration->id
        << "lt" << registration->lifetimeSeconds << "lwm2m" << registration->lwm2mVersion << "b"
        << registration->binding;
    emit registered(registration);
    return Outcome::Served;
}

RegistrationRegistry::Outcome RegistrationRegistry::handleUpdate(const QString& id,
                                                                 coap_session_t* session,
                                                                 SecurityModePlugin* plugin,
                                                                 const coap_pdu_t* request,
                                                                 coap_pdu_t* response) {
    DownstreamRegistration* registration = byId(id);
    if (!registration) {
        refuse(response, 404, QStringLiteral("no registration rd/%1").arg(id));
        return Outcome::Served;
    }
    const auto parsed = parseRegistrationQuery(uriQueryOf(request), RegistrationOperation::Update);
    if (const auto* error = std::get_if<RegistrationQueryError>(&parsed)) {
        qCWarning(lcDownstream).noquote()
            << "Update of" << registration->endpoint << "refused:" << error->message;
        refuse(response, error->code, error->message);
        return Outcome::Served;
    }
    QString reason;
    if (!peerMayUse(plugin, session, registration->endpoint, reason)) {
        qCWarning(lcDownstream).noquote()
            << "Update of" << registration->endpoint << "forbidden:" << reason;
        refuse(response, 403, QStringLiteral("endpoint name does not match the credentials"));
        return Outcome::Forbidden;
    }
    const QByteArray payload = payloadOf(request);
    std::optional<QString> newRootPath;
    if (!payload.isEmpty()) {
        if (!contentFormatIsLinkFormat(request)) {
            refuse(response, 415,
                   QStringLiteral("object links must be application/link-format (40)"));
            return Outcome::Served;
        }
        const auto links = lwm2m::parseRegistrationLinks(
            std::string_view(payload.constData(), static_cast<size_t>(payload.size())));
        if (!links) {
            const QString message = QStringLiteral("malformed object links at byte %1: %2")
                                        .arg(links.error().offset)
                                        .arg(QString::fromStdString(links.error().message));
            qCWarning(lcDownstream).noquote()
                << "Update of" << registration->endpoint << "refused:" << message;
            refuse(response, 400, message);
            return Outcome::Served;
        }
        newRootPath = QString::fromStdString(links.value().rootPath);
    }
    const RegistrationQuery& query = std::get<RegistrationQuery>(parsed);
    if (query.lifetimeSeconds) {
        registration->lifetimeSeconds = *query.lifetimeSeconds;
    }
    if (query.binding) {
        registration->binding = *query.binding;
    }
    if (query.smsNumber) {
        registration->smsNumber = *query.smsNumber;
    }
    if (query.queueMode || query.binding) {
        registration->queueMode =
            query.queueMode || registration->binding.contains(QLatin1Char('Q'));
    }
    const bool linksChanged = newRootPath && payload != registration->objectLinks;
    if (newRootPath) {
        registration->objectLinks = payload;
        registration->rootPath = *newRootPath;
    }
    // A sensor whose address changed (NAT rebinding, new DTLS session) is reached at the new one.
    registration->setSession(session);
    registration->lastUpdateAt = QDateTime::currentDateTimeUtc();
    restartExpiry(*registration);
    coap_pdu_set_code(response, COAP_RESPONSE_CODE_CHANGED);
    qCDebug(lcDownstream).noquote()
        << "updated" << registration->endpoint << (linksChanged ? "with new object links" : "");
    emit updated(registration, linksChanged);
    return Outcome::Served;
}

RegistrationRegistry::Outcome RegistrationRegistry::handleDeregister(const QString& id,
                                                                     coap_session_t* session,
                                                                     SecurityModePlugin* plugin,
                                                                     coap_pdu_t* response) {
    DownstreamRegistration* registration = byId(id);
    if (!registration) {
        refuse(response, 404, QStringLiteral("no registration rd/%1").arg(id));
        return Outcome::Served;
    }
    QString reason;
    if (!peerMayUse(plugin, session, registration->endpoint, reason)) {
        qCWarning(lcDownstream).noquote()
            << "De-register of" << registration->endpoint << "forbidden:" << reason;
        refuse(response, 403, QStringLiteral("endpoint name does not match the credentials"));
        return Outcome::Forbidden;
    }
    coap_pdu_set_code(response, COAP_RESPONSE_CODE_DELETED);
    qCInfo(lcDownstream).noquote() << "de-registered" << registration->endpoint;
    remove(id, RegistrationEnd::Deregistered);
    return Outcome::Served;
}

DownstreamRegistration* RegistrationRegistry::byId(const QString& id) const {
    return byId_.value(id);
}

DownstreamRegistration* RegistrationRegistry::byEndpoint(const QString& endpoint) const {
    return byEndpoint_.value(endpoint);
}

QList<DownstreamRegistration*> RegistrationRegistry::registrations() const {
    return byId_.values();
}

bool RegistrationRegistry::deregister(const QString& endpoint) {
    DownstreamRegistration* registration = byEndpoint(endpoint);
    if (!registration) {
        return false;
    }
    qCInfo(lcDownstream).noquote() << "de-registered" << endpoint << "(by the gateway)";
    remove(registration->id, RegistrationEnd::Deregistered);
    return true;
}

void RegistrationRegistry::clear() {
    const QList<QString> ids = byId_.keys();
    for (const QString& id : ids) {
        remove(id, RegistrationEnd::Shutdown);
    }
}

void RegistrationRegistry::remove(const QString& id, RegistrationEnd end) {
    DownstreamRegistration* registration = byId_.take(id);
    if (!registration) {
        return;
    }
    byEndpoint_.remove(registration->endpoint);
    emit ending(registration, end);
    delete registration;
}

void RegistrationRegistry::restartExpiry(DownstreamRegistration& registration) {
    const qint64 ms = qint64(registration.lifetimeSeconds) * 1000 + kExpiryGraceMs;
    const QString id = registration.id;
    registration.expiry.start(ms, [this, id] {
        if (DownstreamRegistration* expired = byId(id)) {
            qCInfo(lcDownstream).noquote()
                << "registration of" << expired->endpoint << "expired after"
                << expired->lifetimeSeconds << "s without an Update";
            remove(id, RegistrationEnd::Expired);
        }
    });
}

QString RegistrationRegistry::newId() const {
    // Short, unguessable, never reused while registered.
    QString id;
    do {
        id = QString::number(QRandomGenerator::system()->generate(), 36);
    } while (byId_.contains(id));
    return id;
}

}  // namespace lwm2mgw
