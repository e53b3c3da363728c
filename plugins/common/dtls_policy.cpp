#include "dtls_policy.h"

namespace lwm2mgw::dtls {

namespace {

std::string nameOr(const char* name, const char* fallback) {
    return name ? std::string(name) : std::string(fallback);
}

bool weakHash(gnutls_digest_algorithm_t hash) {
    return hash == GNUTLS_DIG_SHA1 || hash == GNUTLS_DIG_MD5 || hash == GNUTLS_DIG_MD2 ||
           hash == GNUTLS_DIG_RMD160;
}

bool allowedCipher(gnutls_cipher_algorithm_t cipher) {
    switch (cipher) {
        case GNUTLS_CIPHER_AES_128_CCM_8:
        case GNUTLS_CIPHER_AES_256_CCM_8:
        case GNUTLS_CIPHER_AES_128_CCM:
        case GNUTLS_CIPHER_AES_256_CCM:
        case GNUTLS_CIPHER_AES_128_GCM:
        case GNUTLS_CIPHER_AES_256_GCM:
        case GNUTLS_CIPHER_AES_128_CBC:
        case GNUTLS_CIPHER_AES_256_CBC:
        case GNUTLS_CIPHER_CHACHA20_POLY1305:
            return true;
        default:
            return false;
    }
}

bool allowedKx(gnutls_kx_algorithm_t kx, KeyFamily family) {
    if (family == KeyFamily::EcdsaKey) {
        return kx == GNUTLS_KX_ECDHE_ECDSA;
    }
    return kx == GNUTLS_KX_PSK || kx == GNUTLS_KX_ECDHE_PSK || kx == GNUTLS_KX_DHE_PSK;
}

bool ephemeralKx(gnutls_kx_algorithm_t kx) {
    return kx != GNUTLS_KX_PSK;
}

// Size of a key-exchange group in bits; 0 when unknown.
unsigned int groupBits(gnutls_group_t group) {
    switch (group) {
        case GNUTLS_GROUP_FFDHE2048:
            return 2048;
        case GNUTLS_GROUP_FFDHE3072:
            return 3072;
        case GNUTLS_GROUP_FFDHE4096:
            return 4096;
        case GNUTLS_GROUP_FFDHE6144:
            return 6144;
        case GNUTLS_GROUP_FFDHE8192:
            return 8192;
        default:
            break;
    }
    // GnuTLS numbers EC groups like their curves.
    const int bytes = gnutls_ecc_curve_get_size(static_cast<gnutls_ecc_curve_t>(group));
    return bytes > 0 ? static_cast<unsigned int>(bytes) * 8U : 0U;
}

bool isFfdhe(gnutls_group_t group) {
    return group == GNUTLS_GROUP_FFDHE2048 || group == GNUTLS_GROUP_FFDHE3072 ||
           group == GNUTLS_GROUP_FFDHE4096 || group == GNUTLS_GROUP_FFDHE6144 ||
           group == GNUTLS_GROUP_FFDHE8192;
}

}  // namespace

std::optional<std::string> negotiationViolation(const Negotiated& n, KeyFamily family,
                                                bool duringHandshake) {
    if (n.protocol != GNUTLS_DTLS1_2) {
        return "protocol " + nameOr(gnutls_protocol_get_name(n.protocol), "(unknown)") +
               " is not allowed: LwM2M needs DTLS 1.2 (older versions derive keys with SHA-1)";
    }
    if (!allowedKx(n.kx, family)) {
        return "key exchange " + nameOr(gnutls_kx_get_name(n.kx), "(unknown)") +
               " is not allowed in this security mode";
    }
    if (duringHandshake && (n.cipher == GNUTLS_CIPHER_NULL || n.mac == GNUTLS_MAC_NULL)) {
        return std::nullopt;
    }
    if (n.mac == GNUTLS_MAC_SHA1 || n.mac == GNUTLS_MAC_MD5) {
        return "cipher suite " + suiteName(n) + " uses a " +
               nameOr(gnutls_mac_get_name(n.mac), "?") + " MAC; SHA-1 must not be used";
    }
    if (n.mac != GNUTLS_MAC_AEAD && n.mac != GNUTLS_MAC_SHA256 && n.mac != GNUTLS_MAC_SHA384) {
        return "cipher suite " + suiteName(n) + " uses MAC " +
               nameOr(gnutls_mac_get_name(n.mac), "(unknown)") + ", which is not allowed";
    }
    if (!allowedCipher(n.cipher)) {
        return "cipher " + nameOr(gnutls_cipher_get_name(n.cipher), "(unknown)") +
               " is not allowed";
    }
    if (ephemeralKx(n.kx)) {
        if (n.group == GNUTLS_GROUP_INVALID) {
            if (!duringHandshake) {
                return "the key-exchange group is unknown";
            }
        } else if (isFfdhe(n.group) ? n.kx != GNUTLS_KX_DHE_PSK
                                    : groupBits(n.group) < kMinimumEcBits) {
            return "key-exchange group " + nameOr(gnutls_group_get_name(n.group), "(unknown)") +
                   " is weaker than 256 bits or not allowed here";
        }
    }
    if (n.peerSignature != GNUTLS_SIGN_UNKNOWN &&
        weakHash(gnutls_sign_get_hash_algorithm(n.peerSignature))) {
        return "the peer signed the handshake with " +
               nameOr(gnutls_sign_get_name(n.peerSignature), "?") + "; SHA-1 must not be used";
    }
    return std::nullopt;
}

std::optional<std::string> handshakeKeyViolation(gnutls_pubkey_t key) {
    unsigned int bits = 0;
    const int algorithm = gnutls_pubkey_get_pk_algorithm(key, &bits);
    if (algorithm != GNUTLS_PK_ECDSA) {
        return "the key is " +
               nameOr(gnutls_pk_get_name(static_cast<gnutls_pk_algorithm_t>(algorithm)),
                      "of an unknown type") +
               ", not ECDSA";
    }
    if (bits < kMinimumEcBits) {
        return "the ECDSA key has " + std::to_string(bits) + " bits; at least 256 are required";
    }
    return std::nullopt;
}

std::optional<std::string> issuerKeyViolation(gnutls_pubkey_t key) {
    unsigned int bits = 0;
    const int algorithm = gnutls_pubkey_get_pk_algorithm(key, &bits);
    if (algorithm == GNUTLS_PK_ECDSA) {
        return bits < kMinimumEcBits ? handshakeKeyViolation(key) : std::nullopt;
    }
    if (algorithm == GNUTLS_PK_RSA || algorithm == GNUTLS_PK_RSA_PSS) {
        if (bits < 2048) {
            return "the issuer's RSA key has " + std::to_string(bits) +
                   " bits; at least 2048 are required";
        }
        return std::nullopt;
    }
    return "the issuer's key type is not allowed";
}

std::optional<std::string> certificateSignatureViolation(gnutls_x509_crt_t certificate) {
    const int signature = gnutls_x509_crt_get_signature_algorithm(certificate);
    if (signature <= 0) {
        return std::string("its signature algorithm is unknown");
    }
    const auto algorithm = static_cast<gnutls_sign_algorithm_t>(signature);
    if (weakHash(gnutls_sign_get_hash_algorithm(algorithm))) {
        return "it is signed with " + nameOr(gnutls_sign_get_name(algorithm), "?") +
               "; SHA-1 must not be used";
    }
    return std::nullopt;
}

}  // namespace lwm2mgw::dtls
