#include "lwm2m-gateway/credstore/provisioning.h"

#include <string.h>  // explicit_bzero

#include <QByteArray>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QJsonValue>
#include <QSet>
#include <QString>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>

namespace lwm2mgw::credstore {

namespace {

constexpr std::string_view kFormat = "lwm2m-gateway-provisioning";
constexpr int kFormatVersion = 1;
constexpr qint64 kMaxFileSize = 16 * 1024 * 1024;
constexpr std::int64_t kMaxUint32 = std::numeric_limits<std::uint32_t>::max();

// Thrown inside this file only, caught in parseProvisioning(): keeps every field read to one
// line. The message names the JSON location and the expectation, never the value found.
struct ParseFailure {
    std::string message;
};

void wipe(QByteArray& bytes) {
    if (!bytes.isEmpty() && !bytes.isDetached()) {
        bytes.clear();  // shared with another QByteArray: the other owner's copy stays
        return;
    }
    explicit_bzero(bytes.data(), static_cast<std::size_t>(bytes.size()));
    bytes.clear();
}

// One JSON object at a known location; remembers which keys were read so unknown keys (typos
// like "secretkey") are refused instead of silently ignored.
class Fields {
public:
    Fields(const QJsonValue& value, std::string location) : location_(std::move(location)) {
        if (!value.isObject()) {
            fail("", "expected an object");
        }
        object_ = value.toObject();
    }

    [[noreturn]] void fail(std::string_view key, std::string_view what) const {
        std::string where = location_;
        if (!key.empty()) {
            where += where.empty() ? "" : ".";
            where += key;
        }
        throw ParseFailure{(where.empty() ? std::string("document") : where) + ": " +
                           std::string(what)};
    }

    std::string at(std::string_view key) const {
        return location_.empty() ? std::string(key) : location_ + "." + std::string(key);
    }

    std::optional<QJsonValue> get(const char* key) {
        read_.insert(QString::fromLatin1(key));
        const auto value = object_.value(QLatin1String(key));
        if (value.isUndefined()) {
            return std::nullopt;
        }
        return value;
    }

    QJsonValue require(const char* key) {
        auto value = get(key);
        if (!value) {
            fail(key, "missing");
        }
        return *value;
    }

    template <typename T>
    std::optional<T> optionalInt(const char* key, std::int64_t min, std::int64_t max) {
        auto value = get(key);
        if (!value) {
            return std::nullopt;
        }
        return static_cast<T>(toInt(*value, key, min, max));
    }

    template <typename T>
    T requireInt(const char* key, std::int64_t min, std::int64_t max) {
        return static_cast<T>(toInt(require(key), key, min, max));
    }

    template <typename T>
    T intOr(const char* key, std::int64_t min, std::int64_t max, T fallback) {
        return optionalInt<T>(key, min, max).value_or(fallback);
    }

    std::optional<bool> optionalBool(const char* key) {
        auto value = get(key);
        if (!value) {
            return std::nullopt;
        }
        if (!value->isBool()) {
            fail(key, "expected true or false");
        }
        return value->toBool();
    }

    bool requireBool(const char* key) {
        auto value = optionalBool(key);
        if (!value) {
            fail(key, "missing");
        }
        return *value;
    }

    std::optional<std::string> optionalString(const char* key) {
        auto value = get(key);
        if (!value) {
            return std::nullopt;
        }
        if (!value->isString()) {
            fail(key, "expected a string");
        }
        return value->toString().toStdString();
    }

    std::string requireString(const char* key) {
        auto value = optionalString(key);
        if (!value) {
            fail(key, "missing");
        }
        return *value;
    }

    // Opaque resources: {"text": "..."}, {"hex": "..."} or {"base64": "..."}.
    std::optional<Secret> optionalOpaque(const char* key) {
        auto value = get(key);
        if (!value) {
            return std::nullopt;
        }
        Fields encoding(*value, at(key));
        auto text = encoding.get("text");
        auto hex = encoding.get("hex");
        auto base64 = encoding.get("base64");
        encoding.rejectUnknown();
        if (int(text.has_value()) + int(hex.has_value()) + int(base64.has_value()) != 1) {
            fail(key, "expected exactly one of \"text\", \"hex\", \"base64\"");
        }
        const QJsonValue& chosen = text ? *text : hex ? *hex : *base64;
        if (!chosen.isString()) {
            fail(key, "the encoded value must be a string");
        }
        QByteArray encoded = chosen.toString().toUtf8();
        QByteArray decoded;
        if (text) {
            decoded = encoded;
            decoded.detach();
        } else if (hex) {
            const bool wellFormed =
                encoded.size() % 2 == 0 && std::all_of(encoded.begin(), encoded.end(), [](char c) {
                    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
                           (c >= 'A' && c <= 'F');
                });
            if (!wellFormed) {
                wipe(encoded);
                fail(key, "not an even number of hex digits");
            }
            decoded = QByteArray::fromHex(encoded);
        } else {
            auto result =
                QByteArray::fromBase64Encoding(encoded, QByteArray::AbortOnBase64DecodingErrors);
            if (!result) {
                wipe(encoded);
                fail(key, "not valid base64");
            }
            decoded = std::move(*result);
        }
        wipe(encoded);
        Secret bytes(
            std::string_view(decoded.constData(), static_cast<std::size_t>(decoded.size())));
        wipe(decoded);
        return bytes;
    }

    std::string opaqueOrEmpty(const char* key) {
        auto value = optionalOpaque(key);
        return value ? std::string(value->view()) : std::string();
    }

    QJsonArray optionalArray(const char* key) {
        auto value = get(key);
        if (!value) {
            return {};
        }
        if (!value->isArray()) {
            fail(key, "expected an array");
        }
        return value->toArray();
    }

    void rejectUnknown() const {
        for (auto it = object_.begin(); it != object_.end(); ++it) {
            if (!read_.contains(it.key())) {
                fail(it.key().toStdString(), "unknown key");
            }
        }
    }

    std::int64_t toInt(const QJsonValue& value, std::string_view key, std::int64_t min,
                       std::int64_t max) const {
        const std::string range =
            "expected an integer " + std::to_string(min) + ".." + std::to_string(max);
        if (!value.isDouble()) {
            fail(key, range);
        }
        const double d = value.toDouble();
        if (!std::isfinite(d) || std::floor(d) != d || d < static_cast<double>(min) ||
            d > static_cast<double>(max)) {
            fail(key, range);
        }
        return static_cast<std::int64_t>(d);
    }

private:
    QJsonObject object_;
    std::string location_;
    QSet<QString> read_;
};

SecurityMode parseMode(Fields& fields) {
    const QJsonValue value = fields.require("securityMode");
    if (value.isString()) {
        const QString name = value.toString();
        if (name == QLatin1String("psk"))
            return SecurityMode::PreSharedKey;
        if (name == QLatin1String("rpk"))
            return SecurityMode::RawPublicKey;
        if (name == QLatin1String("certificate"))
            return SecurityMode::Certificate;
        if (name == QLatin1String("nosec"))
            return SecurityMode::NoSec;
        if (name == QLatin1String("est"))
            return SecurityMode::CertificateWithEst;
        fields.fail("securityMode", "expected 0..4 or psk, rpk, certificate, nosec, est");
    }
    return static_cast<SecurityMode>(fields.toInt(value, "securityMode", 0, 4));
}

SecurityObjectEntry parseSecurity(const QJsonValue& value, const std::string& location) {
    Fields f(value, location);
    SecurityObjectEntry entry;
    auto& s = entry.instance;
    s.instanceId = f.requireInt<std::uint16_t>("instanceId", 0, 65534);
    s.serverUri = f.requireString("serverUri");
    s.bootstrapServer = f.requireBool("bootstrapServer");
    s.securityMode = parseMode(f);
    s.publicKeyOrIdentity = f.opaqueOrEmpty("publicKeyOrIdentity");
    s.serverPublicKey = f.opaqueOrEmpty("serverPublicKey");
    if (auto key = f.optionalOpaque("secretKey")) {
        entry.secrets.secretKey = std::move(*key);
    }
    s.smsSecurityMode = f.optionalInt<std::uint8_t>("smsSecurityMode", 0, 255);
    if (auto params = f.optionalOpaque("smsBindingKeyParameters")) {
        s.smsBindingKeyParameters = std::string(params->view());
    }
    entry.secrets.smsBindingSecretKeys = f.optionalOpaque("smsBindingSecretKeys");
    s.smsServerNumber = f.optionalString("smsServerNumber");
    s.shortServerId = f.optionalInt<std::uint16_t>("shortServerId", 1, 65534);
    s.clientHoldOffTime = f.optionalInt<std::uint32_t>("clientHoldOffTime", 0, kMaxUint32);
    s.bootstrapAccountTimeout =
        f.optionalInt<std::uint32_t>("bootstrapServerAccountTimeout", 0, kMaxUint32);
    s.matchingType = f.optionalInt<std::uint8_t>("matchingType", 0, 3);
    s.sni = f.optionalString("sni");
    s.certificateUsage = f.optionalInt<std::uint8_t>("certificateUsage", 0, 3);
    const QJsonArray suites = f.optionalArray("ciphersuites");
    for (qsizetype i = 0; i < suites.size(); ++i) {
        s.ciphersuites.push_back(static_cast<std::uint16_t>(
            f.toInt(suites.at(i), "ciphersuites[" + std::to_string(i) + "]", 0, 65535)));
    }
    s.oscoreSecurityMode = f.optionalString("oscoreSecurityMode");
    f.rejectUnknown();
    s.hasSecretKey = !entry.secrets.secretKey.empty();
    s.hasSmsBindingSecretKeys = entry.secrets.smsBindingSecretKeys.has_value();
    return entry;
}

ServerObjectInstance parseServer(const QJsonValue& value, const std::string& location) {
    Fields f(value, location);
    ServerObjectInstance s;
    s.instanceId = f.requireInt<std::uint16_t>("instanceId", 0, 65534);
    s.shortServerId = f.requireInt<std::uint16_t>("shortServerId", 1, 65534);
    s.lifetime = f.requireInt<std::uint32_t>("lifetime", 0, kMaxUint32);
    s.defaultMinimumPeriod = f.optionalInt<std::uint32_t>("defaultMinimumPeriod", 0, kMaxUint32);
    s.defaultMaximumPeriod = f.optionalInt<std::uint32_t>("defaultMaximumPeriod", 0, kMaxUint32);
    s.disableTimeout = f.optionalInt<std::uint32_t>("disableTimeout", 0, kMaxUint32);
    s.notificationStoring = f.requireBool("notificationStoring");
    s.binding = f.requireString("binding");
    s.apnLink = f.optionalString("apnLink");
    s.registrationPriorityOrder =
        f.optionalInt<std::uint32_t>("registrationPriorityOrder", 0, kMaxUint32);
    s.initialRegistrationDelay =
        f.optionalInt<std::uint32_t>("initialRegistrationDelayTimer", 0, kMaxUint32);
    s.registrationFailureBlock = f.optionalBool("registrationFailureBlock");
    s.bootstrapOnRegistrationFailure = f.optionalBool("bootstrapOnRegistrationFailure");
    s.communicationRetryCount =
        f.intOr<std::uint32_t>("communicationRetryCount", 0, kMaxUint32, s.communicationRetryCount);
    s.communicationRetryTimer =
        f.intOr<std::uint32_t>("communicationRetryTimer", 0, kMaxUint32, s.communicationRetryTimer);
    s.communicationSequenceDelayTimer = f.intOr<std::uint32_t>(
        "communicationSequenceDelayTimer", 0, kMaxUint32, s.communicationSequenceDelayTimer);
    s.communicationSequenceRetryCount = f.intOr<std::uint32_t>(
        "communicationSequenceRetryCount", 0, kMaxUint32, s.communicationSequenceRetryCount);
    s.trigger = f.optionalBool("trigger");
    s.preferredTransport = f.optionalString("preferredTransport");
    s.muteSend = f.optionalBool("muteSend").value_or(false);
    f.rejectUnknown();
    return s;
}

std::vector<EndpointAccounts> parseDocument(const QJsonDocument& document) {
    Fields top(document.object(), "");
    if (top.requireString("format") != kFormat) {
        top.fail("format", "expected \"lwm2m-gateway-provisioning\"");
    }
    if (top.requireInt<int>("version", 0, 1000000) != kFormatVersion) {
        top.fail("version", "unsupported format version (this gateway reads version 1)");
    }
    const QJsonValue endpointsValue = top.require("endpoints");
    if (!endpointsValue.isArray()) {
        top.fail("endpoints", "expected an array");
    }
    top.rejectUnknown();

    std::vector<EndpointAccounts> result;
    const QJsonArray endpoints = endpointsValue.toArray();
    for (qsizetype i = 0; i < endpoints.size(); ++i) {
        const std::string location = "endpoints[" + std::to_string(i) + "]";
        Fields e(endpoints.at(i), location);
        EndpointAccounts accounts;
        accounts.endpoint = e.requireString("endpoint");
        const QJsonArray security = e.optionalArray("security");
        for (qsizetype j = 0; j < security.size(); ++j) {
            accounts.security.push_back(
                parseSecurity(security.at(j), e.at("security[" + std::to_string(j) + "]")));
        }
        const QJsonArray servers = e.optionalArray("server");
        for (qsizetype j = 0; j < servers.size(); ++j) {
            accounts.servers.push_back(
                parseServer(servers.at(j), e.at("server[" + std::to_string(j) + "]")));
        }
        e.rejectUnknown();
        // Stored in instance order, as a bootstrap session keeps them.
        std::sort(accounts.security.begin(), accounts.security.end(),
                  [](const auto& a, const auto& b) {
                      return a.instance.instanceId < b.instance.instanceId;
                  });
        std::sort(accounts.servers.begin(), accounts.servers.end(),
                  [](const auto& a, const auto& b) { return a.instanceId < b.instanceId; });
        result.push_back(std::move(accounts));
    }
    return result;
}

}  // namespace

Result<std::vector<EndpointAccounts>> parseProvisioning(std::string_view json) {
    QJsonParseError parseError{};
    const QJsonDocument document = QJsonDocument::fromJson(
        QByteArray::fromRawData(json.data(), static_cast<qsizetype>(json.size())), &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        // The offset, not the text around it: the text may be key material.
        return Error{ErrorCode::ParseError, "not valid JSON at offset " +
                                                std::to_string(parseError.offset) + ": " +
                                                parseError.errorString().toStdString()};
    }
    if (!document.isObject()) {
        return Error{ErrorCode::ParseError, "document: expected an object"};
    }
    try {
        return parseDocument(document);
    } catch (const ParseFailure& failure) {
        return Error{ErrorCode::ParseError, failure.message};
    }
}

Result<ProvisioningSummary> importProvisioning(CredentialStore& store, std::string_view json,
                                               const ModeAvailable& modeAvailable) {
    auto parsed = parseProvisioning(json);
    if (!parsed) {
        return parsed.error();
    }
    ProvisioningSummary summary;
    for (const auto& accounts : *parsed) {
        ++summary.endpoints;
        summary.securityInstances += static_cast<int>(accounts.security.size());
        summary.serverInstances += static_cast<int>(accounts.servers.size());
    }
    if (auto r = store.replaceEndpoints(*parsed, modeAvailable); !r) {
        return r.error();
    }
    return summary;
}

Result<ProvisioningSummary> importProvisioningFile(CredentialStore& store, const std::string& path,
                                                   const ModeAvailable& modeAvailable) {
    QFile file(QString::fromStdString(path));
    if (!file.open(QIODevice::ReadOnly)) {
        return Error{ErrorCode::Io, path + ": cannot read: " + file.errorString().toStdString()};
    }
    if (file.size() > kMaxFileSize) {
        return Error{ErrorCode::ParseError, path + ": larger than 16 MiB"};
    }
    QByteArray content = file.readAll();
    auto result = importProvisioning(
        store, std::string_view(content.constData(), static_cast<std::size_t>(content.size())),
        modeAvailable);
    wipe(content);
    if (!result) {
        Error error = result.error();
        error.message = path + ": " + error.message;
        return error;
    }
    return result;
}

}  // namespace lwm2mgw::credstore
