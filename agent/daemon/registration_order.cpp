#include "registration_order.h"

#include "upstream_registration.h"

#include <QPointer>
#include <QTimer>

#include <algorithm>

namespace lwm2mgw {

namespace {

using Queue = QList<QPointer<UpstreamRegistration>>;

void startFirst(Queue queue);
bool mayStart(const UpstreamRegistration& registration);

// Hands the rest on once `current` is done with: registered, failed without blocking the
// rest, de-registered or gone.
void continueAfter(UpstreamRegistration* current, Queue rest) {
    if (rest.isEmpty()) {
        return;
    }
    auto* link = new QObject;  // the connections' context, deleted when the rest is handed on
    const QPointer<UpstreamRegistration> guarded(current);
    auto handOn = [guarded, link, rest] {
        if (guarded) {
            QObject::disconnect(guarded, nullptr, link, nullptr);
        }
        // Not at once: when an endpoint's registrations are ended one by one (the sensor left,
        // the gateway stops), the next ones must be marked ended before they are looked at.
        QTimer::singleShot(0, [link, rest] {
            delete link;
            startFirst(rest);
        });
    };
    QObject::connect(current, &QObject::destroyed, link, handOn);
    QObject::connect(
        current, &UpstreamRegistration::stateChanged, link,
        [guarded, rest, handOn](UpstreamState state) {
            const UpstreamRegistration* registration = guarded.data();
            if (!registration) {
                return;
            }
            if (state == UpstreamState::Failed &&
                registration->account().registrationFailureBlock) {
                const QString reason =
                    QStringLiteral(
                        "not started: the registration at %1 before it in the Registration "
                        "Priority Order failed and blocks the rest (/1/x/15)")
                        .arg(registration->account().uri.toString());
                for (const QPointer<UpstreamRegistration>& each : rest) {
                    if (UpstreamRegistration* waiting = each.data();
                        waiting && mayStart(*waiting)) {
                        waiting->block(reason);
                    }
                }
                return;  // If it registers after all, the rest go on from there.
            }
            if (state == UpstreamState::Registered || state == UpstreamState::Failed ||
                state == UpstreamState::Deregistered) {
                handOn();
            }
        });
}

bool mayStart(const UpstreamRegistration& registration) {
    return !registration.started() && registration.state() != UpstreamState::Deregistered;
}

void startFirst(Queue queue) {
    UpstreamRegistration* next = nullptr;
    while (!next && !queue.isEmpty()) {
        UpstreamRegistration* candidate = queue.takeFirst().data();
        if (candidate && mayStart(*candidate)) {
            next = candidate;
        }
    }
    if (!next) {
        return;
    }
    auto go = [guarded = QPointer<UpstreamRegistration>(next), queue] {
        UpstreamRegistration* registration = guarded.data();
        if (!registration || !mayStart(*registration)) {
            startFirst(queue);  // Gone while it waited: the next one takes its turn.
            return;
        }
        continueAfter(registration, queue);
        registration->start();
    };
    if (const int delaySeconds = next->account().initialRegistrationDelaySeconds;
        delaySeconds > 0) {
        // No context object: should `next` go while it waits, the rest still get their turn.
        QTimer::singleShot(delaySeconds * 1000, go);
    } else {
        go();
    }
}

}  // namespace

void startInRegistrationOrder(const QList<UpstreamRegistration*>& registrations) {
    QList<UpstreamRegistration*> ordered;
    for (UpstreamRegistration* registration : registrations) {
        if (registration->account().registrationPriorityOrder) {
            ordered.append(registration);
        } else {
            registration->start();
        }
    }
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const UpstreamRegistration* a, const UpstreamRegistration* b) {
                         return a->account().registrationPriorityOrder <
                                b->account().registrationPriorityOrder;
                     });
    startFirst(Queue(ordered.begin(), ordered.end()));
}

}  // namespace lwm2mgw
