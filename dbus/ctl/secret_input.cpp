#include "secret_input.h"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace lwm2mgw::ctl {

std::optional<QByteArray> readHexSecret(const QString& prompt, QString& error) {
    const bool terminal = ::isatty(STDIN_FILENO) == 1;
    termios saved{};
    if (terminal) {
        std::fprintf(stderr, "%s", qPrintable(prompt));
        std::fflush(stderr);
        tcgetattr(STDIN_FILENO, &saved);
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string line;
    for (int c = std::getchar(); c != EOF && c != '\n'; c = std::getchar()) {
        line.push_back(static_cast<char>(c));
    }
    if (terminal) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        std::fprintf(stderr, "\n");
    }
    const QByteArray hex = QByteArray::fromStdString(line).trimmed();
    const QByteArray key = QByteArray::fromHex(hex);
    if (hex.isEmpty() || hex.size() % 2 != 0 || key.toHex() != hex.toLower()) {
        error = QStringLiteral("the key must be given on stdin as an even number of hex digits");
        return std::nullopt;
    }
    return key;
}

}  // namespace lwm2mgw::ctl
