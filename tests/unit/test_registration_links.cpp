#include <QTest>

#include "registration_links.h"
#include "test_support.h"

using namespace lwm2mgw::lwm2m;

namespace {

ObjectLink obj(std::uint16_t object, std::optional<std::uint16_t> instance = std::nullopt,
               std::optional<std::string> version = std::nullopt) {
    return ObjectLink{object, instance, std::move(version)};
}

}  // namespace

class TestRegistrationLinks : public QObject {
    Q_OBJECT

private slots:
    // LwM2M 1.1 Register payload with a root link, object versions and instances.
    void lwm2m11Register() {
        const auto links = parseRegistrationLinks(
            R"(</>;rt="oma.lwm2m";ct=11543,</1/0>,</3>;ver=1.1,</3/0>,</5>)");
        LWM2M_VERIFY_OK(links);
        const auto& r = links.value();
        QCOMPARE(r.rootPath, std::string("/"));
        QCOMPARE(r.contentFormats, std::vector<std::uint16_t>{11543});
        const std::vector<ObjectLink> expected{obj(1, 0), obj(3, std::nullopt, "1.1"), obj(3, 0),
                                               obj(5)};
        QVERIFY(r.objects == expected);
        QCOMPARE(writeRegistrationLinks(r),
                 std::string(R"(</>;rt="oma.lwm2m";ct=11543,</1/0>,</3>;ver=1.1,</3/0>,</5>)"));
    }

    // Alternate path (Core 6.2.1): every object link sits under the root link's target.
    void alternatePath() {
        const auto links =
            parseRegistrationLinks(R"(</lwm2m>;rt="oma.lwm2m",</lwm2m/1/0>,</lwm2m/3/0>)");
        LWM2M_VERIFY_OK(links);
        const auto& r = links.value();
        QCOMPARE(r.rootPath, std::string("/lwm2m"));
        QVERIFY(r.contentFormats.empty());
        QVERIFY((r.objects == std::vector<ObjectLink>{obj(1, 0), obj(3, 0)}));
        QCOMPARE(writeRegistrationLinks(r),
                 std::string(R"(</lwm2m>;rt="oma.lwm2m",</lwm2m/1/0>,</lwm2m/3/0>)"));

        const auto nested = parseRegistrationLinks(R"(</a/b/>;rt="oma.lwm2m",</a/b/3/0>)");
        LWM2M_VERIFY_OK(nested);
        QCOMPARE(nested.value().rootPath, std::string("/a/b"));
    }

    // LwM2M 1.0 clients send just the object links.
    void lwm2m10Register() {
        const auto links = parseRegistrationLinks("</1/0>,</3/0>");
        LWM2M_VERIFY_OK(links);
        QCOMPARE(links.value().rootPath, std::string("/"));
        QVERIFY(links.value().contentFormats.empty());
        QVERIFY((links.value().objects == std::vector<ObjectLink>{obj(1, 0), obj(3, 0)}));
        QCOMPARE(writeRegistrationLinks(links.value()), std::string("</1/0>,</3/0>"));

        // ...or announce content formats on a "</>" link without rt.
        const auto withCt = parseRegistrationLinks("</>;ct=11543,</1/0>,</3/0>");
        LWM2M_VERIFY_OK(withCt);
        QCOMPARE(withCt.value().contentFormats, std::vector<std::uint16_t>{11543});
        QCOMPARE(withCt.value().objects.size(), std::size_t{2});
    }

    void quotedContentFormatList() {
        const auto links = parseRegistrationLinks(
            "</>;rt=\"oma.lwm2m\";ct=\"60 110 112 11542 11543\",\n</1/0>,</3/0>");
        LWM2M_VERIFY_OK(links);
        QCOMPARE(links.value().contentFormats,
                 (std::vector<std::uint16_t>{60, 110, 112, 11542, 11543}));
        const auto written = writeRegistrationLinks(links.value());
        QCOMPARE(written,
                 std::string(R"(</>;rt="oma.lwm2m";ct="60 110 112 11542 11543",</1/0>,</3/0>)"));
        const auto again = parseRegistrationLinks(written);
        LWM2M_VERIFY_OK(again);
        QVERIFY(again.value() == links.value());
    }

    void ignoresUnknownAttributes() {
        const auto links = parseRegistrationLinks(
            R"(</>;rt="oma.lwm2m core";ct=11543;hb,</3/0>;obs;foo="bar",</3442/0>;x=1)");
        LWM2M_VERIFY_OK(links);
        QVERIFY((links.value().objects == std::vector<ObjectLink>{obj(3, 0), obj(3442, 0)}));
    }

    void writerOmitsPlainRoot() {
        RegistrationLinks links;
        links.objects = {obj(1, 0), obj(65534)};
        QCOMPARE(writeRegistrationLinks(links), std::string("</1/0>,</65534>"));
        links.rootPath = "/alt/";
        QCOMPARE(writeRegistrationLinks(links),
                 std::string(R"(</alt>;rt="oma.lwm2m",</alt/1/0>,</alt/65534>)"));
        QCOMPARE(writeRegistrationLinks(RegistrationLinks{}), std::string());
    }

    void rejectsInvalid_data() {
        QTest::addColumn<QByteArray>("payload");
        QTest::addColumn<int>("offset");
        QTest::newRow("not under root") << QByteArray(R"(</lwm2m>;rt="oma.lwm2m",</1/0>)") << 24;
        QTest::newRow("prefix but not path")
            << QByteArray(R"(</lw>;rt="oma.lwm2m",</lwx/1>)") << 21;
        QTest::newRow("reserved object id") << QByteArray("</1/0>,</65535/0>") << 7;
        QTest::newRow("reserved instance id") << QByteArray("</3/65535>") << 0;
        QTest::newRow("resource level") << QByteArray("</1/0>,</3/0/1>") << 7;
        QTest::newRow("non-numeric") << QByteArray("</3/x>") << 0;
        QTest::newRow("leading zero") << QByteArray("</03>") << 0;
        QTest::newRow("relative") << QByteArray("<3/0>") << 0;
        QTest::newRow("empty target") << QByteArray("<>") << 0;
        QTest::newRow("bad ct") << QByteArray(R"(</>;rt="oma.lwm2m";ct=abc,</1/0>)") << 0;
        QTest::newRow("ct too big") << QByteArray(R"(</>;rt="oma.lwm2m";ct="60 70000")") << 0;
        QTest::newRow("ct double space") << QByteArray(R"(</>;rt="oma.lwm2m";ct="60  110")") << 0;
        QTest::newRow("two roots")
            << QByteArray(R"(</a>;rt="oma.lwm2m",</b>;rt="oma.lwm2m")") << 20;
        QTest::newRow("root not a path") << QByteArray(R"(<coap://x>;rt="oma.lwm2m",</1>)") << 0;
        QTest::newRow("malformed link format") << QByteArray("</1/0>,</3/0") << 7;
        QTest::newRow("flag ver") << QByteArray("</3>;ver") << 0;
    }
    void rejectsInvalid() {
        QFETCH(QByteArray, payload);
        QFETCH(int, offset);
        LWM2M_VERIFY_ERROR_AT(parseRegistrationLinks(payload.toStdString()), offset);
    }
};

QTEST_APPLESS_MAIN(TestRegistrationLinks)
#include "test_registration_links.moc"
