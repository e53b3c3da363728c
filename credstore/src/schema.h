// Schema versions and forward migrations. PRAGMA user_version holds the version; each step runs
// in its own transaction together with the user_version bump, so a crash leaves either the old
// or the new version, never a half-migrated file.
#pragma once

#include "connection.h"

namespace lwm2mgw::credstore::detail {

// Version 1: the LwM2M Security and Server objects. Version 2: downstream credentials.
constexpr int kSchemaVersion = 2;
// PRAGMA application_id of a credential store ('LwGC'), set by the version 1 step.
constexpr int kApplicationId = 0x4c774743;

Result<int> schemaVersion(Connection& connection);

// Brings the database to `targetVersion` (<= kSchemaVersion), one step at a time. Safe against
// another process migrating the same file at once (each step re-reads the version under the
// write lock). Tests call it with older targets to build databases of earlier versions.
Result<void> migrate(Connection& connection, int targetVersion = kSchemaVersion);

}  // namespace lwm2mgw::credstore::detail
