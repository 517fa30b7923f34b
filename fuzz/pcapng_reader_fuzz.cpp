// libFuzzer target: procflow's pcapng reader, and the packet parser on every
// packet it hands out, on arbitrary bytes (the input is the whole file). A
// capture is untrusted input like the packets in it.
//
// Traps on a broken promise of the reader: a packet's data lies within the
// block it came from (so ASan sees any read past it) and is never longer than
// the block cap; a file never yields more packets than it has blocks.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "replay/packet_parser.h"
#include "replay/pcapng_reader.h"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  size_t at = 0;
  procflow::PcapngReader reader([&](uint8_t* to, size_t n) {
    const size_t k = n < size - at ? n : size - at;
    std::memcpy(to, data + at, k);
    at += k;
    return k;
  });
  procflow::PcapngPacket packet;
  procflow::ParsedPacket parsed;
  std::string error;
  uint64_t packets = 0;
  while (reader.next(&packet, &error)) {
    packets++;
    check(packet.data.size() <= procflow::PcapngReader::max_block_bytes);
    check(packets <= reader.blocks());
    // Touch every byte, so ASan checks the whole span.
    volatile uint8_t sum = 0;
    for (uint8_t b : packet.data) sum = static_cast<uint8_t>(sum + b);
    const procflow::LinkType link = procflow::link_type_from_linktype(packet.link_type);
    if (link != procflow::LinkType::unsupported)
      procflow::parse_packet(link, packet.data, packet.wire_length, &parsed);
  }
  check(error.empty() || error.size() < 512);
  return 0;
}
