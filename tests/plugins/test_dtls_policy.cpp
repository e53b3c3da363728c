// The LwM2M DTLS policy on hand-built negotiation results: what admitPeer refuses and why.
#include "coaps_host.h"
#include "dtls_policy.h"

#include <QtTest>

using namespace lwm2mgw::dtls;

namespace {
Negotiated psk(gnutls_cipher_algorithm_t cipher, gnutls_mac_algorithm_t mac) {
    Negotiated n;
    n.protocol = GNUTLS_DTLS1_2;
    n.kx = GNUTLS_KX_PSK;
    n.cipher = cipher;
    n.mac = mac;
    return n;
}
Negotiated ecdsa(gnutls_group_t group) {
    Negotiated n = psk(GNUTLS_CIPHER_AES_128_CCM_8, GNUTLS_MAC_AEAD);
    n.kx = GNUTLS_KX_ECDHE_ECDSA;
    n.group = group;
    n.peerSignature = GNUTLS_SIGN_ECDSA_SHA256;
    return n;
}
}  // namespace

class DtlsPolicyTest : public QObject {
    Q_OBJECT
private slots:
    void mandatorySuitesPass() {
        QVERIFY(!negotiationViolation(psk(GNUTLS_CIPHER_AES_128_CCM_8, GNUTLS_MAC_AEAD),
                                      KeyFamily::PreSharedKey));
        QVERIFY(!negotiationViolation(psk(GNUTLS_CIPHER_AES_128_CBC, GNUTLS_MAC_SHA256),
                                      KeyFamily::PreSharedKey));
        QVERIFY(!negotiationViolation(ecdsa(GNUTLS_GROUP_SECP256R1), KeyFamily::EcdsaKey));
        QVERIFY(!negotiationViolation(ecdsa(GNUTLS_GROUP_X25519), KeyFamily::EcdsaKey));
    }
    void sha1MacRefused() {
        const auto why = negotiationViolation(psk(GNUTLS_CIPHER_AES_128_CBC, GNUTLS_MAC_SHA1),
                                              KeyFamily::PreSharedKey);
        QVERIFY(why);
        QVERIFY(why->find("SHA1 MAC") != std::string::npos);
    }
    void oldProtocolRefused() {
        Negotiated n = psk(GNUTLS_CIPHER_AES_128_CCM_8, GNUTLS_MAC_AEAD);
        n.protocol = GNUTLS_DTLS1_0;
        QVERIFY(negotiationViolation(n, KeyFamily::PreSharedKey));
    }
    void smallGroupRefused() {
        QVERIFY(negotiationViolation(ecdsa(GNUTLS_GROUP_SECP192R1), KeyFamily::EcdsaKey));
        QVERIFY(negotiationViolation(ecdsa(GNUTLS_GROUP_SECP224R1), KeyFamily::EcdsaKey));
        QVERIFY(negotiationViolation(ecdsa(GNUTLS_GROUP_INVALID), KeyFamily::EcdsaKey));
        QVERIFY(!negotiationViolation(ecdsa(GNUTLS_GROUP_INVALID), KeyFamily::EcdsaKey, true));
    }
    void sha1SignatureRefused() {
        Negotiated n = ecdsa(GNUTLS_GROUP_SECP256R1);
        n.peerSignature = GNUTLS_SIGN_ECDSA_SHA1;
        QVERIFY(negotiationViolation(n, KeyFamily::EcdsaKey));
    }
    void wrongFamilyRefused() {
        QVERIFY(negotiationViolation(ecdsa(GNUTLS_GROUP_SECP256R1), KeyFamily::PreSharedKey));
        Negotiated n = ecdsa(GNUTLS_GROUP_SECP256R1);
        n.kx = GNUTLS_KX_ECDHE_RSA;
        QVERIFY(negotiationViolation(n, KeyFamily::EcdsaKey));
        QVERIFY(negotiationViolation(psk(GNUTLS_CIPHER_NULL, GNUTLS_MAC_SHA256),
                                     KeyFamily::PreSharedKey));
    }
    void serverUriHost() {
        QCOMPARE(hostOfServerUri("coaps://lwm2m.example.net:5684/x").value(),
                 std::string("lwm2m.example.net"));
        QCOMPARE(hostOfServerUri("coaps://[::1]:5684").value(), std::string("::1"));
        QCOMPARE(hostOfServerUri("coaps://127.0.0.1").value(), std::string("127.0.0.1"));
        QVERIFY(!hostOfServerUri("nonsense"));
        QVERIFY(!hostOfServerUri("coaps://:5684"));
    }
};

QTEST_GUILESS_MAIN(DtlsPolicyTest)
#include "test_dtls_policy.moc"
