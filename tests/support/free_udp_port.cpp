#include "free_udp_port.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace lwm2mgw::testing {

namespace {

// A socket bound to 127.0.0.1:`port` (0: any free one), closed with the object.
class BoundSocket {
public:
    explicit BoundSocket(quint16 port) : fd_(::socket(AF_INET, SOCK_DGRAM, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(port);
        socklen_t length = sizeof address;
        if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
            port_ = ntohs(address.sin_port);
        }
    }
    ~BoundSocket() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    BoundSocket(const BoundSocket&) = delete;
    BoundSocket& operator=(const BoundSocket&) = delete;

    quint16 port() const { return port_; }  // 0 when the bind failed

private:
    int fd_;
    quint16 port_ = 0;
};

}  // namespace

quint16 freeUdpPort() {
    return BoundSocket(0).port();
}

quint16 freeUdpPortPair() {
    for (int attempt = 0; attempt < 200; ++attempt) {
        const BoundSocket first(0);
        if (first.port() == 0 || first.port() == 65535) {
            continue;
        }
        const BoundSocket second(static_cast<quint16>(first.port() + 1));
        if (second.port() != 0) {
            return first.port();
        }
    }
    return 0;
}

}  // namespace lwm2mgw::testing
