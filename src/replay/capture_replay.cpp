#include "replay/capture_replay.h"

#include <pcap/pcap.h>

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

namespace {}  // namespace

bool replay_capture(const std::string& path, ReplayFlows& flows, CaptureStats* stats,
                    std::string* error, const std::function<bool()>& stop) {
  *stats = CaptureStats{};
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, PcapClose> pcap(
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, errbuf));
  if (!pcap) {
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
    stats->frames++;
    const std::span<const uint8_t> frame(data, header->caplen);
    const ParseStatus s = parse_packet(link, frame, header->len, &packet);
    stats->by_status[static_cast<size_t>(s)]++;
    if (s == ParseStatus::ok) flows.add(packet, capture_timestamp_us(header->ts), header->len);
  }
}

}  // namespace procflow
