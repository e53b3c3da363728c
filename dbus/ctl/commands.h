#pragma once

#include <QStringList>

namespace lwm2mgw::ctl {

class Client;

// Runs one command line (command and its arguments, options already taken) against the
// daemon; returns the process's exit code (exit_codes.h).
// `stopSignalFd`: from blockStopSignals() when the command is monitor, else -1.
int runCommand(Client& client, const QStringList& arguments, int stopSignalFd);

// The usage text --help shows after the options.
QString commandsHelp();

}  // namespace lwm2mgw::ctl
