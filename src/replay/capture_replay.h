// Reads a capture file (pcap through libpcap, pcapng through PcapngReader, which takes
// interfaces of different link types in one file) and feeds every frame to the packet
// parser and a ReplayFlows table: the library half of `procflow replay`, which tests call directly.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>

#include "replay/packet_parser.h"
#include "replay/replay_flows.h"

struct timeval;

namespace procflow {

// A record's time as microseconds since the epoch. Classic pcap seconds from
// 2038 on (2^31 and up) arrive negative from libpcap and are read back as the
// unsigned 32-bit value they were written as.
uint64_t capture_timestamp_us(const timeval& ts);

struct CaptureStats {
  uint64_t frames = 0;  // records read from the file
  // pcap: the DLT_* value, once the file is open; pcapng: the LINKTYPE_* value
  // of the first packet's interface (others may differ).
  int link_type = -1;
  bool started = false;  // the file opened and its link type is supported: frames were read
  // Frames by what the parser made of them (indexed by ParseStatus); ok frames went to the flows.
  std::array<uint64_t, 6> by_status{};
  // pcapng: frames of an interface whose link type the parser does not read
  // (the other interfaces' frames are replayed).
  uint64_t unsupported_link = 0;

  uint64_t count(ParseStatus s) const { return by_status[static_cast<size_t>(s)]; }
};

// Replays `path` ("-" reads standard input) into `flows`, without calling flows.finish(): the
// caller ends the flows, whether the file was read to its end or not.
//
// Returns false and sets *error to one line, naming the file, when the file cannot be opened or
// is not a capture, when its link type is not one the parser reads, or when libpcap fails part
// way (a truncated or damaged file; stats->frames then says how many frames were read before).
// `stop`, when given, is asked every few thousand frames and ends the replay early (returning
// true) when it says so, e.g. because the output's reader went away.
bool replay_capture(const std::string& path, ReplayFlows& flows, CaptureStats* stats,
                    std::string* error, const std::function<bool()>& stop = {});

}  // namespace procflow
