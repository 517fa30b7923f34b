// One loaded instance of procflow's BPF object: open -> size maps and set
// read-only config -> switch autoload per attach plan -> load -> attach.
// Owns the skeleton and every link; destroying it detaches and unloads all.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bpf/attach_plan.h"
#include "bpf/libbpf_raii.h"
#include "bpf/program_stats.h"
#include "bpf/tls_uprobes.h"
#include "procflow_abi.h"

struct procflow_bpf;
struct bpf_program;
struct bpf_link;

namespace procflow {

struct SessionOptions {
  uint32_t ringbuf_bytes = 8u << 20;
  uint32_t max_flows = 65536;
  uint32_t max_wire_tuples = 65536;  // TCP connections TC keeps packets and flags of
  uint32_t max_udp_flows = 65536;    // UDP (socket, peer) flows counted
  bool connect_by_tracepoint = false;
  bool udp_enabled = false;
  std::string cgroup_path;  // cgroup v2 root for the cgroup programs
  uint32_t self_tgid = 0;
  // The cheap flow filters the kernel applies where a flow starts
  // (bpf/flow_filter.bpf.h); empty: off. Userspace still filters every event.
  std::vector<uint32_t> filter_pids;
  std::vector<uint16_t> filter_ports;
  // Content capture (the `message` action), as in pf_config: bytes copied
  // per turn and direction (0: off, TLS plaintext included), turns per
  // direction and flow, records per second and CPU (TC and TLS each).
  uint16_t payload_bytes = 0;
  uint16_t payload_turns = 1;
  uint32_t payload_rate = 0;
  // Records one packet may take (the copy loop's bound); 0: as many as
  // payload_bytes needs. An older verifier refuses a long loop: 1 then.
  uint8_t payload_pieces = 0;
  // The libssl.so.3 the TLS uprobes attach to ("" = none: they stay unloaded
  // or detached, and the send/recv tracepoints skip their look-up).
  std::string tls_library;
  bool probing = false;  // tiny maps, no config: only to see if programs load
};

class BpfSession {
 public:
  // Loads the object with exactly `programs` autoloaded. nullptr + error on failure.
  static std::unique_ptr<BpfSession> load(const std::set<std::string_view>& programs,
                                          const SessionOptions& options, std::string* error);
  ~BpfSession();
  BpfSession(const BpfSession&) = delete;
  BpfSession& operator=(const BpfSession&) = delete;

  // Attaches every loaded tracing program (not TC: see TcAttachment), and
  // the TLS uprobes when a library was given. A TLS attach failure fails a
  // probing session only: tracing goes on without TLS plaintext.
  bool attach_tracing(std::string* error);
  // The library the TLS uprobes are attached to ("" = none).
  std::string tls_library() const { return tls_ ? tls_->library() : ""; }

  bpf_program* program(std::string_view name) const;
  int events_fd() const;
  int wire_fd() const;
  int wire_retired_fd() const;
  int drops_fd() const;
  int flows_fd() const;
  int udp_flows_fd() const;
  int payload_budget_fd() const;

  // Runs the start-up walk over every TCP socket (pf_iter_tcp, when loaded):
  // fn gets one record per socket. False, with error, if it could not run.
  bool walk_existing_tcp(const std::function<void(const pf_tcp_existing&)>& fn, std::string* error,
                         const std::string& proc_root = "/proc");
  int listeners_fd() const;
  // Every socket the kernel's flows map follows now.
  std::vector<uint64_t> flow_keys() const;
  // Per-slot totals over all CPUs of the drops map (PF_DROP_SLOTS: the
  // reasons, then ring-buffer losses by record kind).
  std::vector<uint64_t> read_drops() const;
  // Runs pf_snapshot: one PF_REC_TCP_SNAPSHOT per open flow into the ring.
  bool request_snapshot(std::string* error);
  // Run count and time of every loaded program (zero unless bpf_stats is on).
  std::vector<ProgramRunStats> program_stats() const;

 private:
  BpfSession() = default;
  bool fill_filters(const SessionOptions& options, std::string* error);
  bool attach_tls(std::string* error);
  static bool read_iterator(bpf_link* link, std::vector<pf_tcp_existing>* out, std::string* error);
  procflow_bpf* skel_ = nullptr;
  std::vector<BpfLinkPtr> links_;
  bpf_link* iter_tcp_ = nullptr;  // in links_: the start-up walk's iterator
  std::string cgroup_path_;
  std::string tls_library_;  // to attach to; tls_ once attached
  std::unique_ptr<TlsUprobes> tls_;
  bool probing_ = false;
  int udp_flows_fd_ = -1;
};

}  // namespace procflow
