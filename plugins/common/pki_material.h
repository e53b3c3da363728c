// Own keys and trust for libcoap 4.3.1's PKI setup (coap_dtls_pki_t). libcoap keeps pointers into
// these buffers (in the context, and per session while it is created), so a PkiMaterial must stay
// alive, unmoved, as long as the context that was given it.
#pragma once

#include <coap3/coap.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lwm2mgw::dtls {

struct PkiMaterial {
    PkiMaterial() = default;
    PkiMaterial(const PkiMaterial&) = delete;
    PkiMaterial& operator=(const PkiMaterial&) = delete;
    ~PkiMaterial();

    bool rawPublicKey = false;
    std::string certificate;  // RPK: SubjectPublicKeyInfo DER; X.509: PEM, leaf then chain
    std::string privateKey;   // RPK: PKCS#8 DER; X.509: PKCS#8 PEM
    std::string caBundle;     // X.509: PEM trust anchors libcoap verifies against
    std::string sni;          // X.509 client: server name to send, empty for none
};

// The PkiMaterial each context may still point into. When a setup call fails, libcoap may or may
// not have taken the new setup, so both are kept until a later call is known to have succeeded.
class ContextMaterials {
public:
    void adopt(coap_context_t* context, std::unique_ptr<PkiMaterial> material, bool inUse) {
        auto& kept = kept_[context];
        if (inUse) {
            kept.clear();
        }
        kept.push_back(std::move(material));
    }

private:
    std::map<coap_context_t*, std::vector<std::unique_ptr<PkiMaterial>>> kept_;
};

// Own raw public key (SPKI DER or raw P-256 point) and its private key (DER).
bool loadRawPublicKey(PkiMaterial& material, std::string_view publicKey,
                      std::string_view privateKeyDer, std::string& error);

// Own certificate (DER) with optional intermediates, its private key, and the CAs (DER) the
// peer's chain must lead to.
bool loadCertificate(PkiMaterial& material, std::string_view certificateDer,
                     const std::vector<std::string>& chainDer, std::string_view privateKeyDer,
                     const std::vector<std::string>& trustAnchorsDer, std::string& error);

// libcoap's setup: the peer must present a key or certificate, libcoap's own chain checks are
// strict, and `validate` sees every peer (libcoap passes `arg` through).
coap_dtls_pki_t pkiSetup(const PkiMaterial& material, coap_dtls_cn_callback_t validate, void* arg);

}  // namespace lwm2mgw::dtls
