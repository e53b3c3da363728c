// Error values and Result<T>: the credential store never throws across its API (std::expected is
// C++23; this is the small subset the store needs).
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace lwm2mgw::credstore {

enum class ErrorCode {
    InvalidArgument,            // a value outside its LwM2M range, a malformed record
    NotFound,                   // the instance or credential named does not exist
    AlreadyExists,              // a unique key (PSK identity, RPK, trust anchor label) is taken
    Inconsistent,               // the resulting state fails the consistency check
    ModeUnavailable,            // a Security Mode no loaded plugin implements
    BootstrapAccountProtected,  // Bootstrap-Delete may not remove the bootstrap account
    Conflict,                   // the endpoint changed since the session began
    SessionClosed,              // the session was already committed or abandoned
    ReadOnly,                   // the database (file, directory or filesystem) is read-only
    DiskFull,                   // SQLITE_FULL: the filesystem or the page limit is exhausted
    Corrupt,                    // not a database, or a damaged one
    SchemaTooNew,               // written by a newer gateway; refusing to guess
    Busy,                       // another process holds the write lock past the busy timeout
    Io,                         // any other filesystem or SQLite failure
    ParseError,                 // provisioning file is not valid JSON or has the wrong shape
};

// A stable, lower-case name (for logs and D-Bus error names).
std::string_view errorCodeName(ErrorCode code);

// Messages name the problem and the object (endpoint, instance id, file) but never carry key
// material: they may end up in logs and D-Bus replies.
struct Error {
    ErrorCode code;
    std::string message;
};

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(state_); }
    const T& value() const& { return std::get<0>(state_); }
    // By value, so `for (auto& x : store.list().value())` does not dangle.
    T value() && { return std::get<0>(std::move(state_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    // Only when !ok().
    const Error& error() const { return std::get<1>(state_); }

private:
    std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), failed_(true) {}

    bool ok() const { return !failed_; }
    explicit operator bool() const { return ok(); }
    const Error& error() const { return error_; }

private:
    Error error_{ErrorCode::Io, {}};
    bool failed_ = false;
};

}  // namespace lwm2mgw::credstore
