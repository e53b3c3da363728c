// bench_dtls_handshakes: full DTLS 1.2 handshakes per second through the real lwm2m-gatewayd
// (each a new session, one CoAP GET answered 4.04, then released) against a bare in-process
// GnuTLS handshake loop with the same suite, and the gateway's resident memory per established
// DTLS session; for PSK, X.509 and RPK. One JSON object per line on stdout; progress on stderr.
#include "gateway_process.h"

#include <lwm2m-gateway/credstore/credential_store.h>

#include <coap3/coap.h>
#include <gnutls/dtls.h>
#include <gnutls/gnutls.h>

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QStringList>
#include <QTemporaryDir>

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using lwm2mgw::testing::GatewayProcess;

namespace {

const std::string kEndpoint = "bench-sensor";
const std::string kIdentity = "bench-sensor-identity";
const std::string kKey = "a-key-of-16bytes";
const char* const kFallbackPriority =
    "NONE:+VERS-DTLS1.2:+AES-128-CCM-8:+AEAD:+PSK:+ECDHE-PSK:+SIGN-ALL:+COMP-NULL:+CURVE-ALL";

struct Options {
    int durationMs = 3000;
    int sessions = 200;
    int concurrency = 4;
    int repetitions = 3;
    // --lwm2m-suites: the client offers only the LwM2M mandatory CCM_8 suite of the mode
    // (TLS_PSK_WITH_AES_128_CCM_8, TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 on secp256r1) instead of
    // libcoap's default list, where GnuTLS prefers AES-GCM.
    bool lwm2mSuites = false;
    QStringList modes{QStringLiteral("psk"), QStringLiteral("x509"), QStringLiteral("rpk")};
};

enum class Mode { Psk, X509, Rpk };

// The client priorities of --lwm2m-suites, per mode.
std::string lwm2mSuitePriority(Mode mode) {
    const std::string common = "NONE:+VERS-DTLS1.2:+AES-128-CCM-8:+AEAD:+SIGN-ALL:+COMP-NULL:";
    if (mode == Mode::Psk) {
        return common + "+PSK:+GROUP-ALL";
    }
    return common + "+ECDHE-ECDSA:+GROUP-SECP256R1:+CTYPE-CLI-ALL:+CTYPE-SRV-ALL";
}

// Key material made with certtool at run time (P-256): a CA, the gateway's and the client's
// certificates (x509), and key pairs for RPK. PEM for libcoap's client and the bare loop, DER
// files for the daemon's INI keys.
struct Pki {
    QString dir;
    QByteArray caPem, caDer;
    QByteArray gatewayCertPem, gatewayKeyPem;
    QByteArray clientCertPem, clientKeyPem;
    QByteArray gatewayRpkPubPem, gatewayRpkKeyPem;
    QByteArray clientRpkPubPem, clientRpkKeyPem, clientRpkSpkiDer;
    QString error;

    QString path(const QString& name) const { return dir + QLatin1Char('/') + name; }

    QByteArray certtool(const QStringList& arguments) {
        QProcess process;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.remove(QStringLiteral("GNUTLS_SYSTEM_PRIORITY_FILE"));
        process.setProcessEnvironment(environment);
        process.start(QStringLiteral("certtool"), arguments);
        if (!process.waitForFinished(20000) || process.exitCode() != 0) {
            error += QStringLiteral("certtool %1: %2\n")
                         .arg(arguments.join(QLatin1Char(' ')),
                              QString::fromUtf8(process.readAllStandardError()));
            return {};
        }
        return process.readAllStandardOutput();
    }
    QByteArray read(const QString& name) {
        QFile file(path(name));
        if (!file.open(QIODevice::ReadOnly)) {
            error += QStringLiteral("cannot read %1\n").arg(name);
            return {};
        }
        return file.readAll();
    }
    bool write(const QString& name, const QByteArray& bytes) {
        QFile file(path(name));
        return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
    }
    void key(const QString& name) {
        certtool({QStringLiteral("--generate-privkey"), QStringLiteral("--key-type"),
                  QStringLiteral("ecdsa"), QStringLiteral("--curve"), QStringLiteral("secp256r1"),
                  QStringLiteral("--outfile"), path(name + QStringLiteral(".key"))});
    }
    void certificate(const QString& name, const QString& issuer, const QString& templ) {
        key(name);
        write(name + QStringLiteral(".tmpl"), templ.toUtf8());
        QStringList args{QStringLiteral("--load-privkey"), path(name + QStringLiteral(".key")),
                         QStringLiteral("--template"),     path(name + QStringLiteral(".tmpl")),
                         QStringLiteral("--outfile"),      path(name + QStringLiteral(".pem"))};
        if (issuer.isEmpty()) {
            args.prepend(QStringLiteral("--generate-self-signed"));
        } else {
            args = QStringList{QStringLiteral("--generate-certificate"),
                               QStringLiteral("--load-ca-certificate"),
                               path(issuer + QStringLiteral(".pem")),
                               QStringLiteral("--load-ca-privkey"),
                               path(issuer + QStringLiteral(".key"))} +
                   args;
        }
        certtool(args);
    }
    QByteArray der(const QStringList& arguments) {
        return certtool(arguments + QStringList{QStringLiteral("--outder")});
    }
    QByteArray pubPem(const QString& name) {
        return certtool({QStringLiteral("--pubkey-info"), QStringLiteral("--load-privkey"),
                         path(name + QStringLiteral(".key"))});
    }
    QByteArray pubDer(const QString& name) {
        return der({QStringLiteral("--pubkey-info"), QStringLiteral("--load-privkey"),
                    path(name + QStringLiteral(".key"))});
    }
    QByteArray keyDer(const QString& name) {
        return der({QStringLiteral("--key-info"), QStringLiteral("--infile"),
                    path(name + QStringLiteral(".key"))});
    }
    QByteArray certDer(const QString& name) {
        return der({QStringLiteral("--certificate-info"), QStringLiteral("--infile"),
                    path(name + QStringLiteral(".pem"))});
    }

    bool create(const QString& directory) {
        dir = directory;
        const QString ca = QStringLiteral("ca\ncert_signing_key\nexpiration_days = 30\n");
        certificate(QStringLiteral("ca"), {}, QStringLiteral("cn = \"Bench CA\"\n") + ca);
        certificate(QStringLiteral("gateway"), QStringLiteral("ca"),
                    QStringLiteral("cn = \"gateway\"\ndns_name = \"localhost\"\nip_address = "
                                   "\"127.0.0.1\"\ntls_www_server\nsigning_key\n"
                                   "expiration_days = 30\n"));
        certificate(QStringLiteral("client"), QStringLiteral("ca"),
                    QStringLiteral("cn = \"bench-sensor\"\ntls_www_client\nsigning_key\n"
                                   "expiration_days = 30\n"));
        key(QStringLiteral("rpk-gateway"));
        key(QStringLiteral("rpk-client"));
        if (!error.isEmpty()) {
            return false;
        }
        caPem = read(QStringLiteral("ca.pem"));
        caDer = certDer(QStringLiteral("ca"));
        gatewayCertPem = read(QStringLiteral("gateway.pem"));
        gatewayKeyPem = read(QStringLiteral("gateway.key"));
        clientCertPem = read(QStringLiteral("client.pem"));
        clientKeyPem = read(QStringLiteral("client.key"));
        gatewayRpkPubPem = pubPem(QStringLiteral("rpk-gateway"));
        gatewayRpkKeyPem = read(QStringLiteral("rpk-gateway.key"));
        clientRpkPubPem = pubPem(QStringLiteral("rpk-client"));
        clientRpkKeyPem = read(QStringLiteral("rpk-client.key"));
        clientRpkSpkiDer = pubDer(QStringLiteral("rpk-client"));
        bool ok =
            write(QStringLiteral("gateway.der"), certDer(QStringLiteral("gateway"))) &&
            write(QStringLiteral("gateway-key.der"), keyDer(QStringLiteral("gateway"))) &&
            write(QStringLiteral("rpk-gateway-pub.der"), pubDer(QStringLiteral("rpk-gateway"))) &&
            write(QStringLiteral("rpk-gateway-key.der"), keyDer(QStringLiteral("rpk-gateway")));
        return ok && error.isEmpty() && !caDer.isEmpty() && !clientRpkSpkiDer.isEmpty();
    }
};

const uint8_t* bytes(const QByteArray& array) {
    return reinterpret_cast<const uint8_t*>(array.constData());
}

double median(std::vector<double> values) {
    if (values.empty()) {
        return 0.0;
    }
    std::sort(values.begin(), values.end());
    const std::size_t mid = values.size() / 2;
    return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2.0;
}

std::string fixed(double value, int decimals = 1) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    return buffer;
}

std::string jsonArray(const std::vector<double>& values, int decimals = 1) {
    std::string out = "[";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0) {
            out.push_back(',');
        }
        out.append(fixed(values[i], decimals));
    }
    out.push_back(']');
    return out;
}

double selfCpuSeconds() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// VmRSS of a process in KiB, -1 when unreadable.
long vmRssKib(qint64 pid) {
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly)) {
        return -1;
    }
    for (const QByteArray& line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:")) {
            return line.mid(6).trimmed().split(' ').value(0).toLong();
        }
    }
    return -1;
}

void pumpQt() {
    QCoreApplication::processEvents(QEventLoop::AllEvents, 0);
}

// ---------------------------------------------------------------------------------------------
// libcoap client: new DTLS PSK sessions to the gateway, one GET /x each.

struct Slot {
    coap_session_t* session = nullptr;
    bool done = false;
    bool failed = false;
    coap_pdu_code_t code = COAP_EMPTY_CODE;
    qint64 startedMs = 0;
};

struct Suite {
    std::string name;
    std::string priority;
};

class CoapPskClient {
public:
    // `priority`: GnuTLS priorities replacing libcoap's for each session; empty keeps libcoap's.
    CoapPskClient(quint16 port, Mode mode, const Pki& pki, std::string priority = {})
        : mode_(mode), pki_(pki), priority_(std::move(priority)) {
        context_ = coap_new_context(nullptr);
        coap_context_set_max_idle_sessions(context_, 0);
        coap_register_response_handler(context_, &CoapPskClient::onResponse);
        coap_register_nack_handler(context_, &CoapPskClient::onNack);
        coap_register_event_handler(context_, &CoapPskClient::onEvent);
        coap_set_app_data(context_, this);
        std::memset(&address_, 0, sizeof address_);
        coap_address_init(&address_);
        address_.addr.sin.sin_family = AF_INET;
        address_.addr.sin.sin_port = htons(port);
        address_.addr.sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address_.size = sizeof(sockaddr_in);
    }
    ~CoapPskClient() { coap_free_context(context_); }
    CoapPskClient(const CoapPskClient&) = delete;
    CoapPskClient& operator=(const CoapPskClient&) = delete;

    // Opens a session and queues GET /x (sent by libcoap once the handshake is done).
    bool open(Slot& slot, qint64 nowMs) {
        coap_dtls_cpsk_t setup{};
        setup.version = COAP_DTLS_CPSK_SETUP_VERSION;
        setup.psk_info.identity.s = reinterpret_cast<const uint8_t*>(kIdentity.data());
        setup.psk_info.identity.length = kIdentity.size();
        setup.psk_info.key.s = reinterpret_cast<const uint8_t*>(kKey.data());
        setup.psk_info.key.length = kKey.size();
        slot = Slot{};
        slot.startedMs = nowMs;
        if (mode_ == Mode::Psk) {
            slot.session =
                coap_new_client_session_psk2(context_, nullptr, &address_, COAP_PROTO_DTLS, &setup);
        } else {
            // The benchmark's client does not verify the gateway; the gateway verifies it.
            coap_dtls_pki_t pki{};
            pki.version = COAP_DTLS_PKI_SETUP_VERSION;
            pki.is_rpk_not_cert = mode_ == Mode::Rpk ? 1 : 0;
            pki.pki_key.key_type = COAP_PKI_KEY_PEM_BUF;
            const QByteArray& cert = mode_ == Mode::Rpk ? pki_.clientRpkPubPem : pki_.clientCertPem;
            const QByteArray& key = mode_ == Mode::Rpk ? pki_.clientRpkKeyPem : pki_.clientKeyPem;
            pki.pki_key.key.pem_buf.public_cert = bytes(cert);
            pki.pki_key.key.pem_buf.public_cert_len = static_cast<size_t>(cert.size());
            pki.pki_key.key.pem_buf.private_key = bytes(key);
            pki.pki_key.key.pem_buf.private_key_len = static_cast<size_t>(key.size());
            slot.session =
                coap_new_client_session_pki(context_, nullptr, &address_, COAP_PROTO_DTLS, &pki);
        }
        if (!slot.session) {
            slot.failed = true;
            return false;
        }
        coap_session_set_app_data(slot.session, &slot);
        if (!priority_.empty() && !restrictPriorities(slot.session)) {
            slot.failed = true;
            return false;
        }
        coap_pdu_t* pdu = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET,
                                        coap_new_message_id(slot.session),
                                        coap_session_max_pdu_size(slot.session));
        if (!pdu) {
            slot.failed = true;
            return false;
        }
        coap_add_option(pdu, COAP_OPTION_URI_PATH, 1, reinterpret_cast<const uint8_t*>("x"));
        if (coap_send(slot.session, pdu) == COAP_INVALID_MID) {
            slot.failed = true;
            return false;
        }
        return true;
    }

    void release(Slot& slot) {
        if (slot.session) {
            coap_session_set_app_data(slot.session, nullptr);
            coap_session_release(slot.session);
            slot.session = nullptr;
        }
    }

    void process(int timeoutMs) { coap_io_process(context_, static_cast<uint32_t>(timeoutMs)); }

    std::optional<Suite> suite() const { return suite_; }

private:
    // libcoap has sent the first ClientHello already; the server's HelloVerifyRequest makes
    // GnuTLS build the second one, which counts, from these priorities (as the plugins do).
    bool restrictPriorities(coap_session_t* session) const {
        coap_tls_library_t library = COAP_TLS_LIBRARY_NOTLS;
        auto* tls = static_cast<gnutls_session_t>(coap_session_get_tls(session, &library));
        const char* errorAt = nullptr;
        if (!tls || library != COAP_TLS_LIBRARY_GNUTLS ||
            gnutls_priority_set_direct(tls, priority_.c_str(), &errorAt) < 0) {
            std::fprintf(stderr, "client: cannot set priorities '%s' (at '%s')\n",
                         priority_.c_str(), errorAt ? errorAt : "?");
            return false;
        }
        return true;
    }

    static Slot* slotOf(coap_session_t* session) {
        return static_cast<Slot*>(coap_session_get_app_data(session));
    }

    void noteSuite(coap_session_t* session) {
        if (suite_) {
            return;
        }
        coap_tls_library_t library = COAP_TLS_LIBRARY_NOTLS;
        auto* tls = static_cast<gnutls_session_t>(coap_session_get_tls(session, &library));
        if (!tls || library != COAP_TLS_LIBRARY_GNUTLS) {
            return;
        }
        const gnutls_kx_algorithm_t kx = gnutls_kx_get(tls);
        const gnutls_cipher_algorithm_t cipher = gnutls_cipher_get(tls);
        const gnutls_mac_algorithm_t mac = gnutls_mac_get(tls);
        const gnutls_group_t group = gnutls_group_get(tls);
        const char* suiteName = gnutls_cipher_suite_get_name(kx, cipher, mac);
        Suite suite;
        suite.name = std::string(suiteName ? suiteName : "?");
        const char* groupName = group ? gnutls_group_get_name(group) : nullptr;
        if (groupName) {
            suite.name += std::string(" ") + groupName;
        }
        suite.priority = std::string("NONE:+VERS-DTLS1.2:+") + gnutls_cipher_get_name(cipher) +
                         ":+" + gnutls_mac_get_name(mac) + ":+" + gnutls_kx_get_name(kx) +
                         ":+SIGN-ALL:+COMP-NULL:" +
                         (groupName ? std::string("+GROUP-") + groupName : "+GROUP-ALL") +
                         (mode_ == Mode::Rpk ? ":+CTYPE-CLI-RAWPK:+CTYPE-SRV-RAWPK" : "");
        suite_ = suite;
    }

    static coap_response_t onResponse(coap_session_t* session, const coap_pdu_t*,
                                      const coap_pdu_t* received, const coap_mid_t) {
        auto* self =
            static_cast<CoapPskClient*>(coap_get_app_data(coap_session_get_context(session)));
        self->noteSuite(session);
        if (Slot* slot = slotOf(session)) {
            slot->done = true;
            slot->code = coap_pdu_get_code(received);
        }
        return COAP_RESPONSE_OK;
    }

    static void onNack(coap_session_t* session, const coap_pdu_t*, const coap_nack_reason_t,
                       const coap_mid_t) {
        if (Slot* slot = slotOf(session)) {
            slot->failed = true;
        }
    }

    static int onEvent(coap_session_t* session, const coap_event_t event) {
        if (event == COAP_EVENT_DTLS_ERROR || event == COAP_EVENT_DTLS_CLOSED ||
            event == COAP_EVENT_SESSION_FAILED) {
            if (Slot* slot = slotOf(session)) {
                if (!slot->done) {
                    slot->failed = true;
                }
            }
        }
        return 0;
    }

    Mode mode_;
    const Pki& pki_;
    std::string priority_;
    coap_context_t* context_ = nullptr;
    coap_address_t address_;
    std::optional<Suite> suite_;
};

constexpr qint64 kSlotTimeoutMs = 5000;

struct ThroughputResult {
    double hps = 0.0;
    long completed = 0;
    long failed = 0;
    long not404 = 0;  // completed, but answered with another code than 4.04
};

// Keeps `concurrency` new sessions in flight for durationMs; each completes with its response.
ThroughputResult gatewayThroughput(CoapPskClient& client, const Options& options) {
    std::vector<Slot> flights(static_cast<std::size_t>(options.concurrency));
    QElapsedTimer clock;
    clock.start();
    ThroughputResult result;
    for (Slot& slot : flights) {
        client.open(slot, clock.elapsed());
    }
    qint64 lastPump = 0;
    while (true) {
        const qint64 now = clock.elapsed();
        const bool running = now < options.durationMs;
        bool anyOpen = false;
        for (Slot& slot : flights) {
            if (!slot.session && !slot.failed && !slot.done) {
                continue;  // retired after the deadline
            }
            const bool timedOut = !slot.done && now - slot.startedMs > kSlotTimeoutMs;
            if (slot.done || slot.failed || timedOut) {
                if (slot.done && now <= options.durationMs) {
                    ++result.completed;
                    if (slot.code != COAP_RESPONSE_CODE_NOT_FOUND) {
                        ++result.not404;
                    }
                } else if (!slot.done) {
                    ++result.failed;
                }
                client.release(slot);
                if (running) {
                    client.open(slot, now);
                } else {
                    slot = Slot{};
                    continue;
                }
            }
            anyOpen = true;
        }
        if (!running && !anyOpen) {
            break;
        }
        if (!running && now > options.durationMs + kSlotTimeoutMs) {
            break;
        }
        client.process(5);
        if (now - lastPump >= 20) {
            pumpQt();
            lastPump = now;
        }
    }
    for (Slot& slot : flights) {
        client.release(slot);
    }
    result.hps = static_cast<double>(result.completed) * 1000.0 / options.durationMs;
    return result;
}

// Opens `count` sessions (at most `batch` handshaking at once), each done one request; they stay
// open in `held` until the caller releases them. Returns how many completed.
int holdSessions(CoapPskClient& client, std::vector<std::unique_ptr<Slot>>& held, int count,
                 int batch) {
    QElapsedTimer clock;
    clock.start();
    int established = 0;
    int started = 0;
    std::vector<Slot*> inFlight;
    qint64 lastPump = 0;
    while ((started < count || !inFlight.empty()) && clock.elapsed() < 60000) {
        while (started < count && static_cast<int>(inFlight.size()) < batch) {
            held.push_back(std::make_unique<Slot>());
            client.open(*held.back(), clock.elapsed());
            inFlight.push_back(held.back().get());
            ++started;
        }
        client.process(5);
        const qint64 now = clock.elapsed();
        std::erase_if(inFlight, [&](Slot* slot) {
            if (slot->done) {
                ++established;
                return true;
            }
            if (slot->failed || now - slot->startedMs > kSlotTimeoutMs) {
                client.release(*slot);
                return true;
            }
            return false;
        });
        if (now - lastPump >= 20) {
            pumpQt();
            lastPump = now;
        }
    }
    return established;
}

void settle(CoapPskClient& client, int ms) {
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < ms) {
        client.process(10);
        pumpQt();
    }
}

// ---------------------------------------------------------------------------------------------
// Bare GnuTLS: client and server in this thread over a socketpair, nonblocking handshakes.

int serverPsk(gnutls_session_t, const char*, gnutls_datum_t* key) {
    key->data = static_cast<unsigned char*>(gnutls_malloc(kKey.size()));
    if (!key->data) {
        return -1;
    }
    std::memcpy(key->data, kKey.data(), kKey.size());
    key->size = static_cast<unsigned int>(kKey.size());
    return 0;
}

class BareGnutls {
public:
    BareGnutls(Mode mode, const std::string& priority, const Pki& pki) : mode_(mode) {
        gnutls_certificate_allocate_credentials(&serverCert_);
        gnutls_certificate_allocate_credentials(&clientCert_);
        int rc = 0;
        if (mode == Mode::X509) {
            const gnutls_datum_t cert = datum(pki.gatewayCertPem);
            const gnutls_datum_t key = datum(pki.gatewayKeyPem);
            const gnutls_datum_t ca = datum(pki.caPem);
            const gnutls_datum_t clientCert = datum(pki.clientCertPem);
            const gnutls_datum_t clientKey = datum(pki.clientKeyPem);
            rc |=
                gnutls_certificate_set_x509_key_mem(serverCert_, &cert, &key, GNUTLS_X509_FMT_PEM);
            rc |= gnutls_certificate_set_x509_trust_mem(serverCert_, &ca, GNUTLS_X509_FMT_PEM) > 0
                      ? 0
                      : -1;
            rc |= gnutls_certificate_set_x509_key_mem(clientCert_, &clientCert, &clientKey,
                                                      GNUTLS_X509_FMT_PEM);
        } else if (mode == Mode::Rpk) {
            const gnutls_datum_t pub = datum(pki.gatewayRpkPubPem);
            const gnutls_datum_t key = datum(pki.gatewayRpkKeyPem);
            const gnutls_datum_t clientPub = datum(pki.clientRpkPubPem);
            const gnutls_datum_t clientKey = datum(pki.clientRpkKeyPem);
            rc |= gnutls_certificate_set_rawpk_key_mem(serverCert_, &pub, &key, GNUTLS_X509_FMT_PEM,
                                                       nullptr, 0, nullptr, 0, 0);
            rc |= gnutls_certificate_set_rawpk_key_mem(clientCert_, &clientPub, &clientKey,
                                                       GNUTLS_X509_FMT_PEM, nullptr, 0, nullptr, 0,
                                                       0);
        }
        if (rc != 0) {
            std::fprintf(stderr, "bare: cannot load key material\n");
        }
        gnutls_psk_allocate_server_credentials(&server_);
        gnutls_psk_set_server_credentials_function(server_, serverPsk);
        gnutls_psk_allocate_client_credentials(&client_);
        const gnutls_datum_t key{reinterpret_cast<unsigned char*>(const_cast<char*>(kKey.data())),
                                 static_cast<unsigned int>(kKey.size())};
        gnutls_psk_set_client_credentials(client_, kIdentity.c_str(), &key, GNUTLS_PSK_KEY_RAW);
        const char* errorAt = nullptr;
        ok_ = rc == 0 &&
              gnutls_priority_init(&priority_, priority.c_str(), &errorAt) == GNUTLS_E_SUCCESS;
        if (!ok_) {
            std::fprintf(stderr, "bare: bad priority '%s' at '%s'\n", priority.c_str(),
                         errorAt ? errorAt : "?");
        }
    }
    ~BareGnutls() {
        if (ok_) {
            gnutls_priority_deinit(priority_);
        }
        gnutls_psk_free_client_credentials(client_);
        gnutls_psk_free_server_credentials(server_);
        gnutls_certificate_free_credentials(clientCert_);
        gnutls_certificate_free_credentials(serverCert_);
    }
    BareGnutls(const BareGnutls&) = delete;
    BareGnutls& operator=(const BareGnutls&) = delete;

    bool ok() const { return ok_; }

    // One full handshake plus one small record each way (as the gateway's GET and 4.04).
    bool once(std::string* suiteName) {
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, fds) != 0) {
            return false;
        }
        gnutls_session_t c = nullptr;
        gnutls_session_t s = nullptr;
        const unsigned int rawpk =
            mode_ == Mode::Rpk ? static_cast<unsigned int>(GNUTLS_ENABLE_RAWPK) : 0U;
        gnutls_init(&c, GNUTLS_CLIENT | GNUTLS_DATAGRAM | GNUTLS_NONBLOCK | rawpk);
        gnutls_init(&s, GNUTLS_SERVER | GNUTLS_DATAGRAM | GNUTLS_NONBLOCK | rawpk);
        bool good = true;
        for (gnutls_session_t session : {c, s}) {
            gnutls_priority_set(session, priority_);
            gnutls_dtls_set_mtu(session, 1280);
            gnutls_dtls_set_timeouts(session, 1000, 30000);
        }
        if (mode_ == Mode::Psk) {
            gnutls_credentials_set(c, GNUTLS_CRD_PSK, client_);
            gnutls_credentials_set(s, GNUTLS_CRD_PSK, server_);
        } else {
            gnutls_credentials_set(c, GNUTLS_CRD_CERTIFICATE, clientCert_);
            gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, serverCert_);
            gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
        }
        gnutls_transport_set_int(c, fds[0]);
        gnutls_transport_set_int(s, fds[1]);
        bool clientDone = false;
        bool serverDone = false;
        QElapsedTimer clock;
        clock.start();
        while ((!clientDone || !serverDone) && good) {
            if (!clientDone) {
                const int rc = gnutls_handshake(c);
                clientDone = rc == GNUTLS_E_SUCCESS;
                good = rc >= 0 || !gnutls_error_is_fatal(rc);
                if (!good) {
                    std::fprintf(stderr, "bare client: %s\n", gnutls_strerror(rc));
                }
            }
            if (!serverDone && good) {
                const int rc = gnutls_handshake(s);
                serverDone = rc == GNUTLS_E_SUCCESS;
                good = rc >= 0 || !gnutls_error_is_fatal(rc);
                if (!good) {
                    std::fprintf(stderr, "bare server: %s\n", gnutls_strerror(rc));
                }
            }
            if (clock.elapsed() > 5000) {
                good = false;
            }
        }
        if (good && mode_ == Mode::X509) {
            // The gateway verifies the client's chain (libcoap, then the plugin once more).
            unsigned int status = 1;
            good = gnutls_certificate_verify_peers2(s, &status) == 0 && status == 0;
        } else if (good && mode_ == Mode::Rpk) {
            unsigned int count = 0;
            good = gnutls_certificate_get_peers(s, &count) != nullptr && count == 1;
        }
        if (good) {
            good = exchange(c, s, 12) && exchange(s, c, 8);
        }
        if (good && suiteName && suiteName->empty()) {
            const char* name = gnutls_cipher_suite_get_name(gnutls_kx_get(s), gnutls_cipher_get(s),
                                                            gnutls_mac_get(s));
            *suiteName = name ? name : "?";
            const gnutls_group_t group = gnutls_group_get(s);
            if (group) {
                *suiteName += std::string(" ") + gnutls_group_get_name(group);
            }
        }
        gnutls_deinit(c);
        gnutls_deinit(s);
        ::close(fds[0]);
        ::close(fds[1]);
        return good;
    }

private:
    static bool exchange(gnutls_session_t from, gnutls_session_t to, std::size_t size) {
        char buffer[64] = {};
        if (gnutls_record_send(from, buffer, size) != static_cast<ssize_t>(size)) {
            return false;
        }
        for (int attempt = 0; attempt < 100; ++attempt) {
            const ssize_t got = gnutls_record_recv(to, buffer, sizeof buffer);
            if (got == static_cast<ssize_t>(size)) {
                return true;
            }
            if (got != GNUTLS_E_AGAIN && got != GNUTLS_E_INTERRUPTED) {
                return false;
            }
        }
        return false;
    }

    static gnutls_datum_t datum(const QByteArray& array) {
        return {reinterpret_cast<unsigned char*>(const_cast<char*>(array.constData())),
                static_cast<unsigned int>(array.size())};
    }

    Mode mode_;
    gnutls_certificate_credentials_t serverCert_ = nullptr;
    gnutls_certificate_credentials_t clientCert_ = nullptr;
    gnutls_psk_server_credentials_t server_ = nullptr;
    gnutls_psk_client_credentials_t client_ = nullptr;
    gnutls_priority_t priority_ = nullptr;
    bool ok_ = false;
};

ThroughputResult bareThroughput(BareGnutls& bare, int durationMs, std::string* suiteName) {
    ThroughputResult result;
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < durationMs) {
        if (bare.once(suiteName)) {
            ++result.completed;
        } else {
            ++result.failed;
        }
    }
    result.hps =
        static_cast<double>(result.completed) * 1000.0 / static_cast<double>(clock.elapsed());
    return result;
}

// ---------------------------------------------------------------------------------------------

struct Repetition {
    double gatewayHps = 0.0;
    double bareHps = 0.0;
    double kibPerSession = 0.0;
    double gatewayCpu = 0.0;  // fraction of one core during the throughput phase
    // The daemon's CPU time per completed handshake: what the plugins and libcoap cost, much
    // less sensitive than handshakes/s to other load on a shared machine.
    double gatewayCpuMsPerHandshake = 0.0;
    double clientCpu = 0.0;  // this process (the libcoap clients), same phase
    long failed = 0;
    long not404 = 0;
    int established = 0;
};

bool parseOptions(const QStringList& arguments, Options& options) {
    for (qsizetype i = 1; i < arguments.size(); ++i) {
        const QString& name = arguments[i];
        if (name == QLatin1String("--lwm2m-suites")) {
            options.lwm2mSuites = true;
            continue;
        }
        if (i + 1 >= arguments.size()) {
            std::fprintf(stderr, "missing value for %s\n", qPrintable(name));
            return false;
        }
        if (name == QLatin1String("--modes")) {
            options.modes = arguments[++i].split(QLatin1Char(','), Qt::SkipEmptyParts);
            for (const QString& mode : options.modes) {
                if (mode != QLatin1String("psk") && mode != QLatin1String("x509") &&
                    mode != QLatin1String("rpk")) {
                    std::fprintf(stderr, "unknown mode %s\n", qPrintable(mode));
                    return false;
                }
            }
            continue;
        }
        bool ok = false;
        const int value = arguments[++i].toInt(&ok);
        if (!ok || value <= 0) {
            std::fprintf(stderr, "bad value for %s\n", qPrintable(name));
            return false;
        }
        if (name == QLatin1String("--duration-ms")) {
            options.durationMs = value;
        } else if (name == QLatin1String("--sessions")) {
            options.sessions = value;
        } else if (name == QLatin1String("--concurrency")) {
            options.concurrency = value;
        } else if (name == QLatin1String("--repetitions")) {
            options.repetitions = value;
        } else {
            std::fprintf(stderr,
                         "usage: bench_dtls_handshakes [--duration-ms N] [--sessions N] "
                         "[--concurrency N] [--repetitions N] [--modes psk,x509,rpk] "
                         "[--lwm2m-suites]\n");
            return false;
        }
    }
    return true;
}

// Stores per mode, so one endpoint name carries one kind of credential in each.
bool makeStore(Mode mode, const std::string& path, const Pki& pki) {
    auto store = lwm2mgw::credstore::CredentialStore::open(path);
    if (!store) {
        std::fprintf(stderr, "store: %s\n", store.error().message.c_str());
        return false;
    }
    if (mode == Mode::Psk) {
        auto added = store->addPsk(kEndpoint, kIdentity, lwm2mgw::credstore::Secret(kKey));
        if (!added) {
            std::fprintf(stderr, "addPsk: %s\n", added.error().message.c_str());
            return false;
        }
    } else if (mode == Mode::X509) {
        auto added = store->addTrustAnchor(
            {"bench-ca", std::string(pki.caDer.constData(), static_cast<size_t>(pki.caDer.size())),
             std::nullopt});
        if (!added) {
            std::fprintf(stderr, "addTrustAnchor: %s\n", added.error().message.c_str());
            return false;
        }
    } else {
        auto added = store->addRpk(
            kEndpoint, std::string_view(pki.clientRpkSpkiDer.constData(),
                                        static_cast<size_t>(pki.clientRpkSpkiDer.size())));
        if (!added) {
            std::fprintf(stderr, "addRpk: %s\n", added.error().message.c_str());
            return false;
        }
    }
    return true;
}

// Runs one mode's repetitions and prints its two JSON lines; false when nothing worked.
bool runMode(Mode mode, const QString& modeName, const Options& options, const Pki& pki,
             const QTemporaryDir& directory) {
    const std::string storePath =
        directory.filePath(modeName + QStringLiteral("-credentials.db")).toStdString();
    if (!makeStore(mode, storePath, pki)) {
        return false;
    }
    QMap<QString, QString> ini;
    if (mode == Mode::X509) {
        ini[QStringLiteral("downstream/certificate")] = pki.path(QStringLiteral("gateway.der"));
        ini[QStringLiteral("downstream/certificate_key")] =
            pki.path(QStringLiteral("gateway-key.der"));
    } else if (mode == Mode::Rpk) {
        ini[QStringLiteral("downstream/rpk_public_key")] =
            pki.path(QStringLiteral("rpk-gateway-pub.der"));
        ini[QStringLiteral("downstream/rpk_private_key")] =
            pki.path(QStringLiteral("rpk-gateway-key.der"));
    }
    const std::string fallback =
        mode == Mode::Psk ? kFallbackPriority
                          : std::string(
                                "NONE:+VERS-DTLS1.2:+AES-128-CCM-8:+AEAD:+ECDHE-ECDSA:"
                                "+SIGN-ALL:+COMP-NULL:+CURVE-ALL") +
                                (mode == Mode::Rpk ? ":+CTYPE-CLI-RAWPK:+CTYPE-SRV-RAWPK" : "");

    std::vector<Repetition> repetitions;
    std::string gatewaySuite;
    std::string bareSuite;
    std::string barePriority;
    const std::string modeText = modeName.toStdString();
    const char* name = modeText.c_str();
    for (int rep = 0; rep < options.repetitions; ++rep) {
        Repetition r;
        // A fresh gateway per repetition, so memory freed by earlier sessions is not reused.
        GatewayProcess gateway;
        const quint16 port = lwm2mgw::testing::freeUdpPort();
        const quint16 deadUpstream = lwm2mgw::testing::freeUdpPort();
        ini[QStringLiteral("downstream/listen")] =
            QStringLiteral("coaps://127.0.0.1:%1?mode=%2").arg(port).arg(modeName);
        ini[QStringLiteral("upstream/servers")] =
            QStringLiteral("coap://127.0.0.1:%1").arg(deadUpstream);
        if (!gateway.start(ini, {QStringLiteral("--store"), QString::fromStdString(storePath)})) {
            std::fprintf(stderr, "%s: gateway did not start:\n%s\n", name,
                         qPrintable(gateway.log()));
            return false;
        }
        {
            CoapPskClient client(port, mode, pki,
                                 options.lwm2mSuites ? lwm2mSuitePriority(mode) : std::string());
            // Warm-up: plugin, GnuTLS and allocator state that every session shares.
            {
                std::vector<std::unique_ptr<Slot>> warm;
                holdSessions(client, warm, 4, 4);
                for (auto& slot : warm) {
                    client.release(*slot);
                }
                settle(client, 300);
            }
            const long before = vmRssKib(gateway.processId());
            std::vector<std::unique_ptr<Slot>> held;
            r.established = holdSessions(client, held, options.sessions, 20);
            settle(client, 500);
            const long after = vmRssKib(gateway.processId());
            r.kibPerSession = r.established > 0 ? static_cast<double>(after - before) /
                                                      static_cast<double>(r.established)
                                                : 0.0;
            std::fprintf(stderr,
                         "%s rep %d: VmRSS %ld KiB -> %ld KiB with %d established sessions\n", name,
                         rep, before, after, r.established);
            for (auto& slot : held) {
                client.release(*slot);
            }
            settle(client, 300);

            const qint64 ticksBefore = gateway.cpuTicks();
            const double selfBefore = selfCpuSeconds();
            QElapsedTimer phase;
            phase.start();
            const ThroughputResult through = gatewayThroughput(client, options);
            const double wall = static_cast<double>(phase.elapsed()) / 1000.0;
            r.gatewayCpu = static_cast<double>(gateway.cpuTicks() - ticksBefore) /
                           static_cast<double>(::sysconf(_SC_CLK_TCK)) / wall;
            r.clientCpu = (selfCpuSeconds() - selfBefore) / wall;
            r.gatewayHps = through.hps;
            r.gatewayCpuMsPerHandshake =
                through.completed > 0
                    ? 1000.0 * r.gatewayCpu * wall / static_cast<double>(through.completed)
                    : 0.0;
            r.failed = through.failed;
            r.not404 = through.not404;
            if (const auto suite = client.suite(); suite && gatewaySuite.empty()) {
                gatewaySuite = suite->name;
                barePriority = suite->priority;
            }
            std::fprintf(stderr,
                         "%s rep %d: gateway %ld handshakes (%ld failed), %.1f/s, gateway CPU "
                         "%.0f%%, client CPU %.0f%%\n",
                         name, rep, through.completed, through.failed, through.hps,
                         100.0 * r.gatewayCpu, 100.0 * r.clientCpu);
        }
        if (r.established == 0 && r.gatewayHps == 0.0) {
            std::fprintf(stderr, "%s: no session succeeded; gateway log:\n%s\n", name,
                         qPrintable(gateway.log().right(3000)));
        }
        if (gateway.stop() != 0) {
            std::fprintf(stderr, "%s: gateway exit was not clean:\n%s\n", name,
                         qPrintable(gateway.log().right(2000)));
        }

        BareGnutls bare(mode, barePriority.empty() ? fallback : barePriority, pki);
        if (!bare.ok()) {
            return false;
        }
        const ThroughputResult bareResult = bareThroughput(bare, options.durationMs, &bareSuite);
        r.bareHps = bareResult.hps;
        std::fprintf(stderr, "%s rep %d: bare GnuTLS %ld handshakes (%ld failed), %.1f/s\n", name,
                     rep, bareResult.completed, bareResult.failed, bareResult.hps);
        repetitions.push_back(r);
    }

    std::vector<double> gatewayHps;
    std::vector<double> bareHps;
    std::vector<double> kib;
    std::vector<double> gatewayCpu;
    std::vector<double> gatewayCpuMs;
    std::vector<double> clientCpu;
    long failed = 0;
    long not404 = 0;
    int minEstablished = options.sessions;
    for (const Repetition& r : repetitions) {
        gatewayHps.push_back(r.gatewayHps);
        bareHps.push_back(r.bareHps);
        kib.push_back(r.kibPerSession);
        gatewayCpu.push_back(100.0 * r.gatewayCpu);
        gatewayCpuMs.push_back(r.gatewayCpuMsPerHandshake);
        clientCpu.push_back(100.0 * r.clientCpu);
        failed += r.failed;
        not404 += r.not404;
        minEstablished = std::min(minEstablished, r.established);
    }
    const double gw = median(gatewayHps);
    const double bareMedian = median(bareHps);
    const double ratio = bareMedian > 0.0 ? gw / bareMedian : 0.0;
    const double kibMedian = median(kib);
    std::printf(
        "{\"bench\":\"dtls_handshakes\",\"mode\":\"%s\",\"gateway_hps\":%s,"
        "\"bare_gnutls_hps\":%s,\"ratio\":%s,\"target_ratio\":0.7,\"pass\":%s,"
        "\"concurrency\":%d,\"duration_ms\":%d,\"repetitions\":%d,\"failed\":%ld,\"not_404\":%ld,"
        "\"gateway_suite\":\"%s\",\"bare_suite\":\"%s\",\"bare_priority\":\"%s\","
        "\"gateway_hps_runs\":%s,\"bare_gnutls_hps_runs\":%s,\"gateway_cpu_pct\":%s,"
        "\"client_cpu_pct\":%s,\"gateway_cpu_ms_per_handshake\":%s,"
        "\"gateway_cpu_ms_per_handshake_runs\":%s,\"client_suites\":\"%s\"}\n",
        name, fixed(gw).c_str(), fixed(bareMedian).c_str(), fixed(ratio, 3).c_str(),
        gw > 0.0 && ratio >= 0.7 ? "true" : "false", options.concurrency, options.durationMs,
        options.repetitions, failed, not404, gatewaySuite.c_str(), bareSuite.c_str(),
        (barePriority.empty() ? fallback : barePriority).c_str(), jsonArray(gatewayHps).c_str(),
        jsonArray(bareHps).c_str(), fixed(median(gatewayCpu), 0).c_str(),
        fixed(median(clientCpu), 0).c_str(), fixed(median(gatewayCpuMs), 3).c_str(),
        jsonArray(gatewayCpuMs, 3).c_str(), options.lwm2mSuites ? "lwm2m" : "libcoap-default");
    std::printf(
        "{\"bench\":\"dtls_session_memory\",\"mode\":\"%s\",\"sessions\":%d,"
        "\"established_min\":%d,\"kib_per_session\":%s,\"target_kib\":48,\"pass\":%s,"
        "\"kib_per_session_runs\":%s}\n",
        name, options.sessions, minEstablished, fixed(kibMedian).c_str(),
        minEstablished == options.sessions && kibMedian <= 48.0 ? "true" : "false",
        jsonArray(kib).c_str());
    std::fflush(stdout);
    return gw > 0.0 && minEstablished > 0;
}

}  // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    Options options;
    if (!parseOptions(app.arguments(), options)) {
        return 2;
    }
    coap_startup();
    coap_set_log_level(LOG_EMERG);
    coap_dtls_set_log_level(LOG_EMERG);

    QTemporaryDir directory;
    Pki pki;
    const bool needPki = options.modes.contains(QStringLiteral("x509")) ||
                         options.modes.contains(QStringLiteral("rpk"));
    if (needPki && !pki.create(directory.path())) {
        std::fprintf(stderr, "cannot make the test PKI: %s\n", qPrintable(pki.error));
        return 1;
    }
    bool ok = true;
    for (const QString& modeName : options.modes) {
        const Mode mode = modeName == QLatin1String("psk")    ? Mode::Psk
                          : modeName == QLatin1String("x509") ? Mode::X509
                                                              : Mode::Rpk;
        ok = runMode(mode, modeName, options, pki, directory) && ok;
    }
    coap_cleanup();
    return ok ? 0 : 1;
}
