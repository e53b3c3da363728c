#pragma once

#include "downstream_registration.h"

#include <coap3/coap.h>

#include <QHash>
#include <QList>
#include <QObject>
#include <memory>

namespace lwm2mgw {

enum class RegistrationEnd { Deregistered, Expired, Replaced, Shutdown };
QString registrationEndText(RegistrationEnd end);

// The gateway's registration interface towards sensors (/rd): Register, Update, De-register and
// lifetime expiry, as an LwM2M 1.1 server answers them.
class RegistrationRegistry : public QObject {
    Q_OBJECT
public:
    explicit RegistrationRegistry(QObject* parent = nullptr);
    ~RegistrationRegistry() override;

    // Forbidden: the peer's credentials are bound to another endpoint; the caller closes its
    // session once the 4.03 is out.
    enum class Outcome { Served, Forbidden };

    // Each fills `response` (code, options, diagnostic payload) for the request given.
    Outcome handleRegister(coap_session_t* session, SecurityModePlugin* plugin,
                           const coap_pdu_t* request, coap_pdu_t* response);
    Outcome handleUpdate(const QString& id, coap_session_t* session, SecurityModePlugin* plugin,
                         const coap_pdu_t* request, coap_pdu_t* response);
    Outcome handleDeregister(const QString& id, coap_session_t* session, SecurityModePlugin* plugin,
                             coap_pdu_t* response);

    DownstreamRegistration* byId(const QString& id) const;
    DownstreamRegistration* byEndpoint(const QString& endpoint) const;
    QList<DownstreamRegistration*> registrations() const;
    int count() const { return static_cast<int>(byId_.size()); }

    // Ends a registration as the sensor's own De-register would, on the gateway's word (the
    // operator asked, or the sensor's credentials were withdrawn). False if there is none.
    bool deregister(const QString& endpoint);
    // Ends every registration (gateway shutting down).
    void clear();

signals:
    void registered(lwm2mgw::DownstreamRegistration* registration);
    void updated(lwm2mgw::DownstreamRegistration* registration, bool objectLinksChanged);
    // Emitted before the registration is destroyed.
    void ending(lwm2mgw::DownstreamRegistration* registration, lwm2mgw::RegistrationEnd end);

private:
    void remove(const QString& id, RegistrationEnd end);
    void restartExpiry(DownstreamRegistration& registration);
    QString newId() const;

    QHash<QString, DownstreamRegistration*> byId_;
    QHash<QString, DownstreamRegistration*> byEndpoint_;
};

}  // namespace lwm2mgw
