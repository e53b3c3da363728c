#pragma once

namespace lwm2mgw::ctl {

class Client;

// Blocks SIGINT and SIGTERM for every thread (call before the first D-Bus connection starts
// QtDBus's thread) and returns a signalfd for them, or -1.
int blockStopSignals();

// `monitor`: prints every signal of the daemon as one line (one JSON object per line with
// --json) until SIGINT or SIGTERM, then returns 0. The daemon coming and going is shown too.
int runMonitor(Client& client, int stopSignalFd);

}  // namespace lwm2mgw::ctl
