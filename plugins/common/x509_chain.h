// Verification of a peer's X.509 chain against our own rules: trust anchors, validity period,
// issuer, ECDSA keys of at least 256 bits, no SHA-1 signatures, and (client role) the server's
// names against the host of the server URI as RFC 6125 does.
#pragma once

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <ctime>
#include <optional>
#include <string>
#include <vector>

namespace lwm2mgw::dtls {

struct ChainRequirements {
    std::vector<std::string> trustAnchorsDer;
    std::optional<std::string> expectedHost;  // client role: host of the server URI
    std::time_t now = 0;                      // 0: the current time
};

struct ChainResult {
    std::optional<std::string> violation;  // nullopt when the chain passes
    std::string leafCommonName;            // server role: the Subject CN of the leaf
    // The latest start and the earliest end of validity among the peer's certificates and the
    // trust anchors: in between, the same chain against the same anchors passes again (nothing
    // else in the check depends on time).
    std::time_t validFrom = 0;
    std::time_t validUntil = 0;
};

// `chain` is what the peer sent, leaf first (gnutls_certificate_get_peers).
ChainResult checkPeerChain(const gnutls_datum_t* chain, unsigned int count,
                           const ChainRequirements& requirements);

// RFC 6125: DNS-name and IP-address SubjectAltNames first; the CN only without a DNS-name SAN.
std::optional<std::string> hostViolation(gnutls_x509_crt_t leaf, const std::string& host);

// "CN=node-1,O=Example" for logs.
std::string subjectText(gnutls_x509_crt_t certificate);

}  // namespace lwm2mgw::dtls
