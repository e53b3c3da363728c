#pragma once

#include <coap3/coap.h>

#include <QByteArray>
#include <QList>
#include <QString>
#include <optional>

namespace lwm2mgw {

// Reading and writing the parts of a libcoap PDU the gateway cares about, in Qt types.

// Uri-Path options joined with '/', always starting with '/': "/3/0/1", or "/" for none.
QString uriPathOf(const coap_pdu_t* pdu);
// Location-Path options joined the same way, without the leading '/': "rd/5a3f".
QString locationPathOf(const coap_pdu_t* pdu);
QList<QByteArray> uriQueryOf(const coap_pdu_t* pdu);
std::optional<quint32> uintOptionOf(const coap_pdu_t* pdu, coap_option_num_t number);
QByteArray tokenOf(const coap_pdu_t* pdu);
// The whole body, reassembled by libcoap's block-wise layer when it arrived in blocks.
QByteArray payloadOf(const coap_pdu_t* pdu);

bool isRequest(const coap_pdu_t* pdu);

// "2.05" style code as the integer 205, as operators and logs read it.
int codeNumber(coap_pdu_code_t code);
coap_pdu_code_t codeFromNumber(int number);
QString codeText(coap_pdu_code_t code);

// Splits "a/b/c" (leading '/' optional) into Uri-Path or Location-Path options.
void addPathOptions(coap_pdu_t* pdu, coap_option_num_t number, const QString& path);
void addUintOption(coap_pdu_t* pdu, coap_option_num_t number, quint32 value);

QString addressText(const coap_address_t* address);

}  // namespace lwm2mgw
