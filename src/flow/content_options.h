// What `message` events capture and show (docs/events.md#messages): how many
// bytes of each turn of a conversation, which turns, how fast, and whether
// credentials are hidden. One structure for the CLI flags and the config.
#pragma once

#include <cstdint>
#include <string_view>

namespace procflow {

// first: one message per direction per flow, the first turn of each side (a
// request and its response). all: one per turn (each request and response of
// a keep-alive connection), up to max_turns per direction.
enum class MessagesMode : uint8_t { first, all };

struct ContentOptions {
  // Bytes captured per turn and direction; 0 turns content capture (and the
  // TLS plaintext uprobes) off. At most kMaxContentBytes.
  uint32_t bytes = 512;
  MessagesMode messages = MessagesMode::first;
  uint16_t max_turns = 32;  // per direction and flow with MessagesMode::all
  // Turns captured per second on each CPU at most (the kernel's bound: a
  // busy host cannot flood the ring with content).
  uint32_t turns_per_second = 2000;
  bool redact = true;         // credentials become "[redacted]"
  bool tls_plaintext = true;  // OpenSSL uprobes, when content capture is on

  bool enabled() const { return bytes > 0; }
  // Turns per direction the kernel copies.
  uint16_t kernel_turns() const { return messages == MessagesMode::first ? 1 : max_turns; }
};

inline constexpr uint32_t kMaxContentBytes = 16384;

std::string_view to_string(MessagesMode mode);

}  // namespace procflow
