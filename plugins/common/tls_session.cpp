#include "tls_session.h"

namespace lwm2mgw::dtls {

gnutls_session_t gnutlsSessionOf(const coap_session_t* session) {
    if (!session) {
        return nullptr;
    }
    coap_tls_library_t library = COAP_TLS_LIBRARY_NOTLS;
    void* tls = coap_session_get_tls(session, &library);
    if (library != COAP_TLS_LIBRARY_GNUTLS) {
        return nullptr;
    }
    return static_cast<gnutls_session_t>(tls);
}

std::string peerText(const coap_session_t* session) {
    if (!session) {
        return "?";
    }
    unsigned char text[INET6_ADDRSTRLEN + 8] = {};
    const size_t length =
        coap_print_addr(coap_session_get_addr_remote(session), text, sizeof(text));
    return std::string(reinterpret_cast<const char*>(text), length);
}

std::string printable(std::string_view text, std::size_t maxLength) {
    std::string out;
    for (char c : text.substr(0, maxLength)) {
        const auto byte = static_cast<unsigned char>(c);
        out += (byte >= 0x20 && byte < 0x7f) ? c : '?';
    }
    if (text.size() > maxLength) {
        out += "...";
    }
    return out;
}

}  // namespace lwm2mgw::dtls
