#include <QTest>

#include "link_format.h"
#include "test_support.h"

using namespace lwm2mgw::lwm2m;

namespace {

std::optional<std::string> attr(const Link& link, std::string_view name) {
    const auto* found = link.find(name);
    return found != nullptr ? found->value : std::optional<std::string>("<missing>");
}

}  // namespace

class TestLinkFormat : public QObject {
    Q_OBJECT

private slots:
    void emptyPayloadIsEmptyList() {
        for (const char* payload : {"", " ", "\r\n"}) {
            const auto links = parseLinkFormat(payload);
            LWM2M_VERIFY_OK(links);
            QVERIFY(links.value().empty());
        }
    }

    // RFC 6690 section 5: GET /.well-known/core, wrapped over lines as printed in the RFC.
    void rfc6690Section5SensorDiscovery() {
        const auto links = parseLinkFormat(
            "</sensors/temp>;if=\"sensor\",\n"
            "</sensors/light>;if=\"sensor\"");
        LWM2M_VERIFY_OK(links);
        QCOMPARE(links.value().size(), std::size_t{2});
        QCOMPARE(links.value()[0].target, std::string("/sensors/temp"));
        QCOMPARE(attr(links.value()[0], "if"), std::optional<std::string>("sensor"));
        QCOMPARE(links.value()[1].target, std::string("/sensors/light"));
    }

    // RFC 6690 section 5: resource types and a content-format attribute.
    void rfc6690Section5ResourceTypes() {
        const auto links = parseLinkFormat(
            "</sensors/temp>;rt=\"temperature-c\";if=\"sensor\",\n"
            "</sensors/light>;rt=\"light-lux\";if=\"sensor\"");
        LWM2M_VERIFY_OK(links);
        QCOMPARE(links.value().size(), std::size_t{2});
        QCOMPARE(attr(links.value()[0], "rt"), std::optional<std::string>("temperature-c"));
        QCOMPARE(attr(links.value()[1], "rt"), std::optional<std::string>("light-lux"));

        const auto index = parseLinkFormat("</sensors>;ct=40");
        LWM2M_VERIFY_OK(index);
        QCOMPARE(attr(index.value()[0], "ct"), std::optional<std::string>("40"));
    }

    // RFC 6690 section 5: anchors, rel and a title containing a space.
    void rfc6690Section5Anchors() {
        const std::string payload =
            "</sensors>;ct=40;title=\"Sensor Index\",\n"
            "</sensors/temp>;rt=\"temperature-c\";if=\"sensor\",\n"
            "</sensors/light>;rt=\"light-lux\";if=\"sensor\",\n"
            "<http://www.example.com/sensors/t123>;anchor=\"/sensors/temp\";rel=\"describedby\",\n"
            "</t>;anchor=\"/sensors/temp\";rel=\"alternate\"";
        const auto links = parseLinkFormat(payload);
        LWM2M_VERIFY_OK(links);
        const auto& l = links.value();
        QCOMPARE(l.size(), std::size_t{5});
        QCOMPARE(attr(l[0], "title"), std::optional<std::string>("Sensor Index"));
        QCOMPARE(l[3].target, std::string("http://www.example.com/sensors/t123"));
        QCOMPARE(attr(l[3], "anchor"), std::optional<std::string>("/sensors/temp"));
        QCOMPARE(attr(l[3], "rel"), std::optional<std::string>("describedby"));
        QCOMPARE(attr(l[4], "rel"), std::optional<std::string>("alternate"));

        // Writing gives the same links back (quoting anchor/rel/rt/if/title, not ct).
        const auto written = writeLinkFormat(l);
        QVERIFY(written.find("ct=40;title=\"Sensor Index\"") != std::string::npos);
        const auto reparsed = parseLinkFormat(written);
        LWM2M_VERIFY_OK(reparsed);
        QVERIFY(reparsed.value() == l);
    }

    void quotedStringsAndFlags() {
        const auto links =
            parseLinkFormat("</a>;title=\"say \\\"hi\\\", \\\\ ok;\";obs;x=b=c;e=\"\";sz=12,</b>");
        LWM2M_VERIFY_OK(links);
        const auto& l = links.value();
        QCOMPARE(l.size(), std::size_t{2});
        QCOMPARE(attr(l[0], "title"), std::optional<std::string>("say \"hi\", \\ ok;"));
        QVERIFY(l[0].find("obs") != nullptr);
        QVERIFY(!l[0].find("obs")->value);  // a bare flag
        QCOMPARE(attr(l[0], "x"), std::optional<std::string>("b=c"));
        QCOMPARE(attr(l[0], "e"), std::optional<std::string>(""));
        QCOMPARE(attr(l[0], "sz"), std::optional<std::string>("12"));
        QVERIFY(l[0].find("nope") == nullptr);
        QCOMPARE(l[1].target, std::string("/b"));
        QVERIFY(l[1].attributes.empty());
    }

    void keepsAttributeOrderAndDuplicates() {
        const auto links = parseLinkFormat("</a>;rt=\"x\";rt=\"y\";title*=UTF-8'de'n%c3%a4chstes");
        LWM2M_VERIFY_OK(links);
        const auto& a = links.value()[0].attributes;
        QCOMPARE(a.size(), std::size_t{3});
        QCOMPARE(*a[0].value, std::string("x"));
        QCOMPARE(*a[1].value, std::string("y"));
        QCOMPARE(a[2].name, std::string("title*"));
        QCOMPARE(*a[2].value, std::string("UTF-8'de'n%c3%a4chstes"));
        QCOMPARE(*links.value()[0].find("rt")->value, std::string("x"));  // first one wins
    }

    void writerQuotesWhatNeedsIt() {
        const std::vector<Link> links{
            {"/3/0", {{"rt", "oma.lwm2m"}, {"ct", "11543"}, {"obs", std::nullopt}}},
            {"/x", {{"title", "a \"b\" \\c"}, {"ct", "60 110"}, {"v", ""}, {"w", "a,b"}}},
        };
        const auto written = writeLinkFormat(links);
        QCOMPARE(written, std::string("</3/0>;rt=\"oma.lwm2m\";ct=11543;obs,"
                                      "</x>;title=\"a \\\"b\\\" \\\\c\";ct=\"60 110\";v=\"\";"
                                      "w=\"a,b\""));
        const auto reparsed = parseLinkFormat(written);
        LWM2M_VERIFY_OK(reparsed);
        QVERIFY(reparsed.value() == links);
        QCOMPARE(writeLinkFormat({}), std::string());
    }

    void rejectsMalformed_data() {
        QTest::addColumn<QByteArray>("payload");
        QTest::addColumn<int>("offset");
        QTest::newRow("no angle bracket") << QByteArray("/a") << 0;
        QTest::newRow("unterminated target") << QByteArray("</a>,</b") << 5;
        QTest::newRow("unterminated quote") << QByteArray("</a>;title=\"abc") << 11;
        QTest::newRow("quote with comma unterminated") << QByteArray("</a>;t=\"x,</b>") << 7;
        QTest::newRow("backslash at end") << QByteArray("</a>;t=\"x\\") << 9;
        QTest::newRow("escaped control") << QByteArray("</a>;t=\"\\\n\"") << 8;
        QTest::newRow("escaped non-ascii") << QByteArray("</a>;t=\"\\\xC3\xA9\"") << 8;
        QTest::newRow("control in quotes") << QByteArray("</a>;t=\"a\x01\"") << 9;
        QTest::newRow("empty value") << QByteArray("</a>;x=,</b>") << 7;
        QTest::newRow("empty name") << QByteArray("</a>;=1") << 5;
        QTest::newRow("semicolon at end") << QByteArray("</a>;") << 5;
        QTest::newRow("trailing comma") << QByteArray("</a>,") << 4;
        QTest::newRow("double comma") << QByteArray("</a>,,</b>") << 5;
        QTest::newRow("missing comma") << QByteArray("</a> </b>") << 5;
        QTest::newRow("space before semicolon") << QByteArray("</a> ;ct=0") << 5;
        QTest::newRow("space in target") << QByteArray("</a b>") << 3;
        QTest::newRow("nested angle") << QByteArray("<</a>>") << 1;
        QTest::newRow("junk after quote") << QByteArray("</a>;t=\"x\"y") << 10;
        QTest::newRow("space in ptoken") << QByteArray("</a>;ct=1 2") << 10;
        QTest::newRow("nul byte") << QByteArray("</a>\0", 5) << 4;
    }
    void rejectsMalformed() {
        QFETCH(QByteArray, payload);
        QFETCH(int, offset);
        LWM2M_VERIFY_ERROR_AT(parseLinkFormat(payload.toStdString()), offset);
    }

    void rejectsOversizedPayload() {
        std::string payload;
        while (payload.size() <= kMaxLinkFormatSize) {
            payload += "</3/0>,";
        }
        LWM2M_VERIFY_ERROR_AT(parseLinkFormat(payload), kMaxLinkFormatSize);
    }

    void manyLinksDoNotHurt() {
        std::string payload = "</a>";
        for (int i = 0; i < 5000; ++i) {
            payload += ",</" + std::to_string(i) + ">;x";
        }
        const auto links = parseLinkFormat(payload);
        LWM2M_VERIFY_OK(links);
        QCOMPARE(links.value().size(), std::size_t{5001});
    }
};

QTEST_APPLESS_MAIN(TestLinkFormat)
#include "test_link_format.moc"
