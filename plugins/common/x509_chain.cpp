#include "x509_chain.h"

#include "der_keys.h"
#include "dtls_policy.h"
#include "tls_session.h"

#include <arpa/inet.h>

#include <algorithm>

namespace lwm2mgw::dtls {

namespace {

std::string dateText(std::time_t when) {
    char text[32] = {};
    std::tm utc{};
    gmtime_r(&when, &utc);
    std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S UTC", &utc);
    return text;
}

std::string namesText(gnutls_x509_crt_t leaf) {
    std::string names;
    for (unsigned int index = 0;; ++index) {
        char buffer[256];
        size_t size = sizeof(buffer);
        unsigned int critical = 0;
        const int type =
            gnutls_x509_crt_get_subject_alt_name(leaf, index, buffer, &size, &critical);
        if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
            break;
        }
        if (type == GNUTLS_SAN_DNSNAME) {
            names += "DNS:" + printable(std::string_view(buffer, size)) + " ";
        } else if (type == GNUTLS_SAN_IPADDRESS && (size == 4 || size == 16)) {
            char text[INET6_ADDRSTRLEN] = {};
            inet_ntop(size == 4 ? AF_INET : AF_INET6, buffer, text, sizeof(text));
            names += std::string("IP:") + text + " ";
        }
    }
    std::string error;
    if (const auto cn = subjectCommonName(leaf, error)) {
        names += "CN=" + printable(*cn);
    } else {
        names += "no CN";
    }
    return names;
}

}  // namespace

std::string subjectText(gnutls_x509_crt_t certificate) {
    gnutls_datum_t out{};
    if (gnutls_x509_crt_get_dn3(certificate, &out, 0) < 0) {
        return "(unreadable subject)";
    }
    std::string text = printable(bytesOf(out), 160);
    gnutls_free(out.data);
    return text;
}

std::optional<std::string> hostViolation(gnutls_x509_crt_t leaf, const std::string& host) {
    unsigned char address[16];
    bool matches = false;
    if (inet_pton(AF_INET, host.c_str(), address) == 1) {
        matches = gnutls_x509_crt_check_ip(leaf, address, 4, 0) != 0;
    } else if (inet_pton(AF_INET6, host.c_str(), address) == 1) {
        matches = gnutls_x509_crt_check_ip(leaf, address, 16, 0) != 0;
    } else {
        matches = gnutls_x509_crt_check_hostname2(leaf, host.c_str(), 0) != 0;
    }
    if (matches) {
        return std::nullopt;
    }
    return "the server certificate's names (" + namesText(leaf) + ") do not match the host '" +
           printable(host) + "' of the server URI";
}

ChainResult checkPeerChain(const gnutls_datum_t* chain, unsigned int count,
                           const ChainRequirements& requirements) {
    ChainResult result;
    auto fail = [&](std::string reason) {
        result.violation = std::move(reason);
        return result;
    };
    if (!chain || count == 0) {
        return fail("the peer sent no certificate");
    }
    const std::time_t now = requirements.now ? requirements.now : std::time(nullptr);
    std::vector<Crt> certificates;
    for (unsigned int i = 0; i < count; ++i) {
        Crt crt = importCertificate(bytesOf(chain[i]));
        if (!crt) {
            return fail("certificate #" + std::to_string(i) + " of the peer is not valid DER");
        }
        const std::string subject = "certificate '" + subjectText(crt.get()) + "'";
        if (auto bad = certificateSignatureViolation(crt.get())) {
            return fail(subject + ": " + *bad);
        }
        const std::time_t notBefore = gnutls_x509_crt_get_activation_time(crt.get());
        const std::time_t notAfter = gnutls_x509_crt_get_expiration_time(crt.get());
        if (notBefore == static_cast<std::time_t>(-1) || notAfter == static_cast<std::time_t>(-1)) {
            return fail(subject + " has an unreadable validity period");
        }
        if (now < notBefore) {
            return fail(subject + " is not valid before " + dateText(notBefore));
        }
        if (now > notAfter) {
            return fail(subject + " expired on " + dateText(notAfter));
        }
        result.validFrom = i == 0 ? notBefore : std::max(result.validFrom, notBefore);
        result.validUntil = i == 0 ? notAfter : std::min(result.validUntil, notAfter);
        Pubkey key = publicKeyOf(crt.get());
        if (!key) {
            return fail(subject + " has an unreadable public key");
        }
        if (auto bad = i == 0 ? handshakeKeyViolation(key.get()) : issuerKeyViolation(key.get())) {
            return fail(subject + ": " + *bad);
        }
        certificates.push_back(std::move(crt));
    }

    gnutls_x509_trust_list_t rawList = nullptr;
    if (gnutls_x509_trust_list_init(&rawList, 0) < 0) {
        return fail("out of memory");
    }
    TrustList list(rawList);
    unsigned int anchors = 0;
    for (const std::string& der : requirements.trustAnchorsDer) {
        Crt anchor = importCertificate(der);
        if (!anchor) {
            continue;  // a broken anchor trusts nothing; the others still count
        }
        const std::time_t anchorStart = gnutls_x509_crt_get_activation_time(anchor.get());
        const std::time_t anchorExpiry = gnutls_x509_crt_get_expiration_time(anchor.get());
        if (anchorStart != static_cast<std::time_t>(-1)) {
            result.validFrom = std::max(result.validFrom, anchorStart);
        }
        if (anchorExpiry != static_cast<std::time_t>(-1)) {
            result.validUntil = std::min(result.validUntil, anchorExpiry);
        }
        gnutls_x509_crt_t owned = anchor.release();
        if (gnutls_x509_trust_list_add_cas(list.get(), &owned, 1, 0) == 1) {
            ++anchors;
        } else {
            gnutls_x509_crt_deinit(owned);
        }
    }
    if (anchors == 0) {
        return fail("no usable trust anchor is configured to verify the peer's certificate");
    }
    std::vector<gnutls_x509_crt_t> raw;
    for (const Crt& crt : certificates) {
        raw.push_back(crt.get());
    }
    unsigned int status = 0;
    if (gnutls_x509_trust_list_verify_crt2(list.get(), raw.data(),
                                           static_cast<unsigned int>(raw.size()), nullptr, 0, 0,
                                           &status, nullptr) < 0) {
        return fail("the peer's certificate chain cannot be verified");
    }
    if (status != 0) {
        gnutls_datum_t text{};
        std::string why = "the certificate chain is not trusted";
        if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) >= 0) {
            why = std::string(bytesOf(text));
            gnutls_free(text.data);
        }
        return fail("certificate '" + subjectText(raw[0]) + "' rejected: " + why);
    }
    if (requirements.expectedHost) {
        if (auto bad = hostViolation(raw[0], *requirements.expectedHost)) {
            return fail(*bad);
        }
    } else {
        std::string error;
        const auto cn = subjectCommonName(raw[0], error);
        if (!cn) {
            return fail(error);
        }
        result.leafCommonName = *cn;
    }
    return result;
}

}  // namespace lwm2mgw::dtls
