// The checks each DTLS plugin runs once after loading: libcoap has DTLS through GnuTLS, GnuTLS is
// recent enough, and the suites LwM2M mandates are enabled by the priority string libcoap 4.3.1
// uses under the system GnuTLS configuration in effect for this process.
#pragma once

#include "dtls_policy.h"

#include <string>

namespace lwm2mgw::dtls {

// On success `notes` says what an operator may want to know (e.g. SHA-1 suites still
// negotiable, refused only after the handshake); it never holds an error.
bool selfCheck(KeyFamily family, std::string& reason, std::string& notes);

}  // namespace lwm2mgw::dtls
