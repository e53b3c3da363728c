#include "coap_exchanges.h"

#include "coap_pdu_util.h"

#include <algorithm>
#include <utility>

namespace lwm2mgw::peers {

Response Response::fromPdu(const coap_pdu_t* pdu) {
    Response response;
    response.code = codeToNumber(coap_pdu_get_code(pdu));
    response.confirmable = coap_pdu_get_type(pdu) == COAP_MESSAGE_CON;
    if (const auto format = uintOption(pdu, COAP_OPTION_CONTENT_FORMAT)) {
        response.contentFormat = static_cast<int>(*format);
    }
    if (const auto observe = uintOption(pdu, COAP_OPTION_OBSERVE)) {
        response.observe = static_cast<int>(*observe);
    }
    for (const QByteArray& segment : optionValues(pdu, COAP_OPTION_LOCATION_PATH)) {
        response.locationPath.append(QString::fromUtf8(segment));
    }
    response.payload = pduBody(pdu);
    return response;
}

ExchangeTable::ExchangeTable(QObject* parent) : QObject(parent) {
    clock_.start();
    timer_.setSingleShot(true);
    connect(&timer_, &QTimer::timeout, this, &ExchangeTable::expire);
}

ExchangeTable::~ExchangeTable() = default;

QByteArray ExchangeTable::key(coap_session_t* session, const QByteArray& token) {
    const auto address = reinterpret_cast<quintptr>(session);
    QByteArray out(reinterpret_cast<const char*>(&address), sizeof(address));
    out.append(token);
    return out;
}

quint64 ExchangeTable::add(coap_session_t* session, const QByteArray& token, int timeoutMs,
                           Callback done, Callback onNotify) {
    const QByteArray entryKey = key(session, token);
    if (const auto previous = byKey_.find(entryKey); previous != byKey_.end()) {
        // A token is reused only after its exchange is over (RFC 9175 4.2); drop the stale one.
        take(previous.value());
    }
    const quint64 handle = nextHandle_++;
    Entry entry;
    entry.session = session;
    entry.token = token;
    entry.done = std::move(done);
    entry.onNotify = std::move(onNotify);
    auto& stored = entries_.emplace(handle, std::move(entry)).first->second;
    byKey_.insert(entryKey, handle);
    setDeadline(handle, stored, timeoutMs);
    return handle;
}

void ExchangeTable::setDeadline(quint64 handle, Entry& entry, int timeoutMs) {
    clearDeadline(entry, handle);
    if (timeoutMs > 0) {
        entry.deadline = clock_.elapsed() + timeoutMs;
        deadlines_.emplace(entry.deadline, handle);
    }
    arm();
}

void ExchangeTable::clearDeadline(Entry& entry, quint64 handle) {
    if (entry.deadline == 0) {
        return;
    }
    auto [first, last] = deadlines_.equal_range(entry.deadline);
    for (auto it = first; it != last; ++it) {
        if (it->second == handle) {
            deadlines_.erase(it);
            break;
        }
    }
    entry.deadline = 0;
}

ExchangeTable::Entry ExchangeTable::take(quint64 handle) {
    auto it = entries_.find(handle);
    if (it == entries_.end()) {
        return {};
    }
    Entry entry = std::move(it->second);
    entries_.erase(it);
    byKey_.remove(key(entry.session, entry.token));
    clearDeadline(entry, handle);
    arm();
    return entry;
}

bool ExchangeTable::deliver(coap_session_t* session, const coap_pdu_t* received) {
    const auto found = byKey_.constFind(key(session, pduToken(received)));
    if (found == byKey_.constEnd()) {
        return false;
    }
    const quint64 handle = found.value();
    Entry& entry = entries_.at(handle);
    const Response response = Response::fromPdu(received);
    const bool isNotification = response.observe >= 0 && response.code / 100 == 2;

    if (entry.onNotify && isNotification && !entry.cancelling) {
        if (!entry.established) {
            entry.established = true;
            clearDeadline(entry, handle);
            arm();
            const Callback done = entry.done;  // may add or remove entries
            if (done) {
                done(response);
            }
        } else {
            const Callback onNotify = entry.onNotify;
            onNotify(response);
        }
        return true;
    }
    if (entry.cancelling && isNotification) {
        return true;  // still in flight from before the cancel: acknowledge and ignore
    }
    // Final response: a plain answer, a refused observation, a cancel answer, or an error
    // notification that ends an observation (RFC 7641 3.2).
    Entry finished = take(handle);
    if (finished.established && !finished.cancelling) {
        if (finished.onNotify) {
            finished.onNotify(response);
        }
    } else if (finished.done) {
        finished.done(response);
    }
    return true;
}

void ExchangeTable::fail(coap_session_t* session, const QByteArray& token,
                         coap_nack_reason_t reason) {
    if (reason == COAP_NACK_ICMP_ISSUE) {
        return;  // libcoap keeps retransmitting after an ICMP error; it is not final
    }
    const auto found = byKey_.constFind(key(session, token));
    if (found == byKey_.constEnd()) {
        return;
    }
    Entry finished = take(found.value());
    Response response;
    response.reset = reason == COAP_NACK_RST;
    response.timedOut = !response.reset;
    if (finished.done) {
        finished.done(response);
    }
}

bool ExchangeTable::expectCancelResponse(quint64 handle, int timeoutMs, Callback done) {
    auto it = entries_.find(handle);
    if (it == entries_.end()) {
        return false;
    }
    it->second.cancelling = true;
    it->second.done = std::move(done);
    setDeadline(handle, it->second, timeoutMs);
    return true;
}

bool ExchangeTable::forget(quint64 handle) {
    if (entries_.count(handle) == 0) {
        return false;
    }
    take(handle);
    return true;
}

void ExchangeTable::forgetSession(coap_session_t* session) {
    std::vector<quint64> handles;
    for (const auto& [handle, entry] : entries_) {
        if (entry.session == session) {
            handles.push_back(handle);
        }
    }
    for (const quint64 handle : handles) {
        take(handle);
    }
}

void ExchangeTable::clear() {
    entries_.clear();
    byKey_.clear();
    deadlines_.clear();
    timer_.stop();
}

coap_session_t* ExchangeTable::session(quint64 handle) const {
    const auto it = entries_.find(handle);
    return it == entries_.end() ? nullptr : it->second.session;
}

QByteArray ExchangeTable::token(quint64 handle) const {
    const auto it = entries_.find(handle);
    return it == entries_.end() ? QByteArray() : it->second.token;
}

void ExchangeTable::expire() {
    const qint64 now = clock_.elapsed();
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
        const quint64 handle = deadlines_.begin()->second;
        Entry finished = take(handle);
        Response response;
        response.timedOut = true;
        if (finished.done) {
            finished.done(response);
        }
    }
    arm();
}

void ExchangeTable::arm() {
    if (deadlines_.empty()) {
        timer_.stop();
        return;
    }
    const qint64 wait = deadlines_.begin()->first - clock_.elapsed();
    timer_.start(static_cast<int>(std::clamp<qint64>(wait, 0, 24LL * 3600 * 1000)));
}

}  // namespace lwm2mgw::peers
