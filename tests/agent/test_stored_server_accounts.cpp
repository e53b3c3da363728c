// StoredServerAccounts against a real credential store: what a registration takes from the
// Server instance (/1/x/1 Lifetime, /1/x/16 Bootstrap on Registration Failure with its LwM2M
// default), the rule own accounts > the gateway's > --upstream, and that a changed Lifetime
// makes a different account (so the gateway re-registers with it).
#include "stored_server_accounts.h"

#include <lwm2m-gateway/credstore/credential_store.h>

#include <QTemporaryDir>
#include <QTest>

namespace cs = lwm2mgw::credstore;
using lwm2mgw::ServerAccount;
using lwm2mgw::StaticServerAccounts;
using lwm2mgw::StoredServerAccounts;

namespace {

cs::EndpointAccounts accountsOf(const std::string& endpoint, std::uint32_t lifetime,
                                std::optional<bool> bootstrapOnFailure) {
    cs::EndpointAccounts accounts;
    accounts.endpoint = endpoint;
    cs::SecurityObjectEntry bootstrap;
    bootstrap.instance.instanceId = 0;
    bootstrap.instance.serverUri = "coap://127.0.0.1:5693";
    bootstrap.instance.bootstrapServer = true;
    accounts.security.push_back(std::move(bootstrap));
    cs::SecurityObjectEntry security;
    security.instance.instanceId = 1;
    security.instance.serverUri = "coap://127.0.0.1:5683";
    security.instance.shortServerId = 4;
    accounts.security.push_back(std::move(security));
    cs::ServerObjectInstance server;
    server.shortServerId = 4;
    server.lifetime = lifetime;
    server.bootstrapOnRegistrationFailure = bootstrapOnFailure;
    accounts.servers.push_back(server);
    return accounts;
}

bool nosecOnly(cs::SecurityMode mode) {
    return mode == cs::SecurityMode::NoSec;
}

}  // namespace

class TestStoredServerAccounts : public QObject {
    Q_OBJECT

private slots:
    void serverInstanceResourcesReachTheAccount();
};

void TestStoredServerAccounts::serverInstanceResourcesReachTheAccount() {
    QTemporaryDir directory;
    auto opened =
        cs::CredentialStore::open(directory.filePath(QStringLiteral("s.db")).toStdString());
    QVERIFY(opened);
    cs::CredentialStore store = std::move(opened).value();
    std::vector<cs::EndpointAccounts> endpoints;
    endpoints.push_back(accountsOf("gw", 77, std::nullopt));
    endpoints.push_back(accountsOf("sensor", 600, false));
    QVERIFY(store.replaceEndpoints(endpoints, nosecOnly));

    StaticServerAccounts configured;
    QVERIFY(configured.configure({QStringLiteral("coap://127.0.0.1:5783")}, {}).isEmpty());
    const QList<ServerAccount> upstream = configured.accountsFor(QStringLiteral("gw"));
    QCOMPARE(upstream.size(), 1);
    QCOMPARE(upstream.first().lifetimeSeconds, 0);  // upstream/lifetime applies
    QVERIFY(!upstream.first().bootstrapOnRegistrationFailure);

    StoredServerAccounts accounts(store, QStringLiteral("gw"), configured);
    const QList<ServerAccount> own = accounts.accountsFor(QStringLiteral("gw"));
    QCOMPARE(own.size(), 1);  // the bootstrap account is never a registration target
    QCOMPARE(own.first().shortServerId, 4);
    QCOMPARE(own.first().lifetimeSeconds, 77);
    QVERIFY(own.first().bootstrapOnRegistrationFailure);  // absent: true (LwM2M 1.1)
    const QList<ServerAccount> sensor = accounts.accountsFor(QStringLiteral("sensor"));
    QCOMPARE(sensor.size(), 1);
    QCOMPARE(sensor.first().storeEndpoint, QStringLiteral("sensor"));
    QVERIFY(!sensor.first().bootstrapOnRegistrationFailure);
    const QList<ServerAccount> other = accounts.accountsFor(QStringLiteral("other"));
    QCOMPARE(other.size(), 1);
    QCOMPARE(other.first().storeEndpoint, QStringLiteral("gw"));  // the gateway's accounts

    ServerAccount longer = own.first();
    QVERIFY(lwm2mgw::sameServerAccount(longer, own.first()));
    longer.lifetimeSeconds = 78;
    QVERIFY(!lwm2mgw::sameServerAccount(longer, own.first()));
}

QTEST_GUILESS_MAIN(TestStoredServerAccounts)
#include "test_stored_server_accounts.moc"
