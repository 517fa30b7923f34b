// Community ID v1 (corelight/community-id-spec). It runs once per flow on the
// event path, so it does no heap work of its own except for the returned
// string: the hash input is at most 40 bytes, one SHA-1 block (enrich/sha1.h).
#include "enrich/community_id.h"

#include <array>
#include <cstring>
#include <string>
#include <utility>

#include "enrich/sha1.h"

namespace procflow {
namespace {

constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoIcmp6 = 58;
constexpr uint8_t kProtoSctp = 132;

// The type that answers `type` in a request/response ICMP exchange, or -1
// when the message has no counterpart (and the flow is then one-way).
int icmp_counterpart(uint8_t proto, uint16_t type) {
  static constexpr std::pair<uint16_t, uint16_t> v4_pairs[] = {
      {8, 0}, {13, 14}, {15, 16}, {10, 9}, {17, 18}};
  static constexpr std::pair<uint16_t, uint16_t> v6_pairs[] = {{128, 129}, {130, 131}, {133, 134},
                                                               {135, 136}, {139, 140}, {144, 145}};
  auto find = [type](const auto& pairs) {
    for (const auto& [a, b] : pairs) {
      if (type == a) return static_cast<int>(b);
      if (type == b) return static_cast<int>(a);
    }
    return -1;
  };
  return proto == kProtoIcmp ? find(v4_pairs) : find(v6_pairs);
}

bool has_ports(uint8_t proto) {
  return proto == ip_proto_tcp || proto == ip_proto_udp || proto == kProtoSctp ||
         proto == kProtoIcmp || proto == kProtoIcmp6;
}

// Standard base64 with padding (RFC 4648), as the spec asks: 20 bytes -> 28 characters.
void append_base64(const uint8_t* data, size_t size, std::string& out) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const uint32_t v = uint32_t{data[i]} << 16 | uint32_t{data[i + 1]} << 8 | data[i + 2];
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(alphabet[(v >> shift) & 63]);
  }
  if (i == size) return;
  const bool two = size - i == 2;
  const uint32_t v = uint32_t{data[i]} << 16 | (two ? uint32_t{data[i + 1]} << 8 : 0);
  out.push_back(alphabet[(v >> 18) & 63]);
  out.push_back(alphabet[(v >> 12) & 63]);
  out.push_back(two ? alphabet[(v >> 6) & 63] : '=');
  out.push_back('=');
}

}  // namespace

std::string community_id(const IpAddress& src, const IpAddress& dst, uint16_t src_port,
                         uint16_t dst_port, uint8_t ip_proto, uint16_t seed) {
  if (!src.is_set() || !dst.is_set()) return "";
  IpAddress saddr = src.unmapped();
  IpAddress daddr = dst.unmapped();
  // A mapped address paired with a real IPv6 one: keep both as IPv6 so the
  // two addresses have the same length.
  if (saddr.family != daddr.family) {
    saddr = src;
    daddr = dst;
    if (saddr.family != daddr.family) return "";
  }

  uint16_t sport = src_port;
  uint16_t dport = dst_port;
  bool one_way = false;
  if (ip_proto == kProtoIcmp || ip_proto == kProtoIcmp6) {
    int counterpart = icmp_counterpart(ip_proto, src_port);
    if (counterpart >= 0) {
      dport = static_cast<uint16_t>(counterpart);
    } else {
      one_way = true;  // dport stays the ICMP code
    }
  }

  const size_t addr_size = saddr.size();
  int order = std::memcmp(saddr.bytes.data(), daddr.bytes.data(), addr_size);
  if (!one_way && (order > 0 || (order == 0 && sport > dport))) {
    std::swap(saddr, daddr);
    std::swap(sport, dport);
  }

  // seed(2) saddr(4|16) daddr(4|16) proto(1) pad(1) sport(2) dport(2)
  std::array<uint8_t, 2 + 16 + 16 + 1 + 1 + 2 + 2> buf{};
  size_t n = 0;
  auto put16 = [&](uint16_t v) {
    buf[n++] = static_cast<uint8_t>(v >> 8);
    buf[n++] = static_cast<uint8_t>(v & 0xff);
  };
  put16(seed);
  std::memcpy(buf.data() + n, saddr.bytes.data(), addr_size);
  n += addr_size;
  std::memcpy(buf.data() + n, daddr.bytes.data(), addr_size);
  n += addr_size;
  buf[n++] = ip_proto;
  buf[n++] = 0;
  if (has_ports(ip_proto)) {
    put16(sport);
    put16(dport);
  }

  static_assert(sizeof buf <= sha1_one_block_max);
  const std::array<uint8_t, 20> digest = sha1_one_block(buf.data(), n);
  std::string out;
  out.reserve(2 + 28);
  out.append("1:");
  append_base64(digest.data(), digest.size(), out);
  return out;
}

}  // namespace procflow
