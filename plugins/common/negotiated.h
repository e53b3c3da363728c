// What a DTLS handshake agreed on, read from GnuTLS, in a form the policy can judge without a
// live session (and tests can build by hand).
#pragma once

#include <gnutls/gnutls.h>

#include <string>

namespace lwm2mgw::dtls {

enum class Role { Server, Client };

struct Negotiated {
    gnutls_protocol_t protocol = GNUTLS_VERSION_UNKNOWN;
    gnutls_kx_algorithm_t kx = GNUTLS_KX_UNKNOWN;
    gnutls_cipher_algorithm_t cipher = GNUTLS_CIPHER_UNKNOWN;
    gnutls_mac_algorithm_t mac = GNUTLS_MAC_UNKNOWN;
    gnutls_group_t group = GNUTLS_GROUP_INVALID;
    // The peer's handshake signature: the client's CertificateVerify when we are the server, the
    // server's key-exchange signature when we are the client. GNUTLS_SIGN_UNKNOWN for PSK.
    gnutls_sign_algorithm_t peerSignature = GNUTLS_SIGN_UNKNOWN;
    gnutls_certificate_type_t peerCertificateType = GNUTLS_CRT_UNKNOWN;
};

Negotiated readNegotiated(gnutls_session_t session, Role role);

// IANA-style suite name GnuTLS knows it by, e.g. "TLS_PSK_AES_128_CCM_8".
std::string suiteName(const Negotiated& negotiated);

// One line for logs: "DTLS1.2 TLS_ECDHE_ECDSA_AES_128_CCM_8 group SECP256R1".
std::string describe(const Negotiated& negotiated);

}  // namespace lwm2mgw::dtls
