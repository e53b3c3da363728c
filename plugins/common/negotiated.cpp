#include "negotiated.h"

namespace lwm2mgw::dtls {

namespace {

// During a handshake the record-layer getters (gnutls_cipher_get, gnutls_mac_get) still report
// the NULL epoch; the chosen suite is already known by its canonical name, e.g.
// "TLS_PSK_WITH_AES_128_CBC_SHA", which GnuTLS's table lists as "PSK_AES_128_CBC_SHA1".
bool suiteFromCanonicalName(gnutls_session_t session, Negotiated& n) {
    const char* canonical = gnutls_ciphersuite_get(session);
    if (!canonical) {
        return false;
    }
    std::string name(canonical);
    if (!name.starts_with("TLS_")) {
        return false;
    }
    name.erase(0, 4);
    if (const std::size_t with = name.find("WITH_"); with != std::string::npos) {
        name.erase(with, 5);
    }
    if (name.ends_with("_SHA")) {
        name += '1';
    }
    unsigned char id[2];
    gnutls_kx_algorithm_t kx = GNUTLS_KX_UNKNOWN;
    gnutls_cipher_algorithm_t cipher = GNUTLS_CIPHER_UNKNOWN;
    gnutls_mac_algorithm_t mac = GNUTLS_MAC_UNKNOWN;
    gnutls_protocol_t minimum = GNUTLS_VERSION_UNKNOWN;
    for (std::size_t index = 0;; ++index) {
        const char* entry = gnutls_cipher_suite_info(index, id, &kx, &cipher, &mac, &minimum);
        if (!entry) {
            return false;
        }
        if (name == entry) {
            n.kx = kx;
            n.cipher = cipher;
            n.mac = mac;
            return true;
        }
    }
}

}  // namespace

Negotiated readNegotiated(gnutls_session_t session, Role role) {
    Negotiated n;
    n.protocol = gnutls_protocol_get_version(session);
    n.kx = gnutls_kx_get(session);
    n.cipher = gnutls_cipher_get(session);
    n.mac = gnutls_mac_get(session);
    if (n.cipher == GNUTLS_CIPHER_NULL || n.mac == GNUTLS_MAC_NULL) {
        Negotiated pending = n;
        if (suiteFromCanonicalName(session, pending) && pending.kx == n.kx) {
            n = pending;
        }
    }
    n.group = gnutls_group_get(session);
    const int signature = role == Role::Server ? gnutls_sign_algorithm_get_client(session)
                                               : gnutls_sign_algorithm_get(session);
    n.peerSignature =
        signature > 0 ? static_cast<gnutls_sign_algorithm_t>(signature) : GNUTLS_SIGN_UNKNOWN;
    n.peerCertificateType = gnutls_certificate_type_get2(session, GNUTLS_CTYPE_PEERS);
    return n;
}

std::string suiteName(const Negotiated& n) {
    const char* name = gnutls_cipher_suite_get_name(n.kx, n.cipher, n.mac);
    return name ? std::string("TLS_") + name : std::string("(unknown suite)");
}

std::string describe(const Negotiated& n) {
    const char* version = gnutls_protocol_get_name(n.protocol);
    std::string text = std::string(version ? version : "(unknown version)") + " " + suiteName(n);
    if (n.group != GNUTLS_GROUP_INVALID) {
        const char* group = gnutls_group_get_name(n.group);
        text += std::string(" group ") + (group ? group : "?");
    }
    return text;
}

}  // namespace lwm2mgw::dtls
