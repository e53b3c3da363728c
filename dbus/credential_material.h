#pragma once

// Public key material handed in over D-Bus (RPK keys, trust anchor certificates): PEM or DER in,
// DER out, checked with GnuTLS the way the plugins will use it, so a key or certificate the
// plugins would refuse at handshake time is refused when it is added, with the reason.
#include <QByteArray>
#include <QString>
#include <optional>

namespace lwm2mgw::dbus {

struct CertificateInfo {
    QString subject;  // RFC 4514 DN
    qint64 notAfterMs = 0;
};

// SHA-256 of the bytes, lower-case hex: how keys and certificates are named in listings.
QString fingerprint(const QByteArray& der);

// A SubjectPublicKeyInfo, DER or PEM ("PUBLIC KEY"): ECDSA of at least 256 bits. Returns the
// DER, or nullopt with `error` set.
std::optional<QByteArray> subjectPublicKeyInfo(const QByteArray& input, QString& error);

// An X.509 certificate, DER or PEM ("CERTIFICATE"), not expired. Returns the DER, or nullopt
// with `error` set.
std::optional<QByteArray> certificate(const QByteArray& input, QString& error);

// Subject and expiry of a stored DER certificate; nullopt when it does not parse.
std::optional<CertificateInfo> certificateInfo(const QByteArray& der);

}  // namespace lwm2mgw::dbus
