#include "test_pki.h"

#include <QFile>
#include <QProcess>

namespace {
// The test PKI includes what the gateway's GnuTLS overrides forbid (P-192, SHA-1).
void withoutOverrides(QProcess& process) {
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.remove("GNUTLS_SYSTEM_PRIORITY_FILE");
    process.setProcessEnvironment(environment);
}
}  // namespace

bool TestPki::run(const QStringList& arguments, QString& error) const {
    QProcess certtool;
    withoutOverrides(certtool);
    certtool.setProcessChannelMode(QProcess::MergedChannels);
    certtool.start("certtool", arguments);
    if (!certtool.waitForFinished(20000) || certtool.exitCode() != 0) {
        error = "certtool " + arguments.join(' ') + ": " + QString::fromUtf8(certtool.readAll());
        return false;
    }
    return true;
}

bool TestPki::makeKey(const QString& name, const QString& type, QString& error) const {
    QStringList args{"--generate-privkey", "--outfile", key(name)};
    if (type == "rsa") {
        args << "--key-type"
             << "rsa"
             << "--bits"
             << "2048";
    } else {
        args << "--key-type"
             << "ecdsa"
             << "--curve" << type;
    }
    return run(args, error) &&
           run({"--pubkey-info", "--load-privkey", key(name), "--outfile", publicKeyPem(name)},
               error);
}

bool TestPki::makeCertificate(const QString& name, const QString& issuer, const QString& keyType,
                              const QString& templateText, QString& error,
                              const QStringList& extra) const {
    if (!makeKey(name, keyType, error)) {
        return false;
    }
    const QString templ = dir_ + "/" + name + ".tmpl";
    QFile file(templ);
    if (!file.open(QIODevice::WriteOnly)) {
        error = "cannot write " + templ;
        return false;
    }
    file.write(templateText.toUtf8());
    file.close();
    QStringList args{"--load-privkey", key(name), "--template", templ, "--outfile", pem(name)};
    if (issuer.isEmpty()) {
        args.prepend("--generate-self-signed");
    } else {
        args = QStringList{"--generate-certificate", "--load-ca-certificate", pem(issuer),
                           "--load-ca-privkey", key(issuer)} +
               args;
    }
    if (!run(args + extra, error)) {
        return false;
    }
    // Leaf + issuer (when the issuer is an intermediate) for peers that send chains.
    QFile leaf(pem(name));
    QFile up(pem(issuer));
    QFile out(chain(name));
    if (!leaf.open(QIODevice::ReadOnly) || !out.open(QIODevice::WriteOnly)) {
        error = "cannot write " + chain(name);
        return false;
    }
    out.write(leaf.readAll());
    if (issuer == "inter" && up.open(QIODevice::ReadOnly)) {
        out.write(up.readAll());
    }
    return true;
}

bool TestPki::create(QString& error) {
    const QString ca = "ca\ncert_signing_key\nexpiration_days = 30\n";
    const QString client = "tls_www_client\nsigning_key\nexpiration_days = 30\n";
    const QString server = "tls_www_server\nsigning_key\nexpiration_days = 30\n";
    struct Item {
        QString name, issuer, keyType, templ;
        QStringList extra;
    };
    const QList<Item> items{
        {"root", "", "secp256r1", "cn = \"LwM2M Test Root\"\n" + ca, {}},
        {"inter", "root", "secp256r1", "cn = \"LwM2M Test Intermediate\"\n" + ca, {}},
        {"other-root", "", "secp256r1", "cn = \"Unknown Root\"\n" + ca, {}},
        {"sensor", "inter", "secp256r1", "cn = \"sensor-1\"\n" + client, {}},
        {"sensor-root", "root", "secp256r1", "cn = \"sensor-1\"\n" + client, {}},
        {"sensor-san",
         "inter",
         "secp256r1",
         "cn = \"sensor-2\"\ndns_name = \"san.example\"\n" + client,
         {}},
        {"stranger", "other-root", "secp256r1", "cn = \"sensor-1\"\n" + client, {}},
        {"expired",
         "inter",
         "secp256r1",
         "cn = \"sensor-1\"\ntls_www_client\nsigning_key\n"
         "activation_date = \"2019-01-01 00:00:00\"\nexpiration_date = \"2020-01-01 00:00:00\"\n",
         {}},
        {"wrong-cn", "inter", "secp256r1", "cn = \"sensor-other\"\n" + client, {}},
        {"sha1", "inter", "secp256r1", "cn = \"sensor-1\"\n" + client, {"--hash", "SHA1"}},
        {"rsa", "inter", "rsa", "cn = \"sensor-1\"\n" + client, {}},
        {"p192", "inter", "secp192r1", "cn = \"sensor-1\"\n" + client, {}},
        {"gateway",
         "inter",
         "secp256r1",
         "cn = \"gateway\"\ndns_name = \"localhost\"\nip_address = \"127.0.0.1\"\n" + server,
         {}},
        {"gateway-client", "root", "secp256r1", "cn = \"gateway-client\"\n" + client, {}},
        {"srv-good",
         "root",
         "secp256r1",
         "cn = \"localhost\"\ndns_name = \"localhost\"\nip_address = \"127.0.0.1\"\n" + server,
         {}},
        {"srv-wrong",
         "root",
         "secp256r1",
         "cn = \"other.example\"\ndns_name = \"other.example\"\n" + server,
         {}},
        {"srv-san-match",
         "root",
         "secp256r1",
         "cn = \"wrong.example\"\ndns_name = \"localhost\"\n" + server,
         {}},
        {"srv-cn-match",
         "root",
         "secp256r1",
         "cn = \"localhost\"\ndns_name = \"other.example\"\n" + server,
         {}},
    };
    for (const Item& item : items) {
        if (!makeCertificate(item.name, item.issuer, item.keyType, item.templ, error, item.extra)) {
            return false;
        }
    }
    for (const char* name : {"rpk-sensor", "rpk-stranger", "rpk-gateway", "rpk-server"}) {
        if (!makeKey(name, "secp256r1", error)) {
            return false;
        }
    }
    return makeKey("rpk-p192", "secp192r1", error);
}

QByteArray TestPki::toDer(const QStringList& arguments) const {
    QProcess certtool;
    withoutOverrides(certtool);
    certtool.start("certtool", arguments + QStringList{"--outder"});
    certtool.waitForFinished(20000);
    return certtool.readAllStandardOutput();
}

QByteArray TestPki::certificateDer(const QString& name) const {
    return toDer({"--certificate-info", "--infile", pem(name)});
}

QByteArray TestPki::privateKeyDer(const QString& name) const {
    return toDer({"--key-info", "--infile", key(name)});
}

QByteArray TestPki::publicKeyDer(const QString& name) const {
    return toDer({"--pubkey-info", "--load-privkey", key(name)});
}
