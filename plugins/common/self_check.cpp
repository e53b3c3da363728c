#include "self_check.h"

#include <coap3/coap.h>

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace lwm2mgw::dtls {

namespace {

// libcoap 4.3.1 (src/coap_gnutls.c, VARIANTS_3_6_6) sets this on every session.
constexpr const char* kLibcoapPriority =
    "NORMAL:+ECDHE-PSK:+PSK:+ECDHE-ECDSA:+AES-128-CCM-8:+CTYPE-CLI-ALL:+CTYPE-SRV-ALL:+SHA256";

struct Suite {
    std::array<std::uint8_t, 2> id;
    const char* name;
};

constexpr Suite kPskSuites[] = {{{0xC0, 0xA8}, "TLS_PSK_WITH_AES_128_CCM_8"},
                                {{0x00, 0xAE}, "TLS_PSK_WITH_AES_128_CBC_SHA256"}};
constexpr Suite kEcdsaSuites[] = {{{0xC0, 0xAE}, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"},
                                  {{0xC0, 0x23}, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"}};

struct EnabledSuite {
    std::array<std::uint8_t, 2> id;
    gnutls_kx_algorithm_t kx;
    gnutls_mac_algorithm_t mac;
};

}  // namespace

bool selfCheck(KeyFamily family, std::string& reason, std::string& notes) {
    if (!coap_dtls_is_supported()) {
        reason = "libcoap was built without DTLS support";
        return false;
    }
    const coap_tls_version_t* library = coap_get_tls_library_version();
    if (!library || library->type != COAP_TLS_LIBRARY_GNUTLS) {
        reason = "libcoap does not use GnuTLS (the plugin needs libcoap-3-gnutls)";
        return false;
    }
    if (!gnutls_check_version("3.6.6")) {
        reason = std::string("GnuTLS ") + gnutls_check_version(nullptr) +
                 " is too old: raw public keys and the LwM2M suites need 3.6.6 or later";
        return false;
    }
    gnutls_priority_t priority = nullptr;
    const char* errorAt = nullptr;
    if (gnutls_priority_init(&priority, kLibcoapPriority, &errorAt) < 0) {
        reason =
            "GnuTLS refuses libcoap's priority string under the current system "
            "configuration (check GNUTLS_SYSTEM_PRIORITY_FILE)";
        return false;
    }
    std::vector<EnabledSuite> enabled;
    for (unsigned int index = 0;; ++index) {
        unsigned int suite = 0;
        const int result = gnutls_priority_get_cipher_suite_index(priority, index, &suite);
        if (result == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
            break;
        }
        if (result < 0) {
            continue;
        }
        EnabledSuite entry{};
        gnutls_cipher_algorithm_t cipher = GNUTLS_CIPHER_UNKNOWN;
        gnutls_protocol_t minimum = GNUTLS_VERSION_UNKNOWN;
        if (gnutls_cipher_suite_info(suite, entry.id.data(), &entry.kx, &cipher, &entry.mac,
                                     &minimum)) {
            enabled.push_back(entry);
        }
    }
    const unsigned int* protocols = nullptr;
    const int protocolCount = gnutls_priority_protocol_list(priority, &protocols);
    bool dtls12 = false;
    for (int i = 0; i < protocolCount; ++i) {
        dtls12 = dtls12 || protocols[i] == GNUTLS_DTLS1_2;
    }
    gnutls_priority_deinit(priority);
    if (!dtls12) {
        reason = "DTLS 1.2 is disabled by the GnuTLS system configuration";
        return false;
    }
    const bool psk = family == KeyFamily::PreSharedKey;
    for (const Suite& wanted :
         psk ? std::span<const Suite>(kPskSuites) : std::span<const Suite>(kEcdsaSuites)) {
        bool found = false;
        for (const EnabledSuite& entry : enabled) {
            found = found || entry.id == wanted.id;
        }
        if (!found) {
            reason = std::string(wanted.name) +
                     " is disabled by the GnuTLS system configuration; LwM2M requires it";
            return false;
        }
    }
    bool sha1 = false;
    for (const EnabledSuite& entry : enabled) {
        sha1 = sha1 || entry.mac == GNUTLS_MAC_SHA1;
    }
    notes = sha1 ? "SHA-1 cipher suites are still negotiable under this process's GnuTLS "
                   "configuration; sessions that pick one are refused after the handshake "
                   "(install lwm2m-gateway-gnutls.conf via GNUTLS_SYSTEM_PRIORITY_FILE to "
                   "refuse them during the handshake)"
                 : "SHA-1 cipher suites are disabled by the GnuTLS system configuration";
    return true;
}

}  // namespace lwm2mgw::dtls
