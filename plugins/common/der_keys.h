// Keys and certificates as the Security Object and the credential store carry them (DER bytes),
// converted into what libcoap 4.3.1 and GnuTLS accept. Nothing here logs; errors never quote keys.
#pragma once

#include "gnutls_handles.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lwm2mgw::dtls {

// A public key as SubjectPublicKeyInfo DER. Accepts SPKI DER or, for P-256, the raw point
// (x||y, 64 bytes, or 04||x||y, 65 bytes) some LwM2M servers provision instead.
std::optional<std::string> subjectPublicKeyInfo(std::string_view bytes, std::string& error);

Pubkey importPublicKey(std::string_view spkiDer);
Pubkey publicKeyOf(gnutls_x509_crt_t certificate);

// Certificate from DER (or PEM, tolerated for hand-written configuration).
Crt importCertificate(std::string_view bytes);

std::string certificatePem(std::string_view der);

// Private key (PKCS#8 or SEC1, DER) re-encoded as unencrypted PKCS#8; the public key it belongs
// to is checked against `publicKey` when one is given.
std::optional<std::string> privateKeyPkcs8(std::string_view der, gnutls_pubkey_t publicKey,
                                           std::string& error, bool pem);

// "SHA256:0a1b..." of a public key, to name it in logs.
std::string fingerprint(std::string_view spkiDer);

// The Subject CN (first one), or nullopt with `error` when there is none or it is ambiguous.
std::optional<std::string> subjectCommonName(gnutls_x509_crt_t certificate, std::string& error);

// Overwrites key material before the memory is released.
void wipe(std::string& secret);

}  // namespace lwm2mgw::dtls
