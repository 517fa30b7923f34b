// The JSON-lines serializer (see json_serializer.h). Hot path: one call per emitted event, so it
// formats numbers, addresses and timestamps into stack buffers and reuses a thread-local writer.
#include "output/json_serializer.h"

#include <arpa/inet.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <array>
#include <chrono>
#include <cstring>
#include <limits>
#include <string_view>

#include "output/json_text.h"

namespace procflow {
namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// Everything one thread needs to serialize events without allocating. The writer keeps its
// nesting stack between events (Reset() clears it without freeing), the buffer its capacity.
struct SerializerState {
  rapidjson::StringBuffer buffer;
  JsonWriter writer{buffer};
  std::string repaired;  // scratch for strings that need U+FFFD replacement
};

SerializerState& state() {
  thread_local SerializerState s;
  return s;
}

// Length of the well-formed UTF-8 sequence at s[0..n), or 0 when the bytes there are not one
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
size_t utf8_sequence_length(const unsigned char* s, size_t n) {
  const unsigned char c = s[0];
  if (c < 0x80) return 1;
  size_t len;
  uint32_t cp, min;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2, cp = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, cp = c & 0x0F, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (size_t i = 1; i < len; ++i) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

bool is_valid_utf8(std::string_view v) {
  const auto* s = reinterpret_cast<const unsigned char*>(v.data());
  size_t i = 0;
  while (i < v.size()) {
    if (s[i] < 0x80) {
      ++i;
      continue;
    }
    const size_t len = utf8_sequence_length(s + i, v.size() - i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

// Copies `v` into `out`, each byte that does not start a well-formed sequence replaced by U+FFFD.
void repair_utf8(std::string_view v, std::string& out) {
  static constexpr std::string_view replacement = "\xEF\xBF\xBD";
  out.clear();
  const auto* s = reinterpret_cast<const unsigned char*>(v.data());
  size_t i = 0;
  while (i < v.size()) {
    const size_t len = utf8_sequence_length(s + i, v.size() - i);
    if (len == 0) {
      out += replacement;
      ++i;
    } else {
      out.append(v.data() + i, len);
      i += len;
    }
  }
}

template <size_t N>
void key(JsonWriter& w, const char (&name)[N]) {
  w.Key(name, N - 1);
}

void write_string(JsonWriter& w, std::string_view v) {
  // RapidJSON lengths are 32-bit and repair can triple a string. Nothing procflow emits comes
  // near this cap; it only guarantees no wrap-around. A cut sequence is repaired like any other.
  static constexpr size_t max_input = std::numeric_limits<rapidjson::SizeType>::max() / 3;
  if (v.size() > max_input) v = v.substr(0, max_input);
  if (is_valid_utf8(v)) {
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    return;
  }
  std::string& fixed = state().repaired;
  repair_utf8(v, fixed);
  w.String(fixed.data(), static_cast<rapidjson::SizeType>(fixed.size()));
}

template <size_t N>
void string_field(JsonWriter& w, const char (&name)[N], std::string_view v) {
  if (v.empty()) return;
  key(w, name);
  write_string(w, v);
}

template <size_t N>
void u64_field(JsonWriter& w, const char (&name)[N], const std::optional<uint64_t>& v) {
  if (!v) return;
  key(w, name);
  w.Uint64(*v);
}

// A mark that is written only when set: absent means it was not seen.
template <size_t N>
void flag_field(JsonWriter& w, const char (&name)[N], bool set) {
  if (!set) return;
  key(w, name);
  w.Bool(true);
}

template <size_t N>
void u32_field(JsonWriter& w, const char (&name)[N], const std::optional<uint32_t>& v) {
  if (!v) return;
  key(w, name);
  w.Uint(*v);
}

template <size_t N>
void time_field(JsonWriter& w, const char (&name)[N], uint64_t unix_us) {
  char buf[rfc3339_us_length];
  write_rfc3339_us(unix_us, buf);
  key(w, name);
  w.String(buf, rfc3339_us_length);
}

// Writes the address's text into buf (at least INET6_ADDRSTRLEN bytes); returns its length.
// IPv4 by hand: inet_ntop formats it through sprintf, the slowest step of a whole event.
size_t format_ip(const IpAddress& ip, char* buf) {
  if (ip.family == 4) {
    char* p = buf;
    for (int i = 0; i < 4; ++i) {
      if (i) *p++ = '.';
      const unsigned b = ip.bytes[static_cast<size_t>(i)];
      if (b >= 100) *p++ = static_cast<char>('0' + b / 100);
      if (b >= 10) *p++ = static_cast<char>('0' + b / 10 % 10);
      *p++ = static_cast<char>('0' + b % 10);
    }
    return static_cast<size_t>(p - buf);
  }
  if (!inet_ntop(AF_INET6, ip.bytes.data(), buf, INET6_ADDRSTRLEN)) return 0;
  return std::strlen(buf);
}

template <size_t N>
void ip_field(JsonWriter& w, const char (&name)[N], const IpAddress& ip) {
  char buf[INET6_ADDRSTRLEN];
  const size_t len = format_ip(ip, buf);
  if (len == 0) return;
  key(w, name);
  w.String(buf, static_cast<rapidjson::SizeType>(len));
}

// Transports whose header carries ports; for the others (ICMP...) a port would be a guess.
bool has_ports(uint8_t ip_proto) {
  switch (ip_proto) {
    case ip_proto_tcp:
    case ip_proto_udp:
    case 33:   // DCCP
    case 132:  // SCTP
    case 136:  // UDP-Lite
      return true;
  }
  return false;
}

// tcp_flags_to_string() for every flags byte, computed once so the hot path never allocates.
const std::string& flags_text_table(uint8_t flags) {
  static const std::array<std::string, 256> table = [] {
    std::array<std::string, 256> t;
    for (unsigned i = 0; i < t.size(); ++i) t[i] = tcp_flags_to_string(static_cast<uint8_t>(i));
    return t;
  }();
  return table[flags];
}

void put_digits(char* p, uint64_t value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace

void write_json_string(JsonTextWriter& w, std::string_view v) {
  write_string(w, v);
}

size_t format_ip_text(const IpAddress& ip, char* buf) {
  return ip.is_set() ? format_ip(ip, buf) : 0;
}

bool transport_has_ports(uint8_t ip_proto) {
  return has_ports(ip_proto);
}

const std::string& tcp_flags_text(uint8_t flags) {
  return flags_text_table(flags);
}

void write_rfc3339_us(uint64_t unix_us, char* buf) {
  // 9999-12-31T23:59:59.999999Z: the last instant a four-digit year can hold.
  static constexpr uint64_t max_us = 253402300799ULL * 1'000'000 + 999'999;
  if (unix_us > max_us) unix_us = max_us;
  const uint64_t seconds = unix_us / 1'000'000;
  const uint64_t micros = unix_us % 1'000'000;
  const uint64_t day_seconds = seconds % 86400;
  const std::chrono::year_month_day date{
      std::chrono::sys_days{std::chrono::days{static_cast<int>(seconds / 86400)}}};

  put_digits(buf, static_cast<uint64_t>(static_cast<int>(date.year())), 4);
  buf[4] = '-';
  put_digits(buf + 5, static_cast<unsigned>(date.month()), 2);
  buf[7] = '-';
  put_digits(buf + 8, static_cast<unsigned>(date.day()), 2);
  buf[10] = 'T';
  put_digits(buf + 11, day_seconds / 3600, 2);
  buf[13] = ':';
  put_digits(buf + 14, day_seconds / 60 % 60, 2);
  buf[16] = ':';
  put_digits(buf + 17, day_seconds % 60, 2);
  buf[19] = '.';
  put_digits(buf + 20, micros, 6);
  buf[26] = 'Z';
}

std::string format_rfc3339_us(uint64_t unix_us) {
  std::string s(rfc3339_us_length, '\0');
  write_rfc3339_us(unix_us, s.data());
  return s;
}

void append_json_line(const FlowEvent& e, std::string& out) {
  SerializerState& st = state();
  st.buffer.Clear();
  JsonWriter& w = st.writer;
  w.Reset(st.buffer);

  w.StartObject();
  string_field(w, "object", "flow");
  string_field(w, "action", to_string(e.action));
  time_field(w, "timestamp", e.timestamp_us);

  // Endpoints: src_* is the initiator, dest_* the responder. Port 0 is never
  // a real TCP/UDP port: it means "not known yet" (a connect still in flight).
  const bool ports = has_ports(e.transport);
  // A port is known even where its address is not (a socket on the wildcard
  // address): each is written on its own.
  if (e.src_ip.is_set()) ip_field(w, "src_ip", e.src_ip);
  if (ports && e.src_port != 0) {
    key(w, "src_port");
    w.Uint(e.src_port);
  }
  if (e.dest_ip.is_set()) ip_field(w, "dest_ip", e.dest_ip);
  if (ports && e.dest_port != 0) {
    key(w, "dest_port");
    w.Uint(e.dest_port);
  }
  string_field(w, "transport_protocol", transport_name(e.transport));
  string_field(w, "src_fqdn", e.src_fqdn);
  string_field(w, "src_hostname", e.src_hostname);
  string_field(w, "dest_fqdn", e.dest_fqdn);
  string_field(w, "dest_hostname", e.dest_hostname);

  // The process that owns the local socket.
  u32_field(w, "pid", e.pid);
  u32_field(w, "ppid", e.ppid);
  u32_field(w, "uid", e.uid);
  string_field(w, "user", e.user);
  string_field(w, "exe", e.exe);
  string_field(w, "image_path", e.image_path);

  // The sensor's host.
  string_field(w, "hostname", e.hostname);
  string_field(w, "fqdn", e.fqdn);

  // Counters and timing.
  u64_field(w, "in_bytes", e.in_bytes);
  u64_field(w, "out_bytes", e.out_bytes);
  u64_field(w, "packet_count", e.packet_count);
  if (e.tcp_flags != 0) string_field(w, "tcp_flags", tcp_flags_text(e.tcp_flags));
  if (e.start_time_us) time_field(w, "start_time", *e.start_time_us);
  if (e.end_time_us) time_field(w, "end_time", *e.end_time_us);
  string_field(w, "network_direction", to_string(e.network_direction));

  // Layer 7.
  string_field(w, "application_protocol", e.application_protocol);
  string_field(w, "proto_info", e.proto_info);
  string_field(w, "content", e.content);

  // Extras allowed by the contract.
  string_field(w, "community_id", e.community_id);
  if (e.initiated) {
    key(w, "initiated");
    w.Bool(*e.initiated);
  }
  if (e.snapshot) {
    key(w, "snapshot");
    w.Bool(*e.snapshot);
  }
  if (e.continued) {
    key(w, "continued");
    w.Bool(*e.continued);
  }
  string_field(w, "end_reason", to_string(e.end_reason));
  u64_field(w, "netns", e.netns);
  u64_field(w, "cgroup_id", e.cgroup_id);
  string_field(w, "container_id", e.container_id);
  string_field(w, "interface", e.interface);
  string_field(w, "src_canonical", e.src_canonical);
  string_field(w, "dest_canonical", e.dest_canonical);
  string_field(w, "src_fqdn_source", to_string(e.src_fqdn_source));
  string_field(w, "dest_fqdn_source", to_string(e.dest_fqdn_source));
  string_field(w, "src_fqdn_conflict", e.src_fqdn_conflict);
  string_field(w, "dest_fqdn_conflict", e.dest_fqdn_conflict);
  string_field(w, "comm", e.comm);
  flag_field(w, "image_deleted", e.image_deleted);
  flag_field(w, "image_memfd", e.image_memfd);
  flag_field(w, "image_truncated", e.image_truncated);
  w.EndObject();

  out.append(st.buffer.GetString(), st.buffer.GetSize());
  out.push_back('\n');
}

}  // namespace procflow
