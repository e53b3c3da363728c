#include "dict_reader.h"

#include <QStringList>

namespace lwm2mgw::dbus {

void DictReader::fail(const QString& text) {
    if (error_.isEmpty()) {
        error_ = what_ + QStringLiteral(": ") + text;
    }
}

const QVariant* DictReader::take(const QString& key, bool required, const char* type) {
    read_.insert(key);
    const auto found = dict_.constFind(key);
    if (found == dict_.constEnd()) {
        if (required) {
            fail(QStringLiteral("key '%1' (%2) is missing").arg(key, QLatin1String(type)));
        }
        return nullptr;
    }
    return &found.value();
}

std::optional<QString> DictReader::string(const QString& key, bool required) {
    const QVariant* value = take(key, required, "s");
    if (!value) {
        return std::nullopt;
    }
    if (value->typeId() != QMetaType::QString) {
        fail(QStringLiteral("key '%1' must be a string (s), not %2")
                 .arg(key, QLatin1String(value->typeName())));
        return std::nullopt;
    }
    return value->toString();
}

std::optional<QByteArray> DictReader::bytes(const QString& key, bool required) {
    const QVariant* value = take(key, required, "ay");
    if (!value) {
        return std::nullopt;
    }
    if (value->typeId() == QMetaType::QByteArray) {
        return value->toByteArray();
    }
    if (value->typeId() == QMetaType::QString) {
        return value->toString().toUtf8();
    }
    fail(QStringLiteral("key '%1' must be bytes (ay), not %2")
             .arg(key, QLatin1String(value->typeName())));
    return std::nullopt;
}

std::optional<qint64> DictReader::integer(const QString& key, bool required, qint64 minimum,
                                          qint64 maximum) {
    const QVariant* value = take(key, required, "i");
    if (!value) {
        return std::nullopt;
    }
    qint64 number = 0;
    switch (value->typeId()) {
        case QMetaType::Int:
        case QMetaType::UInt:
        case QMetaType::LongLong:
        case QMetaType::ULongLong:
        case QMetaType::Short:
        case QMetaType::UShort:
        case QMetaType::UChar:
            number = value->toLongLong();
            break;
        default:
            fail(QStringLiteral("key '%1' must be an integer (i or u), not %2")
                     .arg(key, QLatin1String(value->typeName())));
            return std::nullopt;
    }
    if (number < minimum || number > maximum) {
        fail(QStringLiteral("key '%1' is %2, outside %3..%4")
                 .arg(key)
                 .arg(number)
                 .arg(minimum)
                 .arg(maximum));
        return std::nullopt;
    }
    return number;
}

std::optional<bool> DictReader::boolean(const QString& key, bool required) {
    const QVariant* value = take(key, required, "b");
    if (!value) {
        return std::nullopt;
    }
    if (value->typeId() != QMetaType::Bool) {
        fail(QStringLiteral("key '%1' must be a boolean (b), not %2")
                 .arg(key, QLatin1String(value->typeName())));
        return std::nullopt;
    }
    return value->toBool();
}

bool DictReader::noOtherKeys() {
    QStringList unknown;
    for (auto it = dict_.constBegin(); it != dict_.constEnd(); ++it) {
        if (!read_.contains(it.key())) {
            unknown << it.key();
        }
    }
    if (!unknown.isEmpty()) {
        QStringList keys(read_.values());
        keys.sort();
        fail(QStringLiteral("unknown key '%1' (the keys are: %2)")
                 .arg(unknown.first(), keys.join(QStringLiteral(", "))));
    }
    return !failed();
}

}  // namespace lwm2mgw::dbus
