// SIGKILLs credstore-crash-probe at random moments of its one bootstrap session: afterwards the
// file must pass integrity_check and hold exactly the state before or exactly the state after.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "test_support.h"

extern char** environ;

using namespace credstore_test;

namespace {

constexpr int kRuns = 100;
constexpr int kWrites = 100;
constexpr qint64 kTimeBudgetMs = 45000;

pid_t startProbe(const std::string& db) {
    const std::string writes = std::to_string(kWrites);
    const char* argv[] = {CREDSTORE_CRASH_PROBE, db.c_str(), writes.c_str(), nullptr};
    pid_t pid = -1;
    if (posix_spawn(&pid, CREDSTORE_CRASH_PROBE, nullptr, nullptr, const_cast<char**>(argv),
                    environ) != 0) {
        return -1;
    }
    return pid;
}

int waitProbe(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

bool resetFrom(const QString& pristine, const std::string& db) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
        QFile::remove(QString::fromStdString(db + suffix));
    }
    return QFile::copy(pristine, QString::fromStdString(db));
}

}  // namespace

class CredstoreCrashTest : public QObject {
    Q_OBJECT
private slots:
    void killedProbeLeavesBeforeOrAfter();
};

void CredstoreCrashTest::killedProbeLeavesBeforeOrAfter() {
    QTemporaryDir dir;
    const QString pristine = dir.filePath(QStringLiteral("before.db"));
    const std::string db = dbPath(dir, "work.db");
    {
        auto store = CredentialStore::open(pristine.toStdString());
        CREDSTORE_VERIFY_OK(store);
        CREDSTORE_VERIFY_OK(store->replaceEndpoints(endpoints(sampleAccounts("gw")), allModes));
    }
    const EndpointAccounts before = sampleAccounts("gw");
    const EndpointAccounts after = manyAccounts("gw", kWrites);

    // Undisturbed runs: they must succeed, and their (median) length sets the range of kill
    // delays, so the kills spread over the whole life of the probe whatever the machine's speed.
    std::vector<qint64> lengths;
    for (int i = 0; i < 3; ++i) {
        QVERIFY(resetFrom(pristine, db));
        QElapsedTimer clock;
        clock.start();
        const pid_t full = startProbe(db);
        QVERIFY(full > 0);
        const int fullStatus = waitProbe(full);
        lengths.push_back(clock.nsecsElapsed() / 1000);
        QVERIFY(WIFEXITED(fullStatus) && WEXITSTATUS(fullStatus) == 0);
        auto store = CredentialStore::open(db);
        CREDSTORE_VERIFY_OK(store);
        QVERIFY(snapshot(*store, "gw").value() == after);
    }
    std::sort(lengths.begin(), lengths.end());
    const qint64 runMicros = std::max<qint64>(lengths[1], 1000);

    const char* seedText = std::getenv("CREDSTORE_CRASH_SEED");
    const auto seed = seedText != nullptr
                          ? static_cast<unsigned>(std::strtoul(seedText, nullptr, 10))
                          : std::random_device{}();
    qInfo("probe run takes %lld us; seed %u (set CREDSTORE_CRASH_SEED to replay)",
          static_cast<long long>(runMicros), seed);
    std::mt19937 random(seed);
    // A little past the full run, so some kills land after exit and "after" shows up too.
    std::uniform_int_distribution<qint64> delay(0, runMicros * 13 / 10);

    int sawBefore = 0;
    int sawAfter = 0;
    int killedAlive = 0;
    QElapsedTimer budget;
    budget.start();
    for (int run = 0; run < kRuns; ++run) {
        QVERIFY2(budget.elapsed() < kTimeBudgetMs, "crash test ran out of its time budget");
        QVERIFY(resetFrom(pristine, db));
        const pid_t pid = startProbe(db);
        QVERIFY(pid > 0);
        std::this_thread::sleep_for(std::chrono::microseconds(delay(random)));
        kill(pid, SIGKILL);
        const int status = waitProbe(pid);
        if (WIFSIGNALED(status)) {
            ++killedAlive;
        } else {
            QVERIFY2(WIFEXITED(status) && WEXITSTATUS(status) == 0, "probe failed on its own");
        }

        auto store = CredentialStore::open(db);  // recovers the WAL the probe left, if any
        QVERIFY2(store.ok(), store.ok() ? "" : store.error().message.c_str());
        CREDSTORE_VERIFY_OK(store->checkIntegrity());
        auto state = snapshot(*store, "gw");
        CREDSTORE_VERIFY_OK(state);
        if (*state == before) {
            ++sawBefore;
        } else if (*state == after) {
            ++sawAfter;
        } else {
            QFAIL(qPrintable(QStringLiteral("run %1: neither the before nor the after state "
                                            "(%2 Security, %3 Server instances)")
                                 .arg(run)
                                 .arg(state->security.size())
                                 .arg(state->servers.size())));
        }
        RawDb raw(db, true);
        QCOMPARE(raw.text("PRAGMA integrity_check"), std::string("ok"));
    }
    qInfo(
        "%d runs in %lld ms: %d killed while running, %d left the before state, %d the after "
        "state",
        kRuns, static_cast<long long>(budget.elapsed()), killedAlive, sawBefore, sawAfter);
    QCOMPARE(sawBefore + sawAfter, kRuns);
    // Both outcomes must occur, or the kills did not cover the commit.
    QVERIFY(sawBefore > 0);
    QVERIFY(sawAfter > 0);
}

QTEST_GUILESS_MAIN(CredstoreCrashTest)
#include "credstore_crash_test.moc"
