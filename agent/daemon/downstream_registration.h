#pragma once

#include <lwm2m-gateway/security_mode_plugin.h>

#include <coap3/coap.h>

#include <QByteArray>
#include <QDateTime>
#include <QString>

#include "deadline_scheduler.h"

namespace lwm2mgw {

// A sensor's registration at the gateway (the gateway acting as its LwM2M server).
struct DownstreamRegistration {
    DownstreamRegistration() = default;
    ~DownstreamRegistration() { setSession(nullptr); }
    DownstreamRegistration(const DownstreamRegistration&) = delete;
    DownstreamRegistration& operator=(const DownstreamRegistration&) = delete;

    QString id;        // the N in Location-Path rd/N
    QString endpoint;  // ep, as the sensor sent it
    int lifetimeSeconds = 0;
    QString lwm2mVersion;
    QString binding;
    QString smsNumber;
    bool queueMode = false;
    QByteArray objectLinks;                  // the link-format payload as the sensor sent it
    QString rootPath = QStringLiteral("/");  // alternate path from </...>;rt="oma.lwm2m"
    SecurityModePlugin* plugin = nullptr;
    QDateTime registeredAt;
    QDateTime lastUpdateAt;
    ScheduledDeadline expiry;

    coap_session_t* session() const { return session_; }
    // Holds a reference so libcoap keeps the peer's session while it is registered.
    void setSession(coap_session_t* session) {
        if (session == session_) {
            return;
        }
        if (session) {
            coap_session_reference(session);
        }
        if (session_) {
            coap_session_release(session_);
        }
        session_ = session;
    }

private:
    coap_session_t* session_ = nullptr;
};

}  // namespace lwm2mgw
