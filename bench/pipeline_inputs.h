// What pipeline_bench feeds procflow's userspace pipeline: enrichers set up the way the tracer has
// them in steady state, and the records the kernel side sends for real sockets.
//
// The enrichers read from a private fake /proc, so nothing on this host is consulted and a cache
// miss shows up as a failed lookup (missing exe/user in the output) rather than as a silently
// slower benchmark.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "enrich/dns_cache.h"
#include "enrich/host_identity.h"
#include "enrich/name_resolver.h"
#include "enrich/network_direction.h"
#include "enrich/process_cache.h"
#include "enrich/user_resolver.h"
#include "flow/event_filter.h"
#include "flow/flow_context.h"
#include "procflow_abi.h"
#include "util/boot_clock.h"

namespace procflow::bench {

inline constexpr uint64_t kNetns = 4026531840;
inline constexpr uint64_t kSockBase = 0xffff888100000000ull;
// Spacing of successive sockets in kernel time: 50k sockets/s, a busy host. With the table's
// 250 ms linger this keeps ~12k ends pending, so the deque works at realistic depth.
inline constexpr uint64_t kConnectionSpacingNs = 20'000;
// The tracer drains the ring buffer in batches and ticks the tables once per batch.
inline constexpr uint64_t kTickEvery = 32;
// Distinct remote hosts the sockets talk to (each outbound one has a DNS name).
inline constexpr uint32_t kRemoteHosts = 200;

// The enrichers, set up once per process.
struct Env {
  std::filesystem::path root;
  std::unique_ptr<ProcessCache> processes;
  std::unique_ptr<UserResolver> users;
  HostIdentity host;
  NetworkClassifier networks = NetworkClassifier::defaults();
  BootClock clock;
  // As the tracer has them: /etc/hosts, the host's own address, and a DNS cache that learned
  // the names of the remote hosts outbound sockets connect to.
  DnsCache dns;
  std::unique_ptr<NameResolver> names;

  Env();
  ~Env();
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  // The task (process and thread) that owns socket `i`: one of a few dozen processes.
  static pf_task task(uint32_t i);
  // with_names: a NameResolver as `procflow trace` has, or none (no names for any address).
  FlowContext context(bool with_names = false, const EventFilter* filter = nullptr);
};

Env& env();

// Which way a TCP socket's connection goes. `mixed` alternates, socket by socket.
enum class Direction { outbound, inbound, mixed };

// The records the kernel side emits for TCP socket `i`, in order:
//   outbound: start (owner from connect) -> established -> end
//   inbound:  start (owner = the listener, a guess) -> owner (accept) -> end
// Outbound: 10.0.0.54 -> 93.184.216.x:443, a host with a DNS name. Inbound: 198.51.100.x ->
// 10.0.0.54:22, a client nothing names. Each from its own ephemeral port.
struct SocketRecords {
  pf_tcp_start start;
  pf_tcp_established established;  // outbound only
  pf_tcp_owner owner;              // inbound only
  pf_tcp_end end;
  bool outbound;

  // A fresh socket id and kernel time, so a table never sees a socket twice: only these are
  // rewritten between rounds, building records is not measured.
  void renew(uint64_t sock_id, uint64_t ktime_ns);
};

SocketRecords records_of(uint64_t i, uint64_t ktime_ns, Direction direction = Direction::mixed);

// A UDP flow as the kernel reports it: the first datagram of a connected socket to
// 93.184.216.x:443 (QUIC, say) starts it, the socket's release ends it.
struct UdpRecords {
  pf_udp_start start;
  pf_udp_release release;

  void renew(uint64_t sock_id, uint64_t ktime_ns);
};

UdpRecords udp_records_of(uint64_t i, uint64_t ktime_ns);

// The kernel's udp_flows map for the UDP table: every flow has the same counters. The real one
// is a map lookup-and-delete per ended flow (a system call), which is not userspace work.
class FixedUdpStats : public UdpStatsSource {
 public:
  void read_all(const std::function<void(const pf_udp_key&, const pf_udp_stats&)>&) override {}
  std::optional<pf_udp_stats> take(const pf_udp_key&) override {
    return pf_udp_stats{.bytes_in = 24'300, .bytes_out = 3'100, .dgrams_in = 21, .dgrams_out = 9};
  }
};

}  // namespace procflow::bench
