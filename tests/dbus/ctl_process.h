#pragma once

#include <QString>
#include <QStringList>

namespace lwm2mgw::testing {

struct CtlResult {
    int exitCode = -1;  // -1: did not finish
    QString out;
    QString err;
};

// Runs the real lwm2m-gatewayctl to completion while this process's event loop keeps running
// (in-process peers must go on answering the daemon). `asNobody` runs it as user nobody
// through setpriv, for the access-control tests (the caller must be root).
CtlResult runCtl(const QStringList& arguments, bool asNobody = false,
                 const QStringList& environment = {});

// Runs it as `user` with that user's groups (setpriv --init-groups; the caller must be root).
CtlResult runCtlAsUser(const QString& user, const QStringList& arguments);

// True when this process may run commands as nobody (root, with setpriv installed).
bool canRunAsNobody();

}  // namespace lwm2mgw::testing
