#include "credential_material.h"

#include <QCryptographicHash>
#include <QDateTime>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <memory>

namespace lwm2mgw::dbus {

namespace {

// Hostile input must not make the daemon parse megabytes.
constexpr qsizetype kMaxMaterialBytes = 64 * 1024;

gnutls_datum_t datum(const QByteArray& bytes) {
    return {reinterpret_cast<unsigned char*>(const_cast<char*>(bytes.constData())),
            static_cast<unsigned int>(bytes.size())};
}

// PEM with the given label to DER; DER passes through.
std::optional<QByteArray> toDer(const QByteArray& input, const char* label, const QString& what,
                                QString& error) {
    if (input.isEmpty()) {
        error = QStringLiteral("the %1 is empty").arg(what);
        return std::nullopt;
    }
    if (input.size() > kMaxMaterialBytes) {
        error = QStringLiteral("the %1 is %2 bytes long; at most %3 are accepted")
                    .arg(what)
                    .arg(input.size())
                    .arg(kMaxMaterialBytes);
        return std::nullopt;
    }
    if (!input.trimmed().startsWith("-----BEGIN")) {
        return input;
    }
    const gnutls_datum_t in = datum(input);
    gnutls_datum_t out{};
    if (gnutls_pem_base64_decode2(label, &in, &out) != GNUTLS_E_SUCCESS) {
        error = QStringLiteral("the %1 is PEM but not a '-----BEGIN %2-----' block")
                    .arg(what, QString::fromLatin1(label));
        return std::nullopt;
    }
    QByteArray der(reinterpret_cast<const char*>(out.data), static_cast<qsizetype>(out.size));
    gnutls_free(out.data);
    return der;
}

}  // namespace

QString fingerprint(const QByteArray& der) {
    return QString::fromLatin1(QCryptographicHash::hash(der, QCryptographicHash::Sha256).toHex());
}

std::optional<QByteArray> subjectPublicKeyInfo(const QByteArray& input, QString& error) {
    const QString what = QStringLiteral("public key");
    std::optional<QByteArray> der = toDer(input, "PUBLIC KEY", what, error);
    if (!der) {
        return std::nullopt;
    }
    gnutls_pubkey_t key = nullptr;
    if (gnutls_pubkey_init(&key) != GNUTLS_E_SUCCESS) {
        error = QStringLiteral("cannot check the public key (out of memory)");
        return std::nullopt;
    }
    const std::unique_ptr<gnutls_pubkey_st, decltype(&gnutls_pubkey_deinit)> guard(
        key, gnutls_pubkey_deinit);
    const gnutls_datum_t in = datum(*der);
    if (gnutls_pubkey_import(key, &in, GNUTLS_X509_FMT_DER) != GNUTLS_E_SUCCESS) {
        error = QStringLiteral(
            "the public key is not a SubjectPublicKeyInfo (DER or PEM 'PUBLIC KEY'); "
            "'openssl pkey -pubout' writes one");
        return std::nullopt;
    }
    unsigned int bits = 0;
    const int algorithm = gnutls_pubkey_get_pk_algorithm(key, &bits);
    if (algorithm != GNUTLS_PK_ECDSA || bits < 256) {
        error = QStringLiteral(
                    "the public key is %1 of %2 bits; the rpk plugin accepts ECDSA keys of at "
                    "least 256 bits only")
                    .arg(QString::fromLatin1(gnutls_pk_algorithm_get_name(
                        static_cast<gnutls_pk_algorithm_t>(algorithm))))
                    .arg(bits);
        return std::nullopt;
    }
    return der;
}

std::optional<QByteArray> certificate(const QByteArray& input, QString& error) {
    std::optional<QByteArray> der =
        toDer(input, "CERTIFICATE", QStringLiteral("certificate"), error);
    if (!der) {
        return std::nullopt;
    }
    const std::optional<CertificateInfo> info = certificateInfo(*der);
    if (!info) {
        error = QStringLiteral("the certificate is not an X.509 certificate (DER or PEM)");
        return std::nullopt;
    }
    if (info->notAfterMs < QDateTime::currentMSecsSinceEpoch()) {
        error = QStringLiteral("the certificate (%1) expired on %2")
                    .arg(info->subject, QDateTime::fromMSecsSinceEpoch(info->notAfterMs, Qt::UTC)
                                            .toString(Qt::ISODate));
        return std::nullopt;
    }
    return der;
}

std::optional<CertificateInfo> certificateInfo(const QByteArray& der) {
    gnutls_x509_crt_t crt = nullptr;
    if (gnutls_x509_crt_init(&crt) != GNUTLS_E_SUCCESS) {
        return std::nullopt;
    }
    const std::unique_ptr<gnutls_x509_crt_int, decltype(&gnutls_x509_crt_deinit)> guard(
        crt, gnutls_x509_crt_deinit);
    const gnutls_datum_t in = datum(der);
    if (gnutls_x509_crt_import(crt, &in, GNUTLS_X509_FMT_DER) != GNUTLS_E_SUCCESS) {
        return std::nullopt;
    }
    CertificateInfo info;
    gnutls_datum_t dn{};
    if (gnutls_x509_crt_get_dn3(crt, &dn, 0) == GNUTLS_E_SUCCESS) {
        info.subject = QString::fromUtf8(reinterpret_cast<const char*>(dn.data),
                                         static_cast<qsizetype>(dn.size));
        gnutls_free(dn.data);
    }
    const time_t notAfter = gnutls_x509_crt_get_expiration_time(crt);
    if (notAfter == static_cast<time_t>(-1)) {
        return std::nullopt;
    }
    info.notAfterMs = static_cast<qint64>(notAfter) * 1000;
    return info;
}

}  // namespace lwm2mgw::dbus
