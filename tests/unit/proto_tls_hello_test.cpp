// TLS hellos from a real OpenSSL 3 client and server (in-process, memory
// BIOs), and JA4 against the JA4 specification's own example lists.
#include <gtest/gtest.h>

#include <regex>

#include "proto/ja4.h"
#include "proto/tls_hello.h"
#include "proto_tls_peer.h"

namespace procflow {
namespace {

using test::tls_exchange;

TEST(ProtoTlsHello, OpenSslClientHelloTls13) {
  auto exchange = tls_exchange({.sni = "a.test", .alpn = {"h2", "http/1.1"}});
  auto hello = parse_tls_hello(exchange.client_hello);
  ASSERT_TRUE(hello);
  EXPECT_TRUE(hello->client);
  EXPECT_EQ(hello->version, 0x0304);
  EXPECT_EQ(hello->sni, "a.test");
  EXPECT_EQ(hello->alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  // OpenSSL's cipher and extension lists vary by build; the fixed parts are checked here
  // and the hashes against the specification's vector below.
  EXPECT_TRUE(std::regex_match(hello->ja4, std::regex("t13d[0-9]{4}h2_[0-9a-f]{12}_[0-9a-f]{12}")))
      << hello->ja4;
  EXPECT_EQ(
      tls_proto_info(*hello),
      "handshake=client_hello; version=TLS1.3; sni=a.test; alpn=h2,http/1.1; ja4=" + hello->ja4);
}

TEST(ProtoTlsHello, OpenSslServerHelloTls13) {
  auto exchange = tls_exchange({.sni = "a.test", .alpn = {"h2", "http/1.1"}});
  auto hello = parse_tls_hello(exchange.server_hello);
  ASSERT_TRUE(hello);
  EXPECT_FALSE(hello->client);
  EXPECT_EQ(hello->version, 0x0304);
  EXPECT_EQ(hello->cipher, 0x1301);
  // TLS 1.3 sends the selected ALPN in EncryptedExtensions, after the ServerHello.
  EXPECT_TRUE(hello->alpn.empty());
  EXPECT_EQ(tls_proto_info(*hello), "handshake=server_hello; version=TLS1.3; cipher=0x1301");
}

TEST(ProtoTlsHello, OpenSslServerHelloTls12CarriesAlpn) {
  auto exchange = tls_exchange({.sni = "a.test", .alpn = {"http/1.1", "h2"}, .max_tls12 = true});
  auto client = parse_tls_hello(exchange.client_hello);
  ASSERT_TRUE(client);
  EXPECT_EQ(
      tls_proto_info(*client),
      "handshake=client_hello; version=TLS1.2; sni=a.test; alpn=http/1.1,h2; ja4=" + client->ja4);
  EXPECT_EQ(client->ja4.substr(0, 4), "t12d");
  auto server = parse_tls_hello(exchange.server_hello);
  ASSERT_TRUE(server);
  EXPECT_EQ(tls_proto_info(*server),
            "handshake=server_hello; version=TLS1.2; cipher=0xc02b; alpn=h2");
}

TEST(ProtoTlsHello, OpenSslTls12WithoutAlpnOrSni) {
  auto exchange = tls_exchange({.max_tls12 = true});
  auto client = parse_tls_hello(exchange.client_hello);
  ASSERT_TRUE(client);
  EXPECT_EQ(client->version, 0x0303);
  EXPECT_EQ(client->sni, "");
  EXPECT_TRUE(client->alpn.empty());
  EXPECT_TRUE(std::regex_match(client->ja4, std::regex("t12i[0-9]{4}00_[0-9a-f]{12}_[0-9a-f]{12}")))
      << client->ja4;
  auto server = parse_tls_hello(exchange.server_hello);
  ASSERT_TRUE(server);
  EXPECT_EQ(tls_proto_info(*server), "handshake=server_hello; version=TLS1.2; cipher=0xc02b");
}

TEST(ProtoTlsHello, TruncatedHelloDecodesWhatIsThereWithoutJa4) {
  auto exchange = tls_exchange({.sni = "a.test", .alpn = {"h2"}});
  const auto& bytes = exchange.client_hello;
  for (size_t length = 0; length < bytes.size(); ++length) {
    auto hello = parse_tls_hello(std::span(bytes.data(), length));
    if (hello) EXPECT_EQ(hello->ja4, "") << length;
  }
  // Cut inside the record and the handshake message, after OpenSSL's SNI
  // (its first extension): the name is still read.
  auto full = parse_tls_hello(bytes);
  ASSERT_TRUE(full);
  auto cut = parse_tls_hello(std::span(bytes.data(), bytes.size() - 1));
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->sni, "a.test");
  EXPECT_EQ(cut->ja4, "");
}

TEST(ProtoTlsHello, NotAHello) {
  const uint8_t application_data[] = {23, 3, 3, 0, 2, 1, 2};
  EXPECT_FALSE(parse_tls_hello(application_data));
  const uint8_t text[] = {'G', 'E', 'T', ' ', '/'};
  EXPECT_FALSE(parse_tls_hello(text));
  EXPECT_FALSE(parse_tls_hello({}));
}

TEST(ProtoJa4, GreaseValues) {
  EXPECT_TRUE(is_tls_grease(0x0a0a));
  EXPECT_TRUE(is_tls_grease(0xfafa));
  EXPECT_FALSE(is_tls_grease(0x0a1a));
  EXPECT_FALSE(is_tls_grease(0x1301));
}

// The JA4 specification's worked example lists 15 ciphers, 16 extensions
// (SNI and ALPN included), "h2" first, TLS 1.3 and these signature
// algorithms; its fingerprint is t13d1516h2_8daaf6152771_e5627efa2ab1.
// The lists below are those values in a shuffled order with GREASE added, as
// a browser sends them.
const std::vector<uint16_t> spec_ciphers = {0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
                                            0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
                                            0x009c, 0x009d, 0x002f, 0x0035};
const std::vector<uint16_t> spec_extensions = {0x2a2a, 0x0000, 0x0017, 0xff01, 0x000a, 0x000b,
                                               0x0023, 0x0010, 0x0005, 0x000d, 0x0012, 0x0033,
                                               0x002d, 0x002b, 0x001b, 0x4469, 0x0015, 0x3a3a};
const std::vector<uint16_t> spec_signatures = {0x0403, 0x0804, 0x0401, 0x0503,
                                               0x0805, 0x0501, 0x0806, 0x0601};
constexpr const char* spec_ja4 = "t13d1516h2_8daaf6152771_e5627efa2ab1";

TEST(ProtoJa4, SpecificationExampleFromLists) {
  Ja4Input input{.transport = 't',
                 .version = 0x0304,
                 .has_sni = true,
                 .ciphers = spec_ciphers,
                 .extensions = spec_extensions,
                 .signature_algorithms = spec_signatures,
                 .first_alpn = "h2"};
  EXPECT_EQ(ja4_fingerprint(input), spec_ja4);
}

// The same example as a ClientHello on the wire, parsed end to end.
std::vector<uint8_t> spec_client_hello() {
  std::vector<uint8_t> body;
  auto u8 = [&](unsigned v) { body.push_back(static_cast<uint8_t>(v)); };
  auto u16 = [&](unsigned v) {
    u8(v >> 8);
    u8(v & 0xff);
  };
  u16(0x0303);
  body.insert(body.end(), 32, 0x11);  // random
  u8(0);                              // session id
  u16(static_cast<unsigned>(spec_ciphers.size() * 2));
  for (uint16_t cipher : spec_ciphers) u16(cipher);
  u8(1);
  u8(0);  // compression: null
  std::vector<uint8_t> extensions;
  auto ext = [&](uint16_t type, const std::vector<uint8_t>& data) {
    extensions.push_back(type >> 8);
    extensions.push_back(type & 0xff);
    extensions.push_back(static_cast<uint8_t>(data.size() >> 8));
    extensions.push_back(static_cast<uint8_t>(data.size() & 0xff));
    extensions.insert(extensions.end(), data.begin(), data.end());
  };
  for (uint16_t type : spec_extensions) {
    if (type == 0x0000) {
      ext(type, {0, 9, 0, 0, 6, 'a', '.', 't', 'e', 's', 't'});
    } else if (type == 0x0010) {
      ext(type, {0, 12, 2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'});
    } else if (type == 0x002b) {
      ext(type, {6, 0x5a, 0x5a, 0x03, 0x04, 0x03, 0x03});
    } else if (type == 0x000d) {
      std::vector<uint8_t> data = {0, static_cast<uint8_t>(spec_signatures.size() * 2)};
      for (uint16_t algorithm : spec_signatures) {
        data.push_back(algorithm >> 8);
        data.push_back(algorithm & 0xff);
      }
      ext(type, data);
    } else {
      ext(type, {});
    }
  }
  u16(static_cast<unsigned>(extensions.size()));
  body.insert(body.end(), extensions.begin(), extensions.end());

  std::vector<uint8_t> record = {22, 3, 1};
  size_t handshake_length = body.size() + 4;
  record.push_back(static_cast<uint8_t>(handshake_length >> 8));
  record.push_back(static_cast<uint8_t>(handshake_length & 0xff));
  record.push_back(1);  // ClientHello
  record.push_back(0);
  record.push_back(static_cast<uint8_t>(body.size() >> 8));
  record.push_back(static_cast<uint8_t>(body.size() & 0xff));
  record.insert(record.end(), body.begin(), body.end());
  return record;
}

TEST(ProtoJa4, SpecificationExampleOnTheWire) {
  auto hello = parse_tls_hello(spec_client_hello());
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->ja4, spec_ja4);
  EXPECT_EQ(hello->version, 0x0304);  // from supported_versions, GREASE skipped
  EXPECT_EQ(hello->sni, "a.test");
}

TEST(ProtoJa4, HelloSplitOverTwoRecords) {
  std::vector<uint8_t> whole = spec_client_hello();
  std::vector<uint8_t> handshake(whole.begin() + 5, whole.end());
  size_t half = handshake.size() / 2;
  std::vector<uint8_t> split;
  for (auto [begin, end] : {std::pair{size_t{0}, half}, std::pair{half, handshake.size()}}) {
    size_t length = end - begin;
    split.insert(split.end(), {22, 3, 3, static_cast<uint8_t>(length >> 8),
                               static_cast<uint8_t>(length & 0xff)});
    split.insert(split.end(), handshake.begin() + begin, handshake.begin() + end);
  }
  auto hello = parse_tls_hello(split);
  ASSERT_TRUE(hello);
  EXPECT_EQ(hello->ja4, spec_ja4);
}

TEST(ProtoJa4, NonAlphanumericAlpnUsesHex) {
  Ja4Input input{.version = 0x0303,
                 .ciphers = {0x1301},
                 .extensions = {0x0010},
                 .first_alpn = std::string("\xab\x01", 2)};
  EXPECT_EQ(ja4_fingerprint(input).substr(0, 10), "t12i0101a1");
  Ja4Input none{.version = 0x0303};
  EXPECT_EQ(ja4_fingerprint(none), "t12i000000_000000000000_000000000000");
}

}  // namespace
}  // namespace procflow
