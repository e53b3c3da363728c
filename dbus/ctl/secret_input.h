#pragma once

#include <QByteArray>
#include <QString>
#include <optional>

namespace lwm2mgw::ctl {

// Reads one line of hex from stdin, without echo when stdin is a terminal (then `prompt` goes to
// stderr). Returns nullopt and sets `error` for empty or non-hex input.
std::optional<QByteArray> readHexSecret(const QString& prompt, QString& error);

}  // namespace lwm2mgw::ctl
