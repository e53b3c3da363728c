#include "bootstrap_objects.h"

#include "object_link_value.h"

#include <cmath>
#include <limits>
#include <variant>

namespace lwm2mgw {

namespace {

namespace cs = credstore;

// LwM2M 1.1 Security object (0) resource ids.
namespace security {
constexpr std::uint16_t kUri = 0, kBootstrap = 1, kMode = 2, kIdentity = 3, kServerKey = 4,
                        kSecretKey = 5, kSmsMode = 6, kSmsParameters = 7, kSmsSecret = 8,
                        kSmsNumber = 9, kShortServerId = 10, kHoldOff = 11, kAccountTimeout = 12,
                        kMatchingType = 13, kSni = 14, kCertificateUsage = 15, kCiphersuite = 16,
                        kOscore = 17;
}  // namespace security

// LwM2M 1.1 Server object (1) resource ids (OMA object 1, version 1.1).
namespace server {
constexpr std::uint16_t kShortServerId = 0, kLifetime = 1, kMinPeriod = 2, kMaxPeriod = 3,
                        kDisableTimeout = 5, kNotificationStoring = 6, kBinding = 7, kApnLink = 10,
                        kPriorityOrder = 13, kInitialDelay = 14, kFailureBlock = 15,
                        kBootstrapOnFailure = 16, kRetryCount = 17, kRetryTimer = 18,
                        kSequenceDelay = 19, kSequenceRetryCount = 20, kTrigger = 21,
                        kPreferredTransport = 22, kMuteSend = 23;
}  // namespace server

std::string where(std::uint16_t resource) {
    return "resource " + std::to_string(resource);
}

std::optional<std::int64_t> asInteger(const WrittenValue& value) {
    switch (value.kind) {
        case WrittenValue::Kind::TlvBytes: {
            auto decoded = lwm2m::tlvToInteger(value.bytes);
            return decoded ? std::optional<std::int64_t>(decoded.value()) : std::nullopt;
        }
        case WrittenValue::Kind::Senml:
            if (const auto* integer = std::get_if<std::int64_t>(&value.senml)) {
                return *integer;
            }
            if (const auto* real = std::get_if<double>(&value.senml);
                real && std::trunc(*real) == *real && std::abs(*real) < 9.0e15) {
                return static_cast<std::int64_t>(*real);
            }
            return std::nullopt;
        case WrittenValue::Kind::Text: {
            if (value.text.empty() || value.text.size() > 19) {
                return std::nullopt;
            }
            std::int64_t result = 0;
            std::size_t i = value.text[0] == '-' ? 1 : 0;
            if (i == value.text.size()) {
                return std::nullopt;
            }
            for (; i < value.text.size(); ++i) {
                if (value.text[i] < '0' || value.text[i] > '9') {
                    return std::nullopt;
                }
                result = result * 10 + (value.text[i] - '0');
            }
            return value.text[0] == '-' ? -result : result;
        }
        case WrittenValue::Kind::Opaque:
            return std::nullopt;
    }
    return std::nullopt;
}

std::optional<bool> asBoolean(const WrittenValue& value) {
    switch (value.kind) {
        case WrittenValue::Kind::TlvBytes: {
            auto decoded = lwm2m::tlvToBoolean(value.bytes);
            return decoded ? std::optional<bool>(decoded.value()) : std::nullopt;
        }
        case WrittenValue::Kind::Senml:
            if (const auto* flag = std::get_if<bool>(&value.senml)) {
                return *flag;
            }
            return std::nullopt;
        case WrittenValue::Kind::Text:
            if (value.text == "0" || value.text == "1") {
                return value.text == "1";
            }
            return std::nullopt;
        case WrittenValue::Kind::Opaque:
            return std::nullopt;
    }
    return std::nullopt;
}

std::optional<std::string> asString(const WrittenValue& value) {
    switch (value.kind) {
        case WrittenValue::Kind::TlvBytes: {
            auto decoded = lwm2m::tlvToString(value.bytes);
            return decoded ? std::optional<std::string>(decoded.value()) : std::nullopt;
        }
        case WrittenValue::Kind::Senml:
            if (const auto* text = std::get_if<std::string>(&value.senml)) {
                return *text;
            }
            return std::nullopt;
        case WrittenValue::Kind::Text:
            return value.text;
        case WrittenValue::Kind::Opaque:
            return std::nullopt;
    }
    return std::nullopt;
}

std::optional<std::string> asOpaque(const WrittenValue& value) {
    switch (value.kind) {
        case WrittenValue::Kind::TlvBytes:
        case WrittenValue::Kind::Opaque:
            return std::string(value.bytes.begin(), value.bytes.end());
        case WrittenValue::Kind::Senml:
            if (const auto* bytes = std::get_if<std::vector<std::uint8_t>>(&value.senml)) {
                return std::string(bytes->begin(), bytes->end());
            }
            return std::nullopt;
        case WrittenValue::Kind::Text:
            return std::nullopt;  // Opaque has no text/plain form in LwM2M 1.1.
    }
    return std::nullopt;
}

std::optional<std::string> asObjectLink(const WrittenValue& value) {
    switch (value.kind) {
        case WrittenValue::Kind::TlvBytes: {
            auto decoded = lwm2m::tlvToObjectLink(value.bytes);
            return decoded ? std::optional<std::string>(lwm2m::toString(decoded.value()))
                           : std::nullopt;
        }
        case WrittenValue::Kind::Senml:
            if (const auto* link = std::get_if<lwm2m::ObjectLinkValue>(&value.senml)) {
                return lwm2m::toString(*link);
            }
            return std::nullopt;
        case WrittenValue::Kind::Text: {
            auto decoded = lwm2m::parseObjectLinkValue(value.text);
            return decoded ? std::optional<std::string>(lwm2m::toString(decoded.value()))
                           : std::nullopt;
        }
        case WrittenValue::Kind::Opaque:
            return std::nullopt;
    }
    return std::nullopt;
}

// Reads one resource of the instance into typed fields, collecting the first error.
class Reader {
public:
    explicit Reader(const WrittenInstance& written) : written_(written) {}

    const std::optional<std::string>& error() const { return error_; }

    const WrittenValue* single(std::uint16_t id) {
        const auto it = written_.find(id);
        if (it == written_.end() || error_) {
            return nullptr;
        }
        if (it->second.multiple || !it->second.value) {
            error_ = where(id) + " is a single-instance resource";
            return nullptr;
        }
        return &*it->second.value;
    }

    template <typename T>
    void integer(std::uint16_t id, T& field) {
        std::optional<T> value;
        integer(id, value);
        if (value) {
            field = *value;
        }
    }
    template <typename T>
    void integer(std::uint16_t id, std::optional<T>& field) {
        const WrittenValue* value = single(id);
        if (!value) {
            return;
        }
        const std::optional<std::int64_t> number = asInteger(*value);
        if (!number || *number < 0 ||
            static_cast<std::uint64_t>(*number) > std::numeric_limits<T>::max()) {
            error_ = where(id) + ": expected an integer in range";
            return;
        }
        field = static_cast<T>(*number);
    }
    void boolean(std::uint16_t id, bool& field) {
        std::optional<bool> value;
        boolean(id, value);
        if (value) {
            field = *value;
        }
    }
    void boolean(std::uint16_t id, std::optional<bool>& field) {
        if (const WrittenValue* value = single(id)) {
            field = asBoolean(*value);
            failIfUnset(id, field, "a boolean");
        }
    }
    template <typename Field>
    void text(std::uint16_t id, Field& field) {
        convert(id, field, asString, "a UTF-8 string");
    }
    template <typename Field>
    void opaque(std::uint16_t id, Field& field) {
        convert(id, field, asOpaque, "opaque bytes");
    }
    template <typename Field>
    void objectLink(std::uint16_t id, Field& field) {
        convert(id, field, asObjectLink, "an object link");
    }

private:
    template <typename Field, typename Convert>
    void convert(std::uint16_t id, Field& field, Convert convertValue, const char* what) {
        if (const WrittenValue* value = single(id)) {
            std::optional<std::string> converted = convertValue(*value);
            if (!converted) {
                error_ = where(id) + ": expected " + what;
                return;
            }
            field = std::move(*converted);
        }
    }
    template <typename T>
    void failIfUnset(std::uint16_t id, const std::optional<T>& field, const char* what) {
        if (!field) {
            error_ = where(id) + ": expected " + what;
        }
    }

    const WrittenInstance& written_;
    std::optional<std::string> error_;
};

}  // namespace

std::optional<std::string> applySecurityWrite(const WrittenInstance& written,
                                              cs::SecurityObjectInstance& instance,
                                              std::optional<cs::SecurityObjectSecrets>& secrets) {
    Reader read(written);
    read.text(security::kUri, instance.serverUri);
    read.boolean(security::kBootstrap, instance.bootstrapServer);
    std::optional<std::uint8_t> mode;
    read.integer(security::kMode, mode);
    if (mode) {
        if (*mode > static_cast<std::uint8_t>(cs::SecurityMode::CertificateWithEst)) {
            return where(security::kMode) + ": unknown Security Mode";
        }
        instance.securityMode = static_cast<cs::SecurityMode>(*mode);
    }
    read.opaque(security::kIdentity, instance.publicKeyOrIdentity);
    read.opaque(security::kServerKey, instance.serverPublicKey);
    std::optional<std::string> secretKey;
    std::optional<std::string> smsSecret;
    read.opaque(security::kSecretKey, secretKey);
    read.integer(security::kSmsMode, instance.smsSecurityMode);
    read.opaque(security::kSmsParameters, instance.smsBindingKeyParameters);
    read.opaque(security::kSmsSecret, smsSecret);
    read.text(security::kSmsNumber, instance.smsServerNumber);
    read.integer(security::kShortServerId, instance.shortServerId);
    read.integer(security::kHoldOff, instance.clientHoldOffTime);
    read.integer(security::kAccountTimeout, instance.bootstrapAccountTimeout);
    read.integer(security::kMatchingType, instance.matchingType);
    read.text(security::kSni, instance.sni);
    read.integer(security::kCertificateUsage, instance.certificateUsage);
    read.objectLink(security::kOscore, instance.oscoreSecurityMode);
    if (read.error()) {
        return read.error();
    }
    if (const auto it = written.find(security::kCiphersuite); it != written.end()) {
        std::vector<std::uint16_t> suites;
        for (const auto& [index, value] : it->second.entries) {
            const std::optional<std::int64_t> suite = asInteger(value);
            if (!suite || *suite < 0 || *suite > 0xFFFF) {
                return where(security::kCiphersuite) + ": expected 16-bit ciphersuite ids";
            }
            suites.push_back(static_cast<std::uint16_t>(*suite));
        }
        instance.ciphersuites = std::move(suites);
    }
    if (secretKey || smsSecret) {
        if (!secrets) {
            secrets.emplace();
        }
        if (secretKey) {
            secrets->secretKey = cs::Secret::adopt(std::move(*secretKey));
        }
        if (smsSecret) {
            secrets->smsBindingSecretKeys = cs::Secret::adopt(std::move(*smsSecret));
        }
    }
    return std::nullopt;
}

std::optional<std::string> applyServerWrite(const WrittenInstance& written,
                                            cs::ServerObjectInstance& instance) {
    Reader read(written);
    read.integer(server::kShortServerId, instance.shortServerId);
    read.integer(server::kLifetime, instance.lifetime);
    read.integer(server::kMinPeriod, instance.defaultMinimumPeriod);
    read.integer(server::kMaxPeriod, instance.defaultMaximumPeriod);
    read.integer(server::kDisableTimeout, instance.disableTimeout);
    read.boolean(server::kNotificationStoring, instance.notificationStoring);
    read.text(server::kBinding, instance.binding);
    read.objectLink(server::kApnLink, instance.apnLink);
    read.integer(server::kPriorityOrder, instance.registrationPriorityOrder);
    read.integer(server::kInitialDelay, instance.initialRegistrationDelay);
    read.boolean(server::kFailureBlock, instance.registrationFailureBlock);
    read.boolean(server::kBootstrapOnFailure, instance.bootstrapOnRegistrationFailure);
    read.integer(server::kRetryCount, instance.communicationRetryCount);
    read.integer(server::kRetryTimer, instance.communicationRetryTimer);
    read.integer(server::kSequenceDelay, instance.communicationSequenceDelayTimer);
    read.integer(server::kSequenceRetryCount, instance.communicationSequenceRetryCount);
    read.boolean(server::kTrigger, instance.trigger);
    read.text(server::kPreferredTransport, instance.preferredTransport);
    read.boolean(server::kMuteSend, instance.muteSend);
    return read.error();
}

namespace {

using ReadValue = std::variant<std::int64_t, bool, std::string, lwm2m::ObjectLinkValue>;

std::vector<std::pair<std::uint16_t, ReadValue>> serverValues(const cs::ServerObjectInstance& s) {
    std::vector<std::pair<std::uint16_t, ReadValue>> out;
    auto integer = [&out](std::uint16_t id, auto value) {
        out.emplace_back(id, static_cast<std::int64_t>(value));
    };
    auto optionalInteger = [&integer](std::uint16_t id, const auto& value) {
        if (value) {
            integer(id, *value);
        }
    };
    auto optionalBoolean = [&out](std::uint16_t id, const std::optional<bool>& value) {
        if (value) {
            out.emplace_back(id, *value);
        }
    };
    integer(server::kShortServerId, s.shortServerId);
    integer(server::kLifetime, s.lifetime);
    optionalInteger(server::kMinPeriod, s.defaultMinimumPeriod);
    optionalInteger(server::kMaxPeriod, s.defaultMaximumPeriod);
    optionalInteger(server::kDisableTimeout, s.disableTimeout);
    out.emplace_back(server::kNotificationStoring, s.notificationStoring);
    out.emplace_back(server::kBinding, s.binding);
    if (s.apnLink) {
        if (auto link = lwm2m::parseObjectLinkValue(*s.apnLink)) {
            out.emplace_back(server::kApnLink, link.value());
        }
    }
    optionalInteger(server::kPriorityOrder, s.registrationPriorityOrder);
    optionalInteger(server::kInitialDelay, s.initialRegistrationDelay);
    optionalBoolean(server::kFailureBlock, s.registrationFailureBlock);
    optionalBoolean(server::kBootstrapOnFailure, s.bootstrapOnRegistrationFailure);
    integer(server::kRetryCount, s.communicationRetryCount);
    integer(server::kRetryTimer, s.communicationRetryTimer);
    integer(server::kSequenceDelay, s.communicationSequenceDelayTimer);
    integer(server::kSequenceRetryCount, s.communicationSequenceRetryCount);
    optionalBoolean(server::kTrigger, s.trigger);
    if (s.preferredTransport) {
        out.emplace_back(server::kPreferredTransport, *s.preferredTransport);
    }
    out.emplace_back(server::kMuteSend, s.muteSend);
    return out;
}

}  // namespace

std::vector<lwm2m::TlvRecord> serverTlv(const cs::ServerObjectInstance& instance) {
    std::vector<lwm2m::TlvRecord> records;
    for (const auto& [id, value] : serverValues(instance)) {
        lwm2m::TlvRecord record;
        record.type = lwm2m::TlvType::ResourceValue;
        record.id = id;
        if (const auto* integer = std::get_if<std::int64_t>(&value)) {
            record.value = lwm2m::tlvFromInteger(*integer);
        } else if (const auto* flag = std::get_if<bool>(&value)) {
            record.value = lwm2m::tlvFromBoolean(*flag);
        } else if (const auto* text = std::get_if<std::string>(&value)) {
            record.value = lwm2m::tlvFromString(*text);
        } else {
            record.value = lwm2m::tlvFromObjectLink(std::get<lwm2m::ObjectLinkValue>(value));
        }
        records.push_back(std::move(record));
    }
    return records;
}

std::vector<lwm2m::SenmlRecord> serverSenml(const cs::ServerObjectInstance& instance) {
    std::vector<lwm2m::SenmlRecord> records;
    const std::string base = "/1/" + std::to_string(instance.instanceId) + "/";
    for (const auto& [id, value] : serverValues(instance)) {
        lwm2m::SenmlRecord record;
        record.name = base + std::to_string(id);
        std::visit([&record](const auto& v) { record.value = lwm2m::SenmlValue{v}; }, value);
        records.push_back(std::move(record));
    }
    return records;
}

}  // namespace lwm2mgw
