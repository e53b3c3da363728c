#include "secure_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace lwm2mgw::credstore::detail {

namespace {

constexpr mode_t kOwnerReadWrite = S_IRUSR | S_IWUSR;

std::string octal(mode_t mode) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "%04o", static_cast<unsigned>(mode & 07777));
    return buffer;
}

std::string systemError(const std::string& path, const std::string& what, int err) {
    return path + ": " + what + ": " + std::strerror(err);
}

std::string directoryOf(const std::string& path) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) {
        return ".";
    }
    return slash == 0 ? "/" : path.substr(0, slash);
}

// Never widens: only clears bits. Uses the path (O_PATH-based in glibc) rather than opening the
// file, because closing any descriptor of a database file drops every POSIX lock this process
// holds on it, including those of other open SQLite connections.
void tighten(const std::string& path, const struct stat& st, std::vector<std::string>& notices) {
    const mode_t current = st.st_mode & 07777;
    if ((current & ~kOwnerReadWrite) == 0) {
        return;
    }
    const mode_t wanted = current & kOwnerReadWrite;
    if (fchmodat(AT_FDCWD, path.c_str(), wanted, AT_SYMLINK_NOFOLLOW) == 0) {
        notices.push_back("tightened permissions of " + path + " from " + octal(current) + " to " +
                          octal(wanted));
    } else {
        notices.push_back(
            systemError(path, "cannot tighten permissions from " + octal(current), errno));
    }
}

// SQLite's companion files. They are created with the database's mode, so a tight database
// gives tight companions; existing ones may predate that.
void tightenCompanions(const std::string& path, std::vector<std::string>& notices) {
    for (const char* suffix : {"-wal", "-shm", "-journal"}) {
        const std::string companion = path + suffix;
        struct stat st {};
        if (lstat(companion.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
            tighten(companion, st, notices);
        }
    }
}

Result<bool> createOwnerOnly(const std::string& path) {
    const int fd =
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, kOwnerReadWrite);
    if (fd < 0) {
        if (errno == EEXIST) {
            return false;  // someone created it meanwhile: treat as existing
        }
        const ErrorCode code = (errno == EACCES || errno == EROFS || errno == EPERM)
                                   ? ErrorCode::ReadOnly
                                   : ErrorCode::Io;
        return Error{code, systemError(path, "cannot create the credential database", errno)};
    }
    // The umask may have cleared bits of 0600; set it exactly. Nobody has this file open yet,
    // so closing the descriptor drops no lock.
    const int chmodResult = fchmod(fd, kOwnerReadWrite);
    const int chmodErrno = errno;
    ::close(fd);
    if (chmodResult != 0) {
        return Error{ErrorCode::Io, systemError(path, "cannot set mode 0600", chmodErrno)};
    }
    return true;
}

bool frozen(const std::string& path) {
    struct statvfs fs {};
    if (statvfs(path.c_str(), &fs) != 0 || (fs.f_flag & ST_RDONLY) == 0) {
        return false;
    }
    struct stat wal {};
    // Committed transactions may still sit in a WAL; an immutable open would not see them.
    return lstat((path + "-wal").c_str(), &wal) != 0 || wal.st_size == 0;
}

}  // namespace

Result<PreparedFile> prepareDatabaseFile(const std::string& path, bool wantWrite,
                                         std::vector<std::string>& notices) {
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) {
        if (errno != ENOENT) {
            return Error{ErrorCode::Io, systemError(path, "cannot inspect", errno)};
        }
        if (!wantWrite) {
            return Error{ErrorCode::NotFound, path + ": the credential database does not exist"};
        }
        auto created = createOwnerOnly(path);
        if (!created) {
            return created.error();
        }
        if (*created) {
            return PreparedFile{true};
        }
        if (lstat(path.c_str(), &st) != 0) {
            return Error{ErrorCode::Io, systemError(path, "cannot inspect", errno)};
        }
    }
    if (S_ISLNK(st.st_mode)) {
        // A symlink could point the secrets anywhere; the path must be the file itself.
        return Error{ErrorCode::Io, path + ": is a symbolic link; refusing to open it"};
    }
    if (!S_ISREG(st.st_mode)) {
        return Error{ErrorCode::Io, path + ": is not a regular file"};
    }
    tighten(path, st, notices);
    tightenCompanions(path, notices);

    if (!wantWrite) {
        return PreparedFile{false, frozen(path)};
    }
    // WAL needs the file and its directory (for -wal/-shm) writable.
    const std::string directory = directoryOf(path);
    if (access(path.c_str(), W_OK) != 0) {
        notices.push_back(systemError(path, "not writable, opened read-only", errno));
        return PreparedFile{false, frozen(path)};
    }
    if (access(directory.c_str(), W_OK | X_OK) != 0) {
        notices.push_back(
            systemError(directory, "directory not writable, opened read-only", errno));
        return PreparedFile{false, frozen(path)};
    }
    return PreparedFile{true, false};
}

}  // namespace lwm2mgw::credstore::detail
