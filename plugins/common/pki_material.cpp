#include "pki_material.h"

#include "der_keys.h"
#include "dtls_policy.h"

namespace lwm2mgw::dtls {

PkiMaterial::~PkiMaterial() {
    wipe(privateKey);
}

bool loadRawPublicKey(PkiMaterial& material, std::string_view publicKey,
                      std::string_view privateKeyDer, std::string& error) {
    std::optional<std::string> spki = subjectPublicKeyInfo(publicKey, error);
    if (!spki) {
        return false;
    }
    Pubkey key = importPublicKey(*spki);
    if (auto bad =
            key ? handshakeKeyViolation(key.get()) : std::optional<std::string>("unreadable key")) {
        error = "own raw public key: " + *bad;
        return false;
    }
    std::optional<std::string> pkcs8 = privateKeyPkcs8(privateKeyDer, key.get(), error, false);
    if (!pkcs8) {
        return false;
    }
    material.rawPublicKey = true;
    material.certificate = std::move(*spki);
    material.privateKey = std::move(*pkcs8);
    return true;
}

bool loadCertificate(PkiMaterial& material, std::string_view certificateDer,
                     const std::vector<std::string>& chainDer, std::string_view privateKeyDer,
                     const std::vector<std::string>& trustAnchorsDer, std::string& error) {
    Crt own = importCertificate(certificateDer);
    if (!own) {
        error = certificateDer.empty() ? "own certificate is empty"
                                       : "own certificate is not a valid DER X.509 certificate";
        return false;
    }
    Pubkey key = publicKeyOf(own.get());
    if (auto bad =
            key ? handshakeKeyViolation(key.get()) : std::optional<std::string>("unreadable key")) {
        error = "own certificate: " + *bad;
        return false;
    }
    std::optional<std::string> pkcs8 = privateKeyPkcs8(privateKeyDer, key.get(), error, true);
    if (!pkcs8) {
        return false;
    }
    std::string pem = certificatePem(certificateDer);
    for (const std::string& der : chainDer) {
        const std::string link = certificatePem(der);
        if (link.empty()) {
            error = "an intermediate certificate of the own chain is not valid DER";
            return false;
        }
        pem += link;
    }
    std::string bundle;
    for (const std::string& der : trustAnchorsDer) {
        bundle += certificatePem(der);  // broken anchors are skipped, not fatal
    }
    if (bundle.empty()) {
        error = "no usable trust anchor (DER certificate) to verify peers against";
        return false;
    }
    material.rawPublicKey = false;
    material.certificate = std::move(pem);
    material.privateKey = std::move(*pkcs8);
    material.caBundle = std::move(bundle);
    return true;
}

coap_dtls_pki_t pkiSetup(const PkiMaterial& material, coap_dtls_cn_callback_t validate, void* arg) {
    coap_dtls_pki_t setup{};
    setup.version = COAP_DTLS_PKI_SETUP_VERSION;
    setup.verify_peer_cert = 1;  // server: GNUTLS_CERT_REQUIRE; both: run the checks below
    setup.check_common_ca = 0;
    setup.allow_self_signed = 0;
    setup.allow_expired_certs = 0;
    setup.cert_chain_validation = 1;
    setup.cert_chain_verify_depth = 4;
    setup.check_cert_revocation = 0;  // no CRLs are provisioned; GnuTLS would fail every chain
    setup.allow_no_crl = 1;
    setup.allow_expired_crl = 0;
    setup.allow_bad_md_hash = 0;
    setup.allow_short_rsa_length = 0;
    setup.is_rpk_not_cert = material.rawPublicKey ? 1 : 0;
    setup.validate_cn_call_back = validate;
    setup.cn_call_back_arg = arg;
    setup.client_sni = material.sni.empty() ? nullptr : const_cast<char*>(material.sni.c_str());
    const auto bytes = [](const std::string& text) {
        return reinterpret_cast<const uint8_t*>(text.c_str());
    };
    if (material.rawPublicKey) {
        // ASN.1 with a key type other than EC: libcoap then uses our SPKI as is instead of
        // rebuilding one from the private key (which only works for SEC1 keys).
        setup.pki_key.key_type = COAP_PKI_KEY_ASN1;
        setup.pki_key.key.asn1.public_cert = bytes(material.certificate);
        setup.pki_key.key.asn1.public_cert_len = material.certificate.size();
        setup.pki_key.key.asn1.private_key = bytes(material.privateKey);
        setup.pki_key.key.asn1.private_key_len = material.privateKey.size();
        setup.pki_key.key.asn1.private_key_type = COAP_ASN1_PKEY_NONE;
    } else {
        // PEM buffers: the only libcoap form that takes a chain and several trust anchors. The
        // lengths include the terminating NUL so libcoap uses the buffers without copying.
        setup.pki_key.key_type = COAP_PKI_KEY_PEM_BUF;
        setup.pki_key.key.pem_buf.public_cert = bytes(material.certificate);
        setup.pki_key.key.pem_buf.public_cert_len = material.certificate.size() + 1;
        setup.pki_key.key.pem_buf.private_key = bytes(material.privateKey);
        setup.pki_key.key.pem_buf.private_key_len = material.privateKey.size() + 1;
        setup.pki_key.key.pem_buf.ca_cert = bytes(material.caBundle);
        setup.pki_key.key.pem_buf.ca_cert_len = material.caBundle.size() + 1;
    }
    return setup;
}

}  // namespace lwm2mgw::dtls
