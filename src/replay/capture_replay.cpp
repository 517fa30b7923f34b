#include "replay/capture_replay.h"

#include "replay/pcapng_reader.h"

#include <pcap/pcap.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>

namespace procflow {
namespace {

// How often (in frames) the caller's stop() is asked: rarely enough to cost nothing.
constexpr uint64_t stop_check_interval = 4096;

struct PcapClose {
  void operator()(pcap_t* p) const { pcap_close(p); }
};

static_assert(std::tuple_size_v<decltype(CaptureStats::by_status)> ==
                  static_cast<size_t>(ParseStatus::other_transport) + 1,
              "one counter per ParseStatus");

// "X: why", without saying X twice when libpcap's message already starts with it.
std::string about(const std::string& path, std::string_view why) {
  if (why.starts_with(path + ": ")) return std::string(why);
  return path + ": " + std::string(why);
}

std::string link_type_name(int dlt) {
  const char* name = pcap_datalink_val_to_name(dlt);
  return (name ? std::string(name) : std::string("DLT")) + " (" + std::to_string(dlt) + ")";
}

}  // namespace

uint64_t capture_timestamp_us(const timeval& ts) {
  // A classic pcap record stores seconds in 32 bits that libpcap reads as a
  // signed number: from 2038-01-19 (2^31 s) on they arrive negative. No
  // capture predates 1970, so they are the unsigned seconds they were
  // written as (good until 2106).
  int64_t sec = ts.tv_sec;
  if (sec < 0 && sec >= INT32_MIN) sec = static_cast<uint32_t>(sec);
  if (sec < 0 || ts.tv_usec < 0) return 0;  // corrupt: nothing better to put there
  return static_cast<uint64_t>(sec) * 1'000'000 + static_cast<uint64_t>(ts.tv_usec);
}

namespace {

struct FileClose {
  void operator()(FILE* f) const {
    if (f && f != stdin) std::fclose(f);
  }
};
using File = std::unique_ptr<FILE, FileClose>;

// A capture file's first bytes, read once and handed back to whichever
// reader takes the file: stdin cannot be rewound.
struct Peeked {
  FILE* file = nullptr;
  uint8_t head[4] = {};
  size_t head_size = 0;
  size_t head_used = 0;

  size_t read(uint8_t* to, size_t n) {
    size_t got = 0;
    while (head_used < head_size && got < n) to[got++] = head[head_used++];
    if (got < n) got += std::fread(to + got, 1, n - got, file);
    return got;
  }
};

// A FILE* over a Peeked, for libpcap (pcap_fopen_offline reads a FILE*).
FILE* as_file(Peeked* p) {
  cookie_io_functions_t io{};
  io.read = [](void* cookie, char* buf, size_t size) -> ssize_t {
    return static_cast<ssize_t>(
        static_cast<Peeked*>(cookie)->read(reinterpret_cast<uint8_t*>(buf), size));
  };
  return fopencookie(p, "r", io);
}

void count_frame(const ParsedPacket& packet, ParseStatus s, uint64_t ts_us, uint32_t wire,
                 ReplayFlows& flows, CaptureStats* stats) {
  stats->frames++;
  stats->by_status[static_cast<size_t>(s)]++;
  if (s == ParseStatus::ok) flows.add(packet, ts_us, wire);
}

// pcapng through procflow's own reader: each interface has its own link type.
bool replay_pcapng(const std::string& path, Peeked& in, ReplayFlows& flows, CaptureStats* stats,
                   std::string* error, const std::function<bool()>& stop) {
  PcapngReader reader([&](uint8_t* to, size_t n) { return in.read(to, n); });
  PcapngPacket frame;
  ParsedPacket packet;
  std::string why;
  stats->started = true;
  for (;;) {
    if (stop && stats->frames % stop_check_interval == stop_check_interval - 1 && stop())
      return true;
    if (!reader.next(&frame, &why)) {
      if (why.empty()) return true;  // the end of the file
      *error = about(path, "capture is truncated or damaged after " +
                               std::to_string(stats->frames) + " packets: " + why);
      return false;
    }
    if (stats->link_type < 0) stats->link_type = frame.link_type;
    const LinkType link = link_type_from_linktype(frame.link_type);
    if (link == LinkType::unsupported) {
      // One interface of a link type the parser does not read: its frames
      // are counted, the others' replayed.
      stats->frames++;
      stats->unsupported_link++;
      continue;
    }
    const ParseStatus s = parse_packet(link, frame.data, frame.wire_length, &packet);
    count_frame(packet, s, frame.ts_us, frame.wire_length, flows, stats);
  }
}

}  // namespace

bool replay_capture(const std::string& path, ReplayFlows& flows, CaptureStats* stats,
                    std::string* error, const std::function<bool()>& stop) {
  *stats = CaptureStats{};
  File file(path == "-" ? stdin : std::fopen(path.c_str(), "rb"));
  if (!file) {
    *error = about(path, std::strerror(errno));
    return false;
  }
  Peeked in;
  in.file = file.get();
  in.head_size = std::fread(in.head, 1, sizeof in.head, file.get());
  if (PcapngReader::is_pcapng({in.head, in.head_size}))
    return replay_pcapng(path, in, flows, stats, error, stop);

  char errbuf[PCAP_ERRBUF_SIZE] = {};
  FILE* cookie = as_file(&in);
  std::unique_ptr<pcap_t, PcapClose> pcap(
      cookie ? pcap_fopen_offline_with_tstamp_precision(cookie, PCAP_TSTAMP_PRECISION_MICRO, errbuf)
             : nullptr);
  if (!pcap) {
    if (cookie) std::fclose(cookie);
    *error = about(path, errbuf[0] ? errbuf : "cannot open the capture");
    return false;
  }
  stats->link_type = pcap_datalink(pcap.get());
  const LinkType link = link_type_from_dlt(stats->link_type);
  if (link == LinkType::unsupported) {
    *error = about(path, "link type " + link_type_name(stats->link_type) +
                             " is not supported (Ethernet, Linux cooked, raw IP are)");
    return false;
  }
  stats->started = true;

  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  ParsedPacket packet;
  for (;;) {
    if (stop && stats->frames % stop_check_interval == stop_check_interval - 1 && stop())
      return true;
    const int got = pcap_next_ex(pcap.get(), &header, &data);
    if (got == PCAP_ERROR_BREAK) return true;  // the end of the file
    if (got != 1) {
      *error =
          about(path, "capture is truncated or damaged after " + std::to_string(stats->frames) +
                          " packets: " + pcap_geterr(pcap.get()));
      return false;
    }
    const std::span<const uint8_t> frame(data, header->caplen);
    const ParseStatus s = parse_packet(link, frame, header->len, &packet);
    count_frame(packet, s, capture_timestamp_us(header->ts), header->len, flows, stats);
  }
}

}  // namespace procflow
