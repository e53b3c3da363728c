#pragma once

#include <coap3/coap.h>

#include <QByteArray>
#include <QMap>
#include <QString>
#include <QStringList>

#include <optional>

namespace lwm2mgw::peers {

// Content-Format numbers used by LwM2M 1.1 (OMA-TS-LightweightM2M_Core 7.1 and IANA registry).
namespace format {
inline constexpr int kText = 0;
inline constexpr int kLinkFormat = 40;
inline constexpr int kOpaque = 42;
inline constexpr int kCbor = 60;
inline constexpr int kSenmlJson = 110;
inline constexpr int kSenmlCbor = 112;
inline constexpr int kTlv = 11542;
inline constexpr int kLwm2mJson = 11543;
}  // namespace format

// 2.05 <-> 205: the numbering the tests and logs use.
int codeToNumber(coap_pdu_code_t code);
coap_pdu_code_t codeFromNumber(int number);
QString codeToString(int number);  // "2.05"

QByteArray pduToken(const coap_pdu_t* pdu);
// The whole body; libcoap has already reassembled block-wise bodies (COAP_BLOCK_SINGLE_BODY).
QByteArray pduBody(const coap_pdu_t* pdu);
QList<QByteArray> optionValues(const coap_pdu_t* pdu, coap_option_num_t number);
std::optional<quint32> uintOption(const coap_pdu_t* pdu, coap_option_num_t number);
QStringList uriPath(const coap_pdu_t* pdu);
// Uri-Query options as key -> value; a flag without '=' (LwM2M "Q") maps to an empty string.
QMap<QString, QString> uriQuery(const coap_pdu_t* pdu);

bool addUintOption(coap_pdu_t* pdu, coap_option_num_t number, quint32 value);

// Body added with libcoap's block machinery; the bytes are kept alive until libcoap is done.
bool addLargeRequestBody(coap_session_t* session, coap_pdu_t* pdu, const QByteArray& body);
bool addLargeResponseBody(coap_resource_t* resource, coap_session_t* session,
                          const coap_pdu_t* request, coap_pdu_t* response,
                          const coap_string_t* query, int contentFormat, const QByteArray& body);

// libcoap 4.3.1 has no way to leave a CON request unacknowledged from a handler, so mark
// the request No-Response and the answer NON: libcoap then sends nothing at all.
void dropWithoutAnswer(const coap_pdu_t* request, coap_pdu_t* response);

QString addressToString(const coap_address_t* address);
// Numeric addresses only ("localhost" is accepted as 127.0.0.1): resolving would block.
bool addressFromString(const QString& host, quint16 port, coap_address_t* out);
std::optional<quint16> localPort(const coap_session_t* session);

}  // namespace lwm2mgw::peers
