#pragma once

// lwm2m-gatewayctl's exit codes; the man page lists the same table.
namespace lwm2mgw::ctl {

enum ExitCode : int {
    kOk = 0,
    kFailed = 1,        // the daemon tried and failed (org.lwm2mgateway.Error.Failed, others)
    kUsage = 2,         // bad command line, or an argument the daemon refused as invalid
    kUnreachable = 3,   // no bus, daemon not running, or no answer in time
    kNotFound = 4,      // no such endpoint (org.lwm2mgateway.Error.NotFound)
    kAccessDenied = 5,  // caller is neither root nor in group lwm2m-gateway
    kNotSupported = 6,  // this daemon does not implement the operation yet
};

}  // namespace lwm2mgw::ctl
