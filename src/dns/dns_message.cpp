// DNS wire parsing through ldns, reduced to a DnsMessage under fixed limits.
#include "dns/dns_message.h"

// Before ldns, in a block of its own so include sorting keeps it first:
// without it ldns/common.h defines `true`, `false` and `bool` as macros in
// C++, which breaks standard headers included after it.
#include <stdbool.h>  // NOLINT(modernize-deprecated-headers)

#include <ldns/ldns.h>

#include <algorithm>
#include <memory>
#include <string_view>

namespace procflow {
namespace {

// The smallest question is the root name (1 byte) plus type and class; the
// smallest resource record adds TTL and RDLENGTH to that.
constexpr size_t kMinQuestionBytes = 1 + 2 + 2;
constexpr size_t kMinRecordBytes = 1 + 2 + 2 + 4 + 2;
// mDNS uses the class's top bit as the "cache flush" flag (RFC 6762 10.2).
constexpr uint16_t kClassMask = 0x7fff;

struct PktFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
using PktPtr = std::unique_ptr<ldns_pkt, PktFree>;

void set_error(std::string* error, std::string_view why) {
  if (error) error->assign(why);
}

// Presentation form of a name ldns has parsed (and decompressed): labels
// joined by dots, lowercased, no trailing dot, "" for the root. Bytes are
// escaped exactly as ldns_rdf2buffer_str_dname escapes them (the tests
// compare the two), so odd names read as dig and tshark print them:
// . ; ( ) \ get a backslash, bytes that are not printable ASCII become \DDD.
// Done here rather than with ldns's printer because that one formats each
// character with printf and took most of the parse time.
// False when the data is not a well-formed name or the text would be longer
// than `max_length`.
bool name_to_string(const ldns_rdf* rdf, size_t max_length, std::string* out) {
  if (!rdf || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME) return false;
  const uint8_t* data = ldns_rdf_data(rdf);
  const size_t size = ldns_rdf_size(rdf);
  if (!data || size == 0 || size > LDNS_MAX_DOMAINLEN) return false;
  out->clear();
  out->reserve(size);  // the text of a name without escapes: one allocation
  size_t pos = 0;
  while (pos < size && data[pos] != 0) {
    const size_t length = data[pos++];
    if (length > LDNS_MAX_LABELLEN || length > size - pos) return false;
    if (!out->empty()) out->push_back('.');
    for (const uint8_t c : std::span<const uint8_t>(data + pos, length)) {
      if (c == '.' || c == ';' || c == '(' || c == ')' || c == '\\') {
        out->push_back('\\');
        out->push_back(static_cast<char>(c));
      } else if (c <= ' ' || c >= 0x7f) {
        const char escaped[4] = {'\\', static_cast<char>('0' + c / 100),
                                 static_cast<char>('0' + c / 10 % 10),
                                 static_cast<char>('0' + c % 10)};
        out->append(escaped, sizeof escaped);
      } else {
        // DNS names compare case-insensitively (RFC 4343).
        out->push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a')
                                            : static_cast<char>(c));
      }
    }
    pos += length;
    if (out->size() > max_length) return false;
  }
  // A name ends with the root label; ldns guarantees it, this keeps it checked.
  return pos < size && data[pos] == 0;
}

// One answer-section record as a DnsRecord, or false when it is not an
// A/AAAA/CNAME of class IN with well-formed data.
bool to_record(const ldns_rr* rr, const DnsParseLimits& limits, DnsRecord* record) {
  const auto type = static_cast<uint16_t>(ldns_rr_get_type(rr));
  if (type != dns_type::a && type != dns_type::aaaa && type != dns_type::cname) return false;
  if ((static_cast<uint16_t>(ldns_rr_get_class(rr)) & kClassMask) != LDNS_RR_CLASS_IN) {
    return false;
  }
  if (ldns_rr_rd_count(rr) != 1) return false;
  const ldns_rdf* data = ldns_rr_rdf(rr, 0);
  if (!data) return false;

  record->type = type;
  record->address = IpAddress{};
  record->target.clear();
  if (type == dns_type::a) {
    if (ldns_rdf_get_type(data) != LDNS_RDF_TYPE_A || ldns_rdf_size(data) != 4) return false;
    record->address = IpAddress::v4(ldns_rdf_data(data));
  } else if (type == dns_type::aaaa) {
    if (ldns_rdf_get_type(data) != LDNS_RDF_TYPE_AAAA || ldns_rdf_size(data) != 16) return false;
    record->address = IpAddress::v6(ldns_rdf_data(data));
  } else if (!name_to_string(data, limits.max_name_length, &record->target)) {
    return false;
  }
  if (!name_to_string(ldns_rr_owner(rr), limits.max_name_length, &record->name)) {
    return false;
  }
  // RFC 2181 8: a TTL with the top bit set is to be treated as zero.
  const uint32_t ttl = ldns_rr_ttl(rr);
  record->ttl = ttl > 0x7fffffffu ? 0 : ttl;
  return true;
}

}  // namespace

std::optional<DnsMessage> parse_dns_message(std::span<const uint8_t> wire, std::string* error,
                                            const DnsParseLimits& limits) {
  if (wire.size() > limits.max_message_bytes) {
    set_error(error, "message larger than the limit");
    return std::nullopt;
  }
  if (wire.size() < LDNS_HEADER_SIZE) {
    set_error(error, "shorter than a DNS header");
    return std::nullopt;
  }
  // Refuse counts the message cannot possibly hold before ldns allocates a
  // record per count; it would fail on them later anyway.
  const size_t room = wire.size() - LDNS_HEADER_SIZE;
  const size_t qd = LDNS_QDCOUNT(wire.data());
  const size_t rrs =
      size_t{LDNS_ANCOUNT(wire.data())} + LDNS_NSCOUNT(wire.data()) + LDNS_ARCOUNT(wire.data());
  if (qd * kMinQuestionBytes + rrs * kMinRecordBytes > room) {
    set_error(error, "section counts exceed what the message can hold");
    return std::nullopt;
  }
  if (qd == 0 && limits.require_question) {
    set_error(error, "no question");
    return std::nullopt;
  }

  ldns_pkt* raw = nullptr;
  const ldns_status status = ldns_wire2pkt(&raw, wire.data(), wire.size());
  PktPtr pkt(raw);
  if (status != LDNS_STATUS_OK || !pkt) {
    const char* why = ldns_get_errorstr_by_id(status);
    set_error(error, std::string("malformed: ") + (why ? why : "unknown ldns error"));
    return std::nullopt;
  }
  DnsMessage m;
  m.id = ldns_pkt_id(pkt.get());
  m.is_response = ldns_pkt_qr(pkt.get());
  m.opcode = static_cast<uint8_t>(ldns_pkt_get_opcode(pkt.get()));
  m.rcode = static_cast<uint16_t>((uint16_t{ldns_pkt_edns_extended_rcode(pkt.get())} << 4) |
                                  (static_cast<uint16_t>(ldns_pkt_get_rcode(pkt.get())) & 0xf));

  const ldns_rr_list* questions = ldns_pkt_question(pkt.get());
  if (questions && ldns_rr_list_rr_count(questions) > 0) {
    const ldns_rr* q = ldns_rr_list_rr(questions, 0);
    if (!name_to_string(ldns_rr_owner(q), limits.max_name_length, &m.question)) {
      set_error(error, "question name invalid or longer than the limit");
      return std::nullopt;
    }
    m.qtype = static_cast<uint16_t>(ldns_rr_get_type(q));
  } else if (limits.require_question) {
    set_error(error, "no question");
    return std::nullopt;
  }

  const ldns_rr_list* answers = ldns_pkt_answer(pkt.get());
  const size_t count = answers ? ldns_rr_list_rr_count(answers) : 0;
  m.answers.reserve(std::min(count, limits.max_answers));
  for (size_t i = 0; i < count && m.answers.size() < limits.max_answers; ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(answers, i);
    DnsRecord& record = m.answers.emplace_back();
    if (!rr || !to_record(rr, limits, &record)) m.answers.pop_back();
  }
  return m;
}

std::optional<DnsMessage> parse_dns_over_tcp(std::span<const uint8_t> stream, std::string* error,
                                             size_t* consumed, const DnsParseLimits& limits) {
  if (consumed) *consumed = 0;
  if (stream.size() < 2) {
    set_error(error, "shorter than the TCP length prefix");
    return std::nullopt;
  }
  const size_t length = ldns_read_uint16(stream.data());
  if (length == 0) {
    set_error(error, "TCP length prefix is zero");
    return std::nullopt;
  }
  if (length > stream.size() - 2) {
    set_error(error, "TCP length prefix longer than the data present");
    return std::nullopt;
  }
  // The frame is complete: even if the message inside is bad, the caller can
  // skip it and continue with the next one.
  if (consumed) *consumed = 2 + length;
  return parse_dns_message(stream.subspan(2, length), error, limits);
}

}  // namespace procflow
