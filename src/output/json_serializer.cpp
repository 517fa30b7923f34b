// The JSON-lines serializer (see json_serializer.h). Hot path: one call per emitted event, so it
// writes the line into a thread-local buffer sized for the worst case up front, with the field
// names as literals and numbers, addresses and timestamps formatted in place: no per-field
// bounds checks, no allocation once the buffer has grown to the longest line.
#include "output/json_serializer.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cstring>
#include <limits>
#include <string_view>

#include "output/json_string.h"
#include "output/json_text.h"

namespace procflow {
namespace {

// Bytes of a line besides its strings' contents: ~60 keys, numbers of at most 20 digits, three
// timestamps, two addresses, enum names and the tcp_flags text. About 1.5 KiB; twice that is
// a bound that needs no maintenance when a field is added.
constexpr size_t kFixedBound = 4096;

// One JSON object written left to right into a buffer that has room for it. Fields come after
// "object", which every line starts with, so each one is preceded by a comma.
class LineWriter {
 public:
  explicit LineWriter(char* p) : begin_(p), p_(p) {}

  size_t size() const { return static_cast<size_t>(p_ - begin_); }

  void raw(std::string_view text) {
    std::memcpy(p_, text.data(), text.size());
    p_ += text.size();
  }
  template <size_t N>
  void key(const char (&name)[N]) {
    *p_++ = ',';
    *p_++ = '"';
    std::memcpy(p_, name, N - 1);
    p_ += N - 1;
    *p_++ = '"';
    *p_++ = ':';
  }
  void string(std::string_view v) {
    // RapidJSON, which wrote these lines first, takes 32-bit lengths, and repair could triple
    // a string: longer ones were cut here, so they still are. Nothing procflow emits comes near.
    static constexpr size_t max_input = std::numeric_limits<uint32_t>::max() / 3;
    if (v.size() > max_input) v = v.substr(0, max_input);
    p_ = write_json_string(p_, v);
  }
  void number(uint64_t v) { p_ = std::to_chars(p_, p_ + 20, v).ptr; }
  void boolean(bool v) { raw(v ? "true" : "false"); }
  char* cursor() { return p_; }
  void advance(size_t n) { p_ += n; }

 private:
  char* begin_;
  char* p_;
};

template <size_t N>
void string_field(LineWriter& w, const char (&name)[N], std::string_view v) {
  if (v.empty()) return;
  w.key(name);
  w.string(v);
}

template <size_t N>
void u64_field(LineWriter& w, const char (&name)[N], const std::optional<uint64_t>& v) {
  if (!v) return;
  w.key(name);
  w.number(*v);
}

template <size_t N>
void u32_field(LineWriter& w, const char (&name)[N], const std::optional<uint32_t>& v) {
  if (!v) return;
  w.key(name);
  w.number(*v);
}

// A mark that is written only when set: absent means it was not seen.
template <size_t N>
void flag_field(LineWriter& w, const char (&name)[N], bool set) {
  if (!set) return;
  w.key(name);
  w.boolean(true);
}

template <size_t N>
void time_field(LineWriter& w, const char (&name)[N], uint64_t unix_us) {
  w.key(name);
  char* p = w.cursor();
  *p = '"';
  write_rfc3339_us(unix_us, p + 1);
  p[1 + rfc3339_us_length] = '"';
  w.advance(rfc3339_us_length + 2);
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
void ip_field(LineWriter& w, const char (&name)[N], const IpAddress& ip) {
  char buf[INET6_ADDRSTRLEN];
  const size_t len = format_ip(ip, buf);
  if (len == 0) return;
  w.key(name);
  w.string(std::string_view(buf, len));
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

// Every string the line may carry: what sizes its buffer.
size_t strings_size(const FlowEvent& e) {
  size_t n = 0;
  for (const std::string* s : {&e.src_fqdn,
                               &e.src_hostname,
                               &e.dest_fqdn,
                               &e.dest_hostname,
                               &e.user,
                               &e.exe,
                               &e.image_path,
                               &e.hostname,
                               &e.fqdn,
                               &e.application_protocol,
                               &e.proto_info,
                               &e.content,
                               &e.community_id,
                               &e.container_id,
                               &e.container_runtime,
                               &e.pod_uid,
                               &e.pod_name,
                               &e.pod_namespace,
                               &e.container_name,
                               &e.interface,
                               &e.src_canonical,
                               &e.dest_canonical,
                               &e.src_fqdn_conflict,
                               &e.dest_fqdn_conflict,
                               &e.comm})
    n += s->size();
  return n;
}

// The line is built here, then appended to the caller's string in one copy. Grows to the
// longest line seen and stays there.
std::string& line_buffer(size_t bound) {
  thread_local std::string buffer;
  if (buffer.size() < bound) buffer.resize(bound);
  return buffer;
}

}  // namespace

// The pieces the OCSF and ECS writers share (json_text.h): the same repair,
// escapes, address text and flags table as the CAR lines.
void write_json_string(JsonTextWriter& w, std::string_view v) {
  thread_local std::string text;
  text.resize(json_string_bound(v.size()));
  char* end = write_json_string(text.data(), v);
  w.RawValue(text.data(), static_cast<size_t>(end - text.data()), rapidjson::kStringType);
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
  // An event's timestamps, and successive events, mostly fall in the same second: the calendar
  // part is worked out once per second and thread, only the microseconds every time.
  struct Second {
    uint64_t seconds = ~uint64_t{0};
    char text[19];  // "1970-01-01T00:00:00"
  };
  thread_local Second last;
  if (last.seconds != seconds) {
    const uint64_t day_seconds = seconds % 86400;
    const std::chrono::year_month_day date{
        std::chrono::sys_days{std::chrono::days{static_cast<int>(seconds / 86400)}}};
    char* t = last.text;
    put_digits(t, static_cast<uint64_t>(static_cast<int>(date.year())), 4);
    t[4] = '-';
    put_digits(t + 5, static_cast<unsigned>(date.month()), 2);
    t[7] = '-';
    put_digits(t + 8, static_cast<unsigned>(date.day()), 2);
    t[10] = 'T';
    put_digits(t + 11, day_seconds / 3600, 2);
    t[13] = ':';
    put_digits(t + 14, day_seconds / 60 % 60, 2);
    t[16] = ':';
    put_digits(t + 17, day_seconds % 60, 2);
    last.seconds = seconds;
  }
  std::memcpy(buf, last.text, sizeof last.text);
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
  // Every string at its worst case (all escapes), plus the fixed part.
  const size_t bound = kFixedBound + json_string_bound(strings_size(e));
  std::string& buffer = line_buffer(bound);
  LineWriter w(buffer.data());

  w.raw(R"({"object":"flow")");
  string_field(w, "action", to_string(e.action));
  time_field(w, "timestamp", e.timestamp_us);

  // Endpoints: src_* is the initiator, dest_* the responder. Port 0 is never
  // a real TCP/UDP port: it means "not known yet" (a connect still in flight).
  const bool ports = has_ports(e.transport);
  // A port is known even where its address is not (a socket on the wildcard
  // address): each is written on its own.
  if (e.src_ip.is_set()) ip_field(w, "src_ip", e.src_ip);
  if (ports && e.src_port != 0) {
    w.key("src_port");
    w.number(e.src_port);
  }
  if (e.dest_ip.is_set()) ip_field(w, "dest_ip", e.dest_ip);
  if (ports && e.dest_port != 0) {
    w.key("dest_port");
    w.number(e.dest_port);
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
  if (e.tcp_flags != 0) string_field(w, "tcp_flags", flags_text_table(e.tcp_flags));
  if (e.start_time_us) time_field(w, "start_time", *e.start_time_us);
  if (e.end_time_us) time_field(w, "end_time", *e.end_time_us);
  string_field(w, "network_direction", to_string(e.network_direction));

  // Layer 7.
  string_field(w, "application_protocol", e.application_protocol);
  string_field(w, "proto_info", e.proto_info);
  string_field(w, "content", e.content);
  if (e.message_direction) string_field(w, "message_direction", to_string(*e.message_direction));
  if (e.content_source) string_field(w, "content_source", to_string(*e.content_source));
  if (e.content_truncated) {
    w.key("content_truncated");
    w.boolean(true);
  }

  // Extras allowed by the contract.
  string_field(w, "community_id", e.community_id);
  if (e.initiated) {
    w.key("initiated");
    w.boolean(*e.initiated);
  }
  if (e.snapshot) {
    w.key("snapshot");
    w.boolean(*e.snapshot);
  }
  if (e.continued) {
    w.key("continued");
    w.boolean(*e.continued);
  }
  string_field(w, "end_reason", to_string(e.end_reason));
  u64_field(w, "netns", e.netns);
  u64_field(w, "cgroup_id", e.cgroup_id);
  string_field(w, "container_id", e.container_id);
  string_field(w, "container_runtime", e.container_runtime);
  string_field(w, "container_name", e.container_name);
  u32_field(w, "container_pid", e.container_pid);
  string_field(w, "pod_uid", e.pod_uid);
  string_field(w, "pod_name", e.pod_name);
  string_field(w, "pod_namespace", e.pod_namespace);
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
  w.raw("}\n");

  out.append(buffer.data(), w.size());
}

}  // namespace procflow
