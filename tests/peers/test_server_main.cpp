// lwm2m-test-server: the upstream test LwM2M server as a process, for humans and scripts.
#include "coap_pdu_util.h"
#include "process_setup.h"
#include "test_lwm2m_server.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>
#include <QTimer>

using lwm2mgw::peers::TestLwm2mServer;

namespace {

QTextStream& out() {
    static QTextStream stream(stdout);
    return stream;
}

void printLine(const QString& line) {
    out() << line << Qt::endl;
}

QString describe(const TestLwm2mServer& server, const QString& endpoint) {
    const auto record = server.client(endpoint);
    if (!record) {
        return QStringLiteral("ep=%1").arg(endpoint);
    }
    return QStringLiteral("ep=%1 peer=%2 location=%3 lt=%4 lwm2m=%5 b=%6")
        .arg(endpoint, record->peerAddress, record->location)
        .arg(record->lifetime)
        .arg(record->lwm2mVersion, record->binding);
}

}  // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("lwm2m-test-server"));
    lwm2mgw::peers::raiseFileLimit();

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Upstream LwM2M 1.1 test server (CoAP/UDP)"));
    parser.addHelpOption();
    const QCommandLineOption listenOption(
        QStringLiteral("listen"), QStringLiteral("Address to listen on (host:port)."),
        QStringLiteral("address"), QStringLiteral("127.0.0.1:5783"));
    const QCommandLineOption readOption(
        QStringLiteral("read"),
        QStringLiteral("After EP registers, read PATH, print the answer and exit."),
        QStringLiteral("EP"));
    const QCommandLineOption waitOption(QStringLiteral("wait"),
                                        QStringLiteral("Seconds to wait for --read (30)."),
                                        QStringLiteral("seconds"), QStringLiteral("30"));
    const QCommandLineOption acceptOption(QStringLiteral("accept"),
                                          QStringLiteral("Accept option for --read."),
                                          QStringLiteral("format"), QStringLiteral("-1"));
    const QCommandLineOption listOption(
        QStringLiteral("list-after"),
        QStringLiteral("Print the registered endpoints as JSON after N seconds and exit."),
        QStringLiteral("N"));
    parser.addOptions({listenOption, readOption, waitOption, acceptOption, listOption});
    parser.addPositionalArgument(QStringLiteral("PATH"), QStringLiteral("Path for --read."),
                                 QStringLiteral("[PATH]"));
    parser.process(app);

    const QString listen = parser.value(listenOption);
    const qsizetype colon = listen.lastIndexOf(u':');
    bool portOk = false;
    const uint port = listen.mid(colon + 1).toUInt(&portOk);
    if (colon <= 0 || !portOk || port > 65535) {
        printLine(QStringLiteral("error: --listen wants host:port"));
        return 2;
    }
    TestLwm2mServer server;
    if (!server.listen(listen.left(colon), static_cast<quint16>(port))) {
        printLine(QStringLiteral("error: cannot listen on %1").arg(listen));
        return 2;
    }
    printLine(QStringLiteral("listening %1:%2").arg(listen.left(colon)).arg(server.port()));

    QObject::connect(&server, &TestLwm2mServer::registered, [&](const QString& endpoint) {
        printLine(QStringLiteral("registered ") + describe(server, endpoint));
    });
    QObject::connect(&server, &TestLwm2mServer::updated, [&](const QString& endpoint) {
        printLine(QStringLiteral("updated ") + describe(server, endpoint));
    });
    QObject::connect(&server, &TestLwm2mServer::deregistered, [](const QString& endpoint) {
        printLine(QStringLiteral("deregistered ep=") + endpoint);
    });
    QObject::connect(&server, &TestLwm2mServer::sendReceived, [](const QString& endpoint) {
        printLine(QStringLiteral("send ep=") + endpoint);
    });

    lwm2mgw::peers::UnixSignalWatcher signals_;
    QObject::connect(&signals_, &lwm2mgw::peers::UnixSignalWatcher::terminationRequested, &app,
                     [] { QCoreApplication::exit(0); });

    if (parser.isSet(readOption)) {
        const QString endpoint = parser.value(readOption);
        const QStringList positional = parser.positionalArguments();
        if (positional.size() != 1) {
            printLine(QStringLiteral("error: --read EP PATH"));
            return 2;
        }
        const QString path = positional.front();
        const int accept = parser.value(acceptOption).toInt();
        bool started = false;
        QObject::connect(&server, &TestLwm2mServer::registered, [&](const QString& registered) {
            if (registered != endpoint || started) {
                return;
            }
            started = true;
            const quint64 handle = server.read(
                endpoint, path,
                [](const TestLwm2mServer::Response& response) {
                    if (response.timedOut || response.reset) {
                        printLine(response.reset ? QStringLiteral("reset")
                                                 : QStringLiteral("timeout"));
                        QCoreApplication::exit(1);
                        return;
                    }
                    printLine(QStringLiteral("%1 ct=%2 %3")
                                  .arg(lwm2mgw::peers::codeToString(response.code))
                                  .arg(response.contentFormat)
                                  .arg(QString::fromUtf8(response.payload)));
                    QCoreApplication::exit(response.code / 100 == 2 ? 0 : 1);
                },
                accept);
            if (handle == 0) {
                printLine(QStringLiteral("error: cannot send the read"));
                QCoreApplication::exit(1);
            }
        });
        QTimer::singleShot(parser.value(waitOption).toInt() * 1000, &app, [&] {
            if (!started) {
                printLine(QStringLiteral("timeout waiting for %1").arg(endpoint));
                QCoreApplication::exit(1);
            }
        });
    }
    if (parser.isSet(listOption)) {
        QTimer::singleShot(parser.value(listOption).toInt() * 1000, &app, [&] {
            printLine(
                QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(server.endpoints()))
                                      .toJson(QJsonDocument::Compact)));
            QCoreApplication::exit(0);
        });
    }
    return QCoreApplication::exec();
}
