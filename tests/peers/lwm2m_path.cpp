#include "lwm2m_path.h"

namespace lwm2mgw::peers {

namespace {

constexpr int kMaxId = 65534;

std::optional<int> parseId(QStringView segment) {
    if (segment.isEmpty() || segment.size() > 5) {
        return std::nullopt;
    }
    for (const QChar c : segment) {
        if (!c.isDigit()) {
            return std::nullopt;
        }
    }
    const int value = segment.toInt();
    if (value > kMaxId) {
        return std::nullopt;
    }
    return value;
}

}  // namespace

std::optional<Lwm2mPath> Lwm2mPath::parse(QStringView text) {
    QStringList segments;
    for (const QStringView part : text.split(u'/')) {
        if (!part.isEmpty()) {
            segments.append(part.toString());
        }
    }
    return fromSegments(segments);
}

std::optional<Lwm2mPath> Lwm2mPath::fromSegments(const QStringList& segments) {
    if (segments.size() > 4) {
        return std::nullopt;
    }
    Lwm2mPath path;
    int* const levels[] = {&path.object, &path.instance, &path.resource, &path.resourceInstance};
    for (qsizetype i = 0; i < segments.size(); ++i) {
        const auto id = parseId(segments[i]);
        if (!id) {
            return std::nullopt;
        }
        *levels[i] = *id;
    }
    return path;
}

int Lwm2mPath::depth() const {
    if (object < 0) {
        return 0;
    }
    if (instance < 0) {
        return 1;
    }
    if (resource < 0) {
        return 2;
    }
    return resourceInstance < 0 ? 3 : 4;
}

bool Lwm2mPath::covers(const Lwm2mPath& other) const {
    const int mine[] = {object, instance, resource, resourceInstance};
    const int theirs[] = {other.object, other.instance, other.resource, other.resourceInstance};
    for (int i = 0; i < depth(); ++i) {
        if (mine[i] != theirs[i]) {
            return false;
        }
    }
    return true;
}

QStringList Lwm2mPath::segments() const {
    QStringList out;
    const int levels[] = {object, instance, resource, resourceInstance};
    for (int i = 0; i < depth(); ++i) {
        out.append(QString::number(levels[i]));
    }
    return out;
}

QString Lwm2mPath::toString() const {
    return u'/' + segments().join(u'/');
}

}  // namespace lwm2mgw::peers
