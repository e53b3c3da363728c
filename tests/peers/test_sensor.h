#pragma once

#include "coap_event_loop.h"
#include "coap_exchanges.h"
#include "lwm2m_path.h"
#include "object_tree.h"

#include <coap3/coap.h>

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>

#include <array>
#include <functional>
#include <map>
#include <optional>
#include <vector>

namespace lwm2mgw::peers {

class SensorHub;

// A downstream LwM2M 1.1 client over UDP (NoSec). Many sensors share one CoapEventLoop; each
// has its own client session, hence its own source port. Once the loop is gone a sensor is
// inert. Delete a sensor from one of its own signals only with deleteLater(): libcoap is
// still working on its session then.
class TestSensor : public QObject {
    Q_OBJECT
public:
    // A fresh client context with libcoap's block-wise handling, ready for sensors.
    static CoapEventLoop* createEventLoop(QObject* parent = nullptr);

    explicit TestSensor(CoapEventLoop* loop, QObject* parent = nullptr);
    ~TestSensor() override;
    TestSensor(const TestSensor&) = delete;
    TestSensor& operator=(const TestSensor&) = delete;

    // Registration interface (Core 6.2). uri: coap://host:port with a numeric host.
    bool registerTo(const QString& uri, const QString& endpoint, qint64 lifetime = 86400,
                    const QString& lwm2mVersion = QStringLiteral("1.1"),
                    const QString& binding = QStringLiteral("U"));
    bool update(bool withLinks = false);
    bool deregister();
    // Update automatically at 3/4 of the lifetime (default on); off lets the lifetime expire.
    void setAutoUpdate(bool enabled);
    // 0 (default): wait for libcoap's CON give-up (EXCHANGE_LIFETIME-ish, ~93 s).
    void setRequestTimeout(int milliseconds) { requestTimeoutMs_ = milliseconds; }
    bool isRegistered() const { return !location_.isEmpty(); }
    QString endpoint() const { return endpoint_; }
    QString location() const { return location_; }
    qint64 lifetime() const { return lifetime_; }
    quint16 localPort() const;

    // Data model. Defaults: /1/0 (0 SSID, 1 Lifetime, 7 Binding) and /3/0 (0 Manufacturer,
    // 1 Model, 2 Serial, 3 Firmware, 4 Reboot executable, 13 Current Time, 16 Binding).
    ObjectTree& objects() { return tree_; }
    // Sets a value and notifies its observers. type: keep the existing one, else String.
    bool setResource(const QString& path, const QByteArray& value,
                     std::optional<ResourceType> type = std::nullopt);
    std::optional<QByteArray> resourceValue(const QString& path) const;
    void addObject(int objectId);
    void addObjectInstance(int objectId, int instanceId);
    void addExecutableResource(const QString& path);
    int executionCount(const QString& path) const;
    QList<QByteArray> executeArguments(const QString& path) const;

    // LwM2M 1.1 Send (Core 6.4.1): POST /dp, application/senml+json.
    bool send(const QByteArray& senmlJson);

    // Drop every incoming request without any answer, not even an empty ACK.
    void setSilent(bool silent) { silent_ = silent; }
    // Notifications go as NON instead of CON (RFC 7641 allows either).
    void setNotificationsNonConfirmable(bool enabled) { notificationsNon_ = enabled; }
    quint32 requestsServed(coap_request_t method) const;
    quint32 requestsDropped() const { return dropped_; }
    quint32 notificationsSent() const { return notificationsSent_; }
    int observationCount() const { return static_cast<int>(observations_.size()); }

signals:
    void registered(const QString& location);
    void registrationFailed(int code);
    void updated();
    void updateFailed(int code);
    void deregistered();
    void deregistrationFailed(int code);
    void sendCompleted(int code);
    void executed(const QString& path, const QByteArray& arguments);
    void written(const QString& path);
    void observationStarted(const QString& path);
    void observationEnded(const QString& path);

protected:
    void timerEvent(QTimerEvent* event) override;

private:
    friend class SensorHub;

    struct Observation {
        QByteArray token;
        std::vector<Lwm2mPath> paths;
        bool composite = false;
        int accept = -1;
    };
    struct ReadResult {
        int code = 205;
        int contentFormat = -1;
        QByteArray body;
    };
    struct Execution {
        int count = 0;
        QList<QByteArray> arguments;
    };

    void handleRequest(coap_resource_t* resource, coap_session_t* session,
                       const coap_pdu_t* request, const coap_string_t* query, coap_pdu_t* response);
    void handleNotificationFailure(const QByteArray& token, coap_nack_reason_t reason);
    void endObservation(const QByteArray& token);

    int serveGet(const Lwm2mPath& path, const coap_pdu_t* request, ReadResult* out);
    int servePut(const Lwm2mPath& path, const coap_pdu_t* request);
    int servePost(const Lwm2mPath& path, const coap_pdu_t* request, coap_pdu_t* response);
    int serveDelete(const Lwm2mPath& path);
    int serveFetch(const coap_pdu_t* request, ReadResult* out, std::vector<Lwm2mPath>* paths);
    int serveIpatch(const coap_pdu_t* request);
    int writeAttributes(const Lwm2mPath& path, const coap_pdu_t* request);
    int create(const Lwm2mPath& path, const coap_pdu_t* request, coap_pdu_t* response);
    ReadResult read(const std::vector<Lwm2mPath>& paths, bool composite, int accept) const;
    void observe(const coap_pdu_t* request, std::vector<Lwm2mPath> paths, bool composite,
                 int accept, coap_pdu_t* response);
    void notifyChanged(const Lwm2mPath& changed);
    void sendNotification(const Observation& observation, const ReadResult& result);

    bool sendRequest(coap_pdu_code_t method, const QStringList& uriPath, const QStringList& query,
                     int contentFormat, const QByteArray& body,
                     std::function<void(const Response&)> done);
    bool sendRegister();
    void scheduleUpdate();
    void resetRegistration();

    QPointer<CoapEventLoop> loop_;
    SensorHub* hub_;
    coap_session_t* session_ = nullptr;
    QString serverUri_;
    QString endpoint_;
    QString lwm2mVersion_;
    QString binding_;
    QString location_;
    qint64 lifetime_ = 0;
    int updateTimer_ = 0;
    int requestTimeoutMs_ = 0;
    bool autoUpdate_ = true;
    bool silent_ = false;
    quint32 observeSequence_ = 2;
    bool notificationsNon_ = false;
    quint32 notificationsSent_ = 0;
    quint32 dropped_ = 0;
    std::array<quint32, 8> served_{};
    ObjectTree tree_;
    std::vector<Observation> observations_;
    std::map<QString, Execution> executions_;
};

}  // namespace lwm2mgw::peers
