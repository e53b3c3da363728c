#pragma once

#include <QString>
#include <QStringList>

#include <optional>

namespace lwm2mgw::peers {

// An LwM2M path /Object/Instance/Resource/ResourceInstance; unset levels are -1.
struct Lwm2mPath {
    int object = -1;
    int instance = -1;
    int resource = -1;
    int resourceInstance = -1;

    // Accepts "/3/0/1", "3/0/1" and "/" (the root). Ids are 0..65534 (65535 is reserved).
    static std::optional<Lwm2mPath> parse(QStringView text);
    static std::optional<Lwm2mPath> fromSegments(const QStringList& segments);

    int depth() const;
    bool isRoot() const { return object < 0; }
    // True when other is this path or lies below it.
    bool covers(const Lwm2mPath& other) const;
    QString toString() const;
    QStringList segments() const;

    friend bool operator==(const Lwm2mPath&, const Lwm2mPath&) = default;
};

}  // namespace lwm2mgw::peers
