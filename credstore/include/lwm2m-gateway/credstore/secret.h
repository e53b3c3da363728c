// Secret: key material (PSK, private key, SMS binding keys) held in a buffer that is wiped when
// the Secret dies or is moved from. Copying is explicit (copy()) so a stray copy is visible in
// review, and there is no stream operator, so a secret cannot be logged by accident.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lwm2mgw::credstore {

class Secret {
public:
    Secret() = default;
    explicit Secret(std::string_view bytes);
    // Takes over `bytes` without a copy; the caller's string is left empty.
    static Secret adopt(std::string&& bytes);
    ~Secret();

    Secret(Secret&& other) noexcept;
    Secret& operator=(Secret&& other) noexcept;
    Secret(const Secret&) = delete;
    Secret& operator=(const Secret&) = delete;

    Secret copy() const { return Secret(view()); }

    std::string_view view() const { return bytes_; }
    const unsigned char* data() const {
        return reinterpret_cast<const unsigned char*>(bytes_.data());
    }
    std::size_t size() const { return bytes_.size(); }
    bool empty() const { return bytes_.empty(); }

    // Plain comparison: the store uses it for change detection, not for authentication.
    bool operator==(const Secret& other) const { return bytes_ == other.bytes_; }

private:
    void wipe() noexcept;

    std::string bytes_;
};

}  // namespace lwm2mgw::credstore
