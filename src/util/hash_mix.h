// A 64-bit finaliser for hash tables keyed by data from the network (DNS
// answers, PTR names): with a per-table random seed mixed in, an attacker
// cannot aim many keys at one bucket.
#pragma once

#include <cstdint>

namespace procflow {

// splitmix64's finaliser: every input bit affects every output bit.
inline uint64_t hash_mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace procflow
