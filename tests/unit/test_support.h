#pragma once

// Small helpers shared by the codec tests.

#include <QTest>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "codec_result.h"

namespace lwm2mgw::lwm2m::test {

// "C8 00 14" -> {0xC8, 0x00, 0x14}; whitespace is ignored.
inline std::vector<std::uint8_t> hex(std::string_view text) {
    std::vector<std::uint8_t> out;
    out.reserve(text.size() / 2);
    int high = -1;
    for (const char c : text) {
        if (std::isspace(static_cast<unsigned char>(c)) != 0) {
            continue;
        }
        const int digit = std::isdigit(static_cast<unsigned char>(c)) != 0
                              ? c - '0'
                              : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10;
        if (high < 0) {
            high = digit;
        } else {
            out.push_back(static_cast<std::uint8_t>(high * 16 + digit));
            high = -1;
        }
    }
    return out;
}

inline std::vector<std::uint8_t> bytes(std::string_view text) {
    return {text.begin(), text.end()};
}

inline QByteArray describe(const CodecError& error) {
    return QByteArray::number(static_cast<qulonglong>(error.offset)) + ": " +
           QByteArray::fromStdString(error.message);
}

}  // namespace lwm2mgw::lwm2m::test

// Asserts success and shows the error otherwise.
#define LWM2M_VERIFY_OK(result) \
    QVERIFY2((result).ok(),     \
             (result).ok() ? "" : lwm2mgw::lwm2m::test::describe((result).error()).constData())

// Asserts failure at the given byte offset; shows what happened otherwise.
#define LWM2M_VERIFY_ERROR_AT(result, expectedOffset)                                     \
    do {                                                                                  \
        const auto& lwm2mResult_ = (result);                                              \
        QVERIFY2(!lwm2mResult_.ok(), "expected an error, got a value");                   \
        QVERIFY2(!lwm2mResult_.error().message.empty(), "error has no message");          \
        QVERIFY2(lwm2mResult_.error().offset == static_cast<std::size_t>(expectedOffset), \
                 lwm2mgw::lwm2m::test::describe(lwm2mResult_.error()).constData());       \
    } while (false)
