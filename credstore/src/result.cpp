#include "lwm2m-gateway/credstore/result.h"

namespace lwm2mgw::credstore {

std::string_view errorCodeName(ErrorCode code) {
    switch (code) {
        case ErrorCode::InvalidArgument:
            return "invalid-argument";
        case ErrorCode::NotFound:
            return "not-found";
        case ErrorCode::AlreadyExists:
            return "already-exists";
        case ErrorCode::Inconsistent:
            return "inconsistent";
        case ErrorCode::ModeUnavailable:
            return "mode-unavailable";
        case ErrorCode::BootstrapAccountProtected:
            return "bootstrap-account-protected";
        case ErrorCode::Conflict:
            return "conflict";
        case ErrorCode::SessionClosed:
            return "session-closed";
        case ErrorCode::ReadOnly:
            return "read-only";
        case ErrorCode::DiskFull:
            return "disk-full";
        case ErrorCode::Corrupt:
            return "corrupt";
        case ErrorCode::SchemaTooNew:
            return "schema-too-new";
        case ErrorCode::Busy:
            return "busy";
        case ErrorCode::Io:
            return "io";
        case ErrorCode::ParseError:
            return "parse-error";
    }
    return "unknown";
}

}  // namespace lwm2mgw::credstore
