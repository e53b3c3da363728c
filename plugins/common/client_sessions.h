// What a plugin remembers about the client sessions it opened, for its handshake callbacks (and,
// server role, what a handshake callback found out for the admission that follows).
// libcoap 4.3.1 calls PKI callbacks with the context's (latest) setup, not the session's, so the
// per-session expectations (pinned key, expected host) are looked up here by session.
#pragma once

#include <coap3/coap.h>

#include <chrono>
#include <map>
#include <memory>

namespace lwm2mgw::dtls {

template <typename State>
class ClientSessions {
public:
    State& add(coap_session_t* session, std::unique_ptr<State> state) {
        prune();
        Entry& entry = entries_[session];
        entry.state = std::move(state);
        entry.created = std::chrono::steady_clock::now();
        return *entry.state;
    }

    State* find(coap_session_t* session) {
        const auto found = entries_.find(session);
        return found == entries_.end() ? nullptr : found->second.state.get();
    }

    // Removes the session's entry and hands it over (nullptr when there is none).
    std::unique_ptr<State> take(coap_session_t* session) {
        const auto found = entries_.find(session);
        if (found == entries_.end()) {
            return nullptr;
        }
        std::unique_ptr<State> state = std::move(found->second.state);
        entries_.erase(found);
        return state;
    }

private:
    // Only handshakes need an entry, and they end within libcoap's DTLS timeouts (sessions are
    // never renegotiated), so old entries can go; a reused session address gets a fresh entry.
    void prune() {
        const auto limit = std::chrono::steady_clock::now() - std::chrono::minutes(10);
        for (auto it = entries_.begin(); it != entries_.end();) {
            it = it->second.created < limit ? entries_.erase(it) : std::next(it);
        }
    }

    struct Entry {
        std::unique_ptr<State> state;
        std::chrono::steady_clock::time_point created;
    };
    std::map<coap_session_t*, Entry> entries_;
};

}  // namespace lwm2mgw::dtls
