// org.lwm2mgateway.Gateway1.Credentials, downstream part: the PSKs, raw public keys and trust
// anchors sensors authenticate with, plus the store plumbing shared with the account methods
// (gateway_service_accounts.cpp). Plugins look most credentials up in the store at each
// handshake; the gateway is told of every change for those they copy into a listener's set-up
// (X.509 trust anchors), so the next handshake sees it without a restart.
#include "credential_material.h"
#include "dbus_names.h"
#include "dict_reader.h"
#include "gateway.h"
#include "gateway_service.h"

#include <lwm2m-gateway/credstore/credential_store.h>

#include <QDBusMessage>
#include <QLoggingCategory>

#include <algorithm>

Q_DECLARE_LOGGING_CATEGORY(lcDbus)

namespace lwm2mgw::dbus {

namespace {

QByteArray bytesOf(const std::string& text) {
    return QByteArray(text.data(), static_cast<qsizetype>(text.size()));
}

std::string stdString(const QByteArray& bytes) {
    return std::string(bytes.constData(), static_cast<size_t>(bytes.size()));
}

}  // namespace

credstore::CredentialStore* GatewayService::storeOrFail() {
    credstore::CredentialStore* store = gateway_.credentialStore();
    if (!store) {
        fail(error::kFailed,
             QStringLiteral("the gateway runs without a credential store; set gateway/store in "
                            "the configuration and restart the service"));
    }
    return store;
}

void GatewayService::failStore(const credstore::Error& error, const QString& what) {
    using credstore::ErrorCode;
    const QString text = what + QStringLiteral(": ") + QString::fromStdString(error.message);
    switch (error.code) {
        case ErrorCode::ReadOnly:
            fail(error::kReadOnly,
                 text + QStringLiteral(" (the store %1 cannot be written: check the file's "
                                       "owner and mode and that its filesystem is mounted "
                                       "read-write)")
                            .arg(gateway_.config().storePath));
            return;
        case ErrorCode::DiskFull:
            fail(error::kDiskFull, text + QStringLiteral(" (free space on the filesystem of %1)")
                                              .arg(gateway_.config().storePath));
            return;
        case ErrorCode::NotFound:
            fail(error::kNotFound, text);
            return;
        case ErrorCode::InvalidArgument:
        case ErrorCode::AlreadyExists:
        case ErrorCode::Inconsistent:
        case ErrorCode::ModeUnavailable:
        case ErrorCode::BootstrapAccountProtected:
        case ErrorCode::ParseError:
            fail(error::kInvalidArgument, text);
            return;
        case ErrorCode::Conflict:
        case ErrorCode::Busy:
            fail(error::kFailed, text + QStringLiteral(" (the store was busy; try again)"));
            return;
        default:
            fail(error::kFailed, text);
            return;
    }
}

bool GatewayService::modeAvailable(int securityMode) const {
    // 4 (Certificate mode with EST) is defined by LwM2M 1.1 but no plugin implements it.
    return securityMode >= 0 && securityMode <= 3 &&
           gateway_.plugins().pluginFor(static_cast<SecurityMode>(securityMode)) != nullptr;
}

QList<QVariantMap> GatewayService::ListCredentials() {
    if (!mayChange(QStringLiteral("list credentials"))) {
        return {};
    }
    const credstore::CredentialStore* store = storeOrFail();
    if (!store) {
        return {};
    }
    auto psks = store->pskCredentials();
    auto rpks = store->rpkCredentials();
    auto anchors = store->trustAnchors();
    for (const credstore::Error* error :
         {psks ? nullptr : &psks.error(), rpks ? nullptr : &rpks.error(),
          anchors ? nullptr : &anchors.error()}) {
        if (error) {
            failStore(*error, QStringLiteral("cannot list the downstream credentials"));
            return {};
        }
    }
    QList<QVariantMap> list;
    for (const credstore::PskCredentialInfo& psk : psks.value()) {
        const QString identity = QString::fromUtf8(bytesOf(psk.identity));
        list.append({{QStringLiteral("mode"), QStringLiteral("psk")},
                     {QStringLiteral("endpoint"), QString::fromStdString(psk.endpoint)},
                     {QStringLiteral("id"), identity},
                     {QStringLiteral("identity"), identity}});
    }
    for (const credstore::RpkCredential& rpk : rpks.value()) {
        const QString print = fingerprint(bytesOf(rpk.subjectPublicKeyInfoDer));
        list.append({{QStringLiteral("mode"), QStringLiteral("rpk")},
                     {QStringLiteral("endpoint"), QString::fromStdString(rpk.endpoint)},
                     {QStringLiteral("id"), print},
                     {QStringLiteral("fingerprint"), print}});
    }
    for (const credstore::TrustAnchor& anchor : anchors.value()) {
        const QByteArray der = bytesOf(anchor.certificateDer);
        const std::optional<CertificateInfo> info = certificateInfo(der);
        const QString label = QString::fromStdString(anchor.label);
        list.append(
            {{QStringLiteral("mode"), QStringLiteral("x509")},
             {QStringLiteral("endpoint"),
              QString::fromStdString(anchor.endpoint.value_or(std::string()))},
             {QStringLiteral("id"), label},
             {QStringLiteral("label"), label},
             {QStringLiteral("fingerprint"), fingerprint(der)},
             {QStringLiteral("subject"), info ? info->subject : QString()},
             {QStringLiteral("not_after"), QVariant::fromValue(info ? info->notAfterMs : 0)}});
    }
    std::stable_sort(list.begin(), list.end(), [](const QVariantMap& a, const QVariantMap& b) {
        const QString modeA = a.value(QStringLiteral("mode")).toString();
        const QString modeB = b.value(QStringLiteral("mode")).toString();
        return modeA != modeB ? modeA < modeB
                              : a.value(QStringLiteral("id")).toString() <
                                    b.value(QStringLiteral("id")).toString();
    });
    return list;
}

void GatewayService::AddCredential(const QVariantMap& credential) {
    // Never logged as a whole: it may hold a key.
    if (!mayChange(QStringLiteral("add credentials"))) {
        return;
    }
    DictReader reader(credential, QStringLiteral("credential"));
    const std::optional<QString> mode = reader.string(QStringLiteral("mode"), true);
    if (!mode) {
        fail(error::kInvalidArgument, reader.error());
        return;
    }
    credstore::CredentialStore* store = gateway_.credentialStore();
    QString what;
    std::string anchorLabel;  // x509: what to take back if the listeners refuse it
    credstore::Result<void> added;
    if (*mode == QLatin1String("psk")) {
        const auto endpoint = reader.string(QStringLiteral("endpoint"), true);
        const auto identity = reader.bytes(QStringLiteral("identity"), true);
        const auto key = reader.bytes(QStringLiteral("key"), true);
        if (!reader.noOtherKeys()) {
            fail(error::kInvalidArgument, reader.error());
            return;
        }
        if (!validEndpointName(*endpoint) || !(store = storeOrFail())) {
            return;
        }
        what =
            QStringLiteral("PSK identity '%1' of %2").arg(QString::fromUtf8(*identity), *endpoint);
        added = store->addPsk(endpoint->toStdString(), stdString(*identity),
                              credstore::Secret(std::string_view(
                                  key->constData(), static_cast<size_t>(key->size()))));
    } else if (*mode == QLatin1String("rpk")) {
        const auto endpoint = reader.string(QStringLiteral("endpoint"), true);
        const auto publicKey = reader.bytes(QStringLiteral("public_key"), true);
        if (!reader.noOtherKeys()) {
            fail(error::kInvalidArgument, reader.error());
            return;
        }
        if (!validEndpointName(*endpoint)) {
            return;
        }
        QString problem;
        const std::optional<QByteArray> der = subjectPublicKeyInfo(*publicKey, problem);
        if (!der) {
            fail(error::kInvalidArgument, QStringLiteral("credential: ") + problem);
            return;
        }
        if (!(store = storeOrFail())) {
            return;
        }
        what = QStringLiteral("raw public key %1 of %2").arg(fingerprint(*der), *endpoint);
        added = store->addRpk(endpoint->toStdString(), stdString(*der));
    } else if (*mode == QLatin1String("x509")) {
        const auto label = reader.string(QStringLiteral("label"), true);
        const auto certificateBytes = reader.bytes(QStringLiteral("certificate"), true);
        const auto endpoint = reader.string(QStringLiteral("endpoint"), false);
        if (!reader.noOtherKeys()) {
            fail(error::kInvalidArgument, reader.error());
            return;
        }
        if (endpoint && !endpoint->isEmpty() && !validEndpointName(*endpoint)) {
            return;
        }
        QString problem;
        const std::optional<QByteArray> der = certificate(*certificateBytes, problem);
        if (!der) {
            fail(error::kInvalidArgument, QStringLiteral("credential: ") + problem);
            return;
        }
        if (!(store = storeOrFail())) {
            return;
        }
        anchorLabel = label->toStdString();
        credstore::TrustAnchor anchor{anchorLabel, stdString(*der), std::nullopt};
        if (endpoint && !endpoint->isEmpty()) {
            anchor.endpoint = endpoint->toStdString();
        }
        what = QStringLiteral("trust anchor '%1'").arg(*label);
        added = store->addTrustAnchor(anchor);
    } else {
        fail(error::kInvalidArgument,
             QStringLiteral("credential: mode must be psk, rpk or x509, not '%1'").arg(*mode));
        return;
    }
    if (!added) {
        failStore(added.error(), QStringLiteral("cannot add the %1").arg(what));
        return;
    }
    qCInfo(lcDbus).noquote() << "added" << what << "at the request of" << message().service();
    const QStringList problems = gateway_.downstreamCredentialsChanged(
        securityModeFromName(*mode), Gateway::CredentialChange::Added);
    if (!problems.isEmpty()) {
        // A refused call changes nothing: the anchor the listeners could not take goes again.
        if (!anchorLabel.empty()) {
            if (auto undone = store->removeTrustAnchor(anchorLabel); !undone) {
                failStore(undone.error(), QStringLiteral("the %1 is stored, but the listeners "
                                                         "could not take it (%2) and it could "
                                                         "not be removed again")
                                              .arg(what, problems.join(QStringLiteral("; "))));
                return;
            }
        }
        fail(error::kFailed, QStringLiteral("the %1 was not added: %2")
                                 .arg(what, problems.join(QStringLiteral("; "))));
    }
}

void GatewayService::RemoveCredential(const QString& mode, const QString& id) {
    if (!mayChange(QStringLiteral("remove credentials"))) {
        return;
    }
    if (id.isEmpty() || id.size() > 4096) {
        fail(error::kInvalidArgument,
             QStringLiteral("the credential id must be 1 to 4096 characters; "
                            "'lwm2m-gatewayctl credentials list' shows the ids"));
        return;
    }
    credstore::CredentialStore* store = nullptr;
    const bool known = mode == QLatin1String("psk") || mode == QLatin1String("rpk") ||
                       mode == QLatin1String("x509");
    if (!known) {
        fail(error::kInvalidArgument,
             QStringLiteral("mode must be psk, rpk or x509, not '%1'").arg(mode));
        return;
    }
    if (!(store = storeOrFail())) {
        return;
    }
    credstore::Result<bool> removed = false;
    QString what;
    if (mode == QLatin1String("psk")) {
        what = QStringLiteral("PSK identity '%1'").arg(id);
        removed = store->removePsk(id.toUtf8().toStdString());
    } else if (mode == QLatin1String("rpk")) {
        what = QStringLiteral("raw public key %1").arg(id);
        auto listed = store->rpkCredentials();
        if (!listed) {
            failStore(listed.error(), QStringLiteral("cannot remove the %1").arg(what));
            return;
        }
        const auto match =
            std::find_if(listed->begin(), listed->end(), [&](const credstore::RpkCredential& rpk) {
                return fingerprint(bytesOf(rpk.subjectPublicKeyInfoDer)) == id.toLower();
            });
        if (match != listed->end()) {
            removed = store->removeRpk(match->subjectPublicKeyInfoDer);
        }
    } else {
        what = QStringLiteral("trust anchor '%1'").arg(id);
        removed = store->removeTrustAnchor(id.toStdString());
    }
    if (!removed) {
        failStore(removed.error(), QStringLiteral("cannot remove the %1").arg(what));
        return;
    }
    if (!removed.value()) {
        fail(error::kNotFound,
             QStringLiteral("there is no %1 in the store; 'lwm2m-gatewayctl credentials list' "
                            "shows what there is")
                 .arg(what));
        return;
    }
    qCInfo(lcDbus).noquote() << "removed" << what << "at the request of" << message().service();
    // Refusals at admission read the store, so a listener that kept the old set-up admits no
    // one the store no longer knows: the removal took effect either way.
    gateway_.downstreamCredentialsChanged(securityModeFromName(mode),
                                          Gateway::CredentialChange::MayWithdraw);
}

}  // namespace lwm2mgw::dbus
