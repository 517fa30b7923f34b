#include "proto_quic_packet.h"

#include <openssl/evp.h>

#include <memory>

#include "proto/quic_initial.h"

namespace procflow::test {

// Protects a client Initial the way RFC 9001 5.3-5.4 says (packet number 2,
// 4 bytes long, as in the RFC's example).
std::vector<uint8_t> protect_initial(const std::vector<uint8_t>& dcid,
                                     const std::vector<uint8_t>& frames) {
  auto keys = *quic_client_initial_keys(dcid);
  std::vector<uint8_t> header = {0xc3, 0, 0, 0, 1, static_cast<uint8_t>(dcid.size())};
  header.insert(header.end(), dcid.begin(), dcid.end());
  header.push_back(0);  // no SCID
  header.push_back(0);  // no token
  size_t length = 4 + frames.size() + 16;
  header.push_back(static_cast<uint8_t>(0x40 | length >> 8));
  header.push_back(static_cast<uint8_t>(length & 0xff));
  size_t pn_offset = header.size();
  header.insert(header.end(), {0, 0, 0, 2});

  uint8_t nonce[12];
  std::copy(keys.iv.begin(), keys.iv.end(), nonce);
  nonce[11] ^= 2;
  std::vector<uint8_t> sealed(frames.size() + 16);
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                      EVP_CIPHER_CTX_free);
  int out = 0;
  EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, keys.key.data(), nonce);
  EVP_EncryptUpdate(ctx.get(), nullptr, &out, header.data(), static_cast<int>(header.size()));
  EVP_EncryptUpdate(ctx.get(), sealed.data(), &out, frames.data(), static_cast<int>(frames.size()));
  EVP_EncryptFinal_ex(ctx.get(), sealed.data() + out, &out);
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, sealed.data() + frames.size());

  std::vector<uint8_t> packet = header;
  packet.insert(packet.end(), sealed.begin(), sealed.end());
  uint8_t mask[16];
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ecb(EVP_CIPHER_CTX_new(),
                                                                      EVP_CIPHER_CTX_free);
  EVP_EncryptInit_ex(ecb.get(), EVP_aes_128_ecb(), nullptr, keys.hp.data(), nullptr);
  EVP_CIPHER_CTX_set_padding(ecb.get(), 0);
  EVP_EncryptUpdate(ecb.get(), mask, &out, packet.data() + pn_offset + 4, 16);
  packet[0] ^= mask[0] & 0x0f;
  for (int i = 0; i < 4; ++i) packet[pn_offset + i] ^= mask[1 + i];
  return packet;
}

void crypto_frame(std::vector<uint8_t>& frames, size_t offset, std::span<const uint8_t> data) {
  frames.push_back(0x06);
  frames.push_back(static_cast<uint8_t>(0x40 | offset >> 8));
  frames.push_back(static_cast<uint8_t>(offset & 0xff));
  frames.push_back(static_cast<uint8_t>(0x40 | data.size() >> 8));
  frames.push_back(static_cast<uint8_t>(data.size() & 0xff));
  frames.insert(frames.end(), data.begin(), data.end());
}

}  // namespace procflow::test
