// The host part of a Security Object server URI (/0/x/0), which the server's certificate must name.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lwm2mgw::dtls {

// "coaps://lwm2m.example.net:5684/x" -> "lwm2m.example.net"; "coaps://[::1]:5684" -> "::1".
std::optional<std::string> hostOfServerUri(std::string_view uri);

}  // namespace lwm2mgw::dtls
