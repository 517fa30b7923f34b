// QUIC v1 client Initial packets for the proto tests, protected with the
// RFC 9001 Initial keys exactly as a client does (so the decoder is checked
// against an independent writer of the same packet layout).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace procflow::test {

// A client Initial (packet number 2, 4 bytes long) carrying `frames`.
std::vector<uint8_t> protect_initial(const std::vector<uint8_t>& dcid,
                                     const std::vector<uint8_t>& frames);

// Appends a CRYPTO frame (2-byte varints for offset and length).
void crypto_frame(std::vector<uint8_t>& frames, size_t offset, std::span<const uint8_t> data);

}  // namespace procflow::test
