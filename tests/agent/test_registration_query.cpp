// The Register / Update query parser: what the gateway accepts from sensors and what it refuses
// with which CoAP code (OMA LwM2M 1.1 Transport 6.2).
#include "registration_query.h"

#include <QTest>

using namespace lwm2mgw;

namespace {

std::variant<RegistrationQuery, RegistrationQueryError> parse(
    const QList<QByteArray>& query,
    RegistrationOperation operation = RegistrationOperation::Register) {
    return parseRegistrationQuery(query, operation);
}

int errorCode(const std::variant<RegistrationQuery, RegistrationQueryError>& result) {
    const auto* error = std::get_if<RegistrationQueryError>(&result);
    return error ? error->code : 0;
}

}  // namespace

class TestRegistrationQuery : public QObject {
    Q_OBJECT

private slots:
    void registerFillsDefaults() {
        const auto result = parse({"ep=sensor-1"});
        const auto& query = std::get<RegistrationQuery>(result);
        QCOMPARE(*query.endpoint, QStringLiteral("sensor-1"));
        QCOMPARE(*query.lifetimeSeconds, 86400);
        QCOMPARE(*query.lwm2mVersion, QStringLiteral("1.0"));
        QCOMPARE(*query.binding, QStringLiteral("U"));
        QVERIFY(!query.queueMode);
    }

    void registerTakesEveryParameter() {
        const auto result = parse({"ep=urn:imei:4901", "lt=300", "lwm2m=1.1", "b=UQ",
                                   "sms=+4912345", "Q", "future=ignored"});
        const auto& query = std::get<RegistrationQuery>(result);
        QCOMPARE(*query.endpoint, QStringLiteral("urn:imei:4901"));
        QCOMPARE(*query.lifetimeSeconds, 300);
        QCOMPARE(*query.lwm2mVersion, QStringLiteral("1.1"));
        QCOMPARE(*query.binding, QStringLiteral("UQ"));
        QCOMPARE(*query.smsNumber, QStringLiteral("+4912345"));
        QVERIFY(query.queueMode);
    }

    void refusals_data() {
        QTest::addColumn<QList<QByteArray>>("query");
        QTest::addColumn<int>("code");
        QTest::newRow("no ep") << QList<QByteArray>{"lt=60"} << 400;
        QTest::newRow("empty ep") << QList<QByteArray>{"ep="} << 400;
        QTest::newRow("ep with control character") << QList<QByteArray>{"ep=a\x01" "b"} << 400;
        QTest::newRow("ep too long") << QList<QByteArray>{"ep=" + QByteArray(256, 'x')} << 400;
        QTest::newRow("ep twice") << QList<QByteArray>{"ep=a", "ep=b"} << 400;
        QTest::newRow("lt zero") << QList<QByteArray>{"ep=a", "lt=0"} << 400;
        QTest::newRow("lt negative") << QList<QByteArray>{"ep=a", "lt=-1"} << 400;
        QTest::newRow("lt huge") << QList<QByteArray>{"ep=a", "lt=99999999999"} << 400;
        QTest::newRow("lt text") << QList<QByteArray>{"ep=a", "lt=1h"} << 400;
        QTest::newRow("version 1.2") << QList<QByteArray>{"ep=a", "lwm2m=1.2"} << 412;
        QTest::newRow("version 2.0") << QList<QByteArray>{"ep=a", "lwm2m=2.0"} << 412;
        QTest::newRow("version garbage") << QList<QByteArray>{"ep=a", "lwm2m=1.x"} << 400;
        QTest::newRow("binding letter") << QList<QByteArray>{"ep=a", "b=Z"} << 400;
        QTest::newRow("binding repeated") << QList<QByteArray>{"ep=a", "b=UU"} << 400;
        QTest::newRow("binding empty") << QList<QByteArray>{"ep=a", "b="} << 400;
        QTest::newRow("Q with value") << QList<QByteArray>{"ep=a", "Q=1"} << 400;
    }

    void refusals() {
        QFETCH(QList<QByteArray>, query);
        QFETCH(int, code);
        const auto result = parse(query);
        QCOMPARE(errorCode(result), code);
        QVERIFY(!std::get<RegistrationQueryError>(result).message.isEmpty());
    }

    void updateHasNoDefaultsAndIgnoresRegisterOnlyParameters() {
        const auto result =
            parse({"lt=120", "ep=ignored", "lwm2m=9.9"}, RegistrationOperation::Update);
        const auto& query = std::get<RegistrationQuery>(result);
        QCOMPARE(*query.lifetimeSeconds, 120);
        QVERIFY(!query.endpoint);
        QVERIFY(!query.lwm2mVersion);
        QVERIFY(!query.binding);
        QVERIFY(
            std::holds_alternative<RegistrationQuery>(parse({}, RegistrationOperation::Update)));
        QCOMPARE(errorCode(parse({"lt=x"}, RegistrationOperation::Update)), 400);
    }

    void servedVersions() {
        QVERIFY(isServedLwm2mVersion(QStringLiteral("1.0")));
        QVERIFY(isServedLwm2mVersion(QStringLiteral("1.1")));
        QVERIFY(!isServedLwm2mVersion(QStringLiteral("1.2")));
    }
};

QTEST_GUILESS_MAIN(TestRegistrationQuery)
#include "test_registration_query.moc"
