// A cheap shape check for DER input (SubjectPublicKeyInfo, certificates): catches PEM text or
// truncated files handed in by mistake. It does not parse the contents; the plugins do that.
#pragma once

#include <string_view>

namespace lwm2mgw::credstore::detail {

// True when `der` is exactly one DER SEQUENCE with a definite length covering all the bytes.
bool isDerSequence(std::string_view der);

}  // namespace lwm2mgw::credstore::detail
