#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

namespace lwm2mgw::peers {

// One resolved SenML record (RFC 8428): base name already joined to the name.
struct SenmlRecord {
    enum class Kind { None, Number, String, Boolean, Data, ObjectLink };
    QString name;
    Kind kind = Kind::None;
    QByteArray text;  // number/string/object link as text, boolean as "1"/"0", data raw

    static SenmlRecord number(const QString& name, const QByteArray& text);
    static SenmlRecord string(const QString& name, const QByteArray& text);
    static SenmlRecord boolean(const QString& name, bool value);
    static SenmlRecord data(const QString& name, const QByteArray& bytes);
};

// SenML-JSON (application/senml+json, ct 110) as LwM2M 1.1 uses it (Core 7.4.4).
namespace senml {
QByteArray encode(const QList<SenmlRecord>& records, const QString& baseName = {});
// nullopt on anything that is not a SenML-JSON array of records.
std::optional<QList<SenmlRecord>> decode(const QByteArray& json);
}  // namespace senml

}  // namespace lwm2mgw::peers
