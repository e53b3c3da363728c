// The database file's permissions: created 0600 whatever the umask, and an existing file (or its
// -wal/-shm/-journal companion) that is readable by group or others is tightened to owner-only.
#pragma once

#include <string>
#include <vector>

#include "lwm2m-gateway/credstore/result.h"

namespace lwm2mgw::credstore::detail {

struct PreparedFile {
    bool writable = false;
    // On a read-only filesystem with no WAL content left, nothing can change the file while it
    // is open, so SQLite may open it immutable (it cannot create the -shm it otherwise needs).
    bool frozen = false;
};

// Creates `path` if absent and `wantWrite`; reports whether it can be written (file, directory
// and filesystem). What it changed goes to `notices` (file names and modes only).
Result<PreparedFile> prepareDatabaseFile(const std::string& path, bool wantWrite,
                                         std::vector<std::string>& notices);

}  // namespace lwm2mgw::credstore::detail
