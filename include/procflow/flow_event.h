// The CAR `flow` event as procflow emits it: one value per CAR field plus the
// extra fields the JSON contract allows. Every optional field is absent when
// its value is unknown; serializers omit absent fields rather than guess.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace procflow {

enum class FlowAction : uint8_t { start, message, end };

// lost: the kernel's end record of the flow was lost (a full ring); procflow
// noticed the socket was gone and ended the flow itself, without counters.
// interval: the flow is still open; this `end` closes one report_interval
// period (its counters are the period's) and a `start` opens the next.
enum class EndReason : uint8_t { none, close, reset, timeout, tracer_stop, lost, interval };

// Where an endpoint's name came from. Local knowledge (the hosts file, this
// host's own addresses) is stronger evidence than anything learned from the
// network, and a DNS answer matched to a query beats link-local multicast
// names and PTR claims (docs/events.md#names).
// tls_sni, http_host, quic_sni: no DNS answer named the responder, and the
// flow's own traffic did (the TLS or QUIC ClientHello's server name, the HTTP
// Host header).
enum class NameSource : uint8_t {
  none,
  hosts,
  local,
  dns,
  mdns,
  llmnr,
  ptr,
  tls_sni,
  http_host,
  quic_sni
};

// A `message` event's bytes, as the flow's local socket sees them: out = it
// sent them, in = it received them.
enum class MessageDirection : uint8_t { out, in };

// Where a message's bytes were read: a packet on a traced interface (TC), or
// inside the process before encryption / after decryption (OpenSSL uprobes).
enum class ContentSource : uint8_t { wire, tls_plaintext };

// Direction of the initiator relative to the configured internal networks.
enum class NetworkDirection : uint8_t { unknown, in, out, internal, external };

// TCP flag bits as in the TCP header's flags byte (FIN = 0x01 ... CWR = 0x80).
namespace tcp_flag {
inline constexpr uint8_t fin = 0x01;
inline constexpr uint8_t syn = 0x02;
inline constexpr uint8_t rst = 0x04;
inline constexpr uint8_t psh = 0x08;
inline constexpr uint8_t ack = 0x10;
inline constexpr uint8_t urg = 0x20;
inline constexpr uint8_t ece = 0x40;
inline constexpr uint8_t cwr = 0x80;
}  // namespace tcp_flag

// An IPv4 or IPv6 address in network byte order. IPv4 uses the first 4 bytes.
struct IpAddress {
  uint8_t family = 0;  // 4, 6, or 0 when unset
  std::array<uint8_t, 16> bytes{};

  static IpAddress v4(const uint8_t* network_order);
  static IpAddress v6(const uint8_t* network_order);
  // Parses dotted IPv4 or textual IPv6; std::nullopt on anything else.
  static std::optional<IpAddress> parse(std::string_view text);

  bool is_set() const { return family == 4 || family == 6; }
  size_t size() const { return family == 4 ? 4 : 16; }
  // IPv4-mapped IPv6 (::ffff:a.b.c.d) turned into plain IPv4; others unchanged.
  IpAddress unmapped() const;
  std::string to_string() const;
  bool operator==(const IpAddress&) const = default;
};

inline constexpr uint8_t ip_proto_tcp = 6;
inline constexpr uint8_t ip_proto_udp = 17;

struct FlowEvent {
  FlowAction action = FlowAction::start;
  uint64_t timestamp_us = 0;  // when the event was produced, UNIX epoch, microseconds

  // Endpoints, oriented: src_* is always the initiator, dest_* the responder.
  IpAddress src_ip;
  IpAddress dest_ip;
  uint16_t src_port = 0;
  uint16_t dest_port = 0;
  uint8_t transport = ip_proto_tcp;  // IP protocol number
  std::string src_fqdn, src_hostname, dest_fqdn, dest_hostname;
  NameSource src_fqdn_source = NameSource::none, dest_fqdn_source = NameSource::none;
  // A weaker source named the address otherwise ("name (source)"): shown,
  // never silently dropped or allowed to win.
  std::string src_fqdn_conflict, dest_fqdn_conflict;

  // The process that owns the local socket.
  std::optional<uint32_t> pid, ppid, uid;
  std::string user, exe, image_path, comm;
  // What is unusual about the image (docs/events.md#image_path); written only when true.
  bool image_deleted = false;    // its file was unlinked or replaced, or never had a name
  bool image_memfd = false;      // an anonymous in-memory file: image_path is "/memfd:NAME"
  bool image_truncated = false;  // image_path is "..." and the tail of a longer path

  // The host the sensor runs on.
  std::string hostname, fqdn;

  // Counters: in/out are received/sent by the local socket (application bytes).
  std::optional<uint64_t> in_bytes, out_bytes, packet_count;
  uint8_t tcp_flags = 0;  // union of flags seen; 0 = unknown/none
  std::optional<uint64_t> start_time_us, end_time_us;

  NetworkDirection network_direction = NetworkDirection::unknown;
  std::string community_id;
  std::optional<bool> initiated;
  // A start for a connection that existed before procflow started: its
  // start_time is when procflow found it, its counters are those so far.
  std::optional<bool> snapshot;
  // A start that opens the next report_interval period of a flow already
  // reported (not a new connection): see docs/events.md#long-lived-flows-periods.
  std::optional<bool> continued;
  EndReason end_reason = EndReason::none;

  // Layer-7 fields (empty = absent): docs/events.md#messages.
  std::string application_protocol, content, proto_info;
  // `message` events only.
  std::optional<MessageDirection> message_direction;
  std::optional<ContentSource> content_source;
  bool content_truncated = false;  // the turn carried more than was captured

  // Extra, non-CAR fields.
  std::optional<uint64_t> netns, cgroup_id;
  std::string container_id, interface;
  // The owner's container and pod (docs/events.md#containers-and-pods): the
  // runtime ("containerd", "cri-o", "docker", "podman"), the pod from the
  // cgroup path and the pod log directory, and the owner's pid inside its
  // own pid namespace (pid stays the host's).
  std::string container_runtime, pod_uid, pod_name, pod_namespace, container_name;
  std::optional<uint32_t> container_pid;
  // The end of the CNAME chain behind *_fqdn, when the asked name was an alias.
  std::string src_canonical, dest_canonical;

  // Back to the default state, keeping the strings' storage: an event object
  // reused for every emission allocates nothing once warmed up.
  void clear();
};

std::string_view to_string(FlowAction action);
std::string_view to_string(EndReason reason);
std::string_view to_string(NetworkDirection direction);
std::string_view to_string(NameSource source);
std::string_view to_string(MessageDirection direction);
std::string_view to_string(ContentSource source);
std::string_view transport_name(uint8_t ip_proto);  // "TCP", "UDP", ... or ""
// "SYN, ACK, PSH, FIN": flags in a fixed, conventional order; "" for 0.
std::string tcp_flags_to_string(uint8_t flags);

}  // namespace procflow
