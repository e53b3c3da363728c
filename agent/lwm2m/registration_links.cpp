#include "registration_links.h"

#include "internal/decimal.h"
#include "internal/link_format_offsets.h"
#include "link_format.h"
#include "lwm2m_path.h"

namespace lwm2mgw::lwm2m {
namespace {

constexpr std::string_view kRootResourceType = "oma.lwm2m";

bool hasRootResourceType(const Link& link) {
    const auto* rt = link.find("rt");
    if (rt == nullptr || !rt->value) {
        return false;
    }
    // rt is a space-separated list of resource types.
    std::string_view types = *rt->value;
    while (!types.empty()) {
        const auto space = types.find(' ');
        if (types.substr(0, space) == kRootResourceType) {
            return true;
        }
        types = space == std::string_view::npos ? std::string_view{} : types.substr(space + 1);
    }
    return false;
}

// "/" stays "/"; "/lwm2m/" becomes "/lwm2m" so that prefix matching is uniform.
std::optional<std::string> normaliseRootPath(std::string_view target) {
    if (target.empty() || target.front() != '/') {
        return std::nullopt;
    }
    while (target.size() > 1 && target.back() == '/') {
        target.remove_suffix(1);
    }
    if (target.find("//") != std::string_view::npos ||
        target.find_first_of("?#") != std::string_view::npos) {
        return std::nullopt;
    }
    return std::string(target);
}

Result<std::vector<std::uint16_t>> parseContentFormats(std::string_view ct, std::size_t offset) {
    std::vector<std::uint16_t> formats;
    std::size_t start = 0;
    while (true) {
        const auto space = ct.find(' ', start);
        const auto item =
            ct.substr(start, space == std::string_view::npos ? ct.npos : space - start);
        const auto format = internal::parseDecimalU16(item, 65535);
        if (!format) {
            return CodecError{offset, "root link's ct \"" + std::string(ct) +
                                          "\" is not a space-separated list of content-format "
                                          "numbers 0-65535"};
        }
        formats.push_back(*format);
        if (space == std::string_view::npos) {
            return formats;
        }
        start = space + 1;
    }
}

}  // namespace

Result<RegistrationLinks> parseRegistrationLinks(std::string_view payload) {
    std::vector<std::size_t> offsets;
    auto parsed = internal::parseLinkFormatWithOffsets(payload, offsets);
    if (!parsed) {
        return parsed.error();
    }
    const auto& links = parsed.value();
    const auto offsetOf = [&](std::size_t index) {
        return index < offsets.size() ? offsets[index] : 0;
    };

    RegistrationLinks result;
    std::optional<std::size_t> rootIndex;
    for (std::size_t i = 0; i < links.size(); ++i) {
        if (!hasRootResourceType(links[i])) {
            continue;
        }
        if (rootIndex) {
            return CodecError{offsetOf(i), "more than one link carries rt=\"oma.lwm2m\""};
        }
        rootIndex = i;
    }
    if (rootIndex) {
        auto root = normaliseRootPath(links[*rootIndex].target);
        if (!root) {
            return CodecError{offsetOf(*rootIndex), "rt=\"oma.lwm2m\" link's target \"" +
                                                        links[*rootIndex].target +
                                                        "\" is not an absolute path"};
        }
        result.rootPath = std::move(*root);
    } else {
        // LwM2M 1.0-era clients announce content formats on a plain "</>" link.
        for (std::size_t i = 0; i < links.size() && !rootIndex; ++i) {
            if (links[i].target == "/") {
                rootIndex = i;
            }
        }
    }
    if (rootIndex) {
        if (const auto* ct = links[*rootIndex].find("ct"); ct != nullptr) {
            if (!ct->value) {
                return CodecError{offsetOf(*rootIndex), "root link's ct attribute has no value"};
            }
            auto formats = parseContentFormats(*ct->value, offsetOf(*rootIndex));
            if (!formats) {
                return formats.error();
            }
            result.contentFormats = std::move(formats).value();
        }
    }

    const std::string prefix = result.rootPath == "/" ? std::string() : result.rootPath;
    for (std::size_t i = 0; i < links.size(); ++i) {
        if (rootIndex && i == *rootIndex) {
            continue;
        }
        const auto& target = links[i].target;
        if (target.size() <= prefix.size() || target.compare(0, prefix.size(), prefix) != 0 ||
            target[prefix.size()] != '/') {
            return CodecError{offsetOf(i), "object link \"" + target +
                                               "\" is not under the root path \"" +
                                               result.rootPath + "\""};
        }
        const auto path = parseLwm2mPath(std::string_view(target).substr(prefix.size()));
        if (!path || !path.value().object || path.value().resource) {
            return CodecError{offsetOf(i), "object link \"" + target + "\" is not " + prefix +
                                               "/<object> or " + prefix +
                                               "/<object>/<instance> with decimal ids 0-65534"};
        }
        ObjectLink object{*path.value().object, path.value().instance, std::nullopt};
        if (const auto* ver = links[i].find("ver"); ver != nullptr) {
            if (!ver->value) {
                return CodecError{offsetOf(i), "object link \"" + target +
                                                   "\" has a ver attribute without a value"};
            }
            object.version = *ver->value;
        }
        result.objects.push_back(std::move(object));
    }
    return result;
}

std::string writeRegistrationLinks(const RegistrationLinks& links) {
    std::string root = links.rootPath;
    while (root.size() > 1 && root.back() == '/') {
        root.pop_back();
    }
    if (root.empty()) {
        root = "/";
    }
    std::vector<Link> out;
    if (root != "/" || !links.contentFormats.empty()) {
        Link rootLink{root, {{"rt", std::string(kRootResourceType)}}};
        if (!links.contentFormats.empty()) {
            std::string ct;
            for (const auto format : links.contentFormats) {
                if (!ct.empty()) {
                    ct += ' ';
                }
                ct += std::to_string(format);
            }
            rootLink.attributes.push_back({"ct", std::move(ct)});
        }
        out.push_back(std::move(rootLink));
    }
    const std::string prefix = root == "/" ? std::string() : root;
    for (const auto& object : links.objects) {
        Link link{prefix + '/' + std::to_string(object.objectId), {}};
        if (object.instanceId) {
            link.target += '/' + std::to_string(*object.instanceId);
        }
        if (object.version) {
            link.attributes.push_back({"ver", *object.version});
        }
        out.push_back(std::move(link));
    }
    return writeLinkFormat(out);
}

}  // namespace lwm2mgw::lwm2m
