// Userspace cost per event of each stage of procflow's pipeline (architecture.md, "Performance
// budget"): ring-buffer record -> decode_record -> FlowTable (enrichment: process, user, host,
// network direction, Community ID) -> JSON or text line.
//
// The inputs are built to look like what the kernel side sends for real connections, and the
// enrichers are fed the way the tracer feeds them (ProcessCache by exec records, UserResolver by
// a passwd file it reads once), so the numbers are the steady state of a running tracer: no
// /proc reads, no file reads, no packet source (no TC counters to look up).
//
// Every benchmark reports items/s; an item is one record (decode), one socket's life (flow
// table, pipeline), one hash or one line.
#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collect/record_decoder.h"
#include "enrich/community_id.h"
#include "enrich/host_identity.h"
#include "enrich/network_direction.h"
#include "enrich/process_cache.h"
#include "enrich/user_resolver.h"
#include "flow/flow_context.h"
#include "flow/flow_table.h"
#include "output/json_serializer.h"
#include "output/line_sink.h"
#include "output/text_formatter.h"
#include "procflow_abi.h"
#include "util/boot_clock.h"

namespace procflow {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kProcesses = 64;  // distinct processes owning sockets
constexpr uint32_t kFirstPid = 4000;
constexpr uint32_t kUid = 1000;          // present in the fake passwd file
constexpr uint64_t kMntns = 4026531841;  // one mount namespace, as on a plain host
constexpr uint64_t kNetns = 4026531840;
constexpr uint64_t kSockBase = 0xffff888100000000ull;
// Spacing of successive connections in kernel time: 50k sockets/s, a busy host. With the
// table's 250 ms linger this keeps ~12k ends pending, so the deque works at realistic depth.
constexpr uint64_t kConnectionSpacingNs = 20'000;
// The tracer drains the ring buffer in batches and ticks the table once per batch.
constexpr uint64_t kTickEvery = 32;

// The enrichers, set up once. ProcessCache and UserResolver read from a private fake /proc so
// nothing on this host is consulted and a cache miss would show up as a failed lookup (missing
// exe/user in the output) rather than as a silently slower benchmark.
struct Env {
  fs::path root;
  std::unique_ptr<ProcessCache> processes;
  std::unique_ptr<UserResolver> users;
  HostIdentity host;
  NetworkClassifier networks = NetworkClassifier::defaults();
  BootClock clock;

  Env() {
    char tmpl[] = "/tmp/procflow-bench.XXXXXX";
    if (!mkdtemp(tmpl)) {
      std::perror("mkdtemp");
      std::exit(1);
    }
    root = tmpl;
    // <proc>/<pid>/root/etc/passwd: where UserResolver finds a process's users, <pid>/ns/mnt
    // the namespace it checks them against (the fake /proc has no self/: kMntns is not the
    // tracer's own, so its users come from the processes' roots). No <pid>/exe, so
    // ProcessCache takes the image path from the exec record, as for a process that exited.
    for (uint32_t i = 0; i < kProcesses; i++) {
      fs::path etc = root / std::to_string(kFirstPid + i) / "root" / "etc";
      fs::create_directories(etc);
      fs::create_directories(root / std::to_string(kFirstPid + i) / "ns");
      fs::create_symlink("mnt:[" + std::to_string(kMntns) + "]",
                         root / std::to_string(kFirstPid + i) / "ns" / "mnt");
      std::ofstream(etc / "passwd") << "root:x:0:0:root:/root:/bin/bash\n"
                                       "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
                                       "alice:x:1000:1000:Alice:/home/alice:/bin/bash\n";
    }
    std::ofstream(root / "host-passwd") << "root:x:0:0:root:/root:/bin/bash\n";
    processes = std::make_unique<ProcessCache>(root.string());
    users = std::make_unique<UserResolver>(root.string(), (root / "host-passwd").string());
    host = HostIdentity::from("node1", "127.0.0.1 localhost\n10.0.0.54 node1.example.com node1\n");
    static const char* const images[] = {"/usr/bin/curl", "/usr/sbin/nginx",
                                         "/usr/lib/postgresql/15/bin/postgres", "/usr/bin/python3"};
    for (uint32_t i = 0; i < kProcesses; i++) {
      pf_task t = task(i);
      processes->on_exec(t, images[i % 4]);
    }
  }
  ~Env() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }

  static pf_task task(uint32_t i) {
    pf_task t{};
    t.tgid = t.tid = kFirstPid + i % kProcesses;
    t.ppid = 1;
    t.uid = t.gid = kUid;
    t.start_boot_ns = 1'000'000'000ull + t.tgid;
    t.mntns = kMntns;
    t.cgroup_id = 5555;
    static const char* const comms[] = {"curl", "nginx", "postgres", "python3"};
    const char* comm = comms[(i % kProcesses) % 4];
    std::memcpy(t.comm, comm, std::strlen(comm));  // NUL-padded, as the kernel fills it
    return t;
  }

  FlowContext context() { return FlowContext{*processes, *users, host, networks, clock, nullptr}; }
};

Env& env() {
  static Env e;
  return e;
}

void set_v4(uint8_t* dst, const char* text) {
  inet_pton(AF_INET, text, dst);
}

pf_header header(pf_record_kind kind, uint16_t size, uint64_t ktime_ns) {
  pf_header h{};
  h.kind = kind;
  h.size = size;
  h.ktime_ns = ktime_ns;
  return h;
}

// The tuple of socket `i`: outbound 10.0.0.54 -> 93.184.216.34:443 (even i) or inbound
// 198.51.100.7 -> 10.0.0.54:22 (odd i), each from its own ephemeral port, the common shapes
// of a host's traffic.
pf_tuple tuple_of(uint64_t i) {
  pf_tuple t{};
  t.family = 4;
  t.proto = IPPROTO_TCP;
  const bool outbound = i % 2 == 0;
  set_v4(t.saddr, outbound ? "10.0.0.54" : "198.51.100.7");
  set_v4(t.daddr, outbound ? "93.184.216.34" : "10.0.0.54");
  t.sport = static_cast<uint16_t>(32768 + i % 28000);
  t.dport = outbound ? 443 : 22;
  return t;
}

// The records the kernel side emits for socket `i`, in order:
//   outbound: start (owner from connect) -> established -> end
//   inbound:  start (owner = the listener, a guess) -> owner (accept) -> end
struct SocketRecords {
  pf_tcp_start start;
  pf_tcp_established established;  // outbound only
  pf_tcp_owner owner;              // inbound only
  pf_tcp_end end;
  bool outbound;
};

SocketRecords records_of(uint64_t i, uint64_t ktime_ns) {
  SocketRecords r{};
  r.outbound = i % 2 == 0;
  const uint64_t sock = kSockBase + i * 2048;
  const pf_tuple tuple = tuple_of(i);

  r.start.hdr = header(PF_REC_TCP_START, sizeof r.start, ktime_ns);
  r.start.sock_id = sock;
  r.start.netns = kNetns;
  r.start.tuple = tuple;
  r.start.owner = Env::task(static_cast<uint32_t>(i));
  r.start.initiated = r.outbound ? 1 : 0;
  r.start.owner_source = r.outbound ? PF_OWNER_CONNECT : PF_OWNER_LISTENER;
  r.start.hook = PF_HOOK_FENTRY;

  r.established.hdr = header(PF_REC_TCP_ESTABLISHED, sizeof r.established, ktime_ns + 300'000);
  r.established.sock_id = sock;
  r.established.tuple = tuple;

  r.owner.hdr = header(PF_REC_TCP_OWNER, sizeof r.owner, ktime_ns + 50'000);
  r.owner.sock_id = sock;
  r.owner.owner = Env::task(static_cast<uint32_t>(i + 1));  // a worker, not the listener
  r.owner.owner_source = PF_OWNER_ACCEPT;
  r.owner.hook = PF_HOOK_FENTRY;

  r.end.hdr = header(PF_REC_TCP_END, sizeof r.end, ktime_ns + 2'000'000);
  r.end.sock_id = sock;
  r.end.netns = kNetns;
  r.end.tuple = tuple;
  r.end.app_bytes_in = r.outbound ? 13'107 : 517;
  r.end.app_bytes_out = r.outbound ? 517 : 13'107;
  r.end.bytes_sent = r.end.app_bytes_out;
  r.end.packets = 16;
  r.end.close_cause = PF_CLOSE_NORMAL;
  r.end.implied_flags = tcp_flag::syn | tcp_flag::ack | tcp_flag::fin;
  r.end.last_state = 4;  // TCP_FIN_WAIT1
  r.end.established = 1;
  return r;
}

// ---- decode ----------------------------------------------------------------------------------

// Touches what a real handler would read first, so the copy cannot be optimized away.
struct SinkHandler : RecordHandler {
  uint64_t sum = 0;
  void on_tcp_start(const pf_tcp_start& r) override { sum += r.sock_id + r.tuple.sport; }
  void on_tcp_end(const pf_tcp_end& r) override { sum += r.sock_id + r.app_bytes_in; }
};

// A run of records as they sit in the ring buffer (different sockets, so not one hot line).
template <typename Record>
std::vector<Record> ring_of(Record SocketRecords::*member) {
  std::vector<Record> out;
  for (uint64_t i = 0; i < 256; i++) out.push_back(records_of(i, 1'000'000 * i).*member);
  return out;
}

template <typename Record>
void decode_bench(benchmark::State& state, Record SocketRecords::*member) {
  const std::vector<Record> ring = ring_of(member);
  SinkHandler handler;
  size_t i = 0;
  for (auto _ : state) {
    DecodeStatus st = decode_record(&ring[i], sizeof(Record), handler);
    benchmark::DoNotOptimize(st);
    i = (i + 1) % ring.size();
  }
  benchmark::DoNotOptimize(handler.sum);
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * sizeof(Record));
}

void BM_DecodeTcpEnd(benchmark::State& state) {
  decode_bench(state, &SocketRecords::end);
}
void BM_DecodeTcpStart(benchmark::State& state) {
  decode_bench(state, &SocketRecords::start);
}
BENCHMARK(BM_DecodeTcpEnd);
BENCHMARK(BM_DecodeTcpStart);

// ---- flow table --------------------------------------------------------------------------------

// Feeds socket `i`'s records to the table, as the tracer's RecordHandler does.
void feed(FlowTable& table, const SocketRecords& r) {
  table.on_tcp_start(r.start);
  if (r.outbound)
    table.on_tcp_established(r.established);
  else
    table.on_tcp_owner(r.owner);
  table.on_tcp_end(r.end);
}

// One item = one socket's whole life: start + established/owner + end records in, start and end
// events out (both fully enriched), with the periodic tick that releases ends after the linger.
// Records come from a precomputed ring (they stand for what decode produced) and only their
// socket ids and times are rewritten, so building them is not measured; PauseTiming would cost
// as much as what is measured.
void BM_FlowTableConnection(benchmark::State& state) {
  Env& e = env();
  uint64_t emitted = 0;
  FlowTable table(e.context(), [&](const FlowEvent& ev) {
    benchmark::DoNotOptimize(ev.exe.data());
    emitted++;
  });
  const uint64_t t0 = e.clock.now_boot_ns();
  std::vector<SocketRecords> ring;
  for (uint64_t k = 0; k < 1024; k++) ring.push_back(records_of(k, t0));
  uint64_t i = 0;
  for (auto _ : state) {
    SocketRecords& r = ring[i % ring.size()];
    // A fresh socket id and time each round, so the table never sees a socket twice.
    const uint64_t sock = kSockBase + i * 2048;
    const uint64_t now = t0 + i * kConnectionSpacingNs;
    r.start.sock_id = r.established.sock_id = r.owner.sock_id = r.end.sock_id = sock;
    r.start.hdr.ktime_ns = now;
    r.established.hdr.ktime_ns = now + 300'000;
    r.owner.hdr.ktime_ns = now + 50'000;
    r.end.hdr.ktime_ns = now + 2'000'000;
    feed(table, r);
    if (++i % kTickEvery == 0) table.tick(t0 + i * kConnectionSpacingNs);
  }
  // The budget says no /proc reads per event; a miss here would also make the numbers wrong.
  if (e.processes->proc_reads() != 0) state.SkipWithError("ProcessCache fell back to /proc");
  state.SetItemsProcessed(state.iterations());
  state.counters["events"] =
      benchmark::Counter(static_cast<double>(emitted), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FlowTableConnection);

// ---- community id ------------------------------------------------------------------------------

// One flow hash per new flow: IPv4 and IPv6 (the hash input is 4x longer).
void community_id_bench(benchmark::State& state, const char* src_text, const char* dst_text) {
  const IpAddress src = *IpAddress::parse(src_text);
  const IpAddress dst = *IpAddress::parse(dst_text);
  uint16_t port = 32768;
  for (auto _ : state) {
    std::string id = community_id(src, dst, port, 443, ip_proto_tcp);
    benchmark::DoNotOptimize(id.data());
    port = port == 60999 ? 32768 : port + 1;
  }
  state.SetItemsProcessed(state.iterations());
}
void BM_CommunityId(benchmark::State& state) {
  community_id_bench(state, "10.0.0.54", "93.184.216.34");
}
BENCHMARK(BM_CommunityId);
void BM_CommunityIdV6(benchmark::State& state) {
  community_id_bench(state, "2001:db8::54", "2606:2800:220:1:248:1893:25c8:1946");
}
BENCHMARK(BM_CommunityIdV6);

// ---- output ------------------------------------------------------------------------------------

// A real `end` event as the flow table builds it (outbound, every enrichment present): the
// biggest line procflow writes for a TCP flow.
const FlowEvent& sample_end_event() {
  static const FlowEvent event = [] {
    Env& e = env();
    std::optional<FlowEvent> last;
    FlowTable table(e.context(), [&](const FlowEvent& ev) {
      if (ev.action == FlowAction::end) last = ev;
    });
    const uint64_t t0 = e.clock.now_boot_ns();
    feed(table, records_of(0, t0));
    table.finish(t0 + 10'000'000);
    if (!last || last->exe.empty() || last->user.empty()) {
      std::fprintf(stderr, "pipeline_bench: sample event is not fully enriched\n");
      std::exit(1);
    }
    return *last;
  }();
  return event;
}

template <void (*Append)(const FlowEvent&, std::string&)>
void line_bench(benchmark::State& state) {
  const FlowEvent& ev = sample_end_event();
  std::string out;
  out.reserve(64 * 1024);
  size_t bytes = 0;
  for (auto _ : state) {
    // Appending into one batch buffer, cleared when full, is what trace_command does between
    // flushes; clearing every time would hide the cost of appending to a long string.
    if (out.size() > 60 * 1024) {
      bytes += out.size();
      out.clear();
    }
    Append(ev, out);
  }
  bytes += out.size();
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

void BM_JsonLine(benchmark::State& state) {
  line_bench<append_json_line>(state);
}
void BM_TextLine(benchmark::State& state) {
  line_bench<append_text_line>(state);
}
BENCHMARK(BM_JsonLine);
BENCHMARK(BM_TextLine);

// ---- everything --------------------------------------------------------------------------------

// The whole userspace path for one socket: its raw records decoded, correlated and enriched,
// the start and end events serialized as JSON and written in 64 KiB batches to /dev/null
// through LineSink. This is the userspace CPU a traced socket costs (kernel side excluded).
void BM_PipelinePerSocket(benchmark::State& state) {
  Env& e = env();
  int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (devnull < 0) {
    state.SkipWithError("cannot open /dev/null");
    return;
  }
  {
    auto sink = LineSink::to_fd(devnull);
    std::string lines;
    lines.reserve(64 * 1024);
    FlowTable table(e.context(), [&](const FlowEvent& ev) { append_json_line(ev, lines); });
    struct Forward : RecordHandler {
      FlowTable* t;
      void on_tcp_start(const pf_tcp_start& r) override { t->on_tcp_start(r); }
      void on_tcp_owner(const pf_tcp_owner& r) override { t->on_tcp_owner(r); }
      void on_tcp_established(const pf_tcp_established& r) override { t->on_tcp_established(r); }
      void on_tcp_end(const pf_tcp_end& r) override { t->on_tcp_end(r); }
    } handler;
    handler.t = &table;

    const uint64_t t0 = e.clock.now_boot_ns();
    std::vector<SocketRecords> ring;
    for (uint64_t k = 0; k < 1024; k++) ring.push_back(records_of(k, t0));
    uint64_t i = 0;
    for (auto _ : state) {
      SocketRecords& r = ring[i % ring.size()];
      const uint64_t sock = kSockBase + i * 2048;
      const uint64_t now = t0 + i * kConnectionSpacingNs;
      r.start.sock_id = r.established.sock_id = r.owner.sock_id = r.end.sock_id = sock;
      r.start.hdr.ktime_ns = now;
      r.established.hdr.ktime_ns = now + 300'000;
      r.owner.hdr.ktime_ns = now + 50'000;
      r.end.hdr.ktime_ns = now + 2'000'000;
      decode_record(&r.start, sizeof r.start, handler);
      if (r.outbound)
        decode_record(&r.established, sizeof r.established, handler);
      else
        decode_record(&r.owner, sizeof r.owner, handler);
      decode_record(&r.end, sizeof r.end, handler);
      if (++i % kTickEvery == 0) {
        table.tick(t0 + i * kConnectionSpacingNs);
        if (lines.size() > 60 * 1024) {  // the batch flush of trace_command
          sink->write(lines);
          lines.clear();
        }
      }
    }
    sink->flush();
  }
  ::close(devnull);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PipelinePerSocket);

}  // namespace
}  // namespace procflow

// BENCHMARK_MAIN plus --show_sample, which prints the event the line benchmarks serialize, so
// what is being measured can be checked by eye.
int main(int argc, char** argv) {
  std::vector<char*> args;
  bool show_sample = false;
  for (int i = 0; i < argc; i++) {
    if (std::string_view(argv[i]) == "--show_sample")
      show_sample = true;
    else
      args.push_back(argv[i]);
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
  if (show_sample) {
    std::string out;
    procflow::append_json_line(procflow::sample_end_event(), out);
    out += procflow::text_header();
    procflow::append_text_line(procflow::sample_end_event(), out);
    std::fputs(out.c_str(), stderr);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
