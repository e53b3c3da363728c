// Client sessions: libcoap 4.3.1 gives every GnuTLS session its own "NORMAL:..." priority, and
// GnuTLS does not expose the chosen suite to callbacks while the handshake runs. So right after
// libcoap starts a client handshake, the session's priorities are narrowed to what LwM2M allows:
// the ClientHello GnuTLS resends after the server's cookie offers nothing else, and GnuTLS
// refuses a ServerHello choosing anything outside the list (handshake_failure).
#pragma once

#include "dtls_policy.h"

#include <coap3/coap.h>

#include <string>

namespace lwm2mgw::dtls {

bool restrictClientPriorities(coap_session_t* session, KeyFamily family, std::string& error);

}  // namespace lwm2mgw::dtls
