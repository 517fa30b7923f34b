// Community ID v1 (corelight/community-id-spec) computed with OpenSSL's
// SHA-1. It runs once per flow on the event path, so it does no heap work of
// its own except for the returned string.
#include "enrich/community_id.h"

#include <openssl/evp.h>

#include <array>
#include <cstring>
#include <string>
#include <utility>

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

// One fetched SHA-1 and one digest context per thread, created on first use
// and reused: fetching per call costs a name look-up and allocations. (The
// OpenSSL 3.0 provider still allocates its small SHA-1 state on each init.)
class Sha1 {
 public:
  Sha1() : md_(EVP_MD_fetch(nullptr, "SHA1", nullptr)), ctx_(EVP_MD_CTX_new()) {}
  ~Sha1() {
    EVP_MD_CTX_free(ctx_);
    EVP_MD_free(md_);
  }
  Sha1(const Sha1&) = delete;
  Sha1& operator=(const Sha1&) = delete;

  bool digest(const uint8_t* data, size_t size, uint8_t out[20]) {
    if (md_ == nullptr || ctx_ == nullptr) return false;
    unsigned int out_size = 0;
    return EVP_DigestInit_ex2(ctx_, md_, nullptr) == 1 && EVP_DigestUpdate(ctx_, data, size) == 1 &&
           EVP_DigestFinal_ex(ctx_, out, &out_size) == 1 && out_size == 20;
  }

 private:
  EVP_MD* md_;
  EVP_MD_CTX* ctx_;
};

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

  thread_local Sha1 sha1;
  uint8_t digest[20];
  if (!sha1.digest(buf.data(), n, digest)) return "";

  // 20 bytes encode to 28 base64 characters, plus the NUL EVP_EncodeBlock writes.
  unsigned char encoded[29];
  int encoded_size = EVP_EncodeBlock(encoded, digest, sizeof digest);
  std::string out;
  out.reserve(2 + static_cast<size_t>(encoded_size));
  out.append("1:");
  out.append(reinterpret_cast<const char*>(encoded), static_cast<size_t>(encoded_size));
  return out;
}

}  // namespace procflow
