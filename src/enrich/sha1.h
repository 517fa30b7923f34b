// SHA-1 (FIPS 180-4) of a message short enough to be hashed in one 64-byte block. The Community
// ID hash input is at most 40 bytes, and it is computed once per flow on the event path: a
// function on the stack, where OpenSSL's EVP interface allocates a context per digest.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace procflow {

// The longest message that fits one block with SHA-1's padding (0x80 and the 64-bit length).
inline constexpr size_t sha1_one_block_max = 55;

// The digest of data[0..size); size must be at most sha1_one_block_max.
// Uses the CPU's SHA instructions when it has them.
std::array<uint8_t, 20> sha1_one_block(const uint8_t* data, size_t size);

// The same in plain C: what sha1_one_block does on CPUs without SHA instructions (and what the
// tests check on those with them).
std::array<uint8_t, 20> sha1_one_block_portable(const uint8_t* data, size_t size);

}  // namespace procflow
