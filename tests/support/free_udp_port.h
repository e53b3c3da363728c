#pragma once

#include <QtGlobal>

namespace lwm2mgw::testing {

// A UDP port on 127.0.0.1 that was free a moment ago (bound and released). Bind it at once:
// tests running in parallel, and every ephemeral socket on the machine, draw from the same pool.
quint16 freeUdpPort();

// A port P such that P and P + 1 were both free, for peers that listen on two (coap-server-*:
// CoAP on P, CoAPS on P + 1). Both are held while looking, so P + 1 is checked, not assumed.
quint16 freeUdpPortPair();

}  // namespace lwm2mgw::testing
