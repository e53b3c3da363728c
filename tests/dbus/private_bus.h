#pragma once

#include <QProcess>
#include <QString>
#include <QTemporaryDir>

namespace lwm2mgw::testing {

// A dbus-daemon of the test's own, on a socket in a temporary directory, stopped with the
// object. Either open (any local user may connect, call and own names: what a session bus
// does) or like the system bus (calls denied unless a policy allows them) with `policyFile`
// included, which is how the package's policy is put to the test.
class PrivateBus {
public:
    enum class Kind { Open, SystemLike };

    PrivateBus() = default;
    ~PrivateBus();
    PrivateBus(const PrivateBus&) = delete;
    PrivateBus& operator=(const PrivateBus&) = delete;

    // Returns an error text, empty on success.
    QString start(Kind kind, const QString& policyFile = {});
    QString address() const { return address_; }

private:
    QTemporaryDir directory_;
    QProcess process_;
    QString address_;
};

}  // namespace lwm2mgw::testing
