#include "lwm2m_path.h"

#include <array>

#include "internal/decimal.h"

namespace lwm2mgw::lwm2m {

Result<Lwm2mPath> parseLwm2mPath(std::string_view text) {
    if (text.empty() || text.front() != '/') {
        return CodecError{0, "an LwM2M path must start with '/'"};
    }
    Lwm2mPath path;
    if (text.size() == 1) {
        return path;
    }
    const std::array<std::optional<std::uint16_t>*, 4> levels{
        &path.object, &path.instance, &path.resource, &path.resourceInstance};
    std::size_t start = 1;
    for (std::size_t level = 0;; ++level) {
        if (level == levels.size()) {
            return CodecError{start - 1,
                              "an LwM2M path has at most 4 levels "
                              "(object/instance/resource/resource instance)"};
        }
        const auto slash = text.find('/', start);
        const auto end = slash == std::string_view::npos ? text.size() : slash;
        const auto segment = text.substr(start, end - start);
        if (segment.empty()) {
            return CodecError{start, "empty segment in LwM2M path (doubled or trailing '/')"};
        }
        const auto id = internal::parseDecimalU16(segment, kMaxLwm2mId);
        if (!id) {
            return CodecError{start, "LwM2M path segment \"" + std::string(segment) +
                                         "\" is not a decimal id 0-65534 without leading zeros"};
        }
        *levels[level] = *id;
        if (slash == std::string_view::npos) {
            return path;
        }
        start = slash + 1;
    }
}

std::string toString(const Lwm2mPath& path) {
    std::string text;
    for (const auto& level : {path.object, path.instance, path.resource, path.resourceInstance}) {
        if (!level) {
            break;
        }
        text += '/';
        text += std::to_string(*level);
    }
    return text.empty() ? std::string("/") : text;
}

}  // namespace lwm2mgw::lwm2m
