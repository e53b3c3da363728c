#include "caller_access.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <vector>

namespace lwm2mgw::dbus {

bool uidMayAdminister(uid_t uid, const QString& adminGroup) {
    if (uid == 0) {
        return true;
    }
    std::vector<char> buffer(16384);
    struct group g {};
    struct group* groupEntry = nullptr;
    const QByteArray groupName = adminGroup.toLocal8Bit();
    if (getgrnam_r(groupName.constData(), &g, buffer.data(), buffer.size(), &groupEntry) != 0 ||
        !groupEntry) {
        return false;
    }
    const gid_t admin = groupEntry->gr_gid;
    std::vector<char> userBuffer(16384);
    passwd p{};
    passwd* user = nullptr;
    if (getpwuid_r(uid, &p, userBuffer.data(), userBuffer.size(), &user) != 0 || !user) {
        return false;
    }
    // Primary group and supplementary groups, as dbus-daemon resolves them for its policy.
    int count = 64;
    std::vector<gid_t> groups(static_cast<size_t>(count));
    if (getgrouplist(user->pw_name, user->pw_gid, groups.data(), &count) < 0) {
        groups.resize(static_cast<size_t>(count));
        if (getgrouplist(user->pw_name, user->pw_gid, groups.data(), &count) < 0) {
            return false;
        }
    }
    groups.resize(static_cast<size_t>(count));
    for (const gid_t each : groups) {
        if (each == admin) {
            return true;
        }
    }
    return false;
}

}  // namespace lwm2mgw::dbus
