// BootstrapRequestHandler without the network: Bootstrap-Write in every content format mapped
// onto credstore instances, merge semantics, the error codes, and Finish's all-or-nothing
// commit, against a real credential store file.
#include "bootstrap_request_handler.h"
#include "content_format.h"
#include "tlv.h"

#include <lwm2m-gateway/credstore/credential_store.h>

#include <QTemporaryDir>
#include <QTest>

using lwm2mgw::BootstrapRequest;
using lwm2mgw::BootstrapRequestHandler;
using lwm2mgw::RelayedAnswer;
namespace cs = lwm2mgw::credstore;
namespace lw = lwm2mgw::lwm2m;

namespace {

const std::string kEndpoint = "gw";

QByteArray bytes(const std::vector<std::uint8_t>& data) {
    return QByteArray(reinterpret_cast<const char*>(data.data()),
                      static_cast<qsizetype>(data.size()));
}

lw::TlvRecord value(std::uint16_t id, std::vector<std::uint8_t> data) {
    return lw::TlvRecord{lw::TlvType::ResourceValue, id, std::move(data), {}};
}

int code(const RelayedAnswer& answer) {
    const auto raw = static_cast<int>(answer.code);
    return (raw >> 5) * 100 + (raw & 0x1F);
}

}  // namespace

class TestBootstrapRequestHandler : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void mapsTlvSecurityAndServer();
    void mergesSingleResourceWrites();
    void refusesBadWrites();
    void refusedFinishKeepsTheStore();
    void discoverListsASensorsOwnObjects();

private:
    RelayedAnswer request(coap_pdu_code_t method, const QString& path,
                          std::optional<quint32> format = std::nullopt, const QByteArray& body = {},
                          std::optional<quint32> accept = std::nullopt) {
        return handler_->handle(BootstrapRequest{method, path, format, accept, body});
    }
    RelayedAnswer finish() { return request(COAP_REQUEST_CODE_POST, QStringLiteral("/bs")); }

    std::unique_ptr<QTemporaryDir> directory_;
    std::unique_ptr<cs::CredentialStore> store_;
    std::unique_ptr<BootstrapRequestHandler> handler_;
};

void TestBootstrapRequestHandler::init() {
    directory_ = std::make_unique<QTemporaryDir>();
    auto opened = cs::CredentialStore::open(directory_->filePath("c.db").toStdString());
    QVERIFY(opened);
    store_ = std::make_unique<cs::CredentialStore>(std::move(opened).value());
    auto session = store_->beginBootstrap(kEndpoint);
    QVERIFY(session);
    cs::SecurityObjectInstance bootstrap;
    bootstrap.serverUri = "coap://127.0.0.1:5783";
    bootstrap.bootstrapServer = true;
    QVERIFY(session->writeSecurity(bootstrap, cs::SecurityObjectSecrets{}));
    QVERIFY(session->commit({}));
    // Only NoSec and PSK are "loaded".
    handler_ = std::make_unique<BootstrapRequestHandler>(
        *store_, QString::fromStdString(kEndpoint),
        [](cs::SecurityMode mode) {
            return mode == cs::SecurityMode::NoSec || mode == cs::SecurityMode::PreSharedKey;
        },
        [](bool) {});
}

void TestBootstrapRequestHandler::cleanup() {
    handler_.reset();
    store_.reset();
    directory_.reset();
}

void TestBootstrapRequestHandler::mapsTlvSecurityAndServer() {
    lw::TlvRecord suites{lw::TlvType::MultipleResource, 16, {}, {}};
    suites.children.push_back({lw::TlvType::ResourceInstance, 0, lw::tlvFromInteger(0xC0A8), {}});
    suites.children.push_back({lw::TlvType::ResourceInstance, 1, lw::tlvFromInteger(0x00AE), {}});
    const std::vector<lw::TlvRecord> security{
        value(0, lw::tlvFromString("coaps://127.0.0.1:5684")),
        value(1, lw::tlvFromBoolean(false)),
        value(2, lw::tlvFromInteger(0)),
        value(3, lw::tlvFromString("identity")),
        value(4, {}),
        value(5, lw::tlvFromString("secret-key-bytes")),
        value(10, lw::tlvFromInteger(7)),
        value(11, lw::tlvFromInteger(30)),
        value(99, lw::tlvFromInteger(1)),  // unknown: ignored (LwM2M 1.1)
        suites,
    };
    QCOMPARE(code(request(COAP_REQUEST_CODE_PUT, "/0/3", lw::kTlv, bytes(lw::encodeTlv(security)))),
             204);
    // The whole object, in the ObjectInstance form.
    const std::vector<lw::TlvRecord> server{
        lw::TlvRecord{lw::TlvType::ObjectInstance,
                      4,
                      {},
                      {value(0, lw::tlvFromInteger(7)), value(1, lw::tlvFromInteger(600)),
                       value(6, lw::tlvFromBoolean(true)), value(7, lw::tlvFromString("UQ")),
                       value(17, lw::tlvFromInteger(3)), value(18, lw::tlvFromInteger(10)),
                       value(19, lw::tlvFromInteger(120)), value(20, lw::tlvFromInteger(2))}}};
    QCOMPARE(code(request(COAP_REQUEST_CODE_PUT, "/1", lw::kTlv, bytes(lw::encodeTlv(server)))),
             204);
    const RelayedAnswer read =
        request(COAP_REQUEST_CODE_GET, "/1/4", std::nullopt, {}, lw::kSenmlJson);
    QCOMPARE(code(read), 205);
    QVERIFY2(read.payload.contains("\"vs\":\"UQ\""), read.payload.constData());
    QCOMPARE(code(finish()), 204);

    auto instances = store_->securityInstances(kEndpoint);
    QVERIFY(instances);
    QCOMPARE(instances->size(), size_t{2});
    const cs::SecurityObjectInstance& s = instances->at(1);
    QCOMPARE(s.instanceId, std::uint16_t{3});
    QCOMPARE(s.serverUri, std::string("coaps://127.0.0.1:5684"));
    QCOMPARE(s.securityMode, cs::SecurityMode::PreSharedKey);
    QCOMPARE(s.publicKeyOrIdentity, std::string("identity"));
    QCOMPARE(s.shortServerId, std::optional<std::uint16_t>(7));
    QCOMPARE(s.clientHoldOffTime, std::optional<std::uint32_t>(30));
    QCOMPARE(s.ciphersuites, (std::vector<std::uint16_t>{0xC0A8, 0x00AE}));
    auto key = store_->secretKeyFor(kEndpoint, 3);
    QVERIFY(key && key.value());
    QCOMPARE(key.value()->view(), std::string_view("secret-key-bytes"));
    auto servers = store_->serverInstances(kEndpoint);
    QVERIFY(servers);
    QCOMPARE(servers->size(), size_t{1});
    const cs::ServerObjectInstance& v = servers->front();
    QCOMPARE(v.instanceId, std::uint16_t{4});
    QCOMPARE(v.lifetime, std::uint32_t{600});
    QVERIFY(v.notificationStoring);
    QCOMPARE(v.binding, std::string("UQ"));
    QCOMPARE(v.communicationRetryCount, std::uint32_t{3});
    QCOMPARE(v.communicationRetryTimer, std::uint32_t{10});
    QCOMPARE(v.communicationSequenceDelayTimer, std::uint32_t{120});
    QCOMPARE(v.communicationSequenceRetryCount, std::uint32_t{2});
}

void TestBootstrapRequestHandler::mergesSingleResourceWrites() {
    QCOMPARE(
        code(request(COAP_REQUEST_CODE_PUT, "/0/1", lw::kSenmlJson,
                     "[{\"bn\":\"/0/1/\",\"n\":\"0\",\"vs\":\"coap://127.0.0.1:1\"},"
                     "{\"n\":\"1\",\"vb\":false},{\"n\":\"2\",\"v\":3},{\"n\":\"10\",\"v\":5}]")),
        204);
    QCOMPARE(code(request(COAP_REQUEST_CODE_PUT, "/1/1", lw::kSenmlJson,
                          "[{\"n\":\"/1/1/0\",\"v\":5},{\"n\":\"/1/1/1\",\"v\":60},{\"n\":\"/1/1/"
                          "7\",\"vs\":\"U\"}]")),
             204);
    // A single resource merges into the instance; the others keep their values.
    QCOMPARE(code(request(COAP_REQUEST_CODE_PUT, "/1/1/1", lw::kTextPlain, "300")), 204);
    QCOMPARE(code(finish()), 204);
    auto servers = store_->serverInstances(kEndpoint);
    QVERIFY(servers && servers->size() == 1);
    QCOMPARE(servers->front().lifetime, std::uint32_t{300});
    QCOMPARE(servers->front().shortServerId, std::uint16_t{5});
}

void TestBootstrapRequestHandler::refusesBadWrites() {
    QCOMPARE(code(request(COAP_REQUEST_CODE_PUT, "/1/1", lw::kTlv, QByteArray::fromHex("c80005"))),
             400);  // truncated TLV
    QCOMPARE(code(request(COAP_REQUEST_CODE_PUT, "/1/1", lw::kSenmlCbor, "\xff")), 400);
    QCOMPARE(code(request(COAP_REQUEST_CODE_PUT, "/1/1/1", lw::kTextPlain, "abc")), 400);
    QCOMPARE(code(request(COAP_REQUEST_CODE_PUT, "/1/1", lw::kTlv,
                          bytes(lw::encodeTlv({value(6, {2})})))),
             400);  // a boolean of 2
    QCOMPARE(code(request(COAP_REQUEST_CODE_PUT, "/1/1", lw::kTlv,
                          bytes(lw::encodeTlv({value(1, lw::tlvFromInteger(-1))})))),
             400);  // negative lifetime
    QCOMPARE(code(request(COAP_REQUEST_CODE_PUT, "/1/1", 9999, "x")), 415);
    QCOMPARE(code(request(COAP_REQUEST_CODE_PUT, "/1/1", lw::kTlv, QByteArray(20000, 'x'))), 413);
    QCOMPARE(code(request(COAP_REQUEST_CODE_PUT, "/7/0", lw::kTlv, {})), 404);
    QCOMPARE(code(request(COAP_REQUEST_CODE_GET, "/0")), 405);
    QCOMPARE(code(request(COAP_REQUEST_CODE_POST, "/1/0/8")), 405);
    QCOMPARE(code(request(COAP_REQUEST_CODE_DELETE, "/0/0")), 400);  // the bootstrap account
    QCOMPARE(code(request(COAP_REQUEST_CODE_DELETE, "/")), 202);
    const RelayedAnswer discovered =
        request(COAP_REQUEST_CODE_GET, "/", std::nullopt, {}, lw::kLinkFormat);
    QCOMPARE(discovered.payload,
             QByteArray("</>;lwm2m=1.1,</0/0>;uri=\"coap://127.0.0.1:5783\",</3/0>"));
}

void TestBootstrapRequestHandler::discoverListsASensorsOwnObjects() {
    // A sensor's bootstrap: its registered objects, but not its own /0 and /1 (those are the
    // gateway's downstream accounts; the store's instances stand for them).
    handler_->setObjectLinks({{1, 0, std::nullopt},
                              {3, 0, std::nullopt},
                              {3303, std::nullopt, std::string("1.1")},
                              {3303, 0, std::nullopt}});
    QCOMPARE(request(COAP_REQUEST_CODE_GET, "/", std::nullopt, {}, lw::kLinkFormat).payload,
             QByteArray("</>;lwm2m=1.1,</0/0>;uri=\"coap://127.0.0.1:5783\",</3/0>,"
                        "</3303>;ver=1.1,</3303/0>"));
    QCOMPARE(request(COAP_REQUEST_CODE_GET, "/3303", std::nullopt, {}, lw::kLinkFormat).payload,
             QByteArray("</>;lwm2m=1.1,</3303>;ver=1.1,</3303/0>"));
    QCOMPARE(request(COAP_REQUEST_CODE_GET, "/1", std::nullopt, {}, lw::kLinkFormat).payload,
             QByteArray("</>;lwm2m=1.1"));
}

void TestBootstrapRequestHandler::refusedFinishKeepsTheStore() {
    // Certificate mode: no "loaded" plugin implements it.
    QCOMPARE(code(request(COAP_REQUEST_CODE_PUT, "/0/1", lw::kSenmlJson,
                          "[{\"bn\":\"/0/1/\",\"n\":\"0\",\"vs\":\"coaps://h:1\"},"
                          "{\"n\":\"2\",\"v\":2},{\"n\":\"10\",\"v\":9}]")),
             204);
    QCOMPARE(code(request(COAP_REQUEST_CODE_PUT, "/1/1", lw::kSenmlJson,
                          "[{\"n\":\"/1/1/0\",\"v\":9}]")),
             204);
    QCOMPARE(code(finish()), 406);
    auto instances = store_->securityInstances(kEndpoint);
    QVERIFY(instances);
    QCOMPARE(instances->size(), size_t{1});
    auto servers = store_->serverInstances(kEndpoint);
    QVERIFY(servers && servers->empty());
}

QTEST_GUILESS_MAIN(TestBootstrapRequestHandler)
#include "test_bootstrap_request_handler.moc"
