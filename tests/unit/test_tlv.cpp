#include <QTest>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "test_support.h"
#include "tlv.h"

using namespace lwm2mgw::lwm2m;
using lwm2mgw::lwm2m::test::hex;

namespace {

// OMA LwM2M Core, TLV examples: "Request on Single Object Instance of Device Object" — the
// resources of /3/0 as a client returns them for a Read of /3/0.
const char* const kDeviceInstanceResources =
    "C8 00 14 4F 70 65 6E 20 4D 6F 62 69 6C 65 20 41 6C 6C 69 61 6E 63 65"        // 0 Manufacturer
    "C8 01 16 4C 69 67 68 74 77 65 69 67 68 74 20 4D 32 4D 20 43 6C 69 65 6E 74"  // 1 Model
    "C8 02 09 33 34 35 30 30 30 31 32 33"  // 2 Serial Number "345000123"
    "C3 03 31 2E 30"                       // 3 Firmware Version "1.0"
    "86 06 41 00 01 41 01 05"              // 6 Available Power Sources: 1, 5
    "88 07 08 42 00 0E D8 42 01 13 88"     // 7 Power Source Voltage: 3800, 5000
    "87 08 41 00 7D 42 01 03 84"           // 8 Power Source Current: 125, 900
    "C1 09 64"                             // 9 Battery Level 100
    "C1 0A 0F"                             // 10 Memory Free 15
    "83 0B 41 00 00"                       // 11 Error Code: 0
    "C4 0D 51 82 42 8F"                    // 13 Current Time 1367491215
    "C6 0E 2B 30 32 3A 30 30"              // 14 UTC Offset "+02:00"
    "C1 10 55";                            // 16 Supported Binding "U"

std::string text(const std::vector<std::uint8_t>& value) {
    auto s = tlvToString(value);
    return s ? s.value() : std::string("<invalid>");
}

std::int64_t integer(const std::vector<std::uint8_t>& value) {
    auto i = tlvToInteger(value);
    return i ? i.value() : -999;
}

TlvRecord resource(std::uint16_t id, std::vector<std::uint8_t> value) {
    return TlvRecord{TlvType::ResourceValue, id, std::move(value), {}};
}

TlvRecord instance(std::uint16_t id, std::vector<std::uint8_t> value) {
    return TlvRecord{TlvType::ResourceInstance, id, std::move(value), {}};
}

}  // namespace

class TestTlv : public QObject {
    Q_OBJECT

private slots:
    void decodesDeviceObjectInstanceExample() {
        const auto bytes = hex(kDeviceInstanceResources);
        const auto decoded = decodeTlv(bytes);
        LWM2M_VERIFY_OK(decoded);
        const auto& r = decoded.value();
        QCOMPARE(r.size(), std::size_t{13});
        QVERIFY(r[0].type == TlvType::ResourceValue);
        QCOMPARE(r[0].id, std::uint16_t{0});
        QCOMPARE(text(r[0].value), std::string("Open Mobile Alliance"));
        QCOMPARE(text(r[1].value), std::string("Lightweight M2M Client"));
        QCOMPARE(text(r[2].value), std::string("345000123"));
        QCOMPARE(text(r[3].value), std::string("1.0"));

        QVERIFY(r[4].type == TlvType::MultipleResource);
        QCOMPARE(r[4].id, std::uint16_t{6});
        QCOMPARE(r[4].children.size(), std::size_t{2});
        QVERIFY(r[4].children[0].type == TlvType::ResourceInstance);
        QCOMPARE(integer(r[4].children[0].value), std::int64_t{1});
        QCOMPARE(integer(r[4].children[1].value), std::int64_t{5});
        QCOMPARE(r[4].children[1].id, std::uint16_t{1});
        QCOMPARE(integer(r[5].children[0].value), std::int64_t{3800});
        QCOMPARE(integer(r[5].children[1].value), std::int64_t{5000});
        QCOMPARE(integer(r[6].children[0].value), std::int64_t{125});
        QCOMPARE(integer(r[6].children[1].value), std::int64_t{900});
        QCOMPARE(integer(r[7].value), std::int64_t{100});
        QCOMPARE(integer(r[8].value), std::int64_t{15});
        QCOMPARE(r[9].id, std::uint16_t{11});
        QCOMPARE(integer(r[9].children[0].value), std::int64_t{0});
        QCOMPARE(r[10].id, std::uint16_t{13});
        QCOMPARE(integer(r[10].value), std::int64_t{1367491215});
        QCOMPARE(text(r[11].value), std::string("+02:00"));
        QCOMPARE(r[12].id, std::uint16_t{16});
        QCOMPARE(text(r[12].value), std::string("U"));

        // The example is minimally encoded, so encoding reproduces it byte for byte.
        QVERIFY(encodeTlv(r) == bytes);
    }

    // The same resources wrapped in Object Instance 0, as for a Read of /3: 08 00 79 ...
    void decodesDeviceObjectExample() {
        auto bytes = hex("08 00 79");
        const auto resources = hex(kDeviceInstanceResources);
        QCOMPARE(resources.size(), std::size_t{0x79});
        bytes.insert(bytes.end(), resources.begin(), resources.end());
        const auto decoded = decodeTlv(bytes);
        LWM2M_VERIFY_OK(decoded);
        QCOMPARE(decoded.value().size(), std::size_t{1});
        const auto& object = decoded.value()[0];
        QVERIFY(object.type == TlvType::ObjectInstance);
        QCOMPARE(object.id, std::uint16_t{0});
        QCOMPARE(object.children.size(), std::size_t{13});
        QVERIFY(object.value.empty());
        QVERIFY(encodeTlv(decoded.value()) == bytes);
    }

    void singleResourceAndEmptyInput() {
        const auto one =
            decodeTlv(hex("C8 00 14 4F 70 65 6E 20 4D 6F 62 69 6C 65 20 41 6C 6C "
                          "69 61 6E 63 65"));
        LWM2M_VERIFY_OK(one);
        QCOMPARE(text(one.value().at(0).value), std::string("Open Mobile Alliance"));

        const auto none = decodeTlv({});
        LWM2M_VERIFY_OK(none);
        QVERIFY(none.value().empty());

        // Read of a single resource instance (LwM2M 1.1) returns a bare ResourceInstance.
        const auto bare = decodeTlv(hex("41 01 05"));
        LWM2M_VERIFY_OK(bare);
        QVERIFY(bare.value().at(0).type == TlvType::ResourceInstance);

        // Empty containers are legal (e.g. Create with no resources, an empty array).
        const auto empty = decodeTlv(hex("00 01 80 05"));
        LWM2M_VERIFY_OK(empty);
        QCOMPARE(empty.value().size(), std::size_t{2});
    }

    void idAndLengthWidths() {
        // 16-bit id, 16-bit and 24-bit lengths, all chosen by the encoder.
        const std::vector<TlvRecord> records{
            resource(0x1234, std::vector<std::uint8_t>(300, 0xAB)),
            resource(7, std::vector<std::uint8_t>(70000, 0x01)),
            resource(255, {}),
            resource(256, {1, 2, 3, 4, 5, 6, 7}),
        };
        const auto bytes = encodeTlv(records);
        QCOMPARE(bytes[0], std::uint8_t{0xF0});  // 11 1 10 000
        QCOMPARE(bytes[1], std::uint8_t{0x12});
        QCOMPARE(bytes[2], std::uint8_t{0x34});
        QCOMPARE(bytes[3], std::uint8_t{0x01});
        QCOMPARE(bytes[4], std::uint8_t{0x2C});
        QCOMPARE(bytes[305], std::uint8_t{0xD8});  // 11 0 11 000
        const auto decoded = decodeTlv(bytes);
        LWM2M_VERIFY_OK(decoded);
        QVERIFY(decoded.value() == records);
    }

    void acceptsNonMinimalEncodings() {
        // 16-bit id 5, and an 8-bit length field holding 1.
        const auto decoded = decodeTlv(hex("E0 00 05 C8 09 01 64"));
        LWM2M_VERIFY_OK(decoded);
        QCOMPARE(decoded.value().size(), std::size_t{2});
        QCOMPARE(decoded.value()[0].id, std::uint16_t{5});
        QCOMPARE(integer(decoded.value()[1].value), std::int64_t{100});
    }

    void rejectsMalformed_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("offset");
        const auto row = [](const char* name, const char* hexBytes, int offset) {
            const auto b = hex(hexBytes);
            QTest::newRow(name) << QByteArray(reinterpret_cast<const char*>(b.data()),
                                              static_cast<qsizetype>(b.size()))
                                << offset;
        };
        row("type byte only", "C8", 0);
        row("missing length byte", "C8 00", 0);
        row("missing 16-bit id byte", "E1 00", 0);
        row("value truncated", "C3 03 31 2E", 0);
        row("second record truncated", "C1 09 64 C8 01 16 4C", 3);
        row("huge 24-bit length", "D8 00 FF FF FF 00", 0);
        row("huge 16-bit length", "D0 00 FF FF", 0);
        row("truncated record after container", "86 06 41 00 01 41 01 05 06", 8);
        row("child truncated inside container", "85 06 41 00 01 41 01", 5);
        row("resource in multiple resource", "83 06 C1 00 01", 2);
        row("object instance in object instance", "03 00 01 00 00", 2);
        row("resource instance in object instance", "03 00 41 00 01", 2);
        row("object instance in multiple resource", "82 06 00 00", 2);
        row("nested error deep inside", "08 00 08 86 06 41 00 01 C1 01 05", 8);
    }
    void rejectsMalformed() {
        QFETCH(QByteArray, bytes);
        QFETCH(int, offset);
        const auto span = std::span(reinterpret_cast<const std::uint8_t*>(bytes.constData()),
                                    static_cast<std::size_t>(bytes.size()));
        LWM2M_VERIFY_ERROR_AT(decodeTlv(span), offset);
    }

    void deepNestingIsRefused() {
        // Object instances nested 200 deep: refused at the first illegal nesting.
        TlvRecord nested{TlvType::ObjectInstance, 0, {}, {}};
        for (int i = 0; i < 200; ++i) {
            nested = TlvRecord{TlvType::ObjectInstance, 0, {}, {nested}};
        }
        const auto bytes = encodeTlv({nested});
        const std::size_t outerHeader = 2 + ((bytes[0] >> 3) & 0x03u);
        LWM2M_VERIFY_ERROR_AT(decodeTlv(bytes), outerHeader);
    }

    void encoderRefusesOversizedContent() {
        const std::vector<TlvRecord> records{
            resource(1, std::vector<std::uint8_t>(kMaxTlvLength + 1, 0))};
        QVERIFY_THROWS_EXCEPTION(std::length_error, (void)encodeTlv(records));
    }

    void roundTripsNestedRecords() {
        TlvRecord multi{TlvType::MultipleResource, 6, {}, {instance(0, {1}), instance(300, {})}};
        TlvRecord object{TlvType::ObjectInstance, 65534, {}, {resource(0, {'a'}), multi}};
        const std::vector<TlvRecord> records{object, TlvRecord{TlvType::ObjectInstance, 1, {}, {}}};
        const auto decoded = decodeTlv(encodeTlv(records));
        LWM2M_VERIFY_OK(decoded);
        QVERIFY(decoded.value() == records);
    }

    void integers() {
        QCOMPARE(tlvToInteger(hex("7F")).value(), std::int64_t{127});
        QCOMPARE(tlvToInteger(hex("80")).value(), std::int64_t{-128});
        QCOMPARE(tlvToInteger(hex("FF FF")).value(), std::int64_t{-1});
        QCOMPARE(tlvToInteger(hex("80 00 00 00")).value(), std::int64_t{-2147483648LL});
        QCOMPARE(tlvToInteger(hex("80 00 00 00 00 00 00 00")).value(),
                 std::numeric_limits<std::int64_t>::min());
        QCOMPARE(tlvToInteger(hex("7F FF FF FF FF FF FF FF")).value(),
                 std::numeric_limits<std::int64_t>::max());
        LWM2M_VERIFY_ERROR_AT(tlvToInteger(hex("00 00 00")), 0);
        LWM2M_VERIFY_ERROR_AT(tlvToInteger({}), 0);

        QVERIFY(tlvFromInteger(0) == hex("00"));
        QVERIFY(tlvFromInteger(127) == hex("7F"));
        QVERIFY(tlvFromInteger(128) == hex("00 80"));
        QVERIFY(tlvFromInteger(-128) == hex("80"));
        QVERIFY(tlvFromInteger(-129) == hex("FF 7F"));
        QVERIFY(tlvFromInteger(3800) == hex("0E D8"));
        QVERIFY(tlvFromInteger(32768) == hex("00 00 80 00"));
        QVERIFY(tlvFromInteger(1367491215) == hex("51 82 42 8F"));
        QVERIFY(tlvFromInteger(2147483648LL) == hex("00 00 00 00 80 00 00 00"));
        QVERIFY(tlvFromInteger(std::numeric_limits<std::int64_t>::min()) ==
                hex("80 00 00 00 00 00 00 00"));
        for (const std::int64_t v :
             {std::int64_t{0}, std::int64_t{-1}, std::int64_t{40000}, std::int64_t{-40000},
              std::int64_t{1} << 40, std::numeric_limits<std::int64_t>::max()}) {
            QCOMPARE(tlvToInteger(tlvFromInteger(v)).value(), v);
        }

        QCOMPARE(tlvToUnsignedInteger(hex("FF FF FF FF FF FF FF FF")).value(),
                 std::numeric_limits<std::uint64_t>::max());
        QVERIFY(tlvFromUnsignedInteger(255) == hex("FF"));
        QVERIFY(tlvFromUnsignedInteger(65536) == hex("00 01 00 00"));
        LWM2M_VERIFY_ERROR_AT(tlvToUnsignedInteger(hex("01 02 03 04 05")), 0);
    }

    void floats() {
        QCOMPARE(tlvToFloat(hex("3F C0 00 00")).value(), 1.5);
        QCOMPARE(tlvToFloat(hex("3F B9 99 99 99 99 99 9A")).value(), 0.1);
        LWM2M_VERIFY_ERROR_AT(tlvToFloat(hex("3F C0")), 0);
        QVERIFY(tlvFromFloat(1.5) == hex("3F C0 00 00"));
        QVERIFY(tlvFromFloat(0.1) == hex("3F B9 99 99 99 99 99 9A"));
        QCOMPARE(tlvFromFloat(std::numeric_limits<double>::infinity()).size(), std::size_t{4});
        QCOMPARE(tlvFromFloat(1e300).size(), std::size_t{8});
        QCOMPARE(tlvFromFloat(std::nan("")).size(), std::size_t{8});
        QVERIFY(std::isnan(tlvToFloat(tlvFromFloat(std::nan(""))).value()));
        QCOMPARE(tlvToFloat(tlvFromFloat(-3.25e-5)).value(), -3.25e-5);
    }

    void booleansStringsAndLinks() {
        QCOMPARE(tlvToBoolean(hex("01")).value(), true);
        QCOMPARE(tlvToBoolean(hex("00")).value(), false);
        LWM2M_VERIFY_ERROR_AT(tlvToBoolean(hex("02")), 0);
        LWM2M_VERIFY_ERROR_AT(tlvToBoolean(hex("00 01")), 0);
        QVERIFY(tlvFromBoolean(true) == hex("01"));

        QCOMPARE(tlvToString(tlvFromString("Grüße")).value(), std::string("Grüße"));
        LWM2M_VERIFY_ERROR_AT(tlvToString(hex("41 42 C3")), 2);
        LWM2M_VERIFY_ERROR_AT(tlvToString(hex("ED A0 80")), 0);  // a UTF-16 surrogate

        QVERIFY(tlvToObjectLink(hex("00 03 00 01")).value() == (ObjectLinkValue{3, 1}));
        QVERIFY(tlvFromObjectLink({65535, 65535}) == hex("FF FF FF FF"));
        LWM2M_VERIFY_ERROR_AT(tlvToObjectLink(hex("00 03 00")), 0);
    }
};

QTEST_APPLESS_MAIN(TestTlv)
#include "test_tlv.moc"
