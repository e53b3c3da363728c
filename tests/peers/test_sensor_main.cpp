// lwm2m-test-sensor: one or many downstream test sensors as a process.
#include "process_setup.h"
#include "test_sensor.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTextStream>
#include <QTimer>

#include <memory>
#include <vector>

using lwm2mgw::peers::TestSensor;

namespace {

void printLine(const QString& line) {
    static QTextStream stream(stdout);
    stream << line << Qt::endl;
}

}  // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("lwm2m-test-sensor"));
    const quint64 fileLimit = lwm2mgw::peers::raiseFileLimit();

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Downstream LwM2M 1.1 test sensor(s)"));
    parser.addHelpOption();
    const QCommandLineOption gatewayOption(
        QStringLiteral("gateway"), QStringLiteral("Where to register (coap URI)."),
        QStringLiteral("uri"), QStringLiteral("coap://127.0.0.1:5683"));
    const QCommandLineOption endpointOption(
        QStringLiteral("endpoint"), QStringLiteral("Endpoint name."), QStringLiteral("name"));
    const QCommandLineOption countOption(QStringLiteral("count"),
                                         QStringLiteral("Run N sensors NAME-0..NAME-N-1."),
                                         QStringLiteral("N"));
    const QCommandLineOption lifetimeOption(QStringLiteral("lifetime"),
                                            QStringLiteral("Registration lifetime (s)."),
                                            QStringLiteral("seconds"), QStringLiteral("300"));
    const QCommandLineOption versionOption(QStringLiteral("lwm2m"),
                                           QStringLiteral("LwM2M version (1.1)."),
                                           QStringLiteral("version"), QStringLiteral("1.1"));
    const QCommandLineOption staggerOption(
        QStringLiteral("stagger-ms"),
        QStringLiteral("Delay between two Registers with --count (1 ms)."), QStringLiteral("ms"),
        QStringLiteral("1"));
    parser.addOptions(
        {gatewayOption, endpointOption, countOption, lifetimeOption, versionOption, staggerOption});
    parser.process(app);

    const QString name = parser.value(endpointOption);
    if (name.isEmpty()) {
        printLine(QStringLiteral("error: --endpoint is required"));
        return 2;
    }
    const bool many = parser.isSet(countOption);
    const int count = many ? parser.value(countOption).toInt() : 1;
    if (count <= 0) {
        printLine(QStringLiteral("error: --count wants a positive number"));
        return 2;
    }
    if (static_cast<quint64>(count) + 64 > fileLimit) {
        printLine(QStringLiteral("warning: %1 sensors but only %2 file descriptors")
                      .arg(count)
                      .arg(fileLimit));
    }
    lwm2mgw::CoapEventLoop* loop = TestSensor::createEventLoop(&app);
    if (loop == nullptr) {
        printLine(QStringLiteral("error: cannot create a CoAP context"));
        return 2;
    }
    const QString gateway = parser.value(gatewayOption);
    const qint64 lifetime = parser.value(lifetimeOption).toLongLong();
    const QString version = parser.value(versionOption);
    const int stagger = parser.value(staggerOption).toInt();

    std::vector<std::unique_ptr<TestSensor>> sensors;
    sensors.reserve(static_cast<size_t>(count));
    int pendingDeregistrations = 0;
    bool stopping = false;
    const auto finishOne = [&] {
        if (stopping && --pendingDeregistrations <= 0) {
            QCoreApplication::exit(0);
        }
    };
    for (int i = 0; i < count; ++i) {
        const QString endpoint = many ? QStringLiteral("%1-%2").arg(name).arg(i) : name;
        auto sensor = std::make_unique<TestSensor>(loop);
        TestSensor* raw = sensor.get();
        QObject::connect(raw, &TestSensor::registered, [raw](const QString& location) {
            printLine(QStringLiteral("registered ep=%1 location=%2 port=%3")
                          .arg(raw->endpoint(), location)
                          .arg(raw->localPort()));
        });
        QObject::connect(raw, &TestSensor::registrationFailed, [endpoint](int code) {
            printLine(QStringLiteral("registration-failed ep=%1 code=%2").arg(endpoint).arg(code));
        });
        QObject::connect(raw, &TestSensor::deregistered, [endpoint, &finishOne] {
            printLine(QStringLiteral("deregistered ep=%1").arg(endpoint));
            finishOne();
        });
        QObject::connect(raw, &TestSensor::deregistrationFailed, [endpoint, &finishOne](int code) {
            printLine(
                QStringLiteral("deregistration-failed ep=%1 code=%2").arg(endpoint).arg(code));
            finishOne();
        });
        QTimer::singleShot(stagger * i, raw, [raw, gateway, endpoint, lifetime, version] {
            if (!raw->registerTo(gateway, endpoint, lifetime, version)) {
                printLine(QStringLiteral("error: cannot register %1 to %2").arg(endpoint, gateway));
            }
        });
        sensors.push_back(std::move(sensor));
    }

    lwm2mgw::peers::UnixSignalWatcher watcher;
    QObject::connect(&watcher, &lwm2mgw::peers::UnixSignalWatcher::terminationRequested, &app, [&] {
        if (stopping) {
            QCoreApplication::exit(1);  // second signal: do not wait
            return;
        }
        stopping = true;
        // Staggered like the Registers: a burst of a thousand DELETEs overflows the
        // receiver's socket buffer and costs retransmissions.
        for (size_t i = 0; i < sensors.size(); ++i) {
            TestSensor* sensor = sensors[i].get();
            if (!sensor->isRegistered()) {
                continue;
            }
            ++pendingDeregistrations;
            QTimer::singleShot(stagger * static_cast<int>(i), sensor, [sensor, &finishOne] {
                if (!sensor->deregister()) {
                    finishOne();
                }
            });
        }
        if (pendingDeregistrations == 0) {
            QCoreApplication::exit(0);
            return;
        }
        // An unreachable gateway must not keep us alive for ~93 s.
        QTimer::singleShot(10000 + stagger * count, &app, [] { QCoreApplication::exit(0); });
    });
    const int status = QCoreApplication::exec();
    sensors.clear();  // before the loop (a child of app) frees the context
    return status;
}
