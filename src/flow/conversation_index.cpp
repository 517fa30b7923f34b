#include "flow/conversation_index.h"

#include <cstring>
#include <random>

#include "util/hash_mix.h"

namespace procflow {
namespace {

// Tuples come from packets anyone can send: a seed per process keeps them
// from being aimed at one bucket.
const uint64_t kSeed = [] {
  std::random_device rd;
  return (uint64_t{rd()} << 32) | rd();
}();

std::array<uint8_t, 16> address_bytes(const IpAddress& a) {
  std::array<uint8_t, 16> out{};
  std::memcpy(out.data(), a.bytes.data(), a.size());
  return out;
}

}  // namespace

ConversationKey conversation_key(const IpAddress& a_in, uint16_t port_a, const IpAddress& b_in,
                                 uint16_t port_b, uint8_t transport) {
  const IpAddress a = a_in.unmapped(), b = b_in.unmapped();
  ConversationKey k;
  k.family = a.family;
  k.transport = transport;
  auto ab = address_bytes(a), bb = address_bytes(b);
  if (std::tie(ab, port_a) <= std::tie(bb, port_b)) {
    k.addr_lo = ab, k.port_lo = port_a, k.addr_hi = bb, k.port_hi = port_b;
  } else {
    k.addr_lo = bb, k.port_lo = port_b, k.addr_hi = ab, k.port_hi = port_a;
  }
  return k;
}

size_t hash_conversation(const ConversationKey& k) noexcept {
  uint64_t words[4];
  std::memcpy(&words[0], k.addr_lo.data(), 8);
  std::memcpy(&words[1], k.addr_lo.data() + 8, 8);
  uint64_t h = hash_mix(kSeed ^ words[0]) ^ words[1];
  std::memcpy(&words[2], k.addr_hi.data(), 8);
  std::memcpy(&words[3], k.addr_hi.data() + 8, 8);
  h = hash_mix(h ^ words[2]) ^ words[3];
  h = hash_mix(
      h ^ (uint64_t{k.port_lo} << 32 | uint64_t{k.port_hi} << 16 | k.transport << 8 | k.family));
  return static_cast<size_t>(h);
}

}  // namespace procflow
