#include "bootstrap_payloads.h"

namespace lwm2mgw::peers {

namespace tlv {

namespace {

QByteArray record(quint8 typeBits, quint16 id, const QByteArray& value) {
    QByteArray out;
    quint8 type = static_cast<quint8>(typeBits << 6);
    const bool wideId = id > 0xFF;
    if (wideId) {
        type |= 0x20;
    }
    const auto length = static_cast<quint32>(value.size());
    QByteArray lengthBytes;
    if (length < 8) {
        type |= static_cast<quint8>(length);
    } else {
        int bytes = length <= 0xFF ? 1 : (length <= 0xFFFF ? 2 : 3);
        type |= static_cast<quint8>(bytes << 3);
        for (int i = bytes - 1; i >= 0; --i) {
            lengthBytes.append(static_cast<char>((length >> (8 * i)) & 0xFF));
        }
    }
    out.append(static_cast<char>(type));
    if (wideId) {
        out.append(static_cast<char>(id >> 8));
    }
    out.append(static_cast<char>(id & 0xFF));
    return out + lengthBytes + value;
}

}  // namespace

QByteArray integer(qint64 value) {
    int bytes = 8;
    if (value >= -128 && value <= 127) {
        bytes = 1;
    } else if (value >= -32768 && value <= 32767) {
        bytes = 2;
    } else if (value >= INT32_MIN && value <= INT32_MAX) {
        bytes = 4;
    }
    QByteArray out;
    const auto bits = static_cast<quint64>(value);
    for (int i = bytes - 1; i >= 0; --i) {
        out.append(static_cast<char>((bits >> (8 * i)) & 0xFF));
    }
    return out;
}

QByteArray boolean(bool value) {
    return QByteArray(1, value ? '\1' : '\0');
}

QByteArray resource(quint16 id, const QByteArray& value) {
    return record(3, id, value);
}

QByteArray instance(quint16 id, const QByteArray& resources) {
    return record(0, id, resources);
}

}  // namespace tlv

namespace {

// CBOR head: major type and argument, shortest form.
QByteArray head(quint8 major, quint64 argument) {
    QByteArray out;
    const auto first = static_cast<quint8>(major << 5);
    if (argument < 24) {
        out.append(static_cast<char>(first | argument));
        return out;
    }
    int bytes = argument <= 0xFF ? 1 : argument <= 0xFFFF ? 2 : argument <= 0xFFFFFFFF ? 4 : 8;
    const quint8 info = bytes == 1 ? 24 : bytes == 2 ? 25 : bytes == 4 ? 26 : 27;
    out.append(static_cast<char>(first | info));
    for (int i = bytes - 1; i >= 0; --i) {
        out.append(static_cast<char>((argument >> (8 * i)) & 0xFF));
    }
    return out;
}

QByteArray cborInteger(qint64 value) {
    return value >= 0 ? head(0, static_cast<quint64>(value))
                      : head(1, static_cast<quint64>(-(value + 1)));
}

QByteArray cborText(const QString& text) {
    const QByteArray utf8 = text.toUtf8();
    return head(3, static_cast<quint64>(utf8.size())) + utf8;
}

}  // namespace

QByteArray senmlCbor(const QList<SenmlItem>& items) {
    QByteArray out = head(4, static_cast<quint64>(items.size()));
    for (const SenmlItem& item : items) {
        out += head(5, 2);
        out += cborInteger(0) + cborText(item.name);
        if (const auto* number = std::get_if<qint64>(&item.value)) {
            out += cborInteger(2) + cborInteger(*number);
        } else if (const auto* flag = std::get_if<bool>(&item.value)) {
            out += cborInteger(4) + QByteArray(1, static_cast<char>(*flag ? 0xF5 : 0xF4));
        } else {
            out += cborInteger(3) + cborText(std::get<QString>(item.value));
        }
    }
    return out;
}

}  // namespace lwm2mgw::peers
