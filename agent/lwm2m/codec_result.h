#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <variant>

namespace lwm2mgw::lwm2m {

// Why a decoder refused its input: the byte offset where the problem was found (for unterminated
// constructs, where the construct began) and a sentence a person can act on.
struct CodecError {
    std::size_t offset = 0;
    std::string message;
};

// Holds either a decoded value or the CodecError explaining why there is none.
// Accessing the wrong side throws std::bad_variant_access rather than reading garbage.
// Note: for Result<bool>, `if (result)` tests success, not the decoded boolean.
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : m_state(std::in_place_index<0>, std::move(value)) {}
    Result(CodecError error) : m_state(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return m_state.index() == 0; }
    explicit operator bool() const { return ok(); }

    const T& value() const& { return std::get<0>(m_state); }
    T& value() & { return std::get<0>(m_state); }
    T&& value() && { return std::get<0>(std::move(m_state)); }

    const CodecError& error() const { return std::get<1>(m_state); }

private:
    std::variant<T, CodecError> m_state;
};

}  // namespace lwm2mgw::lwm2m
