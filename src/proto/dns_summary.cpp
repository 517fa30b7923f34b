#include "proto/dns_summary.h"

#include <vector>

#include "dns/dns_message.h"
#include "proto/proto_info_text.h"

namespace procflow {

namespace {

std::string opcode_name(uint8_t opcode) {
  switch (opcode) {
    case 0:
      return "QUERY";
    case 1:
      return "IQUERY";
    case 2:
      return "STATUS";
    case 4:
      return "NOTIFY";
    case 5:
      return "UPDATE";
    default:
      return "OPCODE" + std::to_string(opcode);
  }
}

std::string type_name(uint16_t type) {
  switch (type) {
    case 1:
      return "A";
    case 2:
      return "NS";
    case 5:
      return "CNAME";
    case 6:
      return "SOA";
    case 12:
      return "PTR";
    case 15:
      return "MX";
    case 16:
      return "TXT";
    case 28:
      return "AAAA";
    case 33:
      return "SRV";
    case 64:
      return "SVCB";
    case 65:
      return "HTTPS";
    case 255:
      return "ANY";
    default:
      return "TYPE" + std::to_string(type);
  }
}

std::string rcode_name(uint16_t rcode) {
  switch (rcode) {
    case 0:
      return "NOERROR";
    case 1:
      return "FORMERR";
    case 2:
      return "SERVFAIL";
    case 3:
      return "NXDOMAIN";
    case 4:
      return "NOTIMP";
    case 5:
      return "REFUSED";
    default:
      return "RCODE" + std::to_string(rcode);
  }
}

std::optional<DnsMessage> parse_either_form(std::span<const uint8_t> bytes) {
  // A TCP message starts with its own length; a UDP message's first two
  // bytes are a random id. An exact length match is taken as TCP first, and
  // otherwise the UDP reading wins over a TCP reading of a longer stream.
  bool exact_prefix =
      bytes.size() >= 2 && static_cast<size_t>(bytes[0] << 8 | bytes[1]) + 2 == bytes.size();
  if (exact_prefix) {
    if (auto message = parse_dns_over_tcp(bytes, nullptr)) return message;
  }
  if (auto message = parse_dns_message(bytes, nullptr)) return message;
  if (!exact_prefix) return parse_dns_over_tcp(bytes, nullptr);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> dns_summary(std::span<const uint8_t> bytes) {
  std::optional<DnsMessage> message = parse_either_form(bytes);
  if (!message) return std::nullopt;
  ProtoInfoText info;
  info.add("id", std::to_string(message->id));
  info.add("opcode", opcode_name(message->opcode));
  info.add("qname", message->question.empty() ? "." : message->question);
  info.add("qtype", type_name(message->qtype));
  if (message->is_response) {
    info.add("rcode", rcode_name(message->rcode));
    std::vector<std::string> answers;
    for (const DnsRecord& record : message->answers) {
      if (record.type == dns_type::cname)
        answers.push_back("CNAME " + record.target);
      else
        answers.push_back(type_name(record.type) + " " + record.address.to_string());
    }
    info.add_list("answers", answers);
  }
  return info.take();
}

}  // namespace procflow
