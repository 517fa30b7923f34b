#include "proto/quic_initial.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <memory>
#include <string_view>
#include <vector>

#include "proto/byte_reader.h"

namespace procflow {

namespace {

constexpr uint32_t quic_v1 = 0x00000001;
// RFC 9001 5.2: the version 1 Initial salt.
constexpr uint8_t initial_salt_v1[] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
                                       0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
constexpr size_t max_connection_id = 20;
constexpr size_t aead_tag = 16, hp_sample = 16;
// CRYPTO bytes kept for the ClientHello (a real one is 0.3-2 KB).
constexpr size_t max_crypto_bytes = 16384;

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

// HKDF-Expand-Label (RFC 8446 7.1) with an empty context, for outputs of at
// most one SHA-256 block, which is all QUIC's Initial keys need.
bool expand_label(std::span<const uint8_t> secret, std::string_view label, uint8_t* out,
                  size_t length) {
  std::vector<uint8_t> info = {0, static_cast<uint8_t>(length),
                               static_cast<uint8_t>(6 + label.size())};
  for (char c : std::string_view("tls13 ")) info.push_back(static_cast<uint8_t>(c));
  for (char c : label) info.push_back(static_cast<uint8_t>(c));
  info.push_back(0);  // context
  info.push_back(1);  // HKDF-Expand's block counter
  uint8_t block[EVP_MAX_MD_SIZE];
  unsigned int block_length = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), info.data(), info.size(),
           block, &block_length) == nullptr ||
      block_length < length)
    return false;
  std::copy_n(block, length, out);
  return true;
}

bool read_varint(ByteReader& reader, uint64_t& value) {
  uint8_t first = 0;
  if (!reader.u8(first)) return false;
  value = first & 0x3f;
  for (int extra = (1 << (first >> 6)) - 1; extra > 0; --extra) {
    uint8_t next = 0;
    if (!reader.u8(next)) return false;
    value = value << 8 | next;
  }
  return true;
}

bool aes_ecb_block(const std::array<uint8_t, 16>& key, const uint8_t* in, uint8_t* out) {
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int length = 0;
  return ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ecb(), nullptr, key.data(), nullptr) &&
         EVP_CIPHER_CTX_set_padding(ctx.get(), 0) &&
         EVP_EncryptUpdate(ctx.get(), out, &length, in, 16) && length == 16;
}

bool aes_gcm_open(const QuicInitialKeys& keys, const uint8_t* nonce,
                  std::span<const uint8_t> header, std::span<const uint8_t> sealed,
                  std::vector<uint8_t>& plain) {
  if (sealed.size() < aead_tag) return false;
  size_t length = sealed.size() - aead_tag;
  plain.resize(length);
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int out = 0;
  return ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, nullptr, nullptr) &&
         EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, 12, nullptr) &&
         EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, keys.key.data(), nonce) &&
         EVP_DecryptUpdate(ctx.get(), nullptr, &out, header.data(),
                           static_cast<int>(header.size())) &&
         EVP_DecryptUpdate(ctx.get(), plain.data(), &out, sealed.data(),
                           static_cast<int>(length)) &&
         EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, aead_tag,
                             const_cast<uint8_t*>(sealed.data() + length)) &&
         EVP_DecryptFinal_ex(ctx.get(), plain.data() + out, &out) == 1;
}

// The CRYPTO frames' bytes that are contiguous from offset 0. Stops at the
// first frame type a client Initial cannot carry.
std::vector<uint8_t> crypto_stream(std::span<const uint8_t> frames) {
  struct Piece {
    uint64_t offset;
    std::span<const uint8_t> data;
  };
  std::vector<Piece> pieces;
  ByteReader reader(frames);
  uint64_t type = 0;
  while (read_varint(reader, type)) {
    if (type == 0x00 || type == 0x01) continue;  // PADDING, PING
    if (type == 0x06) {                          // CRYPTO
      uint64_t offset = 0, length = 0;
      std::span<const uint8_t> data;
      if (!read_varint(reader, offset) || !read_varint(reader, length) ||
          !reader.take(length, data))
        break;
      pieces.push_back({offset, data});
    } else if (type == 0x02 || type == 0x03) {  // ACK: skip its fields
      uint64_t largest = 0, delay = 0, ranges = 0, first = 0, gap = 0, range = 0;
      if (!read_varint(reader, largest) || !read_varint(reader, delay) ||
          !read_varint(reader, ranges) || !read_varint(reader, first))
        break;
      bool ok = true;
      for (uint64_t i = 0; ok && i < ranges; ++i)
        ok = read_varint(reader, gap) && read_varint(reader, range);
      for (int i = 0; ok && type == 0x03 && i < 3; ++i) ok = read_varint(reader, gap);
      if (!ok) break;
    } else {
      break;
    }
  }
  std::sort(pieces.begin(), pieces.end(),
            [](const Piece& a, const Piece& b) { return a.offset < b.offset; });
  std::vector<uint8_t> stream;
  for (const Piece& piece : pieces) {
    if (piece.offset > stream.size()) break;  // a hole
    uint64_t end = piece.offset + piece.data.size();
    if (end <= stream.size()) continue;
    auto tail = piece.data.subspan(stream.size() - piece.offset);
    stream.insert(stream.end(), tail.begin(), tail.end());
    if (stream.size() > max_crypto_bytes) break;
  }
  return stream;
}

}  // namespace

std::optional<QuicInitialKeys> quic_client_initial_keys(std::span<const uint8_t> dcid) {
  uint8_t initial_secret[EVP_MAX_MD_SIZE];
  unsigned int secret_length = 0;
  if (HMAC(EVP_sha256(), initial_salt_v1, sizeof initial_salt_v1, dcid.data(), dcid.size(),
           initial_secret, &secret_length) == nullptr)
    return std::nullopt;
  uint8_t client_secret[32];
  QuicInitialKeys keys;
  if (!expand_label(std::span(initial_secret, secret_length), "client in", client_secret, 32) ||
      !expand_label(client_secret, "quic key", keys.key.data(), keys.key.size()) ||
      !expand_label(client_secret, "quic iv", keys.iv.data(), keys.iv.size()) ||
      !expand_label(client_secret, "quic hp", keys.hp.data(), keys.hp.size()))
    return std::nullopt;
  return keys;
}

std::optional<TlsHello> parse_quic_client_initial(std::span<const uint8_t> datagram) {
  ByteReader reader(datagram);
  uint8_t first = 0, dcid_length = 0, scid_length = 0;
  uint16_t version_high = 0, version_low = 0;
  std::span<const uint8_t> dcid;
  uint64_t token_length = 0, length = 0;
  // Long header, fixed bit, type Initial (0), version 1.
  if (!reader.u8(first) || (first & 0xf0) != 0xc0 || !reader.u16(version_high) ||
      !reader.u16(version_low) ||
      (static_cast<uint32_t>(version_high) << 16 | version_low) != quic_v1 ||
      !reader.u8(dcid_length) || dcid_length > max_connection_id ||
      !reader.take(dcid_length, dcid) || !reader.u8(scid_length) ||
      scid_length > max_connection_id || !reader.skip(scid_length) ||
      !read_varint(reader, token_length) || !reader.skip(token_length) ||
      !read_varint(reader, length) || length > reader.remaining() || length < 4 + hp_sample)
    return std::nullopt;
  size_t pn_offset = datagram.size() - reader.remaining();

  auto keys = quic_client_initial_keys(dcid);
  if (!keys) return std::nullopt;
  // Header protection (RFC 9001 5.4): the sample starts 4 bytes after the
  // packet number's start, whatever its real length.
  uint8_t mask[16];
  if (!aes_ecb_block(keys->hp, datagram.data() + pn_offset + 4, mask)) return std::nullopt;
  uint8_t unprotected_first = first ^ (mask[0] & 0x0f);
  size_t pn_length = (unprotected_first & 0x03) + 1;
  std::vector<uint8_t> header(datagram.begin(), datagram.begin() + pn_offset + pn_length);
  header[0] = unprotected_first;
  uint8_t nonce[12];
  std::copy(keys->iv.begin(), keys->iv.end(), nonce);
  for (size_t i = 0; i < pn_length; ++i) {
    header[pn_offset + i] ^= mask[1 + i];
    nonce[12 - pn_length + i] ^= header[pn_offset + i];
  }

  std::vector<uint8_t> frames;
  auto sealed = datagram.subspan(pn_offset + pn_length, length - pn_length);
  if (!aes_gcm_open(*keys, nonce, header, sealed, frames)) return std::nullopt;
  return parse_quic_initial_frames(frames);
}

std::optional<TlsHello> parse_quic_initial_frames(std::span<const uint8_t> frames) {
  std::vector<uint8_t> handshake = crypto_stream(frames);
  auto hello = parse_tls_handshake(handshake, 'q');
  if (!hello || !hello->client) return std::nullopt;
  return hello;
}

}  // namespace procflow
