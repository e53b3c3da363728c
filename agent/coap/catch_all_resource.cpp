#include "catch_all_resource.h"

#include <initializer_list>

namespace lwm2mgw {

void addCatchAllResource(coap_context_t* context, coap_method_handler_t handler) {
    coap_resource_t* resource = coap_resource_unknown_init2(handler, 0);  // PUT
    for (coap_request_t method : {COAP_REQUEST_GET, COAP_REQUEST_POST, COAP_REQUEST_DELETE,
                                  COAP_REQUEST_FETCH, COAP_REQUEST_PATCH, COAP_REQUEST_IPATCH}) {
        coap_register_request_handler(resource, method, handler);
    }
    coap_add_resource(context, resource);
}

}  // namespace lwm2mgw
