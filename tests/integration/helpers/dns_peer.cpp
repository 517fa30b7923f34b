// Integration-test helper: both ends of a DNS exchange, and a forger, with
// DNS messages encoded by hand (no resolver library), so a test chooses every
// byte that matters to procflow: the transaction id, the question, the
// answer, the ports and addresses, the timing. IPv4 only; one JSON line per
// event, so the test knows exactly what was sent and what arrived.
//
//   dns_peer query SERVER_IP SERVER_PORT NAME --id N [--bind IP] [--local-port P]
//                  [--no-query] [--answers K] [--timeout-ms T]
//     one UDP socket, unconnected (so it receives whatever reaches its port,
//     from anyone), bound to IP:P (default 0.0.0.0 and an ephemeral port);
//     prints {"ready":true,"pid":..,"local_ip":..,"local_port":..}; then sends
//     one query (id N, RD, question NAME type A class IN) to SERVER, unless
//     --no-query (a socket that only waits: the target of an unsolicited
//     answer); then receives datagrams until K (default 1) arrived or T ms
//     (default 5000) passed, and prints
//     -> {"pid":..,"local_ip":..,"local_port":..,"queried":..,"id":..,"name":..,
//         "answers":..,"answer_from":..,"answer_from_port":..,"answer_id":..,
//         "answer_name":..,"answer_rcode":..,"answer_a":"A,B","answer_ms":..}
//     (the answer_* fields describe the first datagram received, and are
//     absent when none came; answer_ms counts from the query).     exit 0
//   dns_peer respond IP PORT --answer A.B.C.D [--answer ...] [--mode MODE]
//                    [--other-name NAME] [--queries N]
//     binds IP:PORT (UDP), prints {"listening":true,"pid":..,"port":..}, then
//     answers N queries (default 1) with the A records given, TTL 300, as MODE
//     says: correct (the query's id and question), wrong-id (id + 1),
//     other-name (the query's id, question --other-name, default
//     bank.example, records for that name), delay:SEC (correct, SEC seconds
//     late), silent (no answer). Per query:
//     -> {"pid":..,"query_from":..,"query_from_port":..,"query_id":..,
//         "query_name":..,"answered":..,"answer_id":..,"answer_name":..,
//         "answer_a":"A,B","delay_ms":..}                            exit 0
//   dns_peer forge DEST_IP DEST_PORT --from IP --from-port P --id N --name NAME
//                  --answer A.B.C.D [--answer ...] [--raw]
//     sends one unsolicited response (id N, question NAME type A, the A
//     records, TTL 300) to DEST. Without --raw from a UDP socket bound to
//     IP:P (SO_REUSEADDR; ports >= 1024 need no privilege); with --raw as a
//     hand-built IPv4/UDP packet on a raw socket (IP_HDRINCL, needs
//     CAP_NET_RAW) whose source IP:P is whatever --from says, no local
//     address needed (a spoofed source), UDP checksum computed.
//     -> {"pid":..,"uid":..,"raw":..,"from":..,"from_port":..,"to":..,
//         "to_port":..,"id":..,"name":..,"answer_a":"A,B","bytes":..}   exit 0
//   any failure: {"pid":..,"error":"..."}                              exit 1
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/time.h>

#include <cctype>
#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "socket_util.h"

namespace {

constexpr uint16_t kTypeA = 1;
constexpr uint16_t kClassIn = 1;
constexpr uint32_t kTtl = 300;
constexpr size_t kHeaderBytes = 12;

int usage() {
  std::fprintf(stderr,
               "usage: dns_peer query SERVER_IP SERVER_PORT NAME --id N [--bind IP]"
               " [--local-port P] [--no-query] [--answers K] [--timeout-ms T]\n"
               "       dns_peer respond IP PORT --answer A.B.C.D [--answer ..]"
               " [--mode correct|wrong-id|other-name|delay:SEC|silent] [--other-name NAME]"
               " [--queries N]\n"
               "       dns_peer forge DEST_IP DEST_PORT --from IP --from-port P --id N"
               " --name NAME --answer A.B.C.D [--answer ..] [--raw]\n");
  return 2;
}

int fail(const std::string& what) {
  pf_helper::emit_line(R"({"pid":%d,"error":"%s: %s"})", getpid(), what.c_str(),
                       std::strerror(errno));
  return 1;
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// ---- DNS wire format (RFC 1035), just what the tests need ----------------

using Bytes = std::vector<uint8_t>;

void put16(Bytes& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void put32(Bytes& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v >> 16));
  put16(out, static_cast<uint16_t>(v));
}

// "a.b.example" -> 1 'a' 1 'b' 7 'example' 0; false for an empty label or one over 63.
bool put_name(Bytes& out, const std::string& name) {
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    const size_t len = dot - start;
    if (len == 0 || len > 63) return false;
    out.push_back(static_cast<uint8_t>(len));
    out.insert(out.end(), name.begin() + static_cast<long>(start),
               name.begin() + static_cast<long>(dot));
    start = dot + 1;
  }
  out.push_back(0);
  return true;
}

Bytes encode_query(uint16_t id, const std::string& name) {
  Bytes out;
  put16(out, id);
  put16(out, 0x0100);  // QR=0, opcode QUERY, RD
  put16(out, 1);       // QDCOUNT
  put16(out, 0);
  put16(out, 0);
  put16(out, 0);
  put_name(out, name);
  put16(out, kTypeA);
  put16(out, kClassIn);
  return out;
}

// A NOERROR response: question NAME/A/IN, one A record per address, each
// owned by the question name (a compression pointer to offset 12).
Bytes encode_response(uint16_t id, const std::string& name, const std::vector<in_addr>& answers) {
  Bytes out;
  put16(out, id);
  put16(out, 0x8180);  // QR, opcode QUERY, RD, RA, NOERROR
  put16(out, 1);
  put16(out, static_cast<uint16_t>(answers.size()));
  put16(out, 0);
  put16(out, 0);
  put_name(out, name);
  put16(out, kTypeA);
  put16(out, kClassIn);
  for (const in_addr& a : answers) {
    put16(out, 0xC000 | kHeaderBytes);
    put16(out, kTypeA);
    put16(out, kClassIn);
    put32(out, kTtl);
    put16(out, 4);
    const auto* b = reinterpret_cast<const uint8_t*>(&a.s_addr);
    out.insert(out.end(), b, b + 4);
  }
  return out;
}

struct Decoded {
  uint16_t id = 0;
  bool response = false;
  int rcode = 0;
  std::string name;            // the first question's, dotted, as sent
  std::vector<std::string> a;  // the answer section's A records
};

uint16_t get16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

// Reads the name at `pos` (following compression pointers, at most 32 hops)
// into `name` if given; advances `pos` past the name as it is in place.
bool read_name(const uint8_t* msg, size_t len, size_t& pos, std::string* name) {
  size_t at = pos;
  bool jumped = false;
  for (int hops = 0; hops < 32;) {
    if (at >= len) return false;
    const uint8_t n = msg[at];
    if (n == 0) {
      if (!jumped) pos = at + 1;
      return true;
    }
    if ((n & 0xC0) == 0xC0) {
      if (at + 1 >= len) return false;
      if (!jumped) pos = at + 2;
      jumped = true;
      at = static_cast<size_t>(get16(msg + at) & 0x3FFF);
      ++hops;
      continue;
    }
    if ((n & 0xC0) != 0 || at + 1 + n > len) return false;
    if (name) {
      if (!name->empty()) name->push_back('.');
      name->append(reinterpret_cast<const char*>(msg + at + 1), n);
    }
    at += 1 + n;
  }
  return false;
}

std::optional<Decoded> decode(const uint8_t* msg, size_t len) {
  if (len < kHeaderBytes) return std::nullopt;
  Decoded d;
  d.id = get16(msg);
  const uint16_t flags = get16(msg + 2);
  d.response = (flags & 0x8000) != 0;
  d.rcode = flags & 0x000F;
  const uint16_t qdcount = get16(msg + 4);
  const uint16_t ancount = get16(msg + 6);
  size_t pos = kHeaderBytes;
  for (uint16_t i = 0; i < qdcount; ++i) {
    if (!read_name(msg, len, pos, i == 0 ? &d.name : nullptr) || pos + 4 > len) return std::nullopt;
    pos += 4;
  }
  for (uint16_t i = 0; i < ancount; ++i) {
    if (!read_name(msg, len, pos, nullptr) || pos + 10 > len) return std::nullopt;
    const uint16_t type = get16(msg + pos);
    const uint16_t rdlength = get16(msg + pos + 8);
    pos += 10;
    if (pos + rdlength > len) return std::nullopt;
    if (type == kTypeA && rdlength == 4) {
      char text[INET_ADDRSTRLEN] = {};
      inet_ntop(AF_INET, msg + pos, text, sizeof(text));
      d.a.push_back(text);
    }
    pos += rdlength;
  }
  return d;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ",") + p;
  return out;
}

std::string join(const std::vector<in_addr>& addresses) {
  std::vector<std::string> parts;
  for (const in_addr& a : addresses) {
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &a, text, sizeof(text));
    parts.push_back(text);
  }
  return join(parts);
}

// Only names the tests choose appear in the JSON: letters, digits, '-', '.'.
bool plain_name(const std::string& name) {
  if (name.empty() || name.size() > 200) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
  }
  return true;
}
// A decoded name is printed only if plain; anything else shows as "?".
std::string printable(const std::string& name) {
  return plain_name(name) ? name : "?";
}

bool parse_ipv4(const char* text, in_addr& out) {
  return inet_pton(AF_INET, text, &out) == 1;
}

bool parse_id(const char* text, uint16_t& out) {
  long value = pf_helper::parse_count(text, "--id");
  if (value > 0xFFFF) return false;
  out = static_cast<uint16_t>(value);
  return true;
}

sockaddr_in ipv4_endpoint(const in_addr& address, uint16_t port) {
  sockaddr_in out{};
  out.sin_family = AF_INET;
  out.sin_addr = address;
  out.sin_port = htons(port);
  return out;
}

std::string text_of(const in_addr& address) {
  char text[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &address, text, sizeof(text));
  return text;
}

// ---- query ----------------------------------------------------------------

int run_query(int argc, char** argv) {
  if (argc < 5) return usage();
  in_addr server{};
  if (!parse_ipv4(argv[2], server)) return usage();
  const long server_port = pf_helper::parse_count(argv[3], "SERVER_PORT");
  const std::string name = argv[4];
  if (server_port > 65535 || !plain_name(name)) return usage();
  std::optional<uint16_t> id;
  in_addr bind_ip{};
  bind_ip.s_addr = htonl(INADDR_ANY);
  long local_port = 0;
  bool send_query = true;
  long want_answers = 1;
  long timeout_ms = 5000;
  for (int i = 5; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--id" && i + 1 < argc) {
      uint16_t value = 0;
      if (!parse_id(argv[++i], value)) return usage();
      id = value;
    } else if (arg == "--bind" && i + 1 < argc) {
      if (!parse_ipv4(argv[++i], bind_ip)) return usage();
    } else if (arg == "--local-port" && i + 1 < argc) {
      local_port = pf_helper::parse_count(argv[++i], "--local-port");
      if (local_port > 65535) return usage();
    } else if (arg == "--no-query") {
      send_query = false;
    } else if (arg == "--answers" && i + 1 < argc) {
      want_answers = pf_helper::parse_count(argv[++i], "--answers");
    } else if (arg == "--timeout-ms" && i + 1 < argc) {
      timeout_ms = pf_helper::parse_count(argv[++i], "--timeout-ms");
    } else {
      return usage();
    }
  }
  if (!id) return usage();

  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail("socket");
  sockaddr_in local = ipv4_endpoint(bind_ip, static_cast<uint16_t>(local_port));
  if (bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof(local)) != 0) {
    return fail("bind");
  }
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_len);
  const std::string local_ip = pf_helper::address_of(bound);
  const int port = pf_helper::port_of(bound);
  pf_helper::emit_line(R"({"ready":true,"pid":%d,"local_ip":"%s","local_port":%d})", getpid(),
                       local_ip.c_str(), port);

  const int64_t started = now_ms();
  if (send_query) {
    const Bytes query = encode_query(*id, name);
    sockaddr_in to = ipv4_endpoint(server, static_cast<uint16_t>(server_port));
    if (sendto(fd, query.data(), query.size(), 0, reinterpret_cast<const sockaddr*>(&to),
               sizeof(to)) != static_cast<ssize_t>(query.size())) {
      return fail("sendto");
    }
  }

  long answers = 0;
  std::string first;  // the first datagram's fields, as JSON members
  static uint8_t buffer[65535];
  while (answers < want_answers) {
    const int64_t left = started + timeout_ms - now_ms();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return fail("poll");
    if (ready == 0) break;
    sockaddr_storage from{};
    socklen_t from_len = sizeof(from);
    ssize_t n =
        recvfrom(fd, buffer, sizeof(buffer), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("recvfrom");
    const int64_t at = now_ms() - started;
    if (++answers > 1) continue;
    auto d = decode(buffer, static_cast<size_t>(n));
    char fields[768];
    std::snprintf(fields, sizeof(fields),
                  R"(,"answer_from":"%s","answer_from_port":%d,"answer_id":%d,)"
                  R"("answer_name":"%s","answer_rcode":%d,"answer_a":"%s","answer_ms":%lld)",
                  pf_helper::address_of(from).c_str(), pf_helper::port_of(from), d ? d->id : -1,
                  d ? printable(d->name).c_str() : "?", d ? d->rcode : -1,
                  d ? join(d->a).c_str() : "", static_cast<long long>(at));
    first = fields;
  }
  pf_helper::emit_line(
      R"({"pid":%d,"local_ip":"%s","local_port":%d,"queried":%s,"id":%d,"name":"%s",)"
      R"("answers":%ld%s})",
      getpid(), local_ip.c_str(), port, send_query ? "true" : "false", *id, name.c_str(), answers,
      first.c_str());
  close(fd);
  return 0;
}

// ---- respond ----------------------------------------------------------------

int run_respond(int argc, char** argv) {
  if (argc < 4) return usage();
  in_addr ip{};
  if (!parse_ipv4(argv[2], ip)) return usage();
  const long port = pf_helper::parse_count(argv[3], "PORT");
  if (port > 65535) return usage();
  std::vector<in_addr> answers;
  std::string mode = "correct";
  std::string other_name = "bank.example";
  long queries = 1;
  for (int i = 4; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--answer" && i + 1 < argc) {
      in_addr a{};
      if (!parse_ipv4(argv[++i], a)) return usage();
      answers.push_back(a);
    } else if (arg == "--mode" && i + 1 < argc) {
      mode = argv[++i];
    } else if (arg == "--other-name" && i + 1 < argc) {
      other_name = argv[++i];
      if (!plain_name(other_name)) return usage();
    } else if (arg == "--queries" && i + 1 < argc) {
      queries = pf_helper::parse_count(argv[++i], "--queries");
    } else {
      return usage();
    }
  }
  long delay_ms = 0;
  if (mode.rfind("delay:", 0) == 0) {
    char* end = nullptr;
    double seconds = std::strtod(mode.c_str() + 6, &end);
    if (*end != '\0' || seconds < 0 || seconds > 60) return usage();
    delay_ms = static_cast<long>(seconds * 1000);
  } else if (mode != "correct" && mode != "wrong-id" && mode != "other-name" && mode != "silent") {
    return usage();
  }
  if (answers.empty() && mode != "silent") return usage();

  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail("socket");
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
  sockaddr_in local = ipv4_endpoint(ip, static_cast<uint16_t>(port));
  if (bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof(local)) != 0) {
    return fail("bind");
  }
  pf_helper::emit_line(R"({"listening":true,"pid":%d,"port":%d})", getpid(),
                       pf_helper::local_port(fd));
  // A client that never comes must not keep the responder (and the test) alive.
  timeval timeout{30, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));

  static uint8_t buffer[65535];
  for (long served = 0; served < queries;) {
    sockaddr_storage from{};
    socklen_t from_len = sizeof(from);
    ssize_t n =
        recvfrom(fd, buffer, sizeof(buffer), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("recvfrom");
    auto query = decode(buffer, static_cast<size_t>(n));
    if (!query || query->response) continue;  // not a query: not counted
    ++served;
    uint16_t id = query->id;
    std::string name = query->name;
    if (mode == "wrong-id") id = static_cast<uint16_t>(id + 1);
    if (mode == "other-name") name = other_name;
    bool answered = false;
    if (mode != "silent") {
      if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      const Bytes response = encode_response(id, name, answers);
      if (sendto(fd, response.data(), response.size(), 0, reinterpret_cast<sockaddr*>(&from),
                 from_len) != static_cast<ssize_t>(response.size())) {
        return fail("sendto");
      }
      answered = true;
    }
    pf_helper::emit_line(
        R"({"pid":%d,"query_from":"%s","query_from_port":%d,"query_id":%d,"query_name":"%s",)"
        R"("answered":%s,"answer_id":%d,"answer_name":"%s","answer_a":"%s","delay_ms":%ld})",
        getpid(), pf_helper::address_of(from).c_str(), pf_helper::port_of(from), query->id,
        printable(query->name).c_str(), answered ? "true" : "false", id, printable(name).c_str(),
        answered ? join(answers).c_str() : "", delay_ms);
  }
  close(fd);
  return 0;
}

// ---- forge ------------------------------------------------------------------

// The Internet checksum (RFC 1071) of `parts`, each an even length except the last.
uint16_t checksum(std::initializer_list<std::pair<const void*, size_t>> parts) {
  uint32_t sum = 0;
  for (const auto& [data, len] : parts) {
    const auto* p = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i + 1 < len; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
    if (len % 2) sum += static_cast<uint32_t>(p[len - 1] << 8);
  }
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// Sends `payload` as one IPv4/UDP packet from `from` to `to`, both headers
// built here; the source need not be an address of this host.
bool send_raw(const sockaddr_in& from, const sockaddr_in& to, const Bytes& payload) {
  int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);  // implies IP_HDRINCL
  if (fd < 0) return false;
  int on = 1;
  setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &on, sizeof(on));

  udphdr udp{};
  udp.source = from.sin_port;
  udp.dest = to.sin_port;
  udp.len = htons(static_cast<uint16_t>(sizeof(udp) + payload.size()));
  struct {
    uint32_t src, dst;
    uint8_t zero, proto;
    uint16_t len;
  } __attribute__((packed))
  pseudo{from.sin_addr.s_addr, to.sin_addr.s_addr, 0, IPPROTO_UDP, udp.len};
  uint16_t sum =
      checksum({{&pseudo, sizeof(pseudo)}, {&udp, sizeof(udp)}, {payload.data(), payload.size()}});
  udp.check = htons(sum == 0 ? 0xFFFF : sum);  // 0 would mean "no checksum"

  iphdr ip{};
  ip.version = 4;
  ip.ihl = sizeof(ip) / 4;
  ip.ttl = 64;
  ip.protocol = IPPROTO_UDP;
  ip.tot_len = htons(static_cast<uint16_t>(sizeof(ip) + sizeof(udp) + payload.size()));
  ip.id = htons(static_cast<uint16_t>(getpid()));
  ip.saddr = from.sin_addr.s_addr;
  ip.daddr = to.sin_addr.s_addr;
  ip.check = htons(checksum({{&ip, sizeof(ip)}}));

  Bytes packet(reinterpret_cast<const uint8_t*>(&ip), reinterpret_cast<const uint8_t*>(&ip + 1));
  packet.insert(packet.end(), reinterpret_cast<const uint8_t*>(&udp),
                reinterpret_cast<const uint8_t*>(&udp + 1));
  packet.insert(packet.end(), payload.begin(), payload.end());
  ssize_t n = sendto(fd, packet.data(), packet.size(), 0, reinterpret_cast<const sockaddr*>(&to),
                     sizeof(to));
  const int saved = errno;
  close(fd);
  errno = saved;
  return n == static_cast<ssize_t>(packet.size());
}

int run_forge(int argc, char** argv) {
  if (argc < 4) return usage();
  in_addr dest{};
  if (!parse_ipv4(argv[2], dest)) return usage();
  const long dest_port = pf_helper::parse_count(argv[3], "DEST_PORT");
  std::optional<in_addr> from;
  long from_port = -1;
  std::optional<uint16_t> id;
  std::string name;
  std::vector<in_addr> answers;
  bool raw = false;
  for (int i = 4; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--from" && i + 1 < argc) {
      in_addr a{};
      if (!parse_ipv4(argv[++i], a)) return usage();
      from = a;
    } else if (arg == "--from-port" && i + 1 < argc) {
      from_port = pf_helper::parse_count(argv[++i], "--from-port");
    } else if (arg == "--id" && i + 1 < argc) {
      uint16_t value = 0;
      if (!parse_id(argv[++i], value)) return usage();
      id = value;
    } else if (arg == "--name" && i + 1 < argc) {
      name = argv[++i];
    } else if (arg == "--answer" && i + 1 < argc) {
      in_addr a{};
      if (!parse_ipv4(argv[++i], a)) return usage();
      answers.push_back(a);
    } else if (arg == "--raw") {
      raw = true;
    } else {
      return usage();
    }
  }
  if (dest_port > 65535 || !from || from_port < 1 || from_port > 65535 || !id ||
      !plain_name(name) || answers.empty()) {
    return usage();
  }
  const Bytes response = encode_response(*id, name, answers);
  const sockaddr_in source = ipv4_endpoint(*from, static_cast<uint16_t>(from_port));
  const sockaddr_in to = ipv4_endpoint(dest, static_cast<uint16_t>(dest_port));
  if (raw) {
    if (!send_raw(source, to, response)) return fail("raw sendto");
  } else {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail("socket");
    int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (bind(fd, reinterpret_cast<const sockaddr*>(&source), sizeof(source)) != 0) {
      return fail("bind");
    }
    if (sendto(fd, response.data(), response.size(), 0, reinterpret_cast<const sockaddr*>(&to),
               sizeof(to)) != static_cast<ssize_t>(response.size())) {
      return fail("sendto");
    }
    close(fd);
  }
  pf_helper::emit_line(
      R"({"pid":%d,"uid":%u,"raw":%s,"from":"%s","from_port":%ld,"to":"%s","to_port":%ld,)"
      R"("id":%d,"name":"%s","answer_a":"%s","bytes":%zu})",
      getpid(), getuid(), raw ? "true" : "false", text_of(*from).c_str(), from_port,
      text_of(dest).c_str(), dest_port, *id, name.c_str(), join(answers).c_str(), response.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  if (std::strcmp(argv[1], "query") == 0) return run_query(argc, argv);
  if (std::strcmp(argv[1], "respond") == 0) return run_respond(argc, argv);
  if (std::strcmp(argv[1], "forge") == 0) return run_forge(argc, argv);
  return usage();
}
