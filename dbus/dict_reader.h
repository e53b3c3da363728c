#pragma once

// Reads the a{sv} dictionaries callers pass (AddCredential, AddAccount) key by key with the
// type the XML gives, and names the first key that is missing, unknown or of the wrong type:
// the error a person can act on. Values are never quoted in errors (they may be keys).
#include <QByteArray>
#include <QSet>
#include <QString>
#include <QVariantMap>
#include <optional>

namespace lwm2mgw::dbus {

class DictReader {
public:
    DictReader(const QVariantMap& dict, QString what) : dict_(dict), what_(std::move(what)) {}

    bool has(const QString& key) const { return dict_.contains(key); }
    // nullopt (and error()) when missing and `required`, or of another type.
    std::optional<QString> string(const QString& key, bool required);
    // ay; a string is accepted too (UTF-8), for identities typed by people.
    std::optional<QByteArray> bytes(const QString& key, bool required);
    // i or u, within [minimum, maximum].
    std::optional<qint64> integer(const QString& key, bool required, qint64 minimum,
                                  qint64 maximum);
    std::optional<bool> boolean(const QString& key, bool required);
    // After reading every key it knows: fails for any key not read.
    bool noOtherKeys();

    bool failed() const { return !error_.isEmpty(); }
    const QString& error() const { return error_; }

private:
    const QVariant* take(const QString& key, bool required, const char* type);
    void fail(const QString& text);

    const QVariantMap& dict_;
    QString what_;
    QSet<QString> read_;
    QString error_;
};

}  // namespace lwm2mgw::dbus
