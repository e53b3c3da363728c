// Owning handles for GnuTLS objects, so every early return frees what it imported.
#pragma once

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <memory>
#include <string_view>

namespace lwm2mgw::dtls {

struct CrtDeleter {
    void operator()(gnutls_x509_crt_t crt) const { gnutls_x509_crt_deinit(crt); }
};
struct PubkeyDeleter {
    void operator()(gnutls_pubkey_t key) const { gnutls_pubkey_deinit(key); }
};
struct PrivkeyDeleter {
    void operator()(gnutls_x509_privkey_t key) const { gnutls_x509_privkey_deinit(key); }
};
struct TrustListDeleter {
    void operator()(gnutls_x509_trust_list_t list) const { gnutls_x509_trust_list_deinit(list, 1); }
};

using Crt = std::unique_ptr<std::remove_pointer_t<gnutls_x509_crt_t>, CrtDeleter>;
using Pubkey = std::unique_ptr<std::remove_pointer_t<gnutls_pubkey_t>, PubkeyDeleter>;
using Privkey = std::unique_ptr<std::remove_pointer_t<gnutls_x509_privkey_t>, PrivkeyDeleter>;
using TrustList =
    std::unique_ptr<std::remove_pointer_t<gnutls_x509_trust_list_t>, TrustListDeleter>;

// GnuTLS takes non-const datums for input it only reads.
inline gnutls_datum_t datumOf(std::string_view bytes) {
    return gnutls_datum_t{
        const_cast<unsigned char*>(reinterpret_cast<const unsigned char*>(bytes.data())),
        static_cast<unsigned int>(bytes.size())};
}

inline std::string_view bytesOf(const gnutls_datum_t& datum) {
    return {reinterpret_cast<const char*>(datum.data), datum.size};
}

}  // namespace lwm2mgw::dtls
