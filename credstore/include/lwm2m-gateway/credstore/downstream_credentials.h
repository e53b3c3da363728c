// Credentials the gateway checks proxied sensors against, each bound to an endpoint name so a
// security plugin can say which endpoint a peer may register as.
#pragma once

#include <optional>
#include <string>

#include "lwm2m-gateway/credstore/secret.h"

namespace lwm2mgw::credstore {

// A PSK as listed: the identity (sent in clear in the DTLS handshake) but never the key.
struct PskCredentialInfo {
    std::string identity;  // opaque bytes
    std::string endpoint;
    bool operator==(const PskCredentialInfo&) const = default;
};

// What the PSK plugin gets for an identity offered in a handshake.
struct PskMatch {
    std::string endpoint;
    Secret key;
};

struct RpkCredential {
    std::string subjectPublicKeyInfoDer;
    std::string endpoint;
    bool operator==(const RpkCredential&) const = default;
};

// A DER certificate that downstream certificate chains may end at. `endpoint` restricts the
// anchor to one endpoint name (a pinned device certificate or a per-device CA); nullopt means
// the anchor is a CA for any endpoint, which then comes from the device certificate itself.
struct TrustAnchor {
    std::string label;  // unique, for operators
    std::string certificateDer;
    std::optional<std::string> endpoint;
    bool operator==(const TrustAnchor&) const = default;
};

}  // namespace lwm2mgw::credstore
