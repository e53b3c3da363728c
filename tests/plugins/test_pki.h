// A throw-away PKI and raw keys made with certtool (gnutls-bin) when the suite starts.
#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

class TestPki {
public:
    explicit TestPki(QString directory) : dir_(std::move(directory)) {}

    // Makes every key and certificate the tests use; false with `error` when certtool fails.
    bool create(QString& error);

    QString pem(const QString& name) const { return dir_ + "/" + name + ".pem"; }
    QString key(const QString& name) const { return dir_ + "/" + name + ".key"; }
    // `name` + intermediate, PEM, for peers that send a chain.
    QString chain(const QString& name) const { return dir_ + "/" + name + ".chain.pem"; }
    QString publicKeyPem(const QString& name) const { return dir_ + "/" + name + ".pub.pem"; }

    QByteArray certificateDer(const QString& name) const;
    QByteArray privateKeyDer(const QString& name) const;
    QByteArray publicKeyDer(const QString& name) const;  // SubjectPublicKeyInfo

private:
    bool run(const QStringList& arguments, QString& error) const;
    bool makeKey(const QString& name, const QString& type, QString& error) const;
    bool makeCertificate(const QString& name, const QString& issuer, const QString& keyType,
                         const QString& templateText, QString& error,
                         const QStringList& extra = {}) const;
    QByteArray toDer(const QStringList& arguments) const;

    QString dir_;
};
