#include <QTest>

#include "lwm2m_path.h"
#include "test_support.h"

using namespace lwm2mgw::lwm2m;

class TestLwm2mPath : public QObject {
    Q_OBJECT

private slots:
    void parsesEveryLevel() {
        const auto root = parseLwm2mPath("/");
        LWM2M_VERIFY_OK(root);
        QVERIFY(root.value() == Lwm2mPath{});

        const auto full = parseLwm2mPath("/3/0/1/2");
        LWM2M_VERIFY_OK(full);
        QCOMPARE(full.value().object, std::optional<std::uint16_t>(3));
        QCOMPARE(full.value().instance, std::optional<std::uint16_t>(0));
        QCOMPARE(full.value().resource, std::optional<std::uint16_t>(1));
        QCOMPARE(full.value().resourceInstance, std::optional<std::uint16_t>(2));

        const auto object = parseLwm2mPath("/65534");
        LWM2M_VERIFY_OK(object);
        QCOMPARE(object.value().object, std::optional<std::uint16_t>(65534));
        QVERIFY(!object.value().instance);
    }

    void roundTrips_data() {
        QTest::addColumn<QString>("path");
        for (const char* path : {"/", "/0", "/3/0", "/3/0/1", "/3/0/6/1", "/10241/65534/0/9"}) {
            QTest::newRow(path) << QString::fromLatin1(path);
        }
    }
    void roundTrips() {
        QFETCH(QString, path);
        const auto parsed = parseLwm2mPath(path.toStdString());
        LWM2M_VERIFY_OK(parsed);
        QCOMPARE(QString::fromStdString(toString(parsed.value())), path);
    }

    void rejectsMalformed_data() {
        QTest::addColumn<QString>("path");
        QTest::addColumn<int>("offset");
        QTest::newRow("empty") << "" << 0;
        QTest::newRow("relative") << "3/0" << 0;
        QTest::newRow("trailing slash") << "/3/" << 3;
        QTest::newRow("double slash") << "/3//1" << 3;
        QTest::newRow("reserved id") << "/3/65535" << 3;
        QTest::newRow("too large") << "/70000" << 1;
        QTest::newRow("leading zero") << "/03" << 1;
        QTest::newRow("letters") << "/3/x" << 3;
        QTest::newRow("sign") << "/+3" << 1;
        QTest::newRow("five levels") << "/1/2/3/4/5" << 8;
        QTest::newRow("query") << "/3?x" << 1;
    }
    void rejectsMalformed() {
        QFETCH(QString, path);
        QFETCH(int, offset);
        LWM2M_VERIFY_ERROR_AT(parseLwm2mPath(path.toStdString()), offset);
    }

    void writesUpToFirstUnsetLevel() {
        Lwm2mPath path;
        path.object = 5;
        path.resource = 1;  // no instance: the resource cannot be expressed
        QCOMPARE(toString(path), std::string("/5"));
    }
};

QTEST_APPLESS_MAIN(TestLwm2mPath)
#include "test_lwm2m_path.moc"
