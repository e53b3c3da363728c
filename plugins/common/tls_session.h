// Reaching the GnuTLS session under a libcoap session, and naming peers in logs.
#pragma once

#include <coap3/coap.h>
#include <gnutls/gnutls.h>

#include <string>

namespace lwm2mgw::dtls {

// nullptr when the session has no (D)TLS state or libcoap was built for another TLS library.
gnutls_session_t gnutlsSessionOf(const coap_session_t* session);

// "127.0.0.1:40000" / "[::1]:40000", for log lines.
std::string peerText(const coap_session_t* session);

// Identities and names come from the network: keep them printable and short in logs.
std::string printable(std::string_view text, std::size_t maxLength = 64);

}  // namespace lwm2mgw::dtls
