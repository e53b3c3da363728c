#include "table.h"

#include <algorithm>

namespace lwm2mgw::ctl {

QString Table::render() const {
    QList<qsizetype> widths;
    for (const QString& title : header_) {
        widths.append(title.size());
    }
    for (const QStringList& row : rows_) {
        for (qsizetype i = 0; i < row.size() && i < widths.size(); ++i) {
            widths[i] = std::max(widths[i], row[i].size());
        }
    }
    const auto line = [&](const QStringList& cells) {
        QString text;
        for (qsizetype i = 0; i < widths.size(); ++i) {
            const QString cell = cells.value(i);
            // No padding after the last column: lines end without trailing blanks.
            text += i + 1 < widths.size() ? cell.leftJustified(widths[i] + 2) : cell;
        }
        return text + QLatin1Char('\n');
    };
    QString text = line(header_);
    for (const QStringList& row : rows_) {
        text += line(row);
    }
    return text;
}

QString renderFields(const QList<std::pair<QString, QString>>& fields) {
    qsizetype width = 0;
    for (const auto& field : fields) {
        width = std::max(width, field.first.size() + 1);
    }
    QString text;
    for (const auto& field : fields) {
        text += (field.first + QLatin1Char(':')).leftJustified(width + 1) + field.second +
                QLatin1Char('\n');
    }
    return text;
}

}  // namespace lwm2mgw::ctl
