#include "lwm2m-gateway/credstore/secret.h"

#include <string.h>  // explicit_bzero (glibc)

#include <utility>

namespace lwm2mgw::credstore {

Secret::Secret(std::string_view bytes) : bytes_(bytes) {}

Secret Secret::adopt(std::string&& bytes) {
    Secret secret;
    // Moving a heap-allocated string hands over the buffer; a short (SSO) one is copied, so
    // wipe the source either way.
    secret.bytes_ = std::move(bytes);
    explicit_bzero(bytes.data(), bytes.capacity());
    bytes.clear();
    return secret;
}

Secret::~Secret() {
    wipe();
}

Secret::Secret(Secret&& other) noexcept : bytes_(std::move(other.bytes_)) {
    other.wipe();
}

Secret& Secret::operator=(Secret&& other) noexcept {
    if (this != &other) {
        wipe();
        bytes_ = std::move(other.bytes_);
        other.wipe();
    }
    return *this;
}

void Secret::wipe() noexcept {
    // Wipe the whole capacity, not just size(): a moved-from short string keeps its old bytes in
    // the in-object (SSO) buffer with size() already 0.
    explicit_bzero(bytes_.data(), bytes_.capacity());
    bytes_.clear();
}

}  // namespace lwm2mgw::credstore
