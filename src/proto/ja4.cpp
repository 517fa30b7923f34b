#include "proto/ja4.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>

namespace procflow {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

std::string version_code(uint16_t version) {
  switch (version) {
    case 0x0304:
      return "13";
    case 0x0303:
      return "12";
    case 0x0302:
      return "11";
    case 0x0301:
      return "10";
    case 0x0300:
      return "s3";
    case 0x0200:
      return "s2";
    case 0xfeff:
      return "d1";
    case 0xfefd:
      return "d2";
    case 0xfefc:
      return "d3";
    default:
      return "00";
  }
}

std::string two_digits(size_t count) {
  count = std::min<size_t>(count, 99);
  return {static_cast<char>('0' + count / 10), static_cast<char>('0' + count % 10)};
}

void append_hex16(std::string& out, uint16_t value) {
  out += hex_digits[value >> 12];
  out += hex_digits[(value >> 8) & 0xf];
  out += hex_digits[(value >> 4) & 0xf];
  out += hex_digits[value & 0xf];
}

std::string hex_list(const std::vector<uint16_t>& values) {
  std::string out;
  out.reserve(values.size() * 5);
  for (uint16_t value : values) {
    if (!out.empty()) out += ',';
    append_hex16(out, value);
  }
  return out;
}

std::string truncated_sha256(const std::string& text) {
  // Fetched once: OpenSSL 3 looks EVP_sha256() up in its provider tables on
  // every use, which costs more than hashing a fingerprint's few bytes. Kept
  // for the life of the process.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (sha256 == nullptr ||
      EVP_Digest(text.data(), text.size(), digest, &length, sha256, nullptr) != 1 || length < 6)
    return "000000000000";
  std::string out;
  for (int i = 0; i < 6; ++i) {
    out += hex_digits[digest[i] >> 4];
    out += hex_digits[digest[i] & 0xf];
  }
  return out;
}

bool is_alphanumeric(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::string alpn_code(const std::string& alpn) {
  if (alpn.empty()) return "00";
  char first = alpn.front(), last = alpn.back();
  if (is_alphanumeric(first) && is_alphanumeric(last)) return {first, last};
  auto byte_first = static_cast<uint8_t>(first), byte_last = static_cast<uint8_t>(last);
  return {hex_digits[byte_first >> 4], hex_digits[byte_last & 0xf]};
}

std::vector<uint16_t> without_grease(const std::vector<uint16_t>& values) {
  std::vector<uint16_t> out;
  for (uint16_t value : values)
    if (!is_tls_grease(value)) out.push_back(value);
  return out;
}

}  // namespace

bool is_tls_grease(uint16_t value) {
  return (value & 0x0f0f) == 0x0a0a && (value >> 8) == (value & 0xff);
}

std::string ja4_fingerprint(const Ja4Input& input) {
  std::vector<uint16_t> ciphers = without_grease(input.ciphers);
  std::vector<uint16_t> extensions = without_grease(input.extensions);
  // The specification filters GREASE from ciphers and extensions only.
  const std::vector<uint16_t>& signatures = input.signature_algorithms;

  std::string a;
  a += input.transport;
  a += version_code(input.version);
  a += input.has_sni ? 'd' : 'i';
  a += two_digits(ciphers.size());
  a += two_digits(extensions.size());
  a += alpn_code(input.first_alpn);

  std::sort(ciphers.begin(), ciphers.end());
  std::string b = ciphers.empty() ? "000000000000" : truncated_sha256(hex_list(ciphers));

  std::vector<uint16_t> hashed_extensions;
  for (uint16_t type : extensions)
    if (type != 0x0000 && type != 0x0010) hashed_extensions.push_back(type);
  std::sort(hashed_extensions.begin(), hashed_extensions.end());
  std::string c_input = hex_list(hashed_extensions);
  if (!signatures.empty()) c_input += "_" + hex_list(signatures);
  std::string c = extensions.empty() ? "000000000000" : truncated_sha256(c_input);

  return a + "_" + b + "_" + c;
}

}  // namespace procflow
