// SIGKILL of the real lwm2m-gatewayd at random moments of a bootstrap by the in-tree
// Bootstrap-Server, over and over: after each kill the store passes PRAGMA integrity_check and
// holds exactly the state before that bootstrap or exactly the state after it, never a mix.
// The kill moments are drawn around every answer of the sequence (Finish included), so both
// outcomes occur in every run; the test asserts they did.
#include "bootstrap_payloads.h"
#include "coap_pdu_util.h"
#include "gateway_process.h"
#include "test_bootstrap_server.h"

#include <lwm2m-gateway/credstore/credential_store.h>

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <sys/types.h>
#include <unistd.h>
#include <csignal>

using lwm2mgw::peers::TestBootstrapServer;
namespace format = lwm2mgw::peers::format;
namespace tlv = lwm2mgw::peers::tlv;
namespace cs = lwm2mgw::credstore;

namespace {

const std::string kEndpoint = "lwm2m-gateway";
constexpr int kIterations = 110;

QByteArray securityTlv(quint16 port, int shortServerId) {
    return tlv::resource(0, "coap://127.0.0.1:" + QByteArray::number(port)) +
           tlv::resource(1, tlv::boolean(false)) + tlv::resource(2, tlv::integer(3)) +
           tlv::resource(10, tlv::integer(shortServerId));
}

QByteArray serverTlv(int shortServerId) {
    return tlv::resource(0, tlv::integer(shortServerId)) + tlv::resource(1, tlv::integer(300)) +
           tlv::resource(6, tlv::boolean(false)) + tlv::resource(7, "U") +
           tlv::resource(16, tlv::boolean(false));
}

struct StoreState {
    std::vector<cs::SecurityObjectInstance> security;
    std::vector<cs::ServerObjectInstance> servers;
    bool operator==(const StoreState&) const = default;
};

// Opened read-write, as the restarted daemon would: SQLite recovers the WAL first.
std::optional<StoreState> readState(const QString& path, QString& error) {
    auto store = cs::CredentialStore::open(path.toStdString());
    if (!store) {
        error = QString::fromStdString(store.error().message);
        return std::nullopt;
    }
    if (auto integrity = store->checkIntegrity(); !integrity) {
        error =
            QStringLiteral("integrity_check: ") + QString::fromStdString(integrity.error().message);
        return std::nullopt;
    }
    auto security = store->securityInstances(kEndpoint);
    auto servers = store->serverInstances(kEndpoint);
    if (!security || !servers) {
        error = QStringLiteral("cannot read the accounts back");
        return std::nullopt;
    }
    return StoreState{security.value(), servers.value()};
}

}  // namespace

class TestBootstrapCrash : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void killDuringBootstrap();

private:
    // Starts the daemon on a fresh copy of the template store; no waiting for its log.
    bool launch(QProcess& process);
    QList<TestBootstrapServer::Step> sequence() const;

    QTemporaryDir directory_;
    TestBootstrapServer bootstrap_;
    QString templatePath_;
    QString storePath_;
    QString configPath_;
    QString logPath_;
};

void TestBootstrapCrash::initTestCase() {
    QVERIFY(directory_.isValid());
    QVERIFY(bootstrap_.listen());
    templatePath_ = directory_.filePath(QStringLiteral("template.db"));
    storePath_ = directory_.filePath(QStringLiteral("credentials.db"));
    configPath_ = directory_.filePath(QStringLiteral("gateway.ini"));
    logPath_ = directory_.filePath(QStringLiteral("gateway.log"));
    {
        // The state before: the gateway's Bootstrap-Server account only.
        auto store = cs::CredentialStore::open(templatePath_.toStdString());
        QVERIFY(store);
        cs::EndpointAccounts accounts;
        accounts.endpoint = kEndpoint;
        cs::SecurityObjectEntry entry;
        entry.instance.instanceId = 0;
        entry.instance.serverUri =
            QStringLiteral("coap://127.0.0.1:%1").arg(bootstrap_.port()).toStdString();
        entry.instance.bootstrapServer = true;
        entry.instance.securityMode = cs::SecurityMode::NoSec;
        accounts.security.push_back(std::move(entry));
        std::vector<cs::EndpointAccounts> all;
        all.push_back(std::move(accounts));
        auto written = store->replaceEndpoints(
            all, [](cs::SecurityMode mode) { return mode == cs::SecurityMode::NoSec; });
        QVERIFY2(written, written ? "" : written.error().message.c_str());
    }  // closed: the WAL is checkpointed into the file, which is copied per iteration
    QFile config(configPath_);
    QVERIFY(config.open(QIODevice::WriteOnly | QIODevice::Truncate));
    config.write(QStringLiteral("[downstream]\nlisten=coap://127.0.0.1:%1\n")
                     .arg(lwm2mgw::testing::freeUdpPort())
                     .toUtf8());
}

QList<TestBootstrapServer::Step> TestBootstrapCrash::sequence() const {
    // Two accounts in several writes: a store holding some but not all of them is a mix.
    const quint16 unused = 9;  // never contacted within an iteration
    return {
        TestBootstrapServer::deleteStep(QStringLiteral("/")),
        TestBootstrapServer::writeStep(QStringLiteral("/0/1"), format::kTlv,
                                       securityTlv(unused, 101)),
        TestBootstrapServer::writeStep(QStringLiteral("/1/1"), format::kTlv, serverTlv(101)),
        TestBootstrapServer::writeStep(QStringLiteral("/0/2"), format::kTlv,
                                       securityTlv(unused, 102)),
        TestBootstrapServer::writeStep(QStringLiteral("/1/2"), format::kTlv, serverTlv(102)),
        TestBootstrapServer::finishStep(),
    };
}

bool TestBootstrapCrash::launch(QProcess& process) {
    QFile::remove(storePath_);
    QFile::remove(storePath_ + QStringLiteral("-wal"));
    QFile::remove(storePath_ + QStringLiteral("-shm"));
    if (!QFile::copy(templatePath_, storePath_)) {
        return false;
    }
    QFile::setPermissions(storePath_, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    process.setStandardOutputFile(QProcess::nullDevice());
    process.setStandardErrorFile(logPath_);  // the last iteration's log, for a failure message
    process.start(QStringLiteral(LWM2MGW_TEST_GATEWAYD),
                  {QStringLiteral("--config"), configPath_, QStringLiteral("--plugin-dir"),
                   QStringLiteral(LWM2MGW_TEST_PLUGIN_DIR), QStringLiteral("--store"), storePath_});
    return process.waitForStarted(5000);
}

void TestBootstrapCrash::killDuringBootstrap() {
    QString error;
    const std::optional<StoreState> before = readState(templatePath_, error);
    QVERIFY2(before, qPrintable(error));
    QCOMPARE(before->servers.size(), size_t{0});

    // One uninterrupted bootstrap gives the state after.
    std::optional<StoreState> after;
    {
        bootstrap_.setSequence(sequence());
        QProcess process;
        QVERIFY(launch(process));
        QTRY_VERIFY_WITH_TIMEOUT(bootstrap_.sequenceDone(), 15000);
        QCOMPARE(bootstrap_.answerCodes(), (QList<int>{202, 204, 204, 204, 204, 204}));
        ::kill(static_cast<pid_t>(process.processId()), SIGKILL);
        QVERIFY(process.waitForFinished(5000));
        after = readState(storePath_, error);
        QVERIFY2(after, qPrintable(error));
        QCOMPARE(after->servers.size(), size_t{2});
        QCOMPARE(after->security.size(), size_t{3});
    }

    const int steps = static_cast<int>(sequence().size());
    int sawBefore = 0;
    int sawAfter = 0;
    QElapsedTimer elapsed;
    elapsed.start();
    for (int iteration = 0; iteration < kIterations; ++iteration) {
        // Kill after the k-th answer (0: at the Bootstrap-Request), a little later still.
        const int killAfter = QRandomGenerator::global()->bounded(steps + 1);
        // Around the Finish the window is wider, so kills also land inside the commit.
        const auto extraMicros = static_cast<useconds_t>(
            QRandomGenerator::global()->bounded(killAfter == steps - 1 ? 8000 : 1500));
        bootstrap_.setSequence(sequence());
        QProcess process;
        QVERIFY(launch(process));
        const auto pid = static_cast<pid_t>(process.processId());
        bool killed = false;
        const auto killNow = [&] {
            if (!killed) {
                killed = true;
                ::usleep(extraMicros);
                ::kill(pid, SIGKILL);
            }
        };
        const QMetaObject::Connection onRequest =
            connect(&bootstrap_, &TestBootstrapServer::bootstrapRequested, this, [&] {
                if (killAfter == 0) {
                    killNow();
                }
            });
        const QMetaObject::Connection onAnswer =
            connect(&bootstrap_, &TestBootstrapServer::answered, this, [&](int count) {
                if (count == killAfter) {
                    killNow();
                }
            });
        const bool reached = QTest::qWaitFor([&] { return killed; }, 10000);
        disconnect(onRequest);
        disconnect(onAnswer);
        if (!reached) {
            process.kill();
            process.waitForFinished(5000);
            QFile log(logPath_);
            log.open(QIODevice::ReadOnly);
            QFAIL(qPrintable(QStringLiteral("iteration %1: the bootstrap never reached answer %2; "
                                            "log:\n%3")
                                 .arg(iteration)
                                 .arg(killAfter)
                                 .arg(QString::fromUtf8(log.readAll()))));
        }
        QVERIFY(process.waitForFinished(5000));
        QCOMPARE(process.exitStatus(), QProcess::CrashExit);
        const std::optional<StoreState> state = readState(storePath_, error);
        QVERIFY2(state, qPrintable(QStringLiteral("iteration %1: %2").arg(iteration).arg(error)));
        if (*state == *before) {
            ++sawBefore;
        } else if (*state == *after) {
            ++sawAfter;
        } else {
            QFAIL(qPrintable(QStringLiteral("iteration %1 (killed after answer %2): the store "
                                            "holds %3 Security and %4 Server instance(s), a mix")
                                 .arg(iteration)
                                 .arg(killAfter)
                                 .arg(state->security.size())
                                 .arg(state->servers.size())));
        }
    }
    qInfo("%d kills in %lld ms: %d before, %d after", kIterations,
          static_cast<long long>(elapsed.elapsed()), sawBefore, sawAfter);
    QVERIFY(sawBefore > 0);
    QVERIFY(sawAfter > 0);
}

QTEST_GUILESS_MAIN(TestBootstrapCrash)
#include "test_bootstrap_crash.moc"
