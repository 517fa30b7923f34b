// The one-block SHA-1 behind Community IDs, both the path with the CPU's SHA instructions and
// the plain-C one: the FIPS 180-4 examples, and OpenSSL's digest for every length that fits.
#include "enrich/sha1.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace procflow {
namespace {

std::string hex(const uint8_t* d, size_t n) {
  std::string s;
  char b[3];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(b, sizeof b, "%02x", d[i]);
    s += b;
  }
  return s;
}

std::string sha1_hex(const std::string& text) {
  const auto digest = sha1_one_block(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  return hex(digest.data(), digest.size());
}

TEST(Sha1OneBlock, KnownDigests) {
  EXPECT_EQ(sha1_hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  // 55 bytes: the longest message whose padding still fits the block.
  EXPECT_EQ(sha1_hex(std::string(55, 'a')), "c1c8bbdc22796e28c0e15163d20899b65621d65a");
  const std::string abc = "abc";
  const auto portable = sha1_one_block_portable(reinterpret_cast<const uint8_t*>(abc.data()), 3);
  EXPECT_EQ(hex(portable.data(), portable.size()), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(Sha1OneBlock, AgreesWithOpenSslForEveryLength) {
  std::mt19937 rng(1);
  for (size_t size = 0; size <= sha1_one_block_max; ++size) {
    for (int round = 0; round < 50; ++round) {
      std::vector<uint8_t> data(size);
      for (auto& b : data) b = static_cast<uint8_t>(rng());
      uint8_t expected[EVP_MAX_MD_SIZE];
      unsigned int expected_size = 0;
      ASSERT_EQ(EVP_Digest(data.data(), data.size(), expected, &expected_size, EVP_sha1(), nullptr),
                1);
      const auto digest = sha1_one_block(data.data(), data.size());
      ASSERT_EQ(hex(digest.data(), digest.size()), hex(expected, expected_size)) << "size " << size;
    }
  }
}

}  // namespace
}  // namespace procflow
