// Sensors registering over DTLS through the real daemon and its psk, rpk and x509 plugins, against
// Debian's OpenSSL- and GnuTLS-based libcoap clients, with credentials in a real credential store:
// the PSK identity, the raw public key or the certificate's Subject CN binds the one endpoint name
// a sensor may register as, and only what passes reaches the upstream server. Then the daemon as
// DTLS client of stored coaps:// server accounts, against Debian's coap-server-openssl and -gnutls.
#include "coap_pdu_util.h"
#include "ctl_process.h"
#include "gateway_process.h"
#include "peer_process.h"
#include "private_bus.h"
#include "test_lwm2m_server.h"
#include "test_pki.h"

#include <lwm2m-gateway/credstore/credential_store.h>

#include <coap3/coap.h>

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <cstring>
#include <memory>

#include <netinet/in.h>

using lwm2mgw::peers::TestLwm2mServer;
using lwm2mgw::testing::GatewayProcess;
using lwm2mgw::testing::PrivateBus;
using lwm2mgw::testing::runCtl;
namespace credstore = lwm2mgw::credstore;

namespace {

const QString kIdentity = QStringLiteral("psk-sensor-identity");
const QString kKey = QStringLiteral("a-key-of-16bytes");
const QString kRevocableIdentity = QStringLiteral("revocable-identity");
const QString kUpstreamIdentity = QStringLiteral("upstream-gw-identity");
const QString kUpstreamKey = QStringLiteral("upstream-key-16b");

std::string bytes(const QByteArray& array) {
    return std::string(array.constData(), static_cast<size_t>(array.size()));
}

bool writeFile(const QString& path, const QByteArray& content) {
    QFile file(path);
    return !content.isEmpty() && file.open(QIODevice::WriteOnly) &&
           file.write(content) == content.size();
}

// A one-shot libcoap client; its whole output (-v 6 shows the response code as c:X.YZ).
QString runClient(const QString& program, const QStringList& arguments) {
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(program, arguments);
    if (!process.waitForStarted(5000) ||
        !QTest::qWaitFor([&] { return process.state() == QProcess::NotRunning; }, 20000)) {
        process.kill();
        process.waitForFinished(1000);
    }
    return QString::fromUtf8(process.readAll());
}

using lwm2mgw::testing::PeerProcess;

// A DTLS client in this process that sends one Register and then watches its session: the
// gateway must end a session whose Register it refused with 4.03 (close_notify), which libcoap
// reports here as COAP_EVENT_DTLS_CLOSED. coap-client exits too early to show that.
class WatchedSession {
public:
    WatchedSession() {
        context_ = coap_new_context(nullptr);
        coap_set_app_data(context_, this);
        coap_register_response_handler(context_, &WatchedSession::onResponse);
        coap_register_event_handler(context_, &WatchedSession::onEvent);
    }
    ~WatchedSession() {
        if (session_) {
            coap_session_release(session_);
        }
        coap_free_context(context_);
    }
    WatchedSession(const WatchedSession&) = delete;
    WatchedSession& operator=(const WatchedSession&) = delete;

    bool openPsk(quint16 port, const QString& identity, const QString& key) {
        identity_ = identity.toUtf8();
        key_ = key.toUtf8();
        coap_dtls_cpsk_t setup{};
        setup.version = COAP_DTLS_CPSK_SETUP_VERSION;
        setup.psk_info.identity = {static_cast<size_t>(identity_.size()),
                                   reinterpret_cast<const uint8_t*>(identity_.constData())};
        setup.psk_info.key = {static_cast<size_t>(key_.size()),
                              reinterpret_cast<const uint8_t*>(key_.constData())};
        const coap_address_t address = loopback(port);
        session_ =
            coap_new_client_session_psk2(context_, nullptr, &address, COAP_PROTO_DTLS, &setup);
        return session_ != nullptr;
    }

    // `certificate` and `key` are PEM files; the gateway's chain or key is not checked here.
    // RPK: `certificate` is the private key file as well (libcoap derives the public key).
    bool openPki(quint16 port, const QString& certificate, const QString& key, bool rawPublicKey) {
        certificate_ = readAll(certificate);
        privateKey_ = readAll(key);
        coap_dtls_pki_t setup{};
        setup.version = COAP_DTLS_PKI_SETUP_VERSION;
        setup.is_rpk_not_cert = rawPublicKey ? 1 : 0;
        // Buffers, not file names: libcoap takes raw public keys only so.
        setup.pki_key.key_type = COAP_PKI_KEY_PEM_BUF;
        setup.pki_key.key.pem_buf.public_cert =
            reinterpret_cast<const uint8_t*>(certificate_.constData());
        setup.pki_key.key.pem_buf.public_cert_len = static_cast<size_t>(certificate_.size());
        setup.pki_key.key.pem_buf.private_key =
            reinterpret_cast<const uint8_t*>(privateKey_.constData());
        setup.pki_key.key.pem_buf.private_key_len = static_cast<size_t>(privateKey_.size());
        const coap_address_t address = loopback(port);
        session_ =
            coap_new_client_session_pki(context_, nullptr, &address, COAP_PROTO_DTLS, &setup);
        return session_ != nullptr;
    }

    // GET <path>; the response code, empty when none came (or the session closed first).
    QString get(const QString& path) { return request(COAP_REQUEST_CODE_GET, path.toUtf8(), {}); }

    // POST /rd?<query>; the response code as "4.03", empty when none came.
    QString registerWith(const QString& query) {
        return request(COAP_REQUEST_CODE_POST, "rd", query.toUtf8());
    }

    bool waitClosed(int timeoutMs) {
        return run([&] { return closed_; }, timeoutMs);
    }

private:
    QString request(coap_pdu_code_t method, const QByteArray& path, const QByteArray& query) {
        code_.clear();
        coap_pdu_t* pdu = coap_pdu_init(COAP_MESSAGE_CON, method, coap_new_message_id(session_),
                                        coap_session_max_pdu_size(session_));
        coap_add_option(pdu, COAP_OPTION_URI_PATH, static_cast<size_t>(path.size()),
                        reinterpret_cast<const uint8_t*>(path.constData()));
        if (!query.isEmpty()) {
            coap_add_option(pdu, COAP_OPTION_URI_QUERY, static_cast<size_t>(query.size()),
                            reinterpret_cast<const uint8_t*>(query.constData()));
        }
        if (coap_send(session_, pdu) == COAP_INVALID_MID) {
            return {};
        }
        run([&] { return !code_.isEmpty() || closed_; }, 10000);
        return code_;
    }
    static QByteArray readAll(const QString& path) {
        QFile file(path);
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }
    static coap_address_t loopback(quint16 port) {
        coap_address_t address;
        coap_address_init(&address);
        address.addr.sin.sin_family = AF_INET;
        address.addr.sin.sin_port = htons(port);
        address.addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.size = sizeof(sockaddr_in);
        return address;
    }
    static WatchedSession* of(coap_session_t* session) {
        return static_cast<WatchedSession*>(coap_get_app_data(coap_session_get_context(session)));
    }
    static coap_response_t onResponse(coap_session_t* session, const coap_pdu_t*,
                                      const coap_pdu_t* received, const coap_mid_t) {
        const int code = lwm2mgw::peers::codeToNumber(coap_pdu_get_code(received));
        of(session)->code_ = lwm2mgw::peers::codeToString(code);
        return COAP_RESPONSE_OK;
    }
    static int onEvent(coap_session_t* session, const coap_event_t event) {
        if (session && (event == COAP_EVENT_DTLS_CLOSED || event == COAP_EVENT_DTLS_ERROR)) {
            of(session)->closed_ = true;
        }
        return 0;
    }
    // Drives this context and the test's event loop (the upstream test server lives there).
    template <typename Done>
    bool run(Done done, int timeoutMs) {
        QElapsedTimer clock;
        clock.start();
        while (!done() && clock.elapsed() < timeoutMs) {
            coap_io_process(context_, 20);
            QCoreApplication::processEvents();
        }
        return done();
    }

    coap_context_t* context_ = nullptr;
    coap_session_t* session_ = nullptr;
    QByteArray identity_, key_, certificate_, privateKey_;
    QString code_;
    bool closed_ = false;
};

}  // namespace

class TestSecuredRegistration : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    // PSK
    void registersWithTheBoundEndpoint_data();
    void registersWithTheBoundEndpoint();
    void refusesAnotherEndpointName();
    void closesTheSessionAfter403_data();
    void closesTheSessionAfter403();
    void refusesUnknownIdentity();
    void removedPskEndsTheSessionAndTheRegistration();
    void refusesWrongKey();
    // X.509
    void x509RegistersAsItsCommonName_data();
    void x509RegistersAsItsCommonName();
    void x509RefusesAnotherEndpointName_data();
    void x509RefusesAnotherEndpointName();
    void x509RefusesUntrustedCa_data();
    void x509RefusesUntrustedCa();
    void x509TrustAnchorChangesNeedNoRestart();
    // RPK
    void rpkRegistersWithTheBoundEndpoint();
    void rpkRefusesAnotherEndpointName();
    void rpkRefusesUnknownKey();
    // The gateway as DTLS client of stored server accounts
    void upstreamPskRegisters();
    void upstreamX509_data();
    void upstreamX509();
    void upstreamRpk_data();
    void upstreamRpk();

private:
    QString pskClient(const QString& client, const QString& identity, const QString& key,
                      const QString& query);
    QString x509Client(const QString& client, const QString& certificate, const QString& query);
    QString rpkClient(const QString& key, const QString& query);
    QStringList registerArguments(quint16 port, const QString& query) const {
        return QStringList{"-B", "8", "-m", "post", "-t", "40", "-e", "</1/0>,</3/0>"} +
               QStringList{"-v", "6",
                           QStringLiteral("coaps://127.0.0.1:%1/rd?%2").arg(port).arg(query)};
    }
    // Nothing new registered upstream, checked after the gateway had time to relay it.
    void expectNothingUpstream(int registersBefore, const QString& endpoint);
    // A second daemon whose own endpoint has one stored coaps:// server account.
    bool startUpstreamGateway(GatewayProcess& gateway, credstore::SecurityObjectEntry security,
                              QString& error);

    // What DownstreamServer's counters must say at shutdown, per mode, for the tests that ran.
    struct ExpectedCounters {
        int admitted = 0;
        int refusedByPolicy = 0;
        int closedBeforeAdmission = 0;
        int endpointMismatch = 0;
    };
    void count(const QString& mode, int admitted, int closedBeforeAdmission, int endpointMismatch,
               int refusedByPolicy = 0) {
        ExpectedCounters& expected = expected_[mode];
        expected.admitted += admitted;
        expected.refusedByPolicy += refusedByPolicy;
        expected.closedBeforeAdmission += closedBeforeAdmission;
        expected.endpointMismatch += endpointMismatch;
    }
    QMap<QString, ExpectedCounters> expected_;

    QTemporaryDir directory_;
    std::unique_ptr<TestPki> pki_;
    TestLwm2mServer server_;
    PrivateBus bus_;  // for lwm2m-gatewayctl, as an operator changes credentials
    GatewayProcess gateway_;
    quint16 pskPort_ = 0;
    quint16 rpkPort_ = 0;
    quint16 x509Port_ = 0;
};

void TestSecuredRegistration::initTestCase() {
    for (const char* program : {"coap-client-openssl", "coap-client-gnutls", "coap-server-openssl",
                                "coap-server-gnutls", "certtool"}) {
        QVERIFY2(!QStandardPaths::findExecutable(QString::fromLatin1(program)).isEmpty(),
                 "coap-client-openssl/-gnutls, coap-server-openssl/-gnutls (Debian package "
                 "libcoap3-bin) and certtool (gnutls-bin) are required");
    }
    const QString pkiDir = directory_.filePath(QStringLiteral("pki"));
    QVERIFY(QDir().mkpath(pkiDir));
    pki_ = std::make_unique<TestPki>(pkiDir);
    QString error;
    QVERIFY2(pki_->create(error), qPrintable(error));
    const QString own = directory_.filePath(QStringLiteral("own-"));
    QVERIFY(writeFile(own + "cert.der", pki_->certificateDer("gateway")));
    QVERIFY(writeFile(own + "inter.der", pki_->certificateDer("inter")));
    QVERIFY(writeFile(own + "cert-key.der", pki_->privateKeyDer("gateway")));
    QVERIFY(writeFile(own + "rpk.der", pki_->publicKeyDer("rpk-gateway")));
    QVERIFY(writeFile(own + "rpk-key.der", pki_->privateKeyDer("rpk-gateway")));

    const std::string storePath =
        directory_.filePath(QStringLiteral("credentials.db")).toStdString();
    {
        auto store = credstore::CredentialStore::open(storePath);
        QVERIFY2(store, store ? "" : store.error().message.c_str());
        auto added = store->addPsk("psk-sensor", kIdentity.toStdString(),
                                   credstore::Secret(kKey.toStdString()));
        QVERIFY2(added, added ? "" : added.error().message.c_str());
        added = store->addPsk("revocable-sensor", kRevocableIdentity.toStdString(),
                              credstore::Secret(kKey.toStdString()));
        QVERIFY2(added, added ? "" : added.error().message.c_str());
        added = store->addRpk("rpk-sensor", bytes(pki_->publicKeyDer("rpk-sensor")));
        QVERIFY2(added, added ? "" : added.error().message.c_str());
        // A CA for any endpoint: the endpoint name then comes from the sensor's Subject CN.
        added =
            store->addTrustAnchor({"test-root", bytes(pki_->certificateDer("root")), std::nullopt});
        QVERIFY2(added, added ? "" : added.error().message.c_str());
    }
    QVERIFY(server_.listen());
    const QString busError = bus_.start(PrivateBus::Kind::Open);
    QVERIFY2(busError.isEmpty(), qPrintable(busError));
    pskPort_ = lwm2mgw::testing::freeUdpPort();
    rpkPort_ = lwm2mgw::testing::freeUdpPort();
    x509Port_ = lwm2mgw::testing::freeUdpPort();
    QVERIFY(pskPort_ != rpkPort_ && rpkPort_ != x509Port_ && pskPort_ != x509Port_);
    QVERIFY2(gateway_.start(
                 {{QStringLiteral("downstream/listen"),
                   QStringLiteral("coaps://127.0.0.1:%1?mode=psk,coaps://127.0.0.1:%2?mode=rpk,"
                                  "coaps://127.0.0.1:%3?mode=x509")
                       .arg(pskPort_)
                       .arg(rpkPort_)
                       .arg(x509Port_)},
                  {QStringLiteral("downstream/rpk_public_key"), own + "rpk.der"},
                  {QStringLiteral("downstream/rpk_private_key"), own + "rpk-key.der"},
                  {QStringLiteral("downstream/certificate"), own + "cert.der"},
                  {QStringLiteral("downstream/certificate_chain"), own + "inter.der"},
                  {QStringLiteral("downstream/certificate_key"), own + "cert-key.der"},
                  {QStringLiteral("upstream/servers"),
                   QStringLiteral("coap://127.0.0.1:%1").arg(server_.port())}},
                 {QStringLiteral("--store"), QString::fromStdString(storePath),
                  QStringLiteral("--address"), bus_.address()}),
             qPrintable(gateway_.log()));
    const QList<std::pair<quint16, QString>> listeners{
        {pskPort_, "psk"}, {rpkPort_, "rpk"}, {x509Port_, "x509"}};
    for (const auto& [port, mode] : listeners) {
        QVERIFY2(gateway_.waitForLog(
                     QStringLiteral("listening for sensors on coaps://127.0.0.1:%1?mode=%2")
                         .arg(port)
                         .arg(mode)),
                 qPrintable(gateway_.log()));
    }
    QTRY_VERIFY_WITH_TIMEOUT(server_.client(QStringLiteral("lwm2m-gateway")).has_value(), 10000);
}

void TestSecuredRegistration::cleanupTestCase() {
    QCOMPARE(gateway_.stop(), 0);
    const QString log = gateway_.log();
    for (const QString& secret : {kKey, kUpstreamKey}) {
        QVERIFY2(!log.contains(secret), "a key must never be logged");
    }
    for (const char* mode : {"psk", "rpk", "x509"}) {
        const ExpectedCounters expected = expected_.value(QString::fromLatin1(mode));
        const QString line = QStringLiteral(
                                 "%1 sessions: %2 admitted, %3 refused by policy, %4 closed before "
                                 "admission, %5 refused for another endpoint (4.03)")
                                 .arg(mode)
                                 .arg(expected.admitted)
                                 .arg(expected.refusedByPolicy)
                                 .arg(expected.closedBeforeAdmission)
                                 .arg(expected.endpointMismatch);
        QVERIFY2(log.contains(line), qPrintable(line + "\n" + log.right(1500)));
    }
}

QString TestSecuredRegistration::pskClient(const QString& client, const QString& identity,
                                           const QString& key, const QString& query) {
    return runClient(client,
                     QStringList{"-u", identity, "-k", key} + registerArguments(pskPort_, query));
}

QString TestSecuredRegistration::x509Client(const QString& client, const QString& certificate,
                                            const QString& query) {
    // -C: the sensor verifies the gateway's chain (gateway <- inter <- root) as well.
    return runClient(client, QStringList{"-c", pki_->pem(certificate), "-j", pki_->key(certificate),
                                         "-C", pki_->pem("root")} +
                                 registerArguments(x509Port_, query));
}

QString TestSecuredRegistration::rpkClient(const QString& key, const QString& query) {
    // libcoap's OpenSSL backend has no raw public keys; GnuTLS's does.
    return runClient(QStringLiteral("coap-client-gnutls"),
                     QStringList{"-M", pki_->key(key)} + registerArguments(rpkPort_, query));
}

void TestSecuredRegistration::expectNothingUpstream(int registersBefore, const QString& endpoint) {
    QTest::qWait(500);
    QCOMPARE(server_.counters().registers, registersBefore);
    QVERIFY(!server_.client(endpoint).has_value());
    QVERIFY(gateway_.isRunning());
}

// ---- PSK ----

void TestSecuredRegistration::registersWithTheBoundEndpoint_data() {
    QTest::addColumn<QString>("client");
    QTest::newRow("OpenSSL") << QStringLiteral("coap-client-openssl");
    QTest::newRow("GnuTLS") << QStringLiteral("coap-client-gnutls");
}

void TestSecuredRegistration::registersWithTheBoundEndpoint() {
    QFETCH(QString, client);
    const int before = server_.counters().registers;
    const QString output =
        pskClient(client, kIdentity, kKey, QStringLiteral("ep=psk-sensor&lt=60"));
    QVERIFY2(output.contains(QStringLiteral("c:2.01")), qPrintable(output));
    // Each client's Register is relayed (a replacement is a new Register upstream as well).
    QTRY_VERIFY_WITH_TIMEOUT(server_.counters().registers > before, 10000);
    QVERIFY(server_.client(QStringLiteral("psk-sensor")).has_value());
    QVERIFY(gateway_.log().contains(QStringLiteral("registered psk-sensor")));
    count("psk", 1, 0, 0);
}

void TestSecuredRegistration::refusesAnotherEndpointName() {
    const int before = server_.counters().registers;
    const QString output = pskClient(QStringLiteral("coap-client-openssl"), kIdentity, kKey,
                                     QStringLiteral("ep=intruder"));
    QVERIFY2(output.contains(QStringLiteral("c:4.03")), qPrintable(output));
    QVERIFY(gateway_.waitForLog(QStringLiteral("bound to endpoint 'psk-sensor', not 'intruder'")));
    expectNothingUpstream(before, QStringLiteral("intruder"));
    count("psk", 1, 0, 1);
}

void TestSecuredRegistration::closesTheSessionAfter403_data() {
    QTest::addColumn<QString>("mode");
    QTest::newRow("PSK") << QStringLiteral("psk");
    QTest::newRow("X.509") << QStringLiteral("x509");
    QTest::newRow("RPK") << QStringLiteral("rpk");
}

void TestSecuredRegistration::closesTheSessionAfter403() {
    QFETCH(QString, mode);
    const int before = server_.counters().registers;
    WatchedSession sensor;
    if (mode == "psk") {
        QVERIFY(sensor.openPsk(pskPort_, kIdentity, kKey));
    } else if (mode == "x509") {
        QVERIFY(
            sensor.openPki(x509Port_, pki_->pem("sensor-root"), pki_->key("sensor-root"), false));
    } else {
        QVERIFY(sensor.openPki(rpkPort_, pki_->key("rpk-sensor"), pki_->key("rpk-sensor"), true));
    }
    QCOMPARE(sensor.registerWith(QStringLiteral("ep=watched-intruder")), QStringLiteral("4.03"));
    QVERIFY2(sensor.waitClosed(5000), "the gateway kept the refused DTLS session open");
    expectNothingUpstream(before, QStringLiteral("watched-intruder"));
    count(mode, 1, 0, 1);
}

void TestSecuredRegistration::removedPskEndsTheSessionAndTheRegistration() {
    // Sessions are kept across sleep cycles, so waiting for the next handshake is not enough.
    WatchedSession revoked;
    QVERIFY(revoked.openPsk(pskPort_, kRevocableIdentity, kKey));
    QCOMPARE(revoked.registerWith(QStringLiteral("ep=revocable-sensor")), QStringLiteral("2.01"));
    WatchedSession kept;  // another sensor, whose credential stays
    QVERIFY(kept.openPsk(pskPort_, kIdentity, kKey));
    QCOMPARE(kept.registerWith(QStringLiteral("ep=psk-sensor")), QStringLiteral("2.01"));
    QTRY_VERIFY_WITH_TIMEOUT(server_.client(QStringLiteral("revocable-sensor")).has_value() &&
                                 server_.client(QStringLiteral("psk-sensor")).has_value(),
                             10000);
    count("psk", 2, 0, 0);
    const int deregistersBefore = server_.counters().deregisters;
    const qsizetype keptAdmissions =
        gateway_.log().count(QStringLiteral("identity '%1'").arg(kIdentity));

    const auto removed = runCtl(QStringList{QStringLiteral("--address"), bus_.address(),
                                            "credentials", "remove", "psk", kRevocableIdentity});
    QVERIFY2(removed.exitCode == 0, qPrintable(removed.err));
    QVERIFY2(revoked.waitClosed(5000), qPrintable(gateway_.logTail(10)));
    QTRY_VERIFY_WITH_TIMEOUT(!server_.client(QStringLiteral("revocable-sensor")).has_value(),
                             10000);
    QVERIFY(gateway_.log().contains(
        QStringLiteral("credentials of revocable-sensor withdrawn (PSK identity '%1' is no longer "
                       "provisioned)")
            .arg(kRevocableIdentity)));
    count("psk", 0, 0, 0, 1);
    // The other sensor was admitted again (its identity is still there) and keeps all it had.
    QCOMPARE(gateway_.log().count(QStringLiteral("identity '%1'").arg(kIdentity)),
             keptAdmissions + 1);
    QVERIFY(!kept.waitClosed(500));
    QCOMPARE(kept.get(QStringLiteral("nothing")), QStringLiteral("4.04"));
    QVERIFY(server_.client(QStringLiteral("psk-sensor")).has_value());
    QCOMPARE(server_.counters().deregisters, deregistersBefore + 1);
}

void TestSecuredRegistration::refusesUnknownIdentity() {
    const int before = server_.counters().registers;
    const QString output =
        pskClient(QStringLiteral("coap-client-openssl"), QStringLiteral("stranger"), kKey,
                  QStringLiteral("ep=stranger"));
    QVERIFY2(!output.contains(QStringLiteral("c:2.01")), qPrintable(output));
    expectNothingUpstream(before, QStringLiteral("stranger"));
    count("psk", 0, 1, 0);
}

void TestSecuredRegistration::refusesWrongKey() {
    const int before = server_.counters().registers;
    const QString output =
        pskClient(QStringLiteral("coap-client-gnutls"), kIdentity,
                  QStringLiteral("not-the-right-key"), QStringLiteral("ep=psk-sensor-2"));
    QVERIFY2(!output.contains(QStringLiteral("c:2.01")), qPrintable(output));
    expectNothingUpstream(before, QStringLiteral("psk-sensor-2"));
    count("psk", 0, 1, 0);
}

// ---- X.509 ----

void TestSecuredRegistration::x509RegistersAsItsCommonName_data() {
    QTest::addColumn<QString>("client");
    QTest::addColumn<QString>("certificate");
    QTest::addColumn<QString>("endpoint");
    // Leaves signed by the root itself: libcoap's OpenSSL client sends no intermediates.
    QTest::newRow("OpenSSL") << QStringLiteral("coap-client-openssl")
                             << QStringLiteral("sensor-root") << QStringLiteral("sensor-1");
    QTest::newRow("GnuTLS") << QStringLiteral("coap-client-gnutls")
                            << QStringLiteral("gateway-client") << QStringLiteral("gateway-client");
}

void TestSecuredRegistration::x509RegistersAsItsCommonName() {
    QFETCH(QString, client);
    QFETCH(QString, certificate);
    QFETCH(QString, endpoint);
    const int before = server_.counters().registers;
    const QString output = x509Client(client, certificate, "ep=" + endpoint + "&lt=60");
    QVERIFY2(output.contains(QStringLiteral("c:2.01")), qPrintable(output));
    QTRY_VERIFY_WITH_TIMEOUT(server_.client(endpoint).has_value(), 10000);
    QCOMPARE(server_.counters().registers, before + 1);
    QCOMPARE(server_.client(endpoint)->lifetime, 60);
    QVERIFY(gateway_.log().contains("x509: admitted 127.0.0.1"));
    count("x509", 1, 0, 0);
}

void TestSecuredRegistration::x509RefusesAnotherEndpointName_data() {
    QTest::addColumn<QString>("client");
    QTest::newRow("OpenSSL") << QStringLiteral("coap-client-openssl");
    QTest::newRow("GnuTLS") << QStringLiteral("coap-client-gnutls");
}

void TestSecuredRegistration::x509RefusesAnotherEndpointName() {
    QFETCH(QString, client);
    const int before = server_.counters().registers;
    const QString output =
        x509Client(client, QStringLiteral("sensor-root"), QStringLiteral("ep=x509-intruder"));
    QVERIFY2(output.contains(QStringLiteral("c:4.03")), qPrintable(output));
    QVERIFY(
        gateway_.waitForLog(QStringLiteral("bound to endpoint 'sensor-1', not 'x509-intruder'")));
    expectNothingUpstream(before, QStringLiteral("x509-intruder"));
    count("x509", 1, 0, 1);
}

void TestSecuredRegistration::x509RefusesUntrustedCa_data() {
    x509RefusesAnotherEndpointName_data();
}

void TestSecuredRegistration::x509RefusesUntrustedCa() {
    QFETCH(QString, client);
    const int before = server_.counters().registers;
    // CN sensor-1 like a trusted sensor, but issued by a root the store does not know.
    const QString output =
        x509Client(client, QStringLiteral("stranger"), QStringLiteral("ep=x509-stranger"));
    QVERIFY2(!output.contains(QStringLiteral("c:2.01")) && !output.contains("c:4.03"),
             qPrintable(output));
    expectNothingUpstream(before, QStringLiteral("x509-stranger"));
    QVERIFY(!gateway_.log().contains(QStringLiteral("not 'x509-stranger'")));
    count("x509", 0, 1, 0);
}

void TestSecuredRegistration::x509TrustAnchorChangesNeedNoRestart() {
    // libcoap verifies the chain against the anchors of the listener's set-up, so an anchor an
    // operator adds must reach that set-up, not only the store.
    const QString rootFile = directory_.filePath(QStringLiteral("other-root.der"));
    QVERIFY(writeFile(rootFile, pki_->certificateDer("other-root")));
    const QStringList bus{QStringLiteral("--address"), bus_.address()};
    const QString refreshed = QStringLiteral("trust anchor(s) from the store");
    const qsizetype refreshes = gateway_.log().count(refreshed);
    const auto added =
        runCtl(bus + QStringList{"credentials", "add", "x509", "other-root", rootFile});
    QVERIFY2(added.exitCode == 0, qPrintable(added.err));
    QTRY_COMPARE(gateway_.log().count(refreshed), refreshes + 1);
    QVERIFY(gateway_.log().contains(QStringLiteral("against 2 trust anchor(s)")));
    // The stranger's certificate (CN sensor-1) comes from other-root.
    const int registersBefore = server_.counters().registers;
    WatchedSession sensor;
    QVERIFY(sensor.openPki(x509Port_, pki_->pem("stranger"), pki_->key("stranger"), false));
    QCOMPARE(sensor.registerWith(QStringLiteral("ep=sensor-1")), QStringLiteral("2.01"));
    QTRY_COMPARE_WITH_TIMEOUT(server_.counters().registers, registersBefore + 1, 10000);
    // A second session from that CA, up but not registered (between handshake and Register).
    WatchedSession idle;
    QVERIFY(idle.openPki(x509Port_, pki_->pem("stranger"), pki_->key("stranger"), false));
    QCOMPARE(idle.get(QStringLiteral("nothing")), QStringLiteral("4.04"));
    count("x509", 2, 0, 0);

    // Withdrawn: the registered session ends and the sensor is de-registered upstream at once;
    // the other session is refused at its next request.
    const int deregistersBefore = server_.counters().deregisters;
    const qsizetype unknownBefore = gateway_.log().count(QStringLiteral("CA is unknown"));
    const auto removed = runCtl(bus + QStringList{"credentials", "remove", "x509", "other-root"});
    QVERIFY2(removed.exitCode == 0, qPrintable(removed.err));
    QTRY_COMPARE(gateway_.log().count(refreshed), refreshes + 2);
    QVERIFY(gateway_.log().contains(QStringLiteral("against 1 trust anchor(s)")));
    QVERIFY2(sensor.waitClosed(5000), qPrintable(gateway_.logTail(10)));
    QTRY_COMPARE_WITH_TIMEOUT(server_.counters().deregisters, deregistersBefore + 1, 10000);
    QVERIFY(!server_.client(QStringLiteral("sensor-1")).has_value());
    QVERIFY(gateway_.log().contains(QStringLiteral("credentials of sensor-1 withdrawn")));
    QCOMPARE(idle.registerWith(QStringLiteral("ep=sensor-1")), QString());
    QVERIFY2(idle.waitClosed(5000), qPrintable(gateway_.logTail(10)));
    QCOMPARE(server_.counters().registers, registersBefore + 1);
    count("x509", 0, 0, 0, 2);
    // Refused in the handshake again, as before the anchor was added (not only at admission).
    const QString output = x509Client(QStringLiteral("coap-client-gnutls"),
                                      QStringLiteral("stranger"), QStringLiteral("ep=sensor-1"));
    QVERIFY2(!output.contains(QStringLiteral("c:2.01")) && !output.contains("c:4.03"),
             qPrintable(output));
    QTRY_COMPARE(gateway_.log().count(QStringLiteral("CA is unknown")), unknownBefore + 1);
    count("x509", 0, 1, 0);
}

// ---- RPK ----

void TestSecuredRegistration::rpkRegistersWithTheBoundEndpoint() {
    const int before = server_.counters().registers;
    const QString output = rpkClient(QStringLiteral("rpk-sensor"), "ep=rpk-sensor&lt=60");
    QVERIFY2(output.contains(QStringLiteral("c:2.01")), qPrintable(output));
    QTRY_VERIFY_WITH_TIMEOUT(server_.client(QStringLiteral("rpk-sensor")).has_value(), 10000);
    QCOMPARE(server_.counters().registers, before + 1);
    QVERIFY(gateway_.log().contains("as 'rpk-sensor'"));
    count("rpk", 1, 0, 0);
}

void TestSecuredRegistration::rpkRefusesAnotherEndpointName() {
    const int before = server_.counters().registers;
    const QString output = rpkClient(QStringLiteral("rpk-sensor"), "ep=rpk-intruder");
    QVERIFY2(output.contains(QStringLiteral("c:4.03")), qPrintable(output));
    QVERIFY(
        gateway_.waitForLog(QStringLiteral("bound to endpoint 'rpk-sensor', not 'rpk-intruder'")));
    expectNothingUpstream(before, QStringLiteral("rpk-intruder"));
    count("rpk", 1, 0, 1);
}

void TestSecuredRegistration::rpkRefusesUnknownKey() {
    const int before = server_.counters().registers;
    const QString output = rpkClient(QStringLiteral("rpk-stranger"), "ep=rpk-stranger");
    QVERIFY2(!output.contains(QStringLiteral("c:2.01")) && !output.contains("c:4.03"),
             qPrintable(output));
    QVERIFY(gateway_.waitForLog(QStringLiteral("is not on the allow list")));
    expectNothingUpstream(before, QStringLiteral("rpk-stranger"));
    count("rpk", 0, 1, 0);
}

// ---- upstream: the gateway as DTLS client ----

bool TestSecuredRegistration::startUpstreamGateway(GatewayProcess& gateway,
                                                   credstore::SecurityObjectEntry security,
                                                   QString& error) {
    const std::string storePath =
        QDir(gateway.directory()).filePath(QStringLiteral("upstream.db")).toStdString();
    {
        auto store = credstore::CredentialStore::open(storePath);
        if (!store) {
            error = QString::fromStdString(store.error().message);
            return false;
        }
        credstore::EndpointAccounts accounts;
        accounts.endpoint = "upstream-gw";
        security.instance.shortServerId = 1;
        accounts.security.push_back(std::move(security));
        credstore::ServerObjectInstance server;
        server.shortServerId = 1;
        server.lifetime = 300;
        accounts.servers.push_back(server);
        std::vector<credstore::EndpointAccounts> endpoints;
        endpoints.push_back(std::move(accounts));
        auto replaced =
            store->replaceEndpoints(endpoints, [](credstore::SecurityMode) { return true; });
        if (!replaced) {
            error = QString::fromStdString(replaced.error().message);
            return false;
        }
    }
    if (!gateway.start(
            {{QStringLiteral("gateway/endpoint"), QStringLiteral("upstream-gw")},
             {QStringLiteral("downstream/listen"),
              QStringLiteral("coap://127.0.0.1:%1").arg(lwm2mgw::testing::freeUdpPort())}},
            {QStringLiteral("--store"), QString::fromStdString(storePath)})) {
        error = gateway.log();
        return false;
    }
    return true;
}

void TestSecuredRegistration::upstreamPskRegisters() {
    // coap-server listens for DTLS on the port after -p; it has no /rd, so it answers 4.04: what
    // counts is that the handshake with the stored identity and key worked and Register arrived.
    const quint16 port = lwm2mgw::testing::freeUdpPortPair();
    PeerProcess server(
        QStringLiteral("coap-server-openssl"),
        {"-A", "127.0.0.1", "-p", QString::number(port), "-k", kUpstreamKey, "-v", "7"});
    QTest::qWait(300);
    credstore::SecurityObjectEntry security;
    security.instance.serverUri =
        QStringLiteral("coaps://127.0.0.1:%1").arg(port + 1).toStdString();
    security.instance.securityMode = credstore::SecurityMode::PreSharedKey;
    security.instance.publicKeyOrIdentity = kUpstreamIdentity.toStdString();
    security.secrets.secretKey = credstore::Secret(kUpstreamKey.toStdString());
    GatewayProcess gateway;
    QString error;
    QVERIFY2(startUpstreamGateway(gateway, std::move(security), error), qPrintable(error));
    QVERIFY2(server.waitFor(QStringLiteral("ep=upstream-gw")),
             qPrintable(server.output() + "\n--- gateway ---\n" + gateway.log()));
    const QString log = server.output();
    QVERIFY2(log.contains(QStringLiteral("c:POST")) && log.contains(QStringLiteral("Uri-Path:rd")),
             qPrintable(log));
    QVERIFY2(log.contains(kUpstreamIdentity), qPrintable(log));
    QCOMPARE(gateway.stop(), 0);
    QVERIFY(!gateway.log().contains(kUpstreamKey));
}

// An accepted server sees the Register and the gateway names the mode it negotiated; a refused
// one sees no request at all, and the gateway says why.
static void expectUpstreamOutcome(PeerProcess& server, GatewayProcess& gateway, bool accepted,
                                  const QString& negotiated, const QString& refusal) {
    if (accepted) {
        QVERIFY2(server.waitFor(QStringLiteral("ep=upstream-gw")),
                 qPrintable(server.output() + "\n--- gateway ---\n" + gateway.log()));
        QVERIFY(gateway.log().contains(negotiated + QStringLiteral("127.0.0.1")));
    } else {
        QVERIFY2(gateway.waitForLog(refusal), qPrintable(gateway.log()));
        QTest::qWait(500);
        QVERIFY2(!server.output().contains(QStringLiteral("c:POST")), qPrintable(server.output()));
        QVERIFY(!server.output().contains(QStringLiteral("upstream-gw")));
    }
    QCOMPARE(gateway.stop(), 0);
}

void TestSecuredRegistration::upstreamX509_data() {
    QTest::addColumn<QString>("serverCertificate");
    QTest::addColumn<bool>("accepted");
    QTest::newRow("IP SAN matches the URI host") << QStringLiteral("srv-good") << true;
    QTest::newRow("names another host") << QStringLiteral("srv-wrong") << false;
}

void TestSecuredRegistration::upstreamX509() {
    QFETCH(QString, serverCertificate);
    QFETCH(bool, accepted);
    const quint16 port = lwm2mgw::testing::freeUdpPortPair();
    PeerProcess server(
        QStringLiteral("coap-server-openssl"),
        {"-A", "127.0.0.1", "-p", QString::number(port), "-c", pki_->pem(serverCertificate), "-j",
         pki_->key(serverCertificate), "-C", pki_->pem("root"), "-v", "7"});
    QTest::qWait(300);
    credstore::SecurityObjectEntry security;
    security.instance.serverUri =
        QStringLiteral("coaps://127.0.0.1:%1").arg(port + 1).toStdString();
    security.instance.securityMode = credstore::SecurityMode::Certificate;
    security.instance.publicKeyOrIdentity = bytes(pki_->certificateDer("gateway-client"));
    security.instance.serverPublicKey = bytes(pki_->certificateDer("root"));
    security.secrets.secretKey = credstore::Secret(bytes(pki_->privateKeyDer("gateway-client")));
    GatewayProcess gateway;
    QString error;
    QVERIFY2(startUpstreamGateway(gateway, std::move(security), error), qPrintable(error));
    expectUpstreamOutcome(server, gateway, accepted,
                          QStringLiteral("x509: negotiating with coaps://"),
                          QStringLiteral("do not match the host '127.0.0.1'"));
}

void TestSecuredRegistration::upstreamRpk_data() {
    QTest::addColumn<QString>("pinnedKey");
    QTest::addColumn<bool>("accepted");
    QTest::newRow("the server's key is the pinned one") << QStringLiteral("rpk-server") << true;
    QTest::newRow("another key is pinned") << QStringLiteral("rpk-stranger") << false;
}

void TestSecuredRegistration::upstreamRpk() {
    QFETCH(QString, pinnedKey);
    QFETCH(bool, accepted);
    const quint16 port = lwm2mgw::testing::freeUdpPortPair();
    // libcoap's OpenSSL backend has no raw public keys.
    PeerProcess server(
        QStringLiteral("coap-server-gnutls"),
        {"-A", "127.0.0.1", "-p", QString::number(port), "-M", pki_->key("rpk-server"), "-v", "7"});
    QTest::qWait(300);
    credstore::SecurityObjectEntry security;
    security.instance.serverUri =
        QStringLiteral("coaps://127.0.0.1:%1").arg(port + 1).toStdString();
    security.instance.securityMode = credstore::SecurityMode::RawPublicKey;
    security.instance.publicKeyOrIdentity = bytes(pki_->publicKeyDer("rpk-gateway"));
    security.instance.serverPublicKey = bytes(pki_->publicKeyDer(pinnedKey));
    security.secrets.secretKey = credstore::Secret(bytes(pki_->privateKeyDer("rpk-gateway")));
    GatewayProcess gateway;
    QString error;
    QVERIFY2(startUpstreamGateway(gateway, std::move(security), error), qPrintable(error));
    expectUpstreamOutcome(server, gateway, accepted,
                          QStringLiteral("rpk: negotiating with coaps://"),
                          QStringLiteral("not the one in /0/x/4"));
}

QTEST_GUILESS_MAIN(TestSecuredRegistration)
#include "test_secured_registration.moc"
