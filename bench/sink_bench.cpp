// Sink throughput: how many events per second one output takes, end to end
// (SinkQueue, the sink, and whatever is behind it: the page cache, a syslog
// daemon, a ClickHouse server). The producer waits when the queue is full
// (WhenFull::wait), so nothing is dropped and the rate is the sink's own.
//
//   sink_bench URI [EVENTS]     e.g. sink_bench file:/tmp/flows.json 1000000
//                                    sink_bench
//                                    'clickhouse+http://127.0.0.1:8123/?table=flows&database=procflow'
// Prints one JSON line: {"uri":...,"events":N,"seconds":S,"events_per_second":R,...}.
// The events are copies of one real `end` event (a curl flow, 760 bytes),
// each with its own source port so no two rows are equal.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "output/sink_queue.h"
#include "output/sink_uri.h"

namespace {

constexpr char kHead[] =
    R"({"object":"flow","action":"end","timestamp":"2026-12-01T02:07:19.597378Z",)"
    R"("src_ip":"127.0.0.1","src_port":)";
constexpr char kTail[] =
    R"(,"dest_ip":"127.0.0.1","dest_port":18081,"transport_protocol":"TCP",)"
    R"("src_fqdn":"localhost","src_hostname":"localhost","dest_fqdn":"localhost",)"
    R"("dest_hostname":"localhost","pid":14258,"ppid":14199,"uid":0,"user":"root","exe":"curl",)"
    R"("image_path":"/usr/bin/curl","hostname":"vm","fqdn":"vm","in_bytes":3254,"out_bytes":79,)"
    R"("packet_count":12,"tcp_flags":"SYN, ACK, PSH, FIN",)"
    R"("start_time":"2026-12-01T02:07:19.595499Z","end_time":"2026-12-01T02:07:19.597378Z",)"
    R"("network_direction":"internal","community_id":"1:l9iyY6P0qu/GiUDtY+QseHUtspo=",)"
    R"("initiated":true,"end_reason":"close","netns":4026531833,"cgroup_id":1,)"
    R"("src_fqdn_source":"hosts","dest_fqdn_source":"hosts","comm":"curl"})"
    "\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: sink_bench URI [EVENTS]\n");
    return 2;
  }
  const std::string uri = argv[1];
  const long events = argc == 3 ? std::atol(argv[2]) : 200000;
  std::string error;
  auto sink = procflow::open_sink(uri, &error);
  if (!sink) {
    std::fprintf(stderr, "sink_bench: %s\n", error.c_str());
    return 1;
  }
  procflow::SinkQueue queue(std::move(sink), procflow::SinkQueue::default_capacity,
                            procflow::SinkQueue::WhenFull::wait);
  std::string line;
  uint64_t bytes = 0;
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < events; ++i) {
    line = kHead + std::to_string(1024 + i % 60000) + kTail;
    bytes += line.size();
    queue.offer(line);
    if (i % 1024 == 0) queue.flush();
  }
  const bool delivered = queue.drain(std::chrono::minutes(5));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const procflow::SinkQueueStats s = queue.stats();
  std::printf(
      "{\"uri\":\"%s\",\"events\":%ld,\"bytes\":%llu,\"seconds\":%.3f,\"events_per_second\":%.0f,"
      "\"delivered\":%s,\"dropped\":%llu,\"dropped_by_sink\":%llu}\n",
      uri.c_str(), events, static_cast<unsigned long long>(bytes), seconds, events / seconds,
      delivered ? "true" : "false", static_cast<unsigned long long>(s.events_dropped),
      static_cast<unsigned long long>(s.events_dropped_by_sink));
  return delivered ? 0 : 1;
}
