#pragma once

#include <QList>

namespace lwm2mgw {

class UpstreamRegistration;

// Starts an endpoint's new upstream registrations as LwM2M 1.1 /1/x/13-15 ask. Those without a
// Registration Priority Order start at once. The others start one after another in increasing
// order: each Initial Registration Delay Timer seconds after the one before it registered, or
// after it failed when that one's Registration Failure Block is false. When it is true, the
// rest are blocked (Failed, with the reason) until it registers after all, which resumes them.
// A registration de-registered while waiting is skipped.
void startInRegistrationOrder(const QList<UpstreamRegistration*>& registrations);

}  // namespace lwm2mgw
