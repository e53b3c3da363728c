#include "dbus_json.h"

#include <QDBusArgument>
#include <QDBusObjectPath>
#include <QDBusVariant>
#include <QJsonArray>
#include <QJsonObject>

namespace lwm2mgw::ctl {

namespace {

QVariant plain(const QVariant& value);

QVariant fromArgument(const QDBusArgument& argument) {
    switch (argument.currentType()) {
        case QDBusArgument::BasicType:
        case QDBusArgument::VariantType:
            return plain(argument.asVariant());
        case QDBusArgument::ArrayType: {
            QVariantList list;
            argument.beginArray();
            while (!argument.atEnd()) {
                list.append(fromArgument(argument));
            }
            argument.endArray();
            return list;
        }
        case QDBusArgument::MapType: {
            QVariantMap map;
            argument.beginMap();
            while (!argument.atEnd()) {
                argument.beginMapEntry();
                const QString key = fromArgument(argument).toString();
                map.insert(key, fromArgument(argument));
                argument.endMapEntry();
            }
            argument.endMap();
            return map;
        }
        case QDBusArgument::StructureType: {
            QVariantList fields;
            argument.beginStructure();
            while (!argument.atEnd()) {
                fields.append(fromArgument(argument));
            }
            argument.endStructure();
            return fields;
        }
        case QDBusArgument::MapEntryType:
        case QDBusArgument::UnknownType:
            break;
    }
    return {};
}

QVariant plain(const QVariant& value) {
    const QMetaType type = value.metaType();
    if (type == QMetaType::fromType<QDBusArgument>()) {
        return fromArgument(value.value<QDBusArgument>());
    }
    if (type == QMetaType::fromType<QDBusVariant>()) {
        return plain(value.value<QDBusVariant>().variant());
    }
    if (type == QMetaType::fromType<QDBusObjectPath>()) {
        return value.value<QDBusObjectPath>().path();
    }
    if (type == QMetaType::fromType<QVariantMap>()) {
        QVariantMap map = value.toMap();
        for (auto it = map.begin(); it != map.end(); ++it) {
            *it = plain(*it);
        }
        return map;
    }
    if (type == QMetaType::fromType<QVariantList>()) {
        QVariantList list = value.toList();
        for (QVariant& item : list) {
            item = plain(item);
        }
        return list;
    }
    if (type == QMetaType::fromType<QList<QVariantMap>>()) {
        QVariantList list;
        for (const QVariantMap& map : value.value<QList<QVariantMap>>()) {
            list.append(plain(map));
        }
        return list;
    }
    return value;
}

}  // namespace

QJsonValue toJson(const QVariant& value) {
    return QJsonValue::fromVariant(plain(value));
}

}  // namespace lwm2mgw::ctl
