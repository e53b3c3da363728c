#include "client_priority.h"

#include "tls_session.h"

namespace lwm2mgw::dtls {

namespace {

// NORMAL keeps GnuTLS's own ordering and groups (all of at least 256 bits); the rest is the
// LwM2M policy: DTLS 1.2, AEAD or SHA-256/384 MACs, no SHA-1 signatures.
constexpr const char* kCommon =
    "NORMAL:-VERS-ALL:+VERS-DTLS1.2:-MAC-ALL:+AEAD:+SHA256:+SHA384:+AES-128-CCM-8:"
    "-SIGN-RSA-SHA1:-SIGN-ECDSA-SHA1:-SIGN-DSA-SHA1:-KX-ALL:";
constexpr const char* kPsk = "+PSK:+ECDHE-PSK";
constexpr const char* kEcdsa = "+ECDHE-ECDSA:+CTYPE-CLI-ALL:+CTYPE-SRV-ALL";

}  // namespace

bool restrictClientPriorities(coap_session_t* session, KeyFamily family, std::string& error) {
    gnutls_session_t tls = gnutlsSessionOf(session);
    if (!tls) {
        error = "libcoap started no GnuTLS session";
        return false;
    }
    const std::string priority =
        std::string(kCommon) + (family == KeyFamily::PreSharedKey ? kPsk : kEcdsa);
    const char* errorAt = nullptr;
    if (gnutls_priority_set_direct(tls, priority.c_str(), &errorAt) < 0) {
        error = "GnuTLS refuses the LwM2M client priorities under the system configuration";
        return false;
    }
    return true;
}

}  // namespace lwm2mgw::dtls
