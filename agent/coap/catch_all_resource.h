#pragma once

#include <coap3/coap.h>

namespace lwm2mgw {

// Routes every request of a context, whatever its path and method, to one handler: LwM2M
// paths are the peer's object tree, not resources registered up front.
void addCatchAllResource(coap_context_t* context, coap_method_handler_t handler);

}  // namespace lwm2mgw
