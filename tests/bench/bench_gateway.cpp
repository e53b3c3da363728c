// bench_gateway: load figures of the real lwm2m-gatewayd, each against a baseline measured in
// the same run. The peers (sensors, upstream servers) live in this process on one Qt loop, the
// gateway in its own process. One JSON object per line on stdout; progress on stderr.
// README.md in this directory explains every figure.
#include "gateway_process.h"
#include "process_setup.h"
#include "test_lwm2m_server.h"
#include "test_sensor.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTimer>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

using lwm2mgw::CoapEventLoop;
using lwm2mgw::peers::Response;
using lwm2mgw::peers::TestLwm2mServer;
using lwm2mgw::peers::TestSensor;
using lwm2mgw::testing::GatewayProcess;

namespace {

constexpr int kContent = 205;
constexpr double kStormTargetSeconds = 10.0;
constexpr double kThroughputTargetRatio = 0.5;
constexpr double kAddedLatencyTargetMs = 2.0;
constexpr double kRssTargetKib = 64.0;
const QString kReadPath = QStringLiteral("/3/0/0");
const QString kGatewayEndpoint = QStringLiteral("bench-gw");

struct Options {
    int sensors = 1000;
    int durationMs = 1000;
    std::vector<int> concurrency{16, 32, 64};
    int repetitions = 5;
    int registrationTimeoutMs = 60000;
    // libcoap 4.3.1 scans every session of a context on each I/O step: more, smaller sensor
    // contexts keep that scan (a cost of the load generator, not of the gateway) short.
    int sensorsPerLoop = 50;
};

void emitLine(const QJsonObject& object) {
    const QByteArray line = QJsonDocument(object).toJson(QJsonDocument::Compact);
    std::fprintf(stdout, "%s\n", line.constData());
    std::fflush(stdout);
}

void progress(const QString& text) {
    std::fprintf(stderr, "bench_gateway: %s\n", qPrintable(text));
}

double rounded(double value, int decimals = 3) {
    const double scale = std::pow(10.0, decimals);
    return std::round(value * scale) / scale;
}

double median(std::vector<double> values) {
    if (values.empty()) {
        return 0.0;
    }
    std::sort(values.begin(), values.end());
    const size_t middle = values.size() / 2;
    return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2.0;
}

// Nearest-rank percentile of sorted nanoseconds, in milliseconds.
double percentileMs(const std::vector<qint64>& sortedNs, double fraction) {
    if (sortedNs.empty()) {
        return 0.0;
    }
    const auto rank =
        static_cast<size_t>(std::ceil(fraction * static_cast<double>(sortedNs.size())));
    const size_t index = std::min(sortedNs.size() - 1, rank == 0 ? 0 : rank - 1);
    return static_cast<double>(sortedNs[index]) / 1e6;
}

// Runs the Qt loop (never sleeps) until done() holds or the timeout passes.
bool waitUntil(const std::function<bool()>& done, int timeoutMs) {
    if (done()) {
        return true;
    }
    QEventLoop loop;
    QTimer poll;
    poll.setInterval(2);
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (done()) {
            loop.quit();
        }
    });
    QTimer deadline;
    deadline.setSingleShot(true);
    QObject::connect(&deadline, &QTimer::timeout, &loop, &QEventLoop::quit);
    poll.start();
    deadline.start(timeoutMs);
    loop.exec();
    return done();
}

void idle(int ms) {
    waitUntil([] { return false; }, ms);
}

// GatewayProcess does not expose the child's pid: find our child running lwm2m-gatewayd.
pid_t gatewayPid() {
    const pid_t self = ::getpid();
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString& entry : entries) {
        bool numeric = false;
        const int pid = entry.toInt(&numeric);
        if (!numeric) {
            continue;
        }
        QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!stat.open(QIODevice::ReadOnly)) {
            continue;
        }
        const QByteArray text = stat.readAll();
        // "pid (comm) state ppid ...": comm may contain spaces, so split after the last ')'.
        const qsizetype open = text.indexOf('(');
        const qsizetype close = text.lastIndexOf(')');
        if (open < 0 || close < open) {
            continue;
        }
        const QByteArray comm = text.mid(open + 1, close - open - 1);
        const QList<QByteArray> rest = text.mid(close + 2).split(' ');
        if (comm == "lwm2m-gatewayd" && rest.size() > 1 && rest[1].toInt() == self) {
            return static_cast<pid_t>(pid);
        }
    }
    return 0;
}

std::optional<qint64> rssKib(pid_t pid) {
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly)) {
        return std::nullopt;
    }
    for (const QByteArray& line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:")) {
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
        }
    }
    return std::nullopt;
}

// utime + stime of a process, in seconds.
double cpuSeconds(pid_t pid) {
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly)) {
        return 0.0;
    }
    const QByteArray text = stat.readAll();
    const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat(5); the list starts at field 3.
    const double ticks =
        static_cast<double>(fields.value(11).toLongLong() + fields.value(12).toLongLong());
    return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// What one timed run of Reads produced.
struct RunResult {
    double seconds = 0;    // the measured window
    qint64 completed = 0;  // 2.05 answers whose request was timed in the window
    qint64 errors = 0;     // other answers, timeouts, requests that could not be sent
    std::vector<qint64> latencyNs;
    std::vector<qint64> latencyFromSendNs;  // open loop only: from the actual send
    double gatewayCpu = 0;                  // cores used by the gateway process during the window
    double benchCpu = 0;  // cores used by this process (all peers) during the window

    double rps() const { return seconds > 0 ? static_cast<double>(completed) / seconds : 0; }
};

// Shared by a run and every callback of its requests: a late answer may outlive the run.
struct RunState {
    TestLwm2mServer* server = nullptr;
    QStringList endpoints;
    QElapsedTimer clock;
    qint64 windowStartNs = 0;
    qint64 windowEndNs = 0;
    int outstanding = 0;
    bool stopping = false;
    RunResult result;
    std::vector<int> cursor;  // closed loop: next slot of each worker
    int concurrency = 0;
    bool open = false;
};

void record(RunState& state, qint64 timedFromNs, qint64 sentAtNs, const Response& response) {
    const qint64 now = state.clock.nsecsElapsed();
    // Only requests timed inside the window count; warm-up and drain do not.
    if (timedFromNs < state.windowStartNs || timedFromNs >= state.windowEndNs) {
        return;
    }
    if (response.code != kContent) {
        ++state.result.errors;
        return;
    }
    ++state.result.completed;
    state.result.latencyNs.push_back(now - timedFromNs);
    if (state.open) {
        state.result.latencyFromSendNs.push_back(now - sentAtNs);
    }
}

// Closed loop: each worker keeps exactly one Read in flight, over its own set of endpoints
// (worker w uses endpoints w, w + C, w + 2C, ...), so no two in-flight Reads share one.
void issueClosed(const std::shared_ptr<RunState>& state, int worker) {
    if (state->stopping) {
        return;
    }
    const qint64 sentAt = state->clock.nsecsElapsed();
    if (sentAt >= state->windowEndNs) {
        state->stopping = true;
        return;
    }
    const int slotCount = static_cast<int>(state->endpoints.size()) / state->concurrency;
    const int index =
        worker + state->concurrency * (state->cursor[static_cast<size_t>(worker)]++ % slotCount);
    ++state->outstanding;
    const quint64 handle = state->server->read(state->endpoints[index], kReadPath,
                                               [state, worker, sentAt](const Response& response) {
                                                   --state->outstanding;
                                                   record(*state, sentAt, sentAt, response);
                                                   issueClosed(state, worker);
                                               });
    if (handle == 0) {
        --state->outstanding;
        ++state->result.errors;
        // Try again from the loop rather than recursing on a persistent failure.
        QTimer::singleShot(1, state->server, [state, worker] { issueClosed(state, worker); });
    }
}

// Open loop: Reads at fixed intended times i / rate, whatever the answers do; latency counts
// from the intended time, so a stalled sender cannot hide queueing (coordinated omission).
void issueOpen(const std::shared_ptr<RunState>& state, double rate, qint64& issued) {
    const qint64 now = state->clock.nsecsElapsed();
    const qint64 until = std::min(now, state->windowEndNs);
    const auto due = static_cast<qint64>(static_cast<double>(until) * rate / 1e9);
    for (; issued < due; ++issued) {
        const auto intended = static_cast<qint64>(static_cast<double>(issued) * 1e9 / rate);
        const QString& endpoint =
            state->endpoints[static_cast<qsizetype>(issued % state->endpoints.size())];
        const qint64 sentAt = state->clock.nsecsElapsed();
        ++state->outstanding;
        const quint64 handle = state->server->read(
            endpoint, kReadPath, [state, intended, sentAt](const Response& response) {
                --state->outstanding;
                record(*state, intended, sentAt, response);
            });
        if (handle == 0) {
            --state->outstanding;
            ++state->result.errors;
        }
    }
    if (now >= state->windowEndNs) {
        state->stopping = true;
    }
}

class Bench {
public:
    explicit Bench(Options options) : options_(std::move(options)) {}
    ~Bench();
    Bench(const Bench&) = delete;
    Bench& operator=(const Bench&) = delete;

    int run();

private:
    bool startPeersAndGateway();
    bool registrationStorm();
    bool closedLoop();
    bool openLoop();
    RunResult measure(TestLwm2mServer& server, const QStringList& endpoints, int concurrency,
                      double rate);
    std::optional<double> storm(const std::vector<CoapEventLoop*>& loops, TestLwm2mServer& server,
                                const QString& uri, const QString& prefix,
                                std::vector<TestSensor*>& sensors, QStringList& endpoints);
    QString gatewayUri() const { return QStringLiteral("coap://127.0.0.1:%1").arg(gatewayPort_); }

    Options options_;
    QElapsedTimer total_;
    std::unique_ptr<TestLwm2mServer> upstream_;  // behind the gateway
    std::unique_ptr<TestLwm2mServer> direct_;    // the baseline: sensors register here directly
    std::unique_ptr<GatewayProcess> gateway_;
    pid_t gatewayPid_ = 0;
    quint16 gatewayPort_ = 0;
    std::vector<CoapEventLoop*> gatewaySensorLoops_;
    std::vector<CoapEventLoop*> directSensorLoops_;
    std::vector<TestSensor*> gatewaySensors_;
    std::vector<TestSensor*> directSensors_;
    QStringList gatewayEndpoints_;
    QStringList directEndpoints_;
    double peakGatewayRps_ = 0;
    bool allPass_ = true;
};

Bench::~Bench() {
    // The gateway de-registers every endpoint on SIGTERM: the upstream server must still answer.
    if (gateway_) {
        gateway_->stop();
    }
    for (TestSensor* sensor : gatewaySensors_) {
        delete sensor;
    }
    for (TestSensor* sensor : directSensors_) {
        delete sensor;
    }
    for (CoapEventLoop* loop : gatewaySensorLoops_) {
        delete loop;
    }
    for (CoapEventLoop* loop : directSensorLoops_) {
        delete loop;
    }
}

int Bench::run() {
    total_.start();
    if (!startPeersAndGateway() || !registrationStorm() || !closedLoop() || !openLoop()) {
        return 1;
    }
    QJsonObject summary{
        {"bench", "summary"},
        {"sensors", options_.sensors},
        {"duration_ms", options_.durationMs},
        {"repetitions", options_.repetitions},
        {"wall_seconds", rounded(static_cast<double>(total_.elapsed()) / 1000.0, 1)},
        {"pass", allPass_}};
    emitLine(summary);
    return 0;
}

bool Bench::startPeersAndGateway() {
    upstream_ = std::make_unique<TestLwm2mServer>();
    direct_ = std::make_unique<TestLwm2mServer>();
    if (!upstream_->listen(QStringLiteral("127.0.0.1"), 0) ||
        !direct_->listen(QStringLiteral("127.0.0.1"), 0)) {
        progress(QStringLiteral("cannot start the test LwM2M servers"));
        return false;
    }
    gatewayPort_ = lwm2mgw::testing::freeUdpPort();
    gateway_ = std::make_unique<GatewayProcess>();
    // Defaults everywhere else: the figures are those of a gateway as shipped.
    const QMap<QString, QString> ini{
        {QStringLiteral("gateway/endpoint"), kGatewayEndpoint},
        {QStringLiteral("downstream/listen"), gatewayUri()},
        {QStringLiteral("upstream/servers"),
         QStringLiteral("coap://127.0.0.1:%1").arg(upstream_->port())}};
    if (!gateway_->start(ini)) {
        progress(QStringLiteral("the gateway did not start:\n") + gateway_->log());
        return false;
    }
    gatewayPid_ = gatewayPid();
    if (gatewayPid_ == 0) {
        progress(QStringLiteral("cannot find the gateway's pid"));
        return false;
    }
    if (!waitUntil([this] { return upstream_->client(kGatewayEndpoint).has_value(); }, 10000)) {
        progress(QStringLiteral("the gateway did not register itself upstream:\n") +
                 gateway_->log());
        return false;
    }
    // The same number of sensor contexts on both sides, so neither pays more for the scan.
    const int loops = (options_.sensors + options_.sensorsPerLoop - 1) / options_.sensorsPerLoop;
    for (int i = 0; i < loops; ++i) {
        gatewaySensorLoops_.push_back(TestSensor::createEventLoop());
        directSensorLoops_.push_back(TestSensor::createEventLoop());
        if (gatewaySensorLoops_.back() == nullptr || directSensorLoops_.back() == nullptr) {
            progress(QStringLiteral("cannot create a sensor CoAP context"));
            return false;
        }
    }
    return true;
}

// Starts every sensor's Register at once; returns the seconds until the last one is known to
// the server, or nullopt after the timeout.
std::optional<double> Bench::storm(const std::vector<CoapEventLoop*>& loops,
                                   TestLwm2mServer& server, const QString& uri,
                                   const QString& prefix, std::vector<TestSensor*>& sensors,
                                   QStringList& endpoints) {
    QSet<QString> seen;
    const QMetaObject::Connection connection =
        QObject::connect(&server, &TestLwm2mServer::registered, [&](const QString& endpoint) {
            if (endpoint.startsWith(prefix)) {
                seen.insert(endpoint);
            }
        });
    QElapsedTimer clock;
    clock.start();
    for (int i = 0; i < options_.sensors; ++i) {
        const QString endpoint = prefix + QStringLiteral("%1").arg(i, 5, 10, QLatin1Char('0'));
        auto* sensor = new TestSensor(loops[static_cast<size_t>(i / options_.sensorsPerLoop)]);
        // No Update falls due within a run (lifetime 1 day); without the timers, Qt's linear
        // timer list stays short for every other timer of this thread.
        sensor->setAutoUpdate(false);
        sensors.push_back(sensor);
        endpoints.append(endpoint);
        if (!sensor->registerTo(uri, endpoint, 86400)) {
            progress(QStringLiteral("cannot start the Register of %1").arg(endpoint));
            QObject::disconnect(connection);
            return std::nullopt;
        }
    }
    const int total = options_.sensors;
    const bool all =
        waitUntil([&] { return seen.size() >= total; }, options_.registrationTimeoutMs);
    const double seconds = static_cast<double>(clock.nsecsElapsed()) / 1e9;
    QObject::disconnect(connection);
    if (!all) {
        progress(QStringLiteral("only %1 of %2 sensors registered at %3 within %4 ms")
                     .arg(seen.size())
                     .arg(total)
                     .arg(uri)
                     .arg(options_.registrationTimeoutMs));
        return std::nullopt;
    }
    return seconds;
}

bool Bench::registrationStorm() {
    idle(500);  // the gateway's own start-up allocations are done
    const std::optional<qint64> before = rssKib(gatewayPid_);
    progress(
        QStringLiteral("registration storm: %1 sensors via the gateway").arg(options_.sensors));
    const std::optional<double> viaGateway =
        storm(gatewaySensorLoops_, *upstream_, gatewayUri(), QStringLiteral("g"), gatewaySensors_,
              gatewayEndpoints_);
    if (!viaGateway) {
        emitLine({{"bench", "registration_storm"},
                  {"sensors", options_.sensors},
                  {"error", "sensors never registered upstream"},
                  {"pass", false}});
        return false;
    }
    // Let the gateway's allocations settle: RSS steady over three samples 250 ms apart.
    std::optional<qint64> after = rssKib(gatewayPid_);
    int steady = 0;
    for (int i = 0; i < 20 && steady < 3; ++i) {
        idle(250);
        const std::optional<qint64> now = rssKib(gatewayPid_);
        steady = now == after ? steady + 1 : 0;
        after = now;
    }
    progress(QStringLiteral("registration storm: %1 sensors directly").arg(options_.sensors));
    const std::optional<double> direct = storm(
        directSensorLoops_, *direct_, QStringLiteral("coap://127.0.0.1:%1").arg(direct_->port()),
        QStringLiteral("d"), directSensors_, directEndpoints_);
    if (!direct) {
        emitLine({{"bench", "registration_storm"},
                  {"sensors", options_.sensors},
                  {"error", "sensors never registered at the direct server"},
                  {"pass", false}});
        return false;
    }
    const bool stormPass = *viaGateway <= kStormTargetSeconds;
    allPass_ = allPass_ && stormPass;
    emitLine({{"bench", "registration_storm"},
              {"sensors", options_.sensors},
              {"seconds", rounded(*viaGateway)},
              {"direct_seconds", rounded(*direct)},
              {"ratio_to_direct", rounded(*viaGateway / std::max(*direct, 1e-6), 2)},
              {"target_seconds", kStormTargetSeconds},
              {"pass", stormPass}});
    if (!before || !after) {
        emitLine({{"bench", "rss_per_endpoint"}, {"error", "cannot read VmRSS"}, {"pass", false}});
        return false;
    }
    const double perEndpoint =
        static_cast<double>(*after - *before) / static_cast<double>(options_.sensors);
    const bool rssPass = perEndpoint <= kRssTargetKib;
    allPass_ = allPass_ && rssPass;
    emitLine({{"bench", "rss_per_endpoint"},
              {"endpoints", options_.sensors},
              {"rss_before_kib", static_cast<double>(*before)},
              {"rss_after_kib", static_cast<double>(*after)},
              {"kib_per_endpoint", rounded(perEndpoint, 2)},
              {"target_kib", kRssTargetKib},
              {"pass", rssPass}});
    return true;
}

// One timed run against a server: closed loop with `concurrency` workers when rate <= 0,
// else open loop at `rate` Reads/s. A warm-up precedes the window; a drain follows it.
RunResult Bench::measure(TestLwm2mServer& server, const QStringList& endpoints, int concurrency,
                         double rate) {
    auto state = std::make_shared<RunState>();
    state->server = &server;
    state->endpoints = endpoints;
    const qint64 warmupNs = std::max<qint64>(100, options_.durationMs / 5) * 1000000;
    state->windowStartNs = warmupNs;
    state->windowEndNs = warmupNs + qint64(options_.durationMs) * 1000000;
    state->open = rate > 0;
    state->concurrency = std::clamp(concurrency, 1, static_cast<int>(endpoints.size()));
    state->cursor.assign(static_cast<size_t>(state->concurrency), 0);
    state->result.latencyNs.reserve(200000);

    // CPU of both processes, sampled on the window's edges.
    double gatewayCpuAtStart = 0;
    double benchCpuAtStart = 0;
    double gatewayCpuAtEnd = 0;
    double benchCpuAtEnd = 0;
    const pid_t self = ::getpid();
    QTimer windowStart;
    windowStart.setSingleShot(true);
    windowStart.setTimerType(Qt::PreciseTimer);
    QObject::connect(&windowStart, &QTimer::timeout, [&] {
        gatewayCpuAtStart = cpuSeconds(gatewayPid_);
        benchCpuAtStart = cpuSeconds(self);
    });
    QTimer windowEnd;
    windowEnd.setSingleShot(true);
    windowEnd.setTimerType(Qt::PreciseTimer);
    QObject::connect(&windowEnd, &QTimer::timeout, [&] {
        gatewayCpuAtEnd = cpuSeconds(gatewayPid_);
        benchCpuAtEnd = cpuSeconds(self);
    });
    QTimer pacer;
    pacer.setTimerType(Qt::PreciseTimer);
    pacer.setInterval(1);
    qint64 issued = 0;
    QObject::connect(&pacer, &QTimer::timeout, [&] {
        issueOpen(state, rate, issued);
        if (state->stopping) {
            pacer.stop();
        }
    });

    state->clock.start();
    windowStart.start(static_cast<int>(state->windowStartNs / 1000000));
    windowEnd.start(static_cast<int>(state->windowEndNs / 1000000));
    if (state->open) {
        pacer.start();
    } else {
        for (int worker = 0; worker < state->concurrency; ++worker) {
            issueClosed(state, worker);
        }
    }
    // The server gives up on a request after 5 s: allow a little more for the drain.
    const qint64 endMs = state->windowEndNs / 1000000;
    waitUntil(
        [&] {
            return state->clock.elapsed() > endMs + 5 && state->stopping && state->outstanding == 0;
        },
        static_cast<int>(endMs) + 7000);
    state->stopping = true;
    pacer.stop();

    RunResult result = std::move(state->result);
    // Callbacks still to come (after a timeout) find an empty window and record nothing.
    state->result = RunResult{};
    state->windowStartNs = state->windowEndNs = 0;
    const double seconds = static_cast<double>(options_.durationMs) / 1000.0;
    result.seconds = seconds;
    result.gatewayCpu = rounded((gatewayCpuAtEnd - gatewayCpuAtStart) / seconds, 2);
    result.benchCpu = rounded((benchCpuAtEnd - benchCpuAtStart) / seconds, 2);
    std::sort(result.latencyNs.begin(), result.latencyNs.end());
    std::sort(result.latencyFromSendNs.begin(), result.latencyFromSendNs.end());
    idle(100);  // late ACKs and retransmissions of this run stay out of the next
    return result;
}

// Medians (and spread) over repetitions of one mode.
struct Summary {
    std::vector<double> rps, p50, p99, p99FromSend, gatewayCpu, benchCpu, gatewayUs, benchUs;
    qint64 errors = 0;

    void add(const RunResult& run) {
        rps.push_back(run.rps());
        p50.push_back(percentileMs(run.latencyNs, 0.50));
        p99.push_back(percentileMs(run.latencyNs, 0.99));
        p99FromSend.push_back(percentileMs(run.latencyFromSendNs, 0.99));
        gatewayCpu.push_back(run.gatewayCpu);
        benchCpu.push_back(run.benchCpu);
        // CPU per answered Read: far steadier than rates on a machine shared with others.
        const double perRead = run.rps() > 0 ? 1e6 / run.rps() : 0;
        gatewayUs.push_back(run.gatewayCpu * perRead);
        benchUs.push_back(run.benchCpu * perRead);
        errors += run.errors;
    }
    QJsonObject json(bool open) const {
        QJsonObject out{{"rps", rounded(median(rps), 1)},
                        {"rps_min", rounded(*std::min_element(rps.begin(), rps.end()), 1)},
                        {"rps_max", rounded(*std::max_element(rps.begin(), rps.end()), 1)},
                        {"p50_ms", rounded(median(p50))},
                        {"p99_ms", rounded(median(p99))},
                        {"p99_ms_min", rounded(*std::min_element(p99.begin(), p99.end()))},
                        {"p99_ms_max", rounded(*std::max_element(p99.begin(), p99.end()))},
                        {"errors", errors},
                        {"gateway_cpu", median(gatewayCpu)},
                        {"bench_cpu", median(benchCpu)},
                        {"gateway_cpu_us_per_read", rounded(median(gatewayUs), 1)},
                        {"bench_cpu_us_per_read", rounded(median(benchUs), 1)}};
        if (open) {
            out.insert("p99_from_send_ms", rounded(median(p99FromSend)));
        }
        return out;
    }
};

bool Bench::closedLoop() {
    double peakDirectRps = 0;
    for (const int concurrency : options_.concurrency) {
        Summary viaGateway;
        Summary direct;
        for (int repetition = 0; repetition < options_.repetitions; ++repetition) {
            progress(QStringLiteral("closed loop, %1 in flight, repetition %2/%3")
                         .arg(concurrency)
                         .arg(repetition + 1)
                         .arg(options_.repetitions));
            // Alternate the order so a slow drift of the machine does not favour one mode.
            if (repetition % 2 == 0) {
                viaGateway.add(measure(*upstream_, gatewayEndpoints_, concurrency, 0));
                direct.add(measure(*direct_, directEndpoints_, concurrency, 0));
            } else {
                direct.add(measure(*direct_, directEndpoints_, concurrency, 0));
                viaGateway.add(measure(*upstream_, gatewayEndpoints_, concurrency, 0));
            }
        }
        const double gatewayRps = median(viaGateway.rps);
        const double directRps = median(direct.rps);
        if (gatewayRps <= 0) {
            emitLine({{"bench", "read_closed_loop"},
                      {"concurrency", concurrency},
                      {"error", "no Read was answered through the gateway"},
                      {"pass", false}});
            return false;
        }
        std::vector<double> ratios;
        for (size_t i = 0; i < viaGateway.rps.size(); ++i) {
            ratios.push_back(direct.rps[i] > 0 ? viaGateway.rps[i] / direct.rps[i] : 0);
        }
        const double ratio = directRps > 0 ? gatewayRps / directRps : 0;
        emitLine({{"bench", "read_closed_loop"},
                  {"concurrency", std::min(concurrency, options_.sensors)},
                  {"sensors", options_.sensors},
                  {"duration_ms", options_.durationMs},
                  {"repetitions", options_.repetitions},
                  {"gateway", viaGateway.json(false)},
                  {"direct", direct.json(false)},
                  {"ratio", rounded(ratio)},
                  {"ratio_min", rounded(*std::min_element(ratios.begin(), ratios.end()))},
                  {"ratio_max", rounded(*std::max_element(ratios.begin(), ratios.end()))},
                  {"target_ratio", kThroughputTargetRatio},
                  {"pass", ratio >= kThroughputTargetRatio}});
        peakGatewayRps_ = std::max(peakGatewayRps_, gatewayRps);
        peakDirectRps = std::max(peakDirectRps, directRps);
    }
    const double ratio = peakDirectRps > 0 ? peakGatewayRps_ / peakDirectRps : 0;
    const bool pass = ratio >= kThroughputTargetRatio;
    allPass_ = allPass_ && pass;
    emitLine({{"bench", "read_peak"},
              {"gateway_rps", rounded(peakGatewayRps_, 1)},
              {"direct_rps", rounded(peakDirectRps, 1)},
              {"ratio", rounded(ratio)},
              {"target_ratio", kThroughputTargetRatio},
              {"pass", pass}});
    return true;
}

bool Bench::openLoop() {
    const double rate = peakGatewayRps_ / 2;
    Summary viaGateway;
    Summary direct;
    std::vector<double> added;
    for (int repetition = 0; repetition < options_.repetitions; ++repetition) {
        progress(QStringLiteral("open loop at %1 Reads/s, repetition %2/%3")
                     .arg(rate, 0, 'f', 0)
                     .arg(repetition + 1)
                     .arg(options_.repetitions));
        RunResult gatewayRun;
        RunResult directRun;
        if (repetition % 2 == 0) {
            gatewayRun = measure(*upstream_, gatewayEndpoints_, 0, rate);
            directRun = measure(*direct_, directEndpoints_, 0, rate);
        } else {
            directRun = measure(*direct_, directEndpoints_, 0, rate);
            gatewayRun = measure(*upstream_, gatewayEndpoints_, 0, rate);
        }
        added.push_back(percentileMs(gatewayRun.latencyNs, 0.99) -
                        percentileMs(directRun.latencyNs, 0.99));
        viaGateway.add(gatewayRun);
        direct.add(directRun);
    }
    // The median of the paired differences: each pair ran back to back.
    const double addedP99 = median(added);
    const bool pass = addedP99 <= kAddedLatencyTargetMs && viaGateway.errors == 0;
    allPass_ = allPass_ && pass;
    emitLine({{"bench", "read_open_loop"},
              {"rate_rps", rounded(rate, 1)},
              {"sensors", options_.sensors},
              {"duration_ms", options_.durationMs},
              {"repetitions", options_.repetitions},
              {"gateway", viaGateway.json(true)},
              {"direct", direct.json(true)},
              {"added_p99_ms", rounded(addedP99)},
              {"added_p99_ms_min", rounded(*std::min_element(added.begin(), added.end()))},
              {"added_p99_ms_max", rounded(*std::max_element(added.begin(), added.end()))},
              {"target_added_p99_ms", kAddedLatencyTargetMs},
              {"pass", pass}});
    return true;
}

std::vector<int> parseList(const QString& text, bool* ok) {
    std::vector<int> values;
    *ok = true;
    for (const QString& item : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        bool itemOk = false;
        const int value = item.trimmed().toInt(&itemOk);
        if (!itemOk || value <= 0) {
            *ok = false;
            return {};
        }
        values.push_back(value);
    }
    *ok = *ok && !values.empty();
    return values;
}

}  // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("bench_gateway"));
    // Every sensor session holds its own socket: 2 x --sensors of them here.
    lwm2mgw::peers::raiseFileLimit();

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Benchmarks lwm2m-gatewayd against a direct baseline; one JSON object per line."));
    parser.addHelpOption();
    const QCommandLineOption sensorsOption(QStringLiteral("sensors"),
                                           QStringLiteral("Sensors per set (1000)."),
                                           QStringLiteral("N"), QStringLiteral("1000"));
    const QCommandLineOption durationOption(QStringLiteral("duration-ms"),
                                            QStringLiteral("Window of each timed run (1000)."),
                                            QStringLiteral("MS"), QStringLiteral("1000"));
    const QCommandLineOption concurrencyOption(
        QStringLiteral("concurrency"),
        QStringLiteral("Reads in flight for the closed loop, comma-separated (16,32,64)."),
        QStringLiteral("LIST"), QStringLiteral("16,32,64"));
    const QCommandLineOption repetitionsOption(QStringLiteral("repetitions"),
                                               QStringLiteral("Runs per figure (5)."),
                                               QStringLiteral("N"), QStringLiteral("5"));
    const QCommandLineOption timeoutOption(
        QStringLiteral("registration-timeout-ms"),
        QStringLiteral("Give up on a registration storm after this long (60000)."),
        QStringLiteral("MS"), QStringLiteral("60000"));
    const QCommandLineOption perLoopOption(
        QStringLiteral("sensors-per-loop"),
        QStringLiteral("Sensors sharing one libcoap context in this process (50)."),
        QStringLiteral("N"), QStringLiteral("50"));
    parser.addOptions({sensorsOption, durationOption, concurrencyOption, repetitionsOption,
                       timeoutOption, perLoopOption});
    parser.process(app);

    Options options;
    bool sensorsOk = false;
    bool durationOk = false;
    bool listOk = false;
    bool repetitionsOk = false;
    bool timeoutOk = false;
    bool perLoopOk = false;
    options.sensors = parser.value(sensorsOption).toInt(&sensorsOk);
    options.durationMs = parser.value(durationOption).toInt(&durationOk);
    options.concurrency = parseList(parser.value(concurrencyOption), &listOk);
    options.repetitions = parser.value(repetitionsOption).toInt(&repetitionsOk);
    options.registrationTimeoutMs = parser.value(timeoutOption).toInt(&timeoutOk);
    options.sensorsPerLoop = parser.value(perLoopOption).toInt(&perLoopOk);
    if (!sensorsOk || options.sensors < 1 || !durationOk || options.durationMs < 100 || !listOk ||
        !repetitionsOk || options.repetitions < 1 || !timeoutOk ||
        options.registrationTimeoutMs < 1 || !perLoopOk || options.sensorsPerLoop < 1) {
        std::fprintf(stderr, "bench_gateway: invalid arguments; see --help\n");
        return 2;
    }
    Bench bench(std::move(options));
    return bench.run();
}
