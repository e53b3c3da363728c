#include "der_keys.h"

#include <gnutls/crypto.h>

#include <cstring>

namespace lwm2mgw::dtls {

namespace {

bool looksLikePem(std::string_view bytes) {
    return bytes.starts_with("-----BEGIN");
}

std::string exportPubkey(gnutls_pubkey_t key) {
    gnutls_datum_t out{};
    if (gnutls_pubkey_export2(key, GNUTLS_X509_FMT_DER, &out) < 0) {
        return {};
    }
    std::string der(bytesOf(out));
    gnutls_free(out.data);
    return der;
}

}  // namespace

Pubkey importPublicKey(std::string_view spkiDer) {
    gnutls_pubkey_t raw = nullptr;
    if (spkiDer.empty() || gnutls_pubkey_init(&raw) < 0) {
        return nullptr;
    }
    Pubkey key(raw);
    const gnutls_datum_t datum = datumOf(spkiDer);
    if (gnutls_pubkey_import(key.get(), &datum, GNUTLS_X509_FMT_DER) < 0) {
        return nullptr;
    }
    return key;
}

Pubkey publicKeyOf(gnutls_x509_crt_t certificate) {
    gnutls_pubkey_t raw = nullptr;
    if (gnutls_pubkey_init(&raw) < 0) {
        return nullptr;
    }
    Pubkey key(raw);
    if (gnutls_pubkey_import_x509(key.get(), certificate, 0) < 0) {
        return nullptr;
    }
    return key;
}

std::optional<std::string> subjectPublicKeyInfo(std::string_view bytes, std::string& error) {
    if (bytes.empty()) {
        error = "the public key is empty";
        return std::nullopt;
    }
    if (Pubkey key = importPublicKey(bytes)) {
        return exportPubkey(key.get());
    }
    std::string_view point = bytes;
    if (point.size() == 65 && static_cast<unsigned char>(point[0]) == 0x04) {
        point.remove_prefix(1);
    }
    if (point.size() == 64) {
        gnutls_pubkey_t raw = nullptr;
        if (gnutls_pubkey_init(&raw) >= 0) {
            Pubkey key(raw);
            const gnutls_datum_t x = datumOf(point.substr(0, 32));
            const gnutls_datum_t y = datumOf(point.substr(32, 32));
            if (gnutls_pubkey_import_ecc_raw(key.get(), GNUTLS_ECC_CURVE_SECP256R1, &x, &y) >= 0 &&
                gnutls_pubkey_verify_params(key.get()) >= 0) {
                return exportPubkey(key.get());
            }
        }
    }
    error = "the public key is neither a DER SubjectPublicKeyInfo nor a raw P-256 point";
    return std::nullopt;
}

Crt importCertificate(std::string_view bytes) {
    gnutls_x509_crt_t raw = nullptr;
    if (bytes.empty() || gnutls_x509_crt_init(&raw) < 0) {
        return nullptr;
    }
    Crt crt(raw);
    const gnutls_datum_t datum = datumOf(bytes);
    if (gnutls_x509_crt_import(crt.get(), &datum,
                               looksLikePem(bytes) ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER) <
        0) {
        return nullptr;
    }
    return crt;
}

std::string certificatePem(std::string_view der) {
    Crt crt = importCertificate(der);
    gnutls_datum_t out{};
    if (!crt || gnutls_x509_crt_export2(crt.get(), GNUTLS_X509_FMT_PEM, &out) < 0) {
        return {};
    }
    std::string pem(bytesOf(out));
    gnutls_free(out.data);
    return pem;
}

std::optional<std::string> privateKeyPkcs8(std::string_view der, gnutls_pubkey_t publicKey,
                                           std::string& error, bool pem) {
    gnutls_x509_privkey_t raw = nullptr;
    if (der.empty()) {
        error = "the private key is empty";
        return std::nullopt;
    }
    if (gnutls_x509_privkey_init(&raw) < 0) {
        error = "out of memory";
        return std::nullopt;
    }
    Privkey key(raw);
    const gnutls_datum_t datum = datumOf(der);
    if (gnutls_x509_privkey_import2(key.get(), &datum, GNUTLS_X509_FMT_DER, nullptr,
                                    GNUTLS_PKCS_PLAIN) < 0) {
        error = "the private key is not a DER PKCS#8 or SEC1 key";
        return std::nullopt;
    }
    if (publicKey) {
        unsigned char privateId[64];
        unsigned char publicId[64];
        size_t privateSize = sizeof(privateId);
        size_t publicSize = sizeof(publicId);
        if (gnutls_x509_privkey_get_key_id(key.get(), GNUTLS_KEYID_USE_SHA256, privateId,
                                           &privateSize) < 0 ||
            gnutls_pubkey_get_key_id(publicKey, GNUTLS_KEYID_USE_SHA256, publicId, &publicSize) <
                0 ||
            privateSize != publicSize || std::memcmp(privateId, publicId, privateSize) != 0) {
            error = "the private key does not belong to the public key or certificate";
            return std::nullopt;
        }
    }
    gnutls_datum_t out{};
    if (gnutls_x509_privkey_export2_pkcs8(key.get(),
                                          pem ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER, nullptr,
                                          GNUTLS_PKCS_PLAIN, &out) < 0) {
        error = "the private key cannot be re-encoded as PKCS#8";
        return std::nullopt;
    }
    std::string encoded(bytesOf(out));
    gnutls_memset(out.data, 0, out.size);
    gnutls_free(out.data);
    return encoded;
}

std::string fingerprint(std::string_view spkiDer) {
    unsigned char digest[32];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, spkiDer.data(), spkiDer.size(), digest) < 0) {
        return "SHA256:?";
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string text = "SHA256:";
    for (unsigned char byte : digest) {
        text += kHex[byte >> 4];
        text += kHex[byte & 0x0f];
    }
    return text;
}

std::optional<std::string> subjectCommonName(gnutls_x509_crt_t certificate, std::string& error) {
    char buffer[256];
    size_t size = sizeof(buffer);
    const int result = gnutls_x509_crt_get_dn_by_oid(certificate, GNUTLS_OID_X520_COMMON_NAME, 0, 0,
                                                     buffer, &size);
    if (result == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
        error = "the certificate has no Subject Common Name (CN)";
        return std::nullopt;
    }
    if (result < 0) {
        error = "the certificate's Subject Common Name cannot be read";
        return std::nullopt;
    }
    std::string cn(buffer, size);
    if (cn.empty() || cn.find('\0') != std::string::npos) {
        error = "the certificate's Subject Common Name is empty or contains a NUL byte";
        return std::nullopt;
    }
    size_t second = sizeof(buffer);
    if (gnutls_x509_crt_get_dn_by_oid(certificate, GNUTLS_OID_X520_COMMON_NAME, 1, 0, buffer,
                                      &second) != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
        error = "the certificate has more than one Subject Common Name";
        return std::nullopt;
    }
    return cn;
}

void wipe(std::string& secret) {
    if (!secret.empty()) {
        gnutls_memset(secret.data(), 0, secret.size());
    }
    secret.clear();
}

}  // namespace lwm2mgw::dtls
