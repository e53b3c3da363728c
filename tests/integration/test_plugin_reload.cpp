// Reload (SIGHUP, as `systemctl reload` sends it) picks up plugin files that appeared in the
// plugin directory since start, once, without a restart.
#include "gateway_process.h"
#include "process_setup.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using lwm2mgw::testing::GatewayProcess;

class TestPluginReload : public QObject {
    Q_OBJECT
private slots:
    void reloadLoadsNewPluginFilesOnce();
};

void TestPluginReload::reloadLoadsNewPluginFilesOnce() {
    QTemporaryDir plugins;
    QVERIFY(plugins.isValid());
    const QString built = QStringLiteral(LWM2MGW_TEST_PLUGIN_DIR);
    QVERIFY(QFile::link(built + QStringLiteral("/lwm2mgw-nosec.so"),
                        plugins.filePath(QStringLiteral("lwm2mgw-nosec.so"))));
    GatewayProcess gateway;
    QVERIFY2(gateway.start(
                 {{QStringLiteral("gateway/endpoint"), QStringLiteral("gw-reload")},
                  {QStringLiteral("downstream/listen"),
                   QStringLiteral("coap://127.0.0.1:%1").arg(lwm2mgw::testing::freeUdpPort())}},
                 {QStringLiteral("--plugin-dir"), plugins.path()}),
             qPrintable(gateway.log()));
    QVERIFY(!gateway.log().contains(QLatin1String("loaded plugin psk")));

    QVERIFY(QFile::link(built + QStringLiteral("/lwm2mgw-psk.so"),
                        plugins.filePath(QStringLiteral("lwm2mgw-psk.so"))));
    ::kill(static_cast<pid_t>(gateway.processId()), SIGHUP);
    QVERIFY2(gateway.waitForLog(QStringLiteral("plugin lwm2mgw-psk.so loaded (security mode psk)")),
             qPrintable(gateway.log()));
    QVERIFY(!gateway.log().contains(QLatin1String("skipping plugin")));

    // A second reload finds nothing new: the loaded plugins are not looked at again.
    const qsizetype mark = gateway.log().size();
    ::kill(static_cast<pid_t>(gateway.processId()), SIGHUP);
    QVERIFY2(gateway.waitForLog(QStringLiteral("reload: nothing changed")),
             qPrintable(gateway.log()));
    QVERIFY(!gateway.log().mid(mark).contains(QLatin1String("lwm2mgw-psk.so")));
    QCOMPARE(gateway.stop(), 0);
}

QTEST_GUILESS_MAIN(TestPluginReload)
#include "test_plugin_reload.moc"
