#include <QTest>
#include <cmath>
#include <limits>

#include "senml.h"
#include "test_support.h"

using namespace lwm2mgw::lwm2m;
using lwm2mgw::lwm2m::test::bytes;
using lwm2mgw::lwm2m::test::hex;

namespace {

// OMA LwM2M Core 1.1, SenML JSON example: Read of the Device object instance /3/0.
const char* const kDeviceJson =
    "[{\"bn\":\"/3/0/\",\"n\":\"0\",\"vs\":\"Open Mobile Alliance\"},"
    "{\"n\":\"1\",\"vs\":\"Lightweight M2M Client\"},"
    "{\"n\":\"2\",\"vs\":\"345000123\"},"
    "{\"n\":\"3\",\"vs\":\"1.0\"},"
    "{\"n\":\"6/0\",\"v\":1},"
    "{\"n\":\"6/1\",\"v\":5},"
    "{\"n\":\"7/0\",\"v\":3800},"
    "{\"n\":\"7/1\",\"v\":5000},"
    "{\"n\":\"8/0\",\"v\":125},"
    "{\"n\":\"8/1\",\"v\":900},"
    "{\"n\":\"9\",\"v\":100},"
    "{\"n\":\"10\",\"v\":15},"
    "{\"n\":\"11/0\",\"v\":0},"
    "{\"n\":\"13\",\"v\":1367491215},"
    "{\"n\":\"14\",\"vs\":\"+02:00\"},"
    "{\"n\":\"16\",\"vs\":\"U\"}]";

// OMA LwM2M Core 1.1.1, SenML CBOR example of the same Read (its hex dump), which is also the
// RFC 8949 preferred serialization of the JSON example above with RFC 8428 integer labels.
const char* const kDeviceCbor =
    "90 a3 21 65 2f 33 2f 30 2f 00 61 30 03 74 4f 70 65 6e 20 4d 6f 62 69 6c 65 20 41 6c 6c 69"
    "61 6e 63 65 a2 00 61 31 03 76 4c 69 67 68 74 77 65 69 67 68 74 20 4d 32 4d 20 43 6c 69 65"
    "6e 74 a2 00 61 32 03 69 33 34 35 30 30 30 31 32 33 a2 00 61 33 03 63 31 2e 30 a2 00 63 36"
    "2f 30 02 01 a2 00 63 36 2f 31 02 05 a2 00 63 37 2f 30 02 19 0e d8 a2 00 63 37 2f 31 02 19"
    "13 88 a2 00 63 38 2f 30 02 18 7d a2 00 63 38 2f 31 02 19 03 84 a2 00 61 39 02 18 64 a2 00"
    "62 31 30 02 0f a2 00 64 31 31 2f 30 02 00 a2 00 62 31 33 02 1a 51 82 42 8f a2 00 62 31 34"
    "03 66 2b 30 32 3a 30 30 a2 00 62 31 36 03 61 55";

SenmlRecord rec(std::string name, std::optional<SenmlValue> value = std::nullopt,
                std::optional<double> time = std::nullopt) {
    return SenmlRecord{std::move(name), std::move(value), time};
}

std::vector<SenmlRecord> deviceRecords() {
    using S = std::string;
    using I = std::int64_t;
    return {rec("/3/0/0", S("Open Mobile Alliance")),
            rec("/3/0/1", S("Lightweight M2M Client")),
            rec("/3/0/2", S("345000123")),
            rec("/3/0/3", S("1.0")),
            rec("/3/0/6/0", I{1}),
            rec("/3/0/6/1", I{5}),
            rec("/3/0/7/0", I{3800}),
            rec("/3/0/7/1", I{5000}),
            rec("/3/0/8/0", I{125}),
            rec("/3/0/8/1", I{900}),
            rec("/3/0/9", I{100}),
            rec("/3/0/10", I{15}),
            rec("/3/0/11/0", I{0}),
            rec("/3/0/13", I{1367491215}),
            rec("/3/0/14", S("+02:00")),
            rec("/3/0/16", S("U"))};
}

// Records that exercise every value kind, for round trips through both encoders.
std::vector<SenmlRecord> assortedRecords() {
    return {
        rec("/1/0/1", std::int64_t{86400}, 1700000000.0),
        rec("/3303/0/5700", 21.5),
        rec("/3303/0/5701", 1.0),  // a double that happens to be whole stays a double
        rec("/3303/0/5702", -0.1, 12.25),
        rec("/1/0/6", true),
        rec("/5/0/0", std::vector<std::uint8_t>{0x00, 0xFF, 0xFE, 0x10}),
        rec("/5/0/1", std::vector<std::uint8_t>{}),
        rec("/3/0/14", std::string("Grüße \"quoted\" \\ \n\t")),
        rec("/20/0/1", ObjectLinkValue{3, 0}),
        rec("/20/0/2", ObjectLinkValue{65535, 65535}),
        rec("/3/0/21", std::numeric_limits<std::int64_t>::min()),
        rec("/3/0/22", std::numeric_limits<std::int64_t>::max()),
        rec("/3/0/23", 1e300),
        rec("/3/0/24", 5e-324),
        rec("/3/0/25"),
        rec("/3/0/26", std::string()),
    };
}

template <typename Decode>
void verifyErrorAt(Decode decode, const std::vector<std::uint8_t>& input, std::size_t offset) {
    LWM2M_VERIFY_ERROR_AT(decode(input), offset);
}

}  // namespace

class TestSenml : public QObject {
    Q_OBJECT

private slots:
    void decodesDeviceJsonExample() {
        const auto decoded = decodeSenmlJson(bytes(kDeviceJson));
        LWM2M_VERIFY_OK(decoded);
        QCOMPARE(decoded.value().size(), std::size_t{16});
        QVERIFY(decoded.value() == deviceRecords());
        QVERIFY(std::holds_alternative<std::int64_t>(*decoded.value()[4].value));
        // Encoding factors out the same base name and gives the example back exactly.
        const auto encoded = encodeSenmlJson(decoded.value());
        QCOMPARE(QByteArray(reinterpret_cast<const char*>(encoded.data()),
                            static_cast<qsizetype>(encoded.size())),
                 QByteArray(kDeviceJson));
    }

    void decodesDeviceCborExample() {
        const auto cbor = hex(kDeviceCbor);
        const auto decoded = decodeSenmlCbor(cbor);
        LWM2M_VERIFY_OK(decoded);
        QVERIFY(decoded.value() == deviceRecords());
        QVERIFY(encodeSenmlCbor(deviceRecords()) == cbor);
    }

    void resolvesBaseFields() {
        const auto decoded = decodeSenmlJson(
            bytes("[{\"bn\":\"/3303/0/\",\"bt\":1000,\"bv\":20,\"n\":\"5700\",\"v\":1.5,\"t\":-5},"
                  "{\"n\":\"5701\",\"vs\":\"Cel\"},"
                  "{\"n\":\"5700\",\"v\":2,\"t\":5},"
                  "{\"bn\":\"/1/0/\",\"bt\":2000.5,\"n\":\"1\",\"v\":300},"
                  "{\"bn\":\"/3/0/0\"}]"));
        LWM2M_VERIFY_OK(decoded);
        const std::vector<SenmlRecord> expected{
            rec("/3303/0/5700", 21.5, 995.0),
            rec("/3303/0/5701", std::string("Cel"), 1000.0),  // bv applies to v only
            rec("/3303/0/5700", std::int64_t{22}, 1005.0),    // int + int stays int
            rec("/1/0/1", std::int64_t{320}, 2000.5),
            rec("/3/0/0", std::nullopt, 2000.5),  // a base name alone is a name
        };
        QVERIFY(decoded.value() == expected);
    }

    void jsonNumbers() {
        const auto decoded = decodeSenmlJson(
            bytes("[{\"n\":\"a\",\"v\":1},{\"n\":\"b\",\"v\":1.0},{\"n\":\"c\",\"v\":1e3},"
                  "{\"n\":\"d\",\"v\":9223372036854775807},{\"n\":\"e\",\"v\":9223372036854775808},"
                  "{\"n\":\"f\",\"v\":-9223372036854775808},{\"n\":\"g\",\"v\":-0},{\"n\":\"h\","
                  "\"v\":-2.5E-3}]"));
        LWM2M_VERIFY_OK(decoded);
        const auto& r = decoded.value();
        QVERIFY(*r[0].value == SenmlValue(std::int64_t{1}));
        QVERIFY(*r[1].value == SenmlValue(1.0));
        QVERIFY(*r[2].value == SenmlValue(1000.0));
        QVERIFY(*r[3].value == SenmlValue(std::numeric_limits<std::int64_t>::max()));
        QVERIFY(*r[4].value == SenmlValue(9223372036854775808.0));
        QVERIFY(*r[5].value == SenmlValue(std::numeric_limits<std::int64_t>::min()));
        QVERIFY(*r[6].value == SenmlValue(std::int64_t{0}));
        QVERIFY(*r[7].value == SenmlValue(-2.5e-3));
    }

    void valueKinds() {
        const auto decoded = decodeSenmlJson(bytes(
            "[{\"bn\":\"/1/0/"
            "\",\"n\":\"6\",\"vb\":false},{\"n\":\"7\",\"vs\":\"U\\u00fc\\ud83d\\ude00\"},"
            "{\"n\":\"8\",\"vd\":\"AP_-EA\"},{\"n\":\"9\",\"vd\":\"AP_-EA==\"},{\"n\":\"10\","
            "\"vlo\":\"3:0\"},"
            "{\"n\":\"11\",\"u\":\"s\",\"ut\":10,\"s\":1,\"x\":{\"nested\":[1,{\"a\":null}]}}]"));
        LWM2M_VERIFY_OK(decoded);
        const auto& r = decoded.value();
        QVERIFY(*r[0].value == SenmlValue(false));
        QVERIFY(*r[1].value == SenmlValue(std::string("U\xC3\xBC\xF0\x9F\x98\x80")));
        const std::vector<std::uint8_t> data{0x00, 0xFF, 0xFE, 0x10};
        QVERIFY(*r[2].value == SenmlValue(data));
        QVERIFY(*r[3].value == SenmlValue(data));
        QVERIFY(*r[4].value == SenmlValue(ObjectLinkValue{3, 0}));
        QVERIFY(!r[5].value);  // units, sums and unknown fields carry no value
    }

    // Read-Composite / Observe-Composite requests list names only.
    void recordsWithoutValues() {
        const auto json = decodeSenmlJson(bytes("[{\"n\":\"/3/0/1\"},{\"n\":\"/1/0\"}]"));
        LWM2M_VERIFY_OK(json);
        QVERIFY((json.value() == std::vector<SenmlRecord>{rec("/3/0/1"), rec("/1/0")}));
        const auto cbor =
            decodeSenmlCbor(hex("82 a1 00 66 2f 33 2f 30 2f 31 a1 00 64 2f 31 2f 30"));
        LWM2M_VERIFY_OK(cbor);
        QVERIFY(cbor.value() == json.value());
        const auto empty = decodeSenmlJson(bytes(" [ ] "));
        LWM2M_VERIFY_OK(empty);
        QVERIFY(empty.value().empty());
    }

    void roundTripsJson() {
        const auto records = assortedRecords();
        const auto encoded = encodeSenmlJson(records);
        const auto decoded = decodeSenmlJson(encoded);
        LWM2M_VERIFY_OK(decoded);
        QVERIFY2(decoded.value() == records,
                 QByteArray(reinterpret_cast<const char*>(encoded.data()),
                            static_cast<qsizetype>(encoded.size())));
        QCOMPARE(decodeSenmlJson(encodeSenmlJson({})).value().size(), std::size_t{0});
    }

    void roundTripsCbor() {
        auto records = assortedRecords();
        records.push_back(rec("/3/0/30", std::numeric_limits<double>::infinity()));
        records.push_back(rec("/3/0/31", -std::numeric_limits<double>::infinity(), 0.5));
        const auto decoded = decodeSenmlCbor(encodeSenmlCbor(records));
        LWM2M_VERIFY_OK(decoded);
        QVERIFY(decoded.value() == records);

        const auto nan = decodeSenmlCbor(encodeSenmlCbor({rec("/1", std::nan(""))}));
        LWM2M_VERIFY_OK(nan);
        QVERIFY(std::isnan(std::get<double>(*nan.value()[0].value)));
    }

    void factorsCommonBaseName() {
        const auto encoded = encodeSenmlJson({rec("/3/0/1", std::int64_t{1}), rec("/3/1/2")});
        QCOMPARE(std::string(encoded.begin(), encoded.end()),
                 std::string("[{\"bn\":\"/3/\",\"n\":\"0/1\",\"v\":1},{\"n\":\"1/2\"}]"));
        const auto single = encodeSenmlJson({rec("/3/0/1", 2.0, 10.0)});
        QCOMPARE(std::string(single.begin(), single.end()),
                 std::string("[{\"n\":\"/3/0/1\",\"v\":2.0,\"t\":10}]"));
        // A record equal to the base name needs no "n".
        const auto withBase = encodeSenmlJson({rec("/3/0/"), rec("/3/0/1")});
        QCOMPARE(std::string(withBase.begin(), withBase.end()),
                 std::string("[{\"bn\":\"/3/0/\"},{\"n\":\"1\"}]"));
    }

    void cborSpecifics() {
        // Indefinite-length array, map and chunked text; float16 and float32 values; tag in an
        // unknown field; label -1 (bver) = 10.
        const auto decoded = decodeSenmlCbor(
            hex("9f bf 20 0a 00 7f 62 2f 31 61 30 ff 02 f9 3e 00 18 63 c1 1a 00 00 00 01 ff"
                "a2 00 62 2f 32 02 fa 3f c0 00 00 ff"));
        LWM2M_VERIFY_OK(decoded);
        QVERIFY((decoded.value() == std::vector<SenmlRecord>{rec("/10", 1.5), rec("/2", 1.5)}));
        // A negative integer and an unsigned one beyond int64.
        const auto big = decodeSenmlCbor(
            hex("82 a2 00 61 61 02 3b 7f ff ff ff ff ff ff ff a2 00 61 62 02 1b ff ff ff ff ff "
                "ff ff ff"));
        LWM2M_VERIFY_OK(big);
        QVERIFY(*big.value()[0].value == SenmlValue(std::numeric_limits<std::int64_t>::min()));
        QVERIFY(*big.value()[1].value == SenmlValue(18446744073709551615.0));
        // "vlo" is a text label in LwM2M's SenML CBOR.
        const auto link = decodeSenmlCbor(hex("81 a2 00 61 61 63 76 6c 6f 63 33 3a 30"));
        LWM2M_VERIFY_OK(link);
        QVERIFY(*link.value()[0].value == SenmlValue(ObjectLinkValue{3, 0}));
    }

    void jsonRejects_data() {
        QTest::addColumn<QByteArray>("payload");
        QTest::addColumn<int>("offset");
        QTest::newRow("empty") << QByteArray("") << 0;
        QTest::newRow("object, not array") << QByteArray("{\"n\":\"a\"}") << 0;
        QTest::newRow("record not a map") << QByteArray("[{\"n\":\"a\"}, 1]") << 12;
        QTest::newRow("name not a string") << QByteArray("[{\"n\":1}]") << 6;
        QTest::newRow("v not a number") << QByteArray("[{\"n\":\"a\",\"v\":\"1\"}]") << 14;
        QTest::newRow("vb not a bool") << QByteArray("[{\"n\":\"a\",\"vb\":1}]") << 15;
        QTest::newRow("null value") << QByteArray("[{\"n\":\"a\",\"vs\":null}]") << 15;
        QTest::newRow("two values") << QByteArray("[{\"n\":\"a\",\"v\":1,\"vs\":\"x\"}]") << 21;
        QTest::newRow("duplicate field") << QByteArray("[{\"n\":\"a\",\"n\":\"b\"}]") << 14;
        QTest::newRow("no name") << QByteArray("[{\"v\":1}]") << 1;
        QTest::newRow("no name later") << QByteArray("[{\"n\":\"a\"},{\"v\":1}]") << 11;
        QTest::newRow("bad name chars") << QByteArray("[{\"n\":\"/3/0 1\"}]") << 1;
        QTest::newRow("must understand") << QByteArray("[{\"n\":\"a\",\"x_\":1}]") << 15;
        QTest::newRow("bver too new") << QByteArray("[{\"bver\":11,\"n\":\"a\"}]") << 9;
        QTest::newRow("bver not integer") << QByteArray("[{\"bver\":1.5,\"n\":\"a\"}]") << 9;
        QTest::newRow("truncated") << QByteArray("[{\"n\":\"a\"") << 1;
        QTest::newRow("unclosed array") << QByteArray("[{\"n\":\"a\"}") << 10;
        QTest::newRow("unterminated string") << QByteArray("[{\"n\":\"abc}]") << 6;
        QTest::newRow("bad escape") << QByteArray("[{\"n\":\"a\\q\"}]") << 8;
        QTest::newRow("lone surrogate") << QByteArray("[{\"n\":\"a\",\"vs\":\"\\udc00\"}]") << 16;
        QTest::newRow("raw control char") << QByteArray("[{\"n\":\"a\x01\"}]") << 8;
        QTest::newRow("invalid utf-8") << QByteArray("[{\"n\":\"a\",\"vs\":\"\xC3(\"}]") << 16;
        QTest::newRow("trailing data") << QByteArray("[{\"n\":\"a\"}] x") << 12;
        QTest::newRow("trailing comma") << QByteArray("[{\"n\":\"a\"},]") << 11;
        QTest::newRow("leading zero") << QByteArray("[{\"n\":\"a\",\"v\":01}]") << 15;
        QTest::newRow("number overflow") << QByteArray("[{\"n\":\"a\",\"v\":1e400}]") << 14;
        QTest::newRow("bare minus") << QByteArray("[{\"n\":\"a\",\"v\":-}]") << 14;
        QTest::newRow("bad vd") << QByteArray("[{\"n\":\"a\",\"vd\":\"a+b\"}]") << 17;
        QTest::newRow("vd dangling char") << QByteArray("[{\"n\":\"a\",\"vd\":\"abcde\"}]") << 20;
        QTest::newRow("bad vlo") << QByteArray("[{\"n\":\"a\",\"vlo\":\"3-0\"}]") << 16;
        QTest::newRow("vlo id too big") << QByteArray("[{\"n\":\"a\",\"vlo\":\"3:65536\"}]") << 16;
        QTest::newRow("key not string") << QByteArray("[{n:\"a\"}]") << 2;
        QTest::newRow("missing colon") << QByteArray("[{\"n\" \"a\"}]") << 6;
        QTest::newRow("bad literal") << QByteArray("[{\"n\":\"a\",\"vb\":tru}]") << 15;
    }
    void jsonRejects() {
        QFETCH(QByteArray, payload);
        QFETCH(int, offset);
        verifyErrorAt(decodeSenmlJson, bytes(payload.toStdString()),
                      static_cast<std::size_t>(offset));
    }

    void jsonRejectsDeepNestingAndHugeInput() {
        std::string deep = "[{\"n\":\"a\",\"x\":";
        deep += std::string(20000, '[') + std::string(20000, ']') + "}]";
        const auto nested = decodeSenmlJson(bytes(deep));
        QVERIFY(!nested.ok());
        QVERIFY(nested.error().offset >= 14 && nested.error().offset < 14 + 40);

        std::string arrays(50000, '[');
        QVERIFY(!decodeSenmlJson(bytes(arrays)).ok());

        std::string huge = "[";
        while (huge.size() <= kMaxSenmlSize) {
            huge += "{\"n\":\"/3/0/0\",\"v\":1},";
        }
        LWM2M_VERIFY_ERROR_AT(decodeSenmlJson(bytes(huge)), kMaxSenmlSize);
    }

    void cborRejects_data() {
        QTest::addColumn<QByteArray>("hexBytes");
        QTest::addColumn<int>("offset");
        QTest::newRow("empty") << QByteArray("") << 0;
        QTest::newRow("map, not array") << QByteArray("a1 00 61 61") << 0;
        QTest::newRow("record not a map") << QByteArray("82 a1 00 61 61 01") << 5;
        QTest::newRow("byte string label") << QByteArray("81 a1 41 00 61 61") << 2;
        QTest::newRow("float label") << QByteArray("81 a1 f9 3c 00 61 61") << 2;
        QTest::newRow("name not text") << QByteArray("81 a1 00 41 61") << 3;
        QTest::newRow("vd not bytes") << QByteArray("81 a2 00 61 61 08 61 61") << 6;
        QTest::newRow("vb not bool") << QByteArray("81 a2 00 61 61 04 01") << 6;
        QTest::newRow("tag on value") << QByteArray("81 a2 00 61 61 02 c1 01") << 6;
        QTest::newRow("two values") << QByteArray("81 a3 00 61 61 02 01 04 f5") << 8;
        QTest::newRow("duplicate label") << QByteArray("81 a2 00 61 61 00 61 62") << 6;
        QTest::newRow("no name") << QByteArray("81 a1 02 01") << 1;
        QTest::newRow("must understand") << QByteArray("81 a2 00 61 61 62 78 5f 01") << 8;
        QTest::newRow("truncated array") << QByteArray("82 a1 00 61 61") << 5;
        QTest::newRow("truncated map") << QByteArray("81 a2 00 61 61") << 5;
        QTest::newRow("truncated string") << QByteArray("81 a1 00 65 2f 33") << 3;
        QTest::newRow("huge string length")
            << QByteArray("81 a1 00 7b ff ff ff ff ff ff ff ff") << 3;
        QTest::newRow("huge array length")
            << QByteArray("9b ff ff ff ff ff ff ff ff a1 00 61 61") << 0;
        QTest::newRow("invalid utf-8 text") << QByteArray("81 a1 00 62 c3 28") << 3;
        QTest::newRow("trailing bytes") << QByteArray("81 a1 00 61 61 00") << 5;
        QTest::newRow("break outside") << QByteArray("81 a1 00 61 61 ff") << 5;
        QTest::newRow("bad vlo") << QByteArray("81 a2 00 61 61 63 76 6c 6f 61 33") << 9;
    }
    void cborRejects() {
        QFETCH(QByteArray, hexBytes);
        QFETCH(int, offset);
        const auto input = hex(hexBytes.toStdString());
        const auto result = decodeSenmlCbor(input);
        QVERIFY2(!result.ok(), "expected an error");
        QVERIFY2(result.error().offset == static_cast<std::size_t>(offset),
                 test::describe(result.error()).constData());
    }

    void cborRejectsDeepNestingAndHugeInput() {
        // An unknown label 99 whose value nests 10000 arrays.
        auto deep = hex("81 a2 00 61 61 18 63");
        deep.insert(deep.end(), 10000, 0x81);
        deep.push_back(0x00);
        QVERIFY(!decodeSenmlCbor(deep).ok());

        std::vector<std::uint8_t> huge(kMaxSenmlSize + 1, 0x80);
        LWM2M_VERIFY_ERROR_AT(decodeSenmlCbor(huge), kMaxSenmlSize);
    }
};

QTEST_APPLESS_MAIN(TestSenml)
#include "test_senml.moc"
