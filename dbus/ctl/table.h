#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace lwm2mgw::ctl {

// A plain-text table for people: a header row and left-aligned columns two spaces apart.
class Table {
public:
    explicit Table(QStringList header) : header_(std::move(header)) {}
    void addRow(QStringList row) { rows_.append(std::move(row)); }
    bool isEmpty() const { return rows_.isEmpty(); }
    QString render() const;

private:
    QStringList header_;
    QList<QStringList> rows_;
};

// "key: value" lines with the values aligned.
QString renderFields(const QList<std::pair<QString, QString>>& fields);

}  // namespace lwm2mgw::ctl
