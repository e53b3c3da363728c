// CredentialStore: credentials of proxied sensors (PSK, RPK, X.509 trust anchors).
#include <string>

#include "connection.h"
#include "der.h"
#include "lwm2m-gateway/credstore/credential_store.h"
#include "validation.h"

namespace lwm2mgw::credstore {

using detail::Statement;

namespace {

Error invalid(std::string message) {
    return {ErrorCode::InvalidArgument, std::move(message)};
}

// A single-statement write; its own implicit transaction is atomic.
Result<int> runWrite(detail::Connection& connection, Statement& statement,
                     std::string_view context) {
    if (connection.readOnly()) {
        return connection.readOnlyError(context);
    }
    if (auto r = statement.run(); !r) {
        return r.error();
    }
    return statement.changes();
}

// The unique-key message SQLite gives names the column, which is enough; say it plainly.
Error withPlainDuplicate(Error error, std::string_view what) {
    if (error.code == ErrorCode::AlreadyExists) {
        error.message = std::string(what) + " is already stored";
    }
    return error;
}

}  // namespace

Result<void> CredentialStore::addPsk(std::string_view endpoint, std::string_view identity,
                                     const Secret& key) {
    if (auto e = detail::validateEndpointName(endpoint)) {
        return *e;
    }
    if (identity.empty() || identity.size() > 65535) {
        return invalid("PSK identity must be 1 to 65535 bytes");
    }
    if (key.empty() || key.size() > 1024) {
        return invalid("PSK key must be 1 to 1024 bytes");
    }
    auto insert = Statement::prepare(
        *connection_,
        "INSERT INTO psk_credential (identity, endpoint, psk_key) VALUES (?1, ?2, ?3)",
        "adding a PSK for endpoint '" + std::string(endpoint) + "'");
    if (!insert) {
        return insert.error();
    }
    insert->bindBlob(1, identity);
    insert->bindText(2, endpoint);
    insert->bindSecret(3, key);
    auto r = runWrite(*connection_, *insert, "adding a PSK");
    if (!r) {
        return withPlainDuplicate(r.error(), "a PSK with this identity");
    }
    return {};
}

Result<bool> CredentialStore::removePsk(std::string_view identity) {
    auto remove = Statement::prepare(*connection_, "DELETE FROM psk_credential WHERE identity = ?1",
                                     "removing a PSK");
    if (!remove) {
        return remove.error();
    }
    remove->bindBlob(1, identity);
    auto changed = runWrite(*connection_, *remove, "removing a PSK");
    if (!changed) {
        return changed.error();
    }
    return *changed > 0;
}

Result<std::optional<PskMatch>> CredentialStore::pskKeyForIdentity(
    std::string_view identity) const {
    auto query = Statement::prepare(*connection_,
                                    "SELECT endpoint, psk_key FROM psk_credential "
                                    "WHERE identity = ?1",
                                    "looking up a PSK identity");
    if (!query) {
        return query.error();
    }
    query->bindBlob(1, identity);
    auto row = query->next();
    if (!row) {
        return row.error();
    }
    if (!*row) {
        return std::optional<PskMatch>{};
    }
    return std::optional<PskMatch>(PskMatch{query->textColumn(0), query->secretColumn(1)});
}

Result<std::vector<PskCredentialInfo>> CredentialStore::pskCredentials() const {
    // The key column is not selected: a listing cannot leak what it never reads.
    auto query = Statement::prepare(
        *connection_, "SELECT identity, endpoint FROM psk_credential ORDER BY endpoint, identity",
        "listing PSKs");
    if (!query) {
        return query.error();
    }
    std::vector<PskCredentialInfo> list;
    for (;;) {
        auto row = query->next();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return list;
        }
        list.push_back({query->blobColumn(0), query->textColumn(1)});
    }
}

Result<void> CredentialStore::addRpk(std::string_view endpoint,
                                     std::string_view subjectPublicKeyInfoDer) {
    if (auto e = detail::validateEndpointName(endpoint)) {
        return *e;
    }
    if (!detail::isDerSequence(subjectPublicKeyInfoDer)) {
        return invalid("raw public key is not a DER SubjectPublicKeyInfo");
    }
    auto insert = Statement::prepare(
        *connection_,
        "INSERT INTO rpk_credential (subject_public_key_info, endpoint) VALUES (?1, ?2)",
        "adding a raw public key for endpoint '" + std::string(endpoint) + "'");
    if (!insert) {
        return insert.error();
    }
    insert->bindBlob(1, subjectPublicKeyInfoDer);
    insert->bindText(2, endpoint);
    auto r = runWrite(*connection_, *insert, "adding a raw public key");
    if (!r) {
        return withPlainDuplicate(r.error(), "this raw public key");
    }
    return {};
}

Result<bool> CredentialStore::removeRpk(std::string_view subjectPublicKeyInfoDer) {
    auto remove = Statement::prepare(
        *connection_, "DELETE FROM rpk_credential WHERE subject_public_key_info = ?1",
        "removing a raw public key");
    if (!remove) {
        return remove.error();
    }
    remove->bindBlob(1, subjectPublicKeyInfoDer);
    auto changed = runWrite(*connection_, *remove, "removing a raw public key");
    if (!changed) {
        return changed.error();
    }
    return *changed > 0;
}

Result<std::optional<std::string>> CredentialStore::endpointForRpk(
    std::string_view subjectPublicKeyInfoDer) const {
    auto query = Statement::prepare(
        *connection_, "SELECT endpoint FROM rpk_credential WHERE subject_public_key_info = ?1",
        "looking up a raw public key");
    if (!query) {
        return query.error();
    }
    query->bindBlob(1, subjectPublicKeyInfoDer);
    auto row = query->next();
    if (!row) {
        return row.error();
    }
    if (!*row) {
        return std::optional<std::string>{};
    }
    return std::optional<std::string>(query->textColumn(0));
}

Result<std::vector<RpkCredential>> CredentialStore::rpkCredentials() const {
    auto query = Statement::prepare(*connection_,
                                    "SELECT subject_public_key_info, endpoint FROM rpk_credential "
                                    "ORDER BY endpoint, subject_public_key_info",
                                    "listing raw public keys");
    if (!query) {
        return query.error();
    }
    std::vector<RpkCredential> list;
    for (;;) {
        auto row = query->next();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return list;
        }
        list.push_back({query->blobColumn(0), query->textColumn(1)});
    }
}

Result<void> CredentialStore::addTrustAnchor(const TrustAnchor& anchor) {
    if (anchor.label.empty() || anchor.label.size() > 255) {
        return invalid("trust anchor label must be 1 to 255 bytes");
    }
    if (anchor.endpoint) {
        if (auto e = detail::validateEndpointName(*anchor.endpoint)) {
            return *e;
        }
    }
    if (!detail::isDerSequence(anchor.certificateDer)) {
        return invalid("trust anchor '" + anchor.label + "' is not a DER certificate");
    }
    auto insert = Statement::prepare(
        *connection_,
        "INSERT INTO trust_anchor (label, certificate_der, endpoint) VALUES (?1, ?2, ?3)",
        "adding trust anchor '" + anchor.label + "'");
    if (!insert) {
        return insert.error();
    }
    insert->bindText(1, anchor.label);
    insert->bindBlob(2, anchor.certificateDer);
    insert->bindOptionalText(3, anchor.endpoint);
    auto r = runWrite(*connection_, *insert, "adding a trust anchor");
    if (!r) {
        return withPlainDuplicate(r.error(), "a trust anchor with this label or this certificate");
    }
    return {};
}

Result<bool> CredentialStore::removeTrustAnchor(std::string_view label) {
    auto remove = Statement::prepare(*connection_, "DELETE FROM trust_anchor WHERE label = ?1",
                                     "removing a trust anchor");
    if (!remove) {
        return remove.error();
    }
    remove->bindText(1, label);
    auto changed = runWrite(*connection_, *remove, "removing a trust anchor");
    if (!changed) {
        return changed.error();
    }
    return *changed > 0;
}

Result<std::vector<TrustAnchor>> CredentialStore::trustAnchors() const {
    auto query = Statement::prepare(
        *connection_, "SELECT label, certificate_der, endpoint FROM trust_anchor ORDER BY label",
        "listing trust anchors");
    if (!query) {
        return query.error();
    }
    std::vector<TrustAnchor> list;
    for (;;) {
        auto row = query->next();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return list;
        }
        list.push_back({query->textColumn(0), query->blobColumn(1), query->optionalTextColumn(2)});
    }
}

}  // namespace lwm2mgw::credstore
