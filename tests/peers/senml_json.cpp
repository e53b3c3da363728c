#include "senml_json.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>

namespace lwm2mgw::peers {

namespace {

QByteArray numberText(double value) {
    if (std::isfinite(value) && std::floor(value) == value && std::fabs(value) < 9.0e15) {
        return QByteArray::number(static_cast<qint64>(value));
    }
    return QByteArray::number(value, 'g', 17);
}

std::optional<QByteArray> decodeBase64(const QByteArray& text) {
    // RFC 8428 says base64url; accept the classic alphabet as well.
    for (const auto options : {QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals,
                               QByteArray::Base64Encoding | QByteArray::OmitTrailingEquals}) {
        auto result =
            QByteArray::fromBase64Encoding(text, options | QByteArray::AbortOnBase64DecodingErrors);
        if (result) {
            return *result;
        }
    }
    return std::nullopt;
}

}  // namespace

SenmlRecord SenmlRecord::number(const QString& name, const QByteArray& text) {
    return {name, Kind::Number, text};
}
SenmlRecord SenmlRecord::string(const QString& name, const QByteArray& text) {
    return {name, Kind::String, text};
}
SenmlRecord SenmlRecord::boolean(const QString& name, bool value) {
    return {name, Kind::Boolean, value ? QByteArray("1") : QByteArray("0")};
}
SenmlRecord SenmlRecord::data(const QString& name, const QByteArray& bytes) {
    return {name, Kind::Data, bytes};
}

namespace senml {

QByteArray encode(const QList<SenmlRecord>& records, const QString& baseName) {
    QJsonArray array;
    bool first = true;
    for (const SenmlRecord& record : records) {
        QJsonObject object;
        QString name = record.name;
        if (!baseName.isEmpty() && name.startsWith(baseName)) {
            name = name.mid(baseName.size());
            if (first) {
                object.insert(QStringLiteral("bn"), baseName);
            }
        }
        first = false;
        object.insert(QStringLiteral("n"), name);
        switch (record.kind) {
            case SenmlRecord::Kind::None:
                break;
            case SenmlRecord::Kind::Number: {
                bool isInteger = false;
                const qint64 integer = record.text.toLongLong(&isInteger);
                if (isInteger) {
                    object.insert(QStringLiteral("v"), integer);
                } else {
                    object.insert(QStringLiteral("v"), record.text.toDouble());
                }
                break;
            }
            case SenmlRecord::Kind::String:
                object.insert(QStringLiteral("vs"), QString::fromUtf8(record.text));
                break;
            case SenmlRecord::Kind::Boolean:
                object.insert(QStringLiteral("vb"), record.text == "1");
                break;
            case SenmlRecord::Kind::Data:
                object.insert(QStringLiteral("vd"),
                              QString::fromLatin1(record.text.toBase64(
                                  QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals)));
                break;
            case SenmlRecord::Kind::ObjectLink:
                object.insert(QStringLiteral("vlo"), QString::fromUtf8(record.text));
                break;
        }
        array.append(object);
    }
    return QJsonDocument(array).toJson(QJsonDocument::Compact);
}

std::optional<QList<SenmlRecord>> decode(const QByteArray& json) {
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || !document.isArray()) {
        return std::nullopt;
    }
    QList<SenmlRecord> records;
    QString baseName;
    for (const QJsonValue& value : document.array()) {
        if (!value.isObject()) {
            return std::nullopt;
        }
        const QJsonObject object = value.toObject();
        if (object.contains(QStringLiteral("bn"))) {
            if (!object.value(QStringLiteral("bn")).isString()) {
                return std::nullopt;
            }
            baseName = object.value(QStringLiteral("bn")).toString();
        }
        const QJsonValue name = object.value(QStringLiteral("n"));
        if (!name.isUndefined() && !name.isString()) {
            return std::nullopt;
        }
        SenmlRecord record;
        record.name = baseName + name.toString();
        if (const QJsonValue v = object.value(QStringLiteral("v")); !v.isUndefined()) {
            if (!v.isDouble()) {
                return std::nullopt;
            }
            record.kind = SenmlRecord::Kind::Number;
            record.text = numberText(v.toDouble());
        } else if (const QJsonValue vs = object.value(QStringLiteral("vs")); !vs.isUndefined()) {
            if (!vs.isString()) {
                return std::nullopt;
            }
            record.kind = SenmlRecord::Kind::String;
            record.text = vs.toString().toUtf8();
        } else if (const QJsonValue vb = object.value(QStringLiteral("vb")); !vb.isUndefined()) {
            if (!vb.isBool()) {
                return std::nullopt;
            }
            record.kind = SenmlRecord::Kind::Boolean;
            record.text = vb.toBool() ? "1" : "0";
        } else if (const QJsonValue vd = object.value(QStringLiteral("vd")); !vd.isUndefined()) {
            const auto bytes =
                vd.isString() ? decodeBase64(vd.toString().toLatin1()) : std::nullopt;
            if (!bytes) {
                return std::nullopt;
            }
            record.kind = SenmlRecord::Kind::Data;
            record.text = *bytes;
        } else if (const QJsonValue vlo = object.value(QStringLiteral("vlo")); !vlo.isUndefined()) {
            if (!vlo.isString()) {
                return std::nullopt;
            }
            record.kind = SenmlRecord::Kind::ObjectLink;
            record.text = vlo.toString().toUtf8();
        }
        records.append(record);
    }
    return records;
}

}  // namespace senml

}  // namespace lwm2mgw::peers
