#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <variant>

namespace lwm2mgw::peers {

// Hand-written encoders for what a Bootstrap-Server writes, independent of the gateway's own
// codecs so a test does not check the gateway against itself.
namespace tlv {
QByteArray integer(qint64 value);  // shortest of 1/2/4/8 bytes, big-endian, signed
QByteArray boolean(bool value);
// A Resource with Value record (type 11) carrying `value`.
QByteArray resource(quint16 id, const QByteArray& value);
// An Object Instance record (type 00) around `resources`.
QByteArray instance(quint16 id, const QByteArray& resources);
}  // namespace tlv

// One SenML record: name and a numeric, boolean or string value.
struct SenmlItem {
    QString name;
    std::variant<qint64, bool, QString> value;
};
// SenML CBOR (RFC 8428 section 6): an array of maps with integer labels 0 (n), 2 (v), 3 (vs),
// 4 (vb).
QByteArray senmlCbor(const QList<SenmlItem>& items);

}  // namespace lwm2mgw::peers
