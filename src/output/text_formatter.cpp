// The terminal line format (see text_formatter.h). Not on the JSON hot path, but still built
// into the caller's buffer with stack formatting, since a busy host prints thousands of lines.
#include "output/text_formatter.h"

#include <arpa/inet.h>

#include <array>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <string_view>

namespace procflow {
namespace {

// Display offsets (in terminal columns) where each column starts.
constexpr size_t col_time = 0;      // "05:10:11.123Z"
constexpr size_t col_action = 14;   // "message"
constexpr size_t col_process = 22;  // "1234567/" and a 15-character comm, with room to spare
constexpr size_t col_proto = 47;    // "ICMPv6"
constexpr size_t col_src = 54;      // "255.255.255.255:65535"
constexpr size_t col_arrow = 76;    // "->"
constexpr size_t col_dest = 79;     // "255.255.255.255:65535"
constexpr size_t col_details = 101;
// Sub-columns of the details of an `end` event, relative to col_details.
constexpr size_t sub_in = 0;       // "in=1023KiB"
constexpr size_t sub_out = 11;     // "out=1023KiB"
constexpr size_t sub_pkts = 23;    // "pkts=123456"
constexpr size_t sub_dur = 35;     // "dur=59.999s"
constexpr size_t sub_reason = 48;  // "reason=tracer_stop"
constexpr size_t sub_flags = 67;   // "flags=SYN,ACK,FIN"

constexpr size_t max_info_chars = 80;

// Appends to the caller's string while knowing where the current line began, so columns can be
// placed by display width: one column per code point (continuation bytes take none; East Asian
// wide characters are counted as one, a rare misalignment but never a broken line).
class LineBuilder {
 public:
  explicit LineBuilder(std::string& out) : out_(out), start_(out.size()) {}

  // Display width of the line so far; only the bytes added since the last call are scanned.
  size_t width() {
    for (; scanned_ < out_.size(); ++scanned_) {
      if ((static_cast<unsigned char>(out_[scanned_]) & 0xC0) != 0x80) ++width_;
    }
    return width_;
  }

  // Moves to display column `col`, or, when the line already reaches past it, one space on.
  void to_column(size_t col) {
    const size_t w = width();
    if (w < col) {
      out_.append(col - w, ' ');
    } else if (w > 0 && out_.back() != ' ') {
      out_.push_back(' ');
    }
  }

  // Appends what takes no room on the screen (a colour's escape sequence).
  void append_invisible(std::string_view s) {
    width();
    out_ += s;
    scanned_ = out_.size();
  }

  // Ends the line: no trailing blanks from empty columns.
  void finish() {
    while (out_.size() > start_ && out_.back() == ' ') out_.pop_back();
    out_.push_back('\n');
  }

 private:
  std::string& out_;
  size_t start_;
  size_t scanned_ = start_;  // out_[start_, scanned_) is counted in width_
  size_t width_ = 0;
};

// Decodes one well-formed UTF-8 sequence at s[0..n) into *cp; returns its length, 0 if invalid.
size_t decode_utf8(const unsigned char* s, size_t n, uint32_t* cp) {
  const unsigned char c = s[0];
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t len;
  uint32_t v, min;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2, v = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, v = c & 0x0F, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (size_t i = 1; i < len; ++i) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    v = (v << 6) | (s[i] & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return len;
}

// Code points a terminal would act on rather than print: C0/C1 controls, DEL, and the
// bidirectional overrides that can make a name display as something else.
bool is_unsafe_code_point(uint32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || cp == 0x200E || cp == 0x200F ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

// Appends untrusted text, unsafe or malformed parts replaced by '?', at most `max_chars` code
// points (then "...").
void append_display(std::string& out, std::string_view text, size_t max_chars = SIZE_MAX) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  size_t i = 0, chars = 0;
  while (i < text.size()) {
    if (chars == max_chars) {
      out += "...";
      return;
    }
    uint32_t cp = 0;
    const size_t len = decode_utf8(s + i, text.size() - i, &cp);
    if (len == 0 || is_unsafe_code_point(cp)) {
      out.push_back('?');
      i += len == 0 ? 1 : len;
    } else {
      out.append(text.data() + i, len);
      i += len;
    }
    ++chars;
  }
}

void append_u64(std::string& out, uint64_t v) {
  char buf[20];
  char* p = buf + sizeof buf;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  out.append(p, static_cast<size_t>(buf + sizeof buf - p));
}

// 0.123s, 59.999s, 12m03s, 5h02m.
void append_duration(std::string& out, uint64_t us) {
  const uint64_t s = us / 1'000'000;
  char buf[40];
  int n;
  if (s < 60) {
    n = std::snprintf(buf, sizeof buf, "%u.%03us", unsigned(s), unsigned(us / 1000 % 1000));
  } else if (s < 3600) {
    n = std::snprintf(buf, sizeof buf, "%um%02us", unsigned(s / 60), unsigned(s % 60));
  } else {
    n = std::snprintf(buf, sizeof buf, "%" PRIu64 "h%02um", s / 3600, unsigned(s / 60 % 60));
  }
  out.append(buf, static_cast<size_t>(n));
}

// Dotted quad by hand (inet_ntop formats IPv4 through sprintf); inet_ntop for IPv6.
void append_ip(std::string& out, const IpAddress& ip) {
  if (ip.family == 4) {
    for (int i = 0; i < 4; ++i) {
      if (i) out.push_back('.');
      append_u64(out, ip.bytes[static_cast<size_t>(i)]);
    }
    return;
  }
  char buf[INET6_ADDRSTRLEN] = {};
  if (!inet_ntop(AF_INET6, ip.bytes.data(), buf, sizeof buf)) {
    out.push_back('?');
    return;
  }
  out += buf;
}

bool has_ports(uint8_t ip_proto) {
  return ip_proto == ip_proto_tcp || ip_proto == ip_proto_udp || ip_proto == 33 ||
         ip_proto == 132 || ip_proto == 136;
}

// "10.0.0.1:80", "[2001:db8::1]:443", "example.com:443", or "?" when nothing is known.
void append_endpoint(std::string& out, const IpAddress& ip, uint16_t port, bool ports,
                     std::string_view fqdn) {
  if (!fqdn.empty()) {
    append_display(out, fqdn);
  } else if (ip.is_set()) {
    if (ip.family == 6) out.push_back('[');
    append_ip(out, ip);
    if (ip.family == 6) out.push_back(']');
  } else {
    out.push_back('?');
    return;
  }
  if (ports && ip.is_set()) {
    out.push_back(':');
    append_u64(out, port);
  }
}

// "SYN,ACK,FIN": tcp_flags_to_string() without the spaces, computed once per flags byte.
const std::string& compact_flags(uint8_t flags) {
  static const auto table = [] {
    std::array<std::string, 256> t;
    for (unsigned i = 0; i < t.size(); ++i) {
      for (char c : tcp_flags_to_string(static_cast<uint8_t>(i))) {
        if (c != ' ') t[i].push_back(c);
      }
    }
    return t;
  }();
  return table[flags];
}

// SGR colours: the action (a flow opening, talking, ending; an end that went
// wrong stands out) and the direction of the local socket's connection
// (it connected out, or accepted one in).
constexpr std::string_view sgr_reset = "\x1b[0m";
constexpr std::string_view sgr_green = "\x1b[32m";
constexpr std::string_view sgr_cyan = "\x1b[36m";
constexpr std::string_view sgr_blue = "\x1b[34m";
constexpr std::string_view sgr_red = "\x1b[31m";
constexpr std::string_view sgr_dim = "\x1b[2m";
constexpr std::string_view sgr_yellow = "\x1b[33m";
constexpr std::string_view sgr_magenta = "\x1b[35m";

std::string_view action_colour(const FlowEvent& e) {
  switch (e.action) {
    case FlowAction::start:
      return e.continued.value_or(false) ? sgr_dim : sgr_green;
    case FlowAction::message:
      return sgr_cyan;
    case FlowAction::end:
      switch (e.end_reason) {
        case EndReason::reset:
        case EndReason::lost:
          return sgr_red;
        case EndReason::interval:
          return sgr_dim;
        default:
          return sgr_blue;
      }
  }
  return {};
}

std::string_view direction_colour(std::optional<bool> initiated) {
  if (!initiated) return {};
  return *initiated ? sgr_yellow : sgr_magenta;
}

}  // namespace

void append_bytes(std::string& out, uint64_t v) {
  static constexpr const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (v < 1024) {
    append_u64(out, v);
    out.push_back('B');
    return;
  }
  int unit = 0;
  uint64_t div = 1024;
  while (unit < 5 && v / div >= 1024) div *= 1024, ++unit;
  const uint64_t whole = v / div;
  char buf[32];
  int n;
  if (whole < 100) {
    const auto tenths = static_cast<unsigned>(v % div * 10 / div);  // div <= 2^60: no overflow
    n = std::snprintf(buf, sizeof buf, "%u.%u%s", unsigned(whole), tenths, units[unit]);
  } else {
    n = std::snprintf(buf, sizeof buf, "%" PRIu64 "%s", whole, units[unit]);
  }
  out.append(buf, static_cast<size_t>(n));
}

void append_time_of_day(std::string& out, uint64_t unix_us) {
  const uint64_t ms = unix_us / 1000 % 1000;
  const uint64_t s = unix_us / 1'000'000 % 86400;
  char buf[16];
  const int n = std::snprintf(buf, sizeof buf, "%02u:%02u:%02u.%03uZ", unsigned(s / 3600),
                              unsigned(s / 60 % 60), unsigned(s % 60), unsigned(ms));
  out.append(buf, static_cast<size_t>(n));
}

void append_text_line(const FlowEvent& e, std::string& out, bool colour) {
  LineBuilder line(out);
  // `text` in `colour` when asked, then back to the terminal's own.
  const auto painted = [&](std::string_view sgr, auto&& write) {
    if (colour && !sgr.empty()) line.append_invisible(sgr);
    write();
    if (colour && !sgr.empty()) line.append_invisible(sgr_reset);
  };

  line.to_column(col_time);
  append_time_of_day(out, e.timestamp_us);

  line.to_column(col_action);
  painted(action_colour(e), [&] { out += to_string(e.action); });

  line.to_column(col_process);
  const std::string_view name = !e.exe.empty() ? std::string_view(e.exe) : e.comm;
  if (e.pid) {
    append_u64(out, *e.pid);
  } else {
    out.push_back('-');
  }
  if (!name.empty()) {
    out.push_back('/');
    append_display(out, name);
  }

  line.to_column(col_proto);
  const std::string_view proto = transport_name(e.transport);
  if (!proto.empty()) {
    out += proto;
  } else {
    out += "ip";
    append_u64(out, e.transport);
  }

  const bool ports = has_ports(e.transport);
  line.to_column(col_src);
  append_endpoint(out, e.src_ip, e.src_port, ports, e.src_fqdn);
  line.to_column(col_arrow);
  painted(direction_colour(e.initiated), [&] { out += "->"; });
  line.to_column(col_dest);
  append_endpoint(out, e.dest_ip, e.dest_port, ports, e.dest_fqdn);

  if (e.action == FlowAction::end) {
    if (e.in_bytes) {
      line.to_column(col_details + sub_in);
      out += "in=";
      append_bytes(out, *e.in_bytes);
    }
    if (e.out_bytes) {
      line.to_column(col_details + sub_out);
      out += "out=";
      append_bytes(out, *e.out_bytes);
    }
    if (e.packet_count) {
      line.to_column(col_details + sub_pkts);
      out += "pkts=";
      append_u64(out, *e.packet_count);
    }
    if (e.start_time_us && e.end_time_us && *e.end_time_us >= *e.start_time_us) {
      line.to_column(col_details + sub_dur);
      out += "dur=";
      append_duration(out, *e.end_time_us - *e.start_time_us);
    }
    if (e.end_reason != EndReason::none) {
      line.to_column(col_details + sub_reason);
      out += "reason=";
      out += to_string(e.end_reason);
    }
    if (e.tcp_flags != 0) {
      line.to_column(col_details + sub_flags);
      out += "flags=";
      out += compact_flags(e.tcp_flags);
    }
  }

  // Free-form tail: whatever else is known, in a fixed order.
  const auto tail_item = [&](std::string_view label) {
    line.to_column(col_details);
    out += label;
  };
  if (!e.application_protocol.empty()) {
    tail_item("app=");
    append_display(out, e.application_protocol);
  }
  if (e.network_direction != NetworkDirection::unknown) {
    tail_item("dir=");
    out += to_string(e.network_direction);
  }
  if (!e.src_fqdn.empty() && e.src_ip.is_set()) {
    tail_item("src_ip=");
    append_ip(out, e.src_ip);
  }
  if (!e.dest_fqdn.empty() && e.dest_ip.is_set()) {
    tail_item("dest_ip=");
    append_ip(out, e.dest_ip);
  }
  if (e.message_direction) {
    // Who said it, seen from the local socket; ",tls": the plaintext inside TLS.
    tail_item("msg=");
    const bool out_of_local = *e.message_direction == MessageDirection::out;
    painted(direction_colour(out_of_local), [&] {
      out += to_string(*e.message_direction);
      if (e.content_source == ContentSource::tls_plaintext) out += ",tls";
    });
  }
  if (e.action == FlowAction::message) {
    const std::string_view info =
        !e.proto_info.empty() ? std::string_view(e.proto_info) : e.content;
    if (!info.empty()) {
      tail_item("info=");
      append_display(out, info, max_info_chars);
    }
  }
  line.finish();
}

std::string text_header() {
  std::string out;
  LineBuilder line(out);
  line.to_column(col_time);
  out += "TIME";
  line.to_column(col_action);
  out += "ACTION";
  line.to_column(col_process);
  out += "PID/EXE";
  line.to_column(col_proto);
  out += "PROTO";
  line.to_column(col_src);
  out += "SOURCE";
  line.to_column(col_dest);
  out += "DESTINATION";
  line.to_column(col_details);
  out += "DETAILS";
  line.finish();
  return out;
}

}  // namespace procflow
