#include "proto/tls_hello.h"

#include <cstdio>

#include "proto/byte_reader.h"
#include "proto/ja4.h"
#include "proto/proto_info_text.h"

namespace procflow {

namespace {

constexpr uint8_t content_type_handshake = 22;
constexpr uint8_t handshake_client_hello = 1;
constexpr uint8_t handshake_server_hello = 2;
constexpr uint16_t extension_server_name = 0x0000;
constexpr uint16_t extension_signature_algorithms = 0x000d;
constexpr uint16_t extension_alpn = 0x0010;
constexpr uint16_t extension_supported_versions = 0x002b;
// Bounds on what is kept from a hostile hello.
constexpr size_t max_alpn_values = 16;
constexpr size_t max_name_length = 255;

std::string as_string(std::span<const uint8_t> bytes, size_t cap = max_name_length) {
  if (bytes.size() > cap) bytes = bytes.first(cap);
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// The handshake bytes of the leading handshake records, concatenated (a
// hello may be fragmented over records). The last record may be cut short.
std::vector<uint8_t> handshake_bytes(std::span<const uint8_t> bytes) {
  std::vector<uint8_t> out;
  ByteReader reader(bytes);
  uint8_t type = 0, major = 0, minor = 0;
  uint16_t length = 0;
  while (reader.u8(type) && type == content_type_handshake && reader.u8(major) && major == 3 &&
         reader.u8(minor) && minor <= 4 && reader.u16(length)) {
    std::span<const uint8_t> fragment = reader.take_at_most(length);
    out.insert(out.end(), fragment.begin(), fragment.end());
  }
  return out;
}

void read_alpn_list(ByteReader data, std::vector<std::string>& alpn) {
  uint16_t list_length = 0;
  if (!data.u16(list_length)) return;
  ByteReader list(data.take_at_most(list_length));
  uint8_t length = 0;
  std::span<const uint8_t> value;
  while (alpn.size() < max_alpn_values && list.u8(length) && list.take(length, value))
    alpn.push_back(as_string(value));
}

void read_server_name(ByteReader data, std::string& sni) {
  uint16_t list_length = 0, name_length = 0;
  uint8_t name_type = 0;
  if (!data.u16(list_length)) return;
  ByteReader list(data.take_at_most(list_length));
  std::span<const uint8_t> name;
  while (list.u8(name_type) && list.u16(name_length) && list.take(name_length, name)) {
    if (name_type == 0) {  // host_name
      sni = as_string(name);
      return;
    }
  }
}

// Returns whether the whole hello body was read (JA4 needs all of it).
bool read_client_hello(ByteReader body, TlsHello& hello, Ja4Input& ja4) {
  uint16_t legacy_version = 0, cipher_length = 0, extensions_length = 0;
  uint8_t session_length = 0, compression_length = 0;
  if (!body.u16(legacy_version)) return false;
  hello.version = legacy_version;
  std::span<const uint8_t> ciphers;
  if (!body.skip(32) || !body.u8(session_length) || !body.skip(session_length) ||
      !body.u16(cipher_length) || !body.take(cipher_length, ciphers) ||
      !body.u8(compression_length) || !body.skip(compression_length))
    return false;
  ByteReader cipher_reader(ciphers);
  for (uint16_t cipher = 0; cipher_reader.u16(cipher);) ja4.ciphers.push_back(cipher);
  if (body.empty()) return true;  // no extensions at all
  if (!body.u16(extensions_length)) return false;
  bool complete = body.remaining() >= extensions_length;
  ByteReader extensions(body.take_at_most(extensions_length));
  uint16_t type = 0, length = 0;
  uint16_t highest_supported = 0;
  while (extensions.u16(type) && extensions.u16(length)) {
    std::span<const uint8_t> data;
    if (!extensions.take(length, data)) return false;  // cut inside an extension
    ja4.extensions.push_back(type);
    ByteReader reader(data);
    if (type == extension_server_name) {
      read_server_name(reader, hello.sni);
      ja4.has_sni = true;
    } else if (type == extension_alpn) {
      read_alpn_list(reader, hello.alpn);
    } else if (type == extension_supported_versions) {
      uint8_t list_length = 0;
      if (!reader.u8(list_length)) continue;
      ByteReader list(reader.take_at_most(list_length));
      for (uint16_t version = 0; list.u16(version);)
        if (!is_tls_grease(version) && version > highest_supported) highest_supported = version;
    } else if (type == extension_signature_algorithms) {
      uint16_t list_length = 0;
      if (!reader.u16(list_length)) continue;
      ByteReader list(reader.take_at_most(list_length));
      for (uint16_t algorithm = 0; list.u16(algorithm);)
        ja4.signature_algorithms.push_back(algorithm);
    }
  }
  if (highest_supported != 0) hello.version = highest_supported;
  return complete && extensions.empty();
}

void read_server_hello(ByteReader body, TlsHello& hello) {
  uint16_t legacy_version = 0, cipher = 0, extensions_length = 0;
  uint8_t session_length = 0, compression = 0;
  if (!body.u16(legacy_version)) return;
  hello.version = legacy_version;
  if (!body.skip(32) || !body.u8(session_length) || !body.skip(session_length) || !body.u16(cipher))
    return;
  hello.cipher = cipher;
  if (!body.u8(compression) || !body.u16(extensions_length)) return;
  ByteReader extensions(body.take_at_most(extensions_length));
  uint16_t type = 0, length = 0;
  while (extensions.u16(type) && extensions.u16(length)) {
    std::span<const uint8_t> data;
    if (!extensions.take(length, data)) return;
    ByteReader reader(data);
    uint16_t selected = 0;
    if (type == extension_supported_versions && reader.u16(selected)) {
      hello.version = selected;
    } else if (type == extension_alpn) {
      read_alpn_list(reader, hello.alpn);
    }
  }
}

}  // namespace

std::optional<TlsHello> parse_tls_handshake(std::span<const uint8_t> handshake,
                                            char ja4_transport) {
  ByteReader reader(handshake);
  uint8_t type = 0;
  uint32_t length = 0;
  if (!reader.u8(type) || !reader.u24(length)) return std::nullopt;
  if (type != handshake_client_hello && type != handshake_server_hello) return std::nullopt;
  bool whole_message = reader.remaining() >= length;
  ByteReader body(reader.take_at_most(length));

  TlsHello hello;
  hello.client = type == handshake_client_hello;
  if (hello.client) {
    Ja4Input ja4;
    ja4.transport = ja4_transport;
    bool complete = read_client_hello(body, hello, ja4) && whole_message;
    if (hello.version == 0) return std::nullopt;  // not even the version: nothing to say
    if (complete) {
      ja4.version = hello.version;
      if (!hello.alpn.empty()) ja4.first_alpn = hello.alpn.front();
      hello.ja4 = ja4_fingerprint(ja4);
    }
  } else {
    read_server_hello(body, hello);
    if (hello.version == 0) return std::nullopt;
  }
  return hello;
}

std::optional<TlsHello> parse_tls_hello(std::span<const uint8_t> bytes) {
  std::vector<uint8_t> handshake = handshake_bytes(bytes);
  return parse_tls_handshake(handshake, 't');
}

std::string tls_version_name(uint16_t version) {
  switch (version) {
    case 0x0304:
      return "TLS1.3";
    case 0x0303:
      return "TLS1.2";
    case 0x0302:
      return "TLS1.1";
    case 0x0301:
      return "TLS1.0";
    case 0x0300:
      return "SSL3.0";
    default: {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "0x%04x", version);
      return buffer;
    }
  }
}

std::string tls_proto_info(const TlsHello& hello) {
  ProtoInfoText info;
  info.add("handshake", hello.client ? "client_hello" : "server_hello");
  info.add("version", tls_version_name(hello.version));
  if (hello.client) {
    info.add("sni", hello.sni);
    info.add_list("alpn", hello.alpn);
    info.add("ja4", hello.ja4);
  } else {
    if (hello.cipher) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "0x%04x", *hello.cipher);
      info.add("cipher", buffer);
    }
    info.add_list("alpn", hello.alpn);
  }
  return info.take();
}

}  // namespace procflow
