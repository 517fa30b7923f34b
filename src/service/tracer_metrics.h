// Everything the tracer can say about itself at one moment, for the
// Prometheus endpoint: taken on the loop's thread (the only one that may
// touch the tables and the kernel maps), then rendered elsewhere.
#pragma once

#include <cstdint>
#include <vector>

#include "bpf/program_stats.h"
#include "service/loss_counts.h"
#include "service/table_sizes.h"

namespace procflow {

struct CacheCounters {
  uint64_t hits = 0;
  uint64_t misses = 0;
};

struct TracerMetrics {
  uint64_t records = 0;  // ring buffer records read
  LossCounts losses;
  uint64_t filtered_in_kernel = 0;
  uint64_t tls_records = 0;  // TLS plaintext records decoded
  uint64_t tcp_flows_started = 0;
  uint64_t tcp_flows_ended = 0;
  uint64_t udp_flows_started = 0;
  uint64_t udp_flows_ended = 0;
  uint64_t messages = 0;           // `message` events built
  uint64_t payload_records = 0;    // chunks of content the kernel copied
  uint64_t payload_unmatched = 0;  // chunks no followed flow claimed
  TableSizes tables;
  CacheCounters processes;  // process cache: answered from memory / went to /proc
  CacheCounters dns_names;  // DNS cache: address named / not
  CacheCounters cgroups;    // cgroup ids: container facts known / the cgroup tree asked
  uint64_t proc_reads = 0;
  uint64_t dns_queries_seen = 0;
  uint64_t dns_answers_learned = 0;
  uint64_t dns_answers_rejected = 0;
  uint64_t dns_cache_evictions = 0;
  uint64_t ring_size_bytes = 0;  // 0: the fill could not be read
  uint64_t ring_used_bytes = 0;
  uint64_t interfaces_attached = 0;
  uint64_t interfaces_failed = 0;
  bool bpf_stats_enabled = false;
  std::vector<ProgramRunStats> programs;  // filled only when bpf_stats_enabled
};

}  // namespace procflow
