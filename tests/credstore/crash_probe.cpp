// credstore-crash-probe DB N: opens the store at DB and, in one bootstrap session, replaces
// endpoint "gw" with a bootstrap account and N server accounts (fixtures' manyAccounts), then
// exits. Tests SIGKILL it at random moments and check the file holds the old or the new state.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fixtures.h"

using namespace credstore_test;

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s DATABASE WRITES\n", argv[0]);
        return 2;
    }
    const int writes = std::atoi(argv[2]);
    auto store = CredentialStore::open(argv[1]);
    if (!store) {
        std::fprintf(stderr, "open: %s\n", store.error().message.c_str());
        return 1;
    }
    auto session = store->beginBootstrap("gw");
    if (!session) {
        std::fprintf(stderr, "begin: %s\n", session.error().message.c_str());
        return 1;
    }
    if (auto r = session->deletePath("/"); !r) {
        std::fprintf(stderr, "delete: %s\n", r.error().message.c_str());
        return 1;
    }
    const auto after = manyAccounts("gw", writes);
    for (const auto& entry : after.security) {
        if (auto r = session->writeSecurity(entry.instance, entry.secrets.copy()); !r) {
            std::fprintf(stderr, "write: %s\n", r.error().message.c_str());
            return 1;
        }
    }
    for (const auto& server : after.servers) {
        if (auto r = session->writeServer(server); !r) {
            std::fprintf(stderr, "write: %s\n", r.error().message.c_str());
            return 1;
        }
    }
    if (auto r = session->commit(allModes); !r) {
        std::fprintf(stderr, "commit: %s\n", r.error().message.c_str());
        return 1;
    }
    return 0;
}
