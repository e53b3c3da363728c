// The LwM2M channel-security rules (OMA LwM2M 1.x, section 7.1): no SHA-1 anywhere, ECDHE and
// ECDSA of at least 256 bits, DTLS 1.2 only. Each check returns nullopt when the input
// complies, or a reason in words an operator understands.
#pragma once

#include "negotiated.h"

#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include <optional>
#include <string>

namespace lwm2mgw::dtls {

enum class KeyFamily {
    PreSharedKey,  // PSK, ECDHE-PSK or DHE-PSK key exchange
    EcdsaKey,      // ECDHE-ECDSA key exchange (Raw Public Key and X.509 modes)
};

inline constexpr unsigned int kMinimumEcBits = 256;

// `duringHandshake`: the check runs inside a client handshake callback, where GnuTLS does not
// report cipher, MAC and group yet; those are then left to the client's priorities
// (client_priority.h) and only what is known is judged.
std::optional<std::string> negotiationViolation(const Negotiated& negotiated, KeyFamily family,
                                                bool duringHandshake = false);

// Keys that sign DTLS handshakes: ECDSA on a curve of at least 256 bits.
std::optional<std::string> handshakeKeyViolation(gnutls_pubkey_t key);

// Keys of CA certificates: ECDSA of at least 256 bits, or RSA of at least 2048 bits (public roots).
std::optional<std::string> issuerKeyViolation(gnutls_pubkey_t key);

// A certificate's own signature must not use SHA-1 (or worse).
std::optional<std::string> certificateSignatureViolation(gnutls_x509_crt_t certificate);

}  // namespace lwm2mgw::dtls
