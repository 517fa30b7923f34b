#include "procflow/flow_event.h"

#include <arpa/inet.h>

#include <cstring>

namespace procflow {

IpAddress IpAddress::v4(const uint8_t* network_order) {
  IpAddress a;
  a.family = 4;
  std::memcpy(a.bytes.data(), network_order, 4);
  return a;
}

IpAddress IpAddress::v6(const uint8_t* network_order) {
  IpAddress a;
  a.family = 6;
  std::memcpy(a.bytes.data(), network_order, 16);
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN] = {};
  std::memcpy(buf, text.data(), text.size());
  IpAddress a;
  if (inet_pton(AF_INET, buf, a.bytes.data()) == 1) {
    a.family = 4;
    return a;
  }
  if (inet_pton(AF_INET6, buf, a.bytes.data()) == 1) {
    a.family = 6;
    return a;
  }
  return std::nullopt;
}

IpAddress IpAddress::unmapped() const {
  static constexpr uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (family != 6 || std::memcmp(bytes.data(), mapped_prefix, 12) != 0) return *this;
  return v4(bytes.data() + 12);
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family == 4) inet_ntop(AF_INET, bytes.data(), buf, sizeof buf);
  if (family == 6) inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

void FlowEvent::clear() {
  action = FlowAction::start;
  timestamp_us = 0;
  src_ip = dest_ip = IpAddress{};
  src_port = dest_port = 0;
  transport = ip_proto_tcp;
  for (std::string* s : {&src_fqdn,
                         &src_hostname,
                         &dest_fqdn,
                         &dest_hostname,
                         &src_fqdn_conflict,
                         &dest_fqdn_conflict,
                         &user,
                         &exe,
                         &image_path,
                         &comm,
                         &hostname,
                         &fqdn,
                         &community_id,
                         &application_protocol,
                         &content,
                         &proto_info,
                         &container_id,
                         &container_runtime,
                         &pod_uid,
                         &pod_name,
                         &pod_namespace,
                         &container_name,
                         &interface,
                         &src_canonical,
                         &dest_canonical})
    s->clear();
  src_fqdn_source = dest_fqdn_source = NameSource::none;
  pid.reset();
  ppid.reset();
  uid.reset();
  image_deleted = image_memfd = image_truncated = false;
  in_bytes.reset();
  out_bytes.reset();
  packet_count.reset();
  tcp_flags = 0;
  start_time_us.reset();
  end_time_us.reset();
  network_direction = NetworkDirection::unknown;
  initiated.reset();
  snapshot.reset();
  continued.reset();
  end_reason = EndReason::none;
  message_direction.reset();
  content_source.reset();
  content_truncated = false;
  netns.reset();
  cgroup_id.reset();
  container_pid.reset();
}

std::string_view to_string(FlowAction action) {
  switch (action) {
    case FlowAction::start:
      return "start";
    case FlowAction::message:
      return "message";
    case FlowAction::end:
      return "end";
  }
  return "";
}

std::string_view to_string(EndReason reason) {
  switch (reason) {
    case EndReason::none:
      return "";
    case EndReason::close:
      return "close";
    case EndReason::reset:
      return "reset";
    case EndReason::timeout:
      return "timeout";
    case EndReason::tracer_stop:
      return "tracer_stop";
    case EndReason::lost:
      return "lost";
    case EndReason::interval:
      return "interval";
  }
  return "";
}

std::string_view to_string(NetworkDirection direction) {
  switch (direction) {
    case NetworkDirection::unknown:
      return "";
    case NetworkDirection::in:
      return "in";
    case NetworkDirection::out:
      return "out";
    case NetworkDirection::internal:
      return "internal";
    case NetworkDirection::external:
      return "external";
  }
  return "";
}

std::string_view to_string(NameSource source) {
  switch (source) {
    case NameSource::none:
      return "";
    case NameSource::hosts:
      return "hosts";
    case NameSource::local:
      return "local";
    case NameSource::dns:
      return "dns";
    case NameSource::mdns:
      return "mdns";
    case NameSource::llmnr:
      return "llmnr";
    case NameSource::ptr:
      return "ptr";
    case NameSource::tls_sni:
      return "tls_sni";
    case NameSource::http_host:
      return "http_host";
    case NameSource::quic_sni:
      return "quic_sni";
  }
  return "";
}

std::string_view to_string(MessageDirection direction) {
  return direction == MessageDirection::out ? "out" : "in";
}

std::string_view to_string(ContentSource source) {
  return source == ContentSource::wire ? "wire" : "tls_plaintext";
}

std::string_view transport_name(uint8_t ip_proto) {
  switch (ip_proto) {
    case ip_proto_tcp:
      return "TCP";
    case ip_proto_udp:
      return "UDP";
    case 1:
      return "ICMP";
    case 58:
      return "ICMPv6";
    case 132:
      return "SCTP";
  }
  return "";
}

std::string tcp_flags_to_string(uint8_t flags) {
  // Connection order rather than bit order: this is how people read a handshake.
  static constexpr std::pair<uint8_t, std::string_view> order[] = {
      {tcp_flag::syn, "SYN"}, {tcp_flag::ack, "ACK"}, {tcp_flag::psh, "PSH"},
      {tcp_flag::urg, "URG"}, {tcp_flag::ece, "ECE"}, {tcp_flag::cwr, "CWR"},
      {tcp_flag::fin, "FIN"}, {tcp_flag::rst, "RST"},
  };
  std::string out;
  for (const auto& [bit, name] : order) {
    if (!(flags & bit)) continue;
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

}  // namespace procflow
