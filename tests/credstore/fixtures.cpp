#include "fixtures.h"

namespace credstore_test {

SecurityObjectEntry bootstrapEntry(std::uint16_t instanceId) {
    SecurityObjectEntry e;
    e.instance.instanceId = instanceId;
    e.instance.serverUri = "coaps://bootstrap.example.net:5684";
    e.instance.bootstrapServer = true;
    e.instance.securityMode = SecurityMode::PreSharedKey;
    e.instance.publicKeyOrIdentity = "bootstrap-identity";
    e.instance.hasSecretKey = true;
    e.secrets.secretKey = Secret(kBootstrapKey);
    return e;
}

SecurityObjectEntry serverSecurityEntry(std::uint16_t instanceId, std::uint16_t shortServerId,
                                        SecurityMode mode, const std::string& key) {
    SecurityObjectEntry e;
    e.instance.instanceId = instanceId;
    e.instance.serverUri = "coaps://lwm2m.example.net:5684";
    e.instance.securityMode = mode;
    e.instance.publicKeyOrIdentity = "server-identity-" + std::to_string(shortServerId);
    e.instance.shortServerId = shortServerId;
    e.instance.hasSecretKey = !key.empty();
    e.secrets.secretKey = Secret(key);
    return e;
}

ServerObjectInstance serverInstance(std::uint16_t instanceId, std::uint16_t shortServerId) {
    ServerObjectInstance s;
    s.instanceId = instanceId;
    s.shortServerId = shortServerId;
    s.lifetime = 300;
    s.binding = "U";
    return s;
}

EndpointAccounts sampleAccounts(const std::string& endpoint) {
    EndpointAccounts a;
    a.endpoint = endpoint;
    a.security.push_back(bootstrapEntry(0));
    a.security.push_back(serverSecurityEntry(1, 101));
    a.servers.push_back(serverInstance(0, 101));
    return a;
}

EndpointAccounts manyAccounts(const std::string& endpoint, int count) {
    EndpointAccounts a;
    a.endpoint = endpoint;
    a.security.push_back(bootstrapEntry(0));
    for (int i = 0; i < count; ++i) {
        const auto ssid = static_cast<std::uint16_t>(1000 + i);
        a.security.push_back(serverSecurityEntry(static_cast<std::uint16_t>(i + 1), ssid,
                                                 SecurityMode::PreSharedKey,
                                                 kServerKey + std::to_string(i)));
        a.servers.push_back(serverInstance(static_cast<std::uint16_t>(i), ssid));
    }
    return a;
}

SecurityObjectEntry fullSecurityEntry(std::uint16_t instanceId, std::uint16_t shortServerId) {
    SecurityObjectEntry e =
        serverSecurityEntry(instanceId, shortServerId, SecurityMode::Certificate);
    auto& s = e.instance;
    s.serverPublicKey = std::string("\x30\x03\x02\x01\x00", 5);
    s.smsSecurityMode = 3;
    s.smsBindingKeyParameters = std::string("\x00\x01\x02\x03\x04\x05", 6);
    s.smsServerNumber = "+15555550100";
    s.clientHoldOffTime = 7;
    s.bootstrapAccountTimeout = 3600;
    s.matchingType = 1;
    s.sni = "lwm2m.example.net";
    s.certificateUsage = 3;
    s.ciphersuites = {0xC0A8, 0xC0AE, 0x00AE};
    s.oscoreSecurityMode = "21:0";
    s.hasSmsBindingSecretKeys = true;
    e.secrets.smsBindingSecretKeys = Secret(std::string(32, '\x5a'));
    return e;
}

ServerObjectInstance fullServerInstance(std::uint16_t instanceId, std::uint16_t shortServerId) {
    ServerObjectInstance s = serverInstance(instanceId, shortServerId);
    s.defaultMinimumPeriod = 10;
    s.defaultMaximumPeriod = 600;
    s.disableTimeout = 86400;
    s.notificationStoring = true;
    s.binding = "UT";
    s.apnLink = "11:0";
    s.registrationPriorityOrder = 2;
    s.initialRegistrationDelay = 30;
    s.registrationFailureBlock = true;
    s.bootstrapOnRegistrationFailure = false;
    s.communicationRetryCount = 3;
    s.communicationRetryTimer = 90;
    s.communicationSequenceDelayTimer = 3600;
    s.communicationSequenceRetryCount = 2;
    s.trigger = false;
    s.preferredTransport = "T";
    s.muteSend = true;
    return s;
}

Result<EndpointAccounts> snapshot(const CredentialStore& store, const std::string& endpoint) {
    EndpointAccounts a;
    a.endpoint = endpoint;
    auto security = store.securityInstances(endpoint);
    if (!security) {
        return security.error();
    }
    for (auto& instance : *security) {
        auto secrets = store.secretsFor(endpoint, instance.instanceId);
        if (!secrets) {
            return secrets.error();
        }
        SecurityObjectEntry entry{std::move(instance), {}};
        if (*secrets) {
            entry.secrets = std::move(**secrets);
        }
        a.security.push_back(std::move(entry));
    }
    auto servers = store.serverInstances(endpoint);
    if (!servers) {
        return servers.error();
    }
    a.servers = std::move(*servers);
    return a;
}

}  // namespace credstore_test
