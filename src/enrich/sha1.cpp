// Two compressions of the one block: the CPU's SHA instructions where it has them (x86 SHA
// extensions: a few dozen nanoseconds, like OpenSSL's), else plain C (several times slower).
#include "enrich/sha1.h"

#include <cstring>
#include <utility>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define PROCFLOW_SHA1_X86 1
#endif

namespace procflow {
namespace {

constexpr uint32_t kInit[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};

uint32_t rotl(uint32_t x, int n) {
  return (x << n) | (x >> (32 - n));
}

void store_be(const uint32_t h[5], std::array<uint8_t, 20>& out) {
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 4; ++j) out[4 * i + j] = static_cast<uint8_t>(h[i] >> (24 - 8 * j));
}

// FIPS 180-4, 6.1.2, one block.
void compress_portable(const uint8_t block[64], uint32_t h[5]) {
  // The message schedule, 16 words at a time in a ring: w[i] for i >= 16 from the four before.
  uint32_t w[16];
  for (int i = 0; i < 16; ++i)
    w[i] = uint32_t{block[4 * i]} << 24 | uint32_t{block[4 * i + 1]} << 16 |
           uint32_t{block[4 * i + 2]} << 8 | uint32_t{block[4 * i + 3]};
  auto next_word = [&w](int i) {
    if (i < 16) return w[i];
    const uint32_t v = rotl(w[(i - 3) & 15] ^ w[(i - 8) & 15] ^ w[(i - 14) & 15] ^ w[i & 15], 1);
    w[i & 15] = v;
    return v;
  };

  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
  auto round = [&](uint32_t f, uint32_t k, uint32_t word) {
    const uint32_t t = rotl(a, 5) + f + e + k + word;
    e = d;
    d = c;
    c = rotl(b, 30);
    b = a;
    a = t;
  };
  // Four stages of twenty rounds, each with its own function: loops without a branch inside,
  // which the compiler unrolls.
  for (int i = 0; i < 20; ++i) round((b & c) | (~b & d), 0x5A827999, next_word(i));
  for (int i = 20; i < 40; ++i) round(b ^ c ^ d, 0x6ED9EBA1, next_word(i));
  for (int i = 40; i < 60; ++i) round((b & c) | (b & d) | (c & d), 0x8F1BBCDC, next_word(i));
  for (int i = 60; i < 80; ++i) round(b ^ c ^ d, 0xCA62C1D6, next_word(i));
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
}

#ifdef PROCFLOW_SHA1_X86
#define PROCFLOW_SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

// Rounds 4G..4G+3 with the SHA extensions (G >= 1): sha1msg1, an xor and sha1msg2 extend the
// message schedule four words at a time, sha1nexte derives these rounds' E from the A of four
// rounds before, sha1rnds4 does the four rounds (round function G / 5).
template <int G>
PROCFLOW_SHA_TARGET inline void four_rounds(__m128i (&w)[4], __m128i& abcd, __m128i& saved) {
  __m128i& words = w[G % 4];
  if constexpr (G >= 4)  // W[i] = rotl1(W[i-3] ^ W[i-8] ^ W[i-14] ^ W[i-16])
    words = _mm_sha1msg2_epu32(
        _mm_xor_si128(_mm_sha1msg1_epu32(words, w[(G + 1) % 4]), w[(G + 2) % 4]), w[(G + 3) % 4]);
  const __m128i e = _mm_sha1nexte_epu32(saved, words);
  saved = abcd;
  abcd = _mm_sha1rnds4_epu32(abcd, e, G / 5);
}

// Groups 1..19, every index a constant so the message words stay in registers.
template <int... G>
PROCFLOW_SHA_TARGET inline void rounds_4_to_79(__m128i (&w)[4], __m128i& abcd, __m128i& saved,
                                               std::integer_sequence<int, G...>) {
  (four_rounds<G + 1>(w, abcd, saved), ...);
}

PROCFLOW_SHA_TARGET void compress_sha_ni(const uint8_t block[64], uint32_t h[5]) {
  // Big-endian words, the first one in the highest lane, as the instructions want them.
  const __m128i reverse = _mm_set_epi64x(0x0001020304050607ll, 0x08090a0b0c0d0e0fll);
  __m128i w[4];
  for (int i = 0; i < 4; ++i)
    w[i] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 16 * i)),
                            reverse);
  const __m128i abcd_in = _mm_set_epi32(static_cast<int>(h[0]), static_cast<int>(h[1]),
                                        static_cast<int>(h[2]), static_cast<int>(h[3]));
  const __m128i e_in = _mm_set_epi32(static_cast<int>(h[4]), 0, 0, 0);

  __m128i abcd = abcd_in;
  __m128i saved = abcd;  // ABCD before the last four rounds: its A gives the next E
  abcd = _mm_sha1rnds4_epu32(abcd, _mm_add_epi32(e_in, w[0]), 0);
  rounds_4_to_79(w, abcd, saved, std::make_integer_sequence<int, 19>{});
  const __m128i e = _mm_sha1nexte_epu32(saved, e_in);  // the last rounds' E plus the initial one
  abcd = _mm_add_epi32(abcd, abcd_in);
  h[0] = static_cast<uint32_t>(_mm_extract_epi32(abcd, 3));
  h[1] = static_cast<uint32_t>(_mm_extract_epi32(abcd, 2));
  h[2] = static_cast<uint32_t>(_mm_extract_epi32(abcd, 1));
  h[3] = static_cast<uint32_t>(_mm_extract_epi32(abcd, 0));
  h[4] = static_cast<uint32_t>(_mm_extract_epi32(e, 3));
}

bool cpu_has_sha_ni() {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  const bool ssse3_sse41 = (c & bit_SSSE3) && (c & bit_SSE4_1);
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  return ssse3_sse41 && (b & bit_SHA);
}
#endif

// The padded message: data, a 1 bit, zeros, and the length in bits (big-endian) at the end.
void pad(const uint8_t* data, size_t size, uint8_t block[64]) {
  std::memset(block, 0, 64);
  if (size) std::memcpy(block, data, size);  // an empty message may come as a null pointer
  block[size] = 0x80;
  const uint64_t bits = uint64_t{size} * 8;
  for (int i = 0; i < 8; ++i) block[63 - i] = static_cast<uint8_t>(bits >> (8 * i));
}

std::array<uint8_t, 20> digest_of(const uint32_t h[5]) {
  std::array<uint8_t, 20> out;
  store_be(h, out);
  return out;
}

}  // namespace

std::array<uint8_t, 20> sha1_one_block(const uint8_t* data, size_t size) {
  uint8_t block[64];
  pad(data, size, block);
  uint32_t h[5] = {kInit[0], kInit[1], kInit[2], kInit[3], kInit[4]};
#ifdef PROCFLOW_SHA1_X86
  static const bool sha_ni = cpu_has_sha_ni();
  if (sha_ni) {
    compress_sha_ni(block, h);
    return digest_of(h);
  }
#endif
  compress_portable(block, h);
  return digest_of(h);
}

std::array<uint8_t, 20> sha1_one_block_portable(const uint8_t* data, size_t size) {
  uint8_t block[64];
  pad(data, size, block);
  uint32_t h[5] = {kInit[0], kInit[1], kInit[2], kInit[3], kInit[4]};
  compress_portable(block, h);
  return digest_of(h);
}

}  // namespace procflow
