// CAR `content`: captured bytes as one line of text that loses nothing.
// Printable ASCII (0x20-0x7E) stays as is, except the backslash, which is
// doubled so that every escape below is unambiguous; \r, \n and \t become
// those two-character escapes; every other byte becomes \xHH (lowercase).
// Decoding is therefore exact, and a line-based sink never sees a raw
// control byte from the network.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace procflow {

std::string content_text(std::span<const uint8_t> bytes);

// Appends instead of returning, so the hot path can reuse one buffer.
void append_content_text(std::string& out, std::span<const uint8_t> bytes);

}  // namespace procflow
