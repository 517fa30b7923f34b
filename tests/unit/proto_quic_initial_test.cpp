// QUIC v1 client Initials: the key schedule against RFC 9001 Appendix A.1,
// then a real OpenSSL ClientHello carried in CRYPTO frames (split, out of
// order, padded) and protected here as a QUIC client would, read back.
#include <gtest/gtest.h>

#include <vector>

#include "proto/quic_initial.h"
#include "proto_quic_packet.h"
#include "proto_tls_peer.h"

namespace procflow {
namespace {

using test::crypto_frame;
using test::protect_initial;

std::vector<uint8_t> hex(std::string_view text) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < text.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
  return out;
}

template <size_t N>
std::vector<uint8_t> bytes(const std::array<uint8_t, N>& a) {
  return {a.begin(), a.end()};
}

const std::vector<uint8_t> rfc9001_dcid = hex("8394c8f03e515708");

TEST(ProtoQuicInitial, KeysMatchRfc9001AppendixA1) {
  auto keys = quic_client_initial_keys(rfc9001_dcid);
  ASSERT_TRUE(keys);
  EXPECT_EQ(bytes(keys->key), hex("1f369613dd76d5467730efcbe3b1a22d"));
  EXPECT_EQ(bytes(keys->iv), hex("fa044b2f42a3fd3b46fb255c"));
  EXPECT_EQ(bytes(keys->hp), hex("9f50449e04a0e810283a1e9933adedd2"));
}

TEST(ProtoQuicInitial, OpenSslClientHelloInSplitCryptoFrames) {
  auto exchange = test::tls_exchange({.sni = "quic.a.test", .alpn = {"h3"}});
  // The handshake message without its TLS record header.
  std::span<const uint8_t> hello(exchange.client_hello);
  hello = hello.subspan(5);
  size_t half = hello.size() / 2;
  std::vector<uint8_t> frames = {0x01};                         // PING
  crypto_frame(frames, half, hello.subspan(half));              // the second half first
  frames.insert(frames.end(), {0x02, 0x00, 0x00, 0x00, 0x00});  // ACK, no ranges
  crypto_frame(frames, 0, hello.first(half));
  frames.resize(1162, 0x00);  // PADDING to a 1200-byte datagram

  auto packet = protect_initial(rfc9001_dcid, frames);
  auto parsed = parse_quic_client_initial(packet);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->sni, "quic.a.test");
  EXPECT_EQ(parsed->alpn, std::vector<std::string>{"h3"});
  EXPECT_EQ(parsed->version, 0x0304);
  EXPECT_EQ(parsed->ja4.substr(0, 4), "q13d");

  // A flipped ciphertext bit fails authentication; a cut packet is refused.
  auto tampered = packet;
  tampered[60] ^= 1;
  EXPECT_FALSE(parse_quic_client_initial(tampered));
  for (size_t length = 0; length < packet.size(); length += 7)
    EXPECT_FALSE(parse_quic_client_initial(std::span(packet.data(), length)));
}

TEST(ProtoQuicInitial, OnlyTheFirstCryptoBytesWithoutHole) {
  auto exchange = test::tls_exchange({.sni = "quic.a.test"});
  std::span<const uint8_t> hello(exchange.client_hello);
  hello = hello.subspan(5);
  std::vector<uint8_t> frames;
  crypto_frame(frames, 10, hello.subspan(10));  // bytes 0-9 missing
  frames.resize(1162, 0x00);
  EXPECT_FALSE(parse_quic_client_initial(protect_initial(rfc9001_dcid, frames)));
}

}  // namespace
}  // namespace procflow
