#include "bpf/bpf_session.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

#include "procflow_abi.h"
#include "util/net_namespaces.h"

// After the ABI header: the skeleton names struct pf_config.
#include "procflow.skel.h"

namespace procflow {

std::unique_ptr<BpfSession> BpfSession::load(const std::set<std::string_view>& programs,
                                             const SessionOptions& options, std::string* error) {
  std::unique_ptr<BpfSession> session(new BpfSession());
  session->skel_ = procflow_bpf__open();
  if (!session->skel_) {
    *error = std::string("cannot open the BPF object: ") + strerror(errno);
    return nullptr;
  }
  auto* skel = session->skel_;
  bpf_program* prog;
  bpf_object__for_each_program(prog, skel->obj) {
    bpf_program__set_autoload(prog, programs.count(bpf_program__name(prog)) > 0);
  }
  if (options.probing) {
    bpf_map__set_max_entries(skel->maps.events, 4096);
    bpf_map__set_max_entries(skel->maps.flows, 1);
    bpf_map__set_max_entries(skel->maps.listeners, 1);
    bpf_map__set_max_entries(skel->maps.wire, 1);
    bpf_map__set_max_entries(skel->maps.wire_retired, 1);
    bpf_map__set_max_entries(skel->maps.udp_flows, 1);
    bpf_map__set_max_entries(skel->maps.payload_budget, 1);
    bpf_map__set_max_entries(skel->maps.ssl_calls, 1);
    bpf_map__set_max_entries(skel->maps.ssl_socks, 1);
    bpf_map__set_max_entries(skel->maps.tls_budget, 1);
  } else {
    bpf_map__set_max_entries(skel->maps.events, options.ringbuf_bytes);
    bpf_map__set_max_entries(skel->maps.flows, options.max_flows);
    bpf_map__set_max_entries(skel->maps.wire, options.max_wire_tuples);
    bpf_map__set_max_entries(skel->maps.wire_retired, options.max_wire_tuples / 4);
    bpf_map__set_max_entries(skel->maps.payload_budget, options.max_wire_tuples);
    bpf_map__set_max_entries(skel->maps.udp_flows, options.max_udp_flows);
    if (!options.filter_pids.empty()) {
      bpf_map__set_max_entries(skel->maps.filter_pids,
                               static_cast<uint32_t>(options.filter_pids.size()));
      skel->rodata->pf_cfg.filter_by_pid = 1;
    }
    if (!options.filter_ports.empty()) {
      bpf_map__set_max_entries(skel->maps.filter_ports,
                               static_cast<uint32_t>(options.filter_ports.size()));
      skel->rodata->pf_cfg.filter_by_port = 1;
    }
  }
  skel->rodata->pf_cfg.self_tgid = options.self_tgid;
  skel->rodata->pf_cfg.connect_by_tracepoint = options.connect_by_tracepoint ? 1 : 0;
  skel->rodata->pf_cfg.udp_enabled = options.udp_enabled ? 1 : 0;
  skel->rodata->pf_cfg.payload_bytes = options.payload_bytes;
  skel->rodata->pf_cfg.payload_turns = options.payload_turns;
  skel->rodata->pf_cfg.payload_rate = options.payload_rate;
  // The copy loop's bound, known to the verifier: as many records as the budget needs.
  skel->rodata->pf_cfg.payload_pieces =
      options.payload_pieces
          ? options.payload_pieces
          : static_cast<uint8_t>((options.payload_bytes + PF_PAYLOAD_MAX - 1) / PF_PAYLOAD_MAX);
  skel->rodata->pf_tls_enabled = !options.tls_library.empty() && options.payload_bytes > 0;
  session->tls_library_ = skel->rodata->pf_tls_enabled ? options.tls_library : "";
  session->probing_ = options.probing;
  session->cgroup_path_ = options.cgroup_path;
  int err = procflow_bpf__load(skel);
  if (err) {
    *error = std::string("cannot load the BPF programs: ") + strerror(-err);
    return nullptr;
  }
  if (!options.probing && !session->fill_filters(options, error)) return nullptr;
  return session;
}

// Before any program is attached: a filter must hold from the first event.
bool BpfSession::fill_filters(const SessionOptions& options, std::string* error) {
  const uint8_t wanted = 1;
  for (uint32_t pid : options.filter_pids) {
    if (bpf_map__update_elem(skel_->maps.filter_pids, &pid, sizeof pid, &wanted, sizeof wanted,
                             BPF_ANY)) {
      *error = std::string("cannot set the --pid filter in the kernel: ") + strerror(errno);
      return false;
    }
  }
  for (uint16_t port : options.filter_ports) {
    if (bpf_map__update_elem(skel_->maps.filter_ports, &port, sizeof port, &wanted, sizeof wanted,
                             BPF_ANY)) {
      *error = std::string("cannot set the --port filter in the kernel: ") + strerror(errno);
      return false;
    }
  }
  return true;
}

BpfSession::~BpfSession() {
  tls_.reset();  // detach before the programs go away
  links_.clear();
  if (skel_) procflow_bpf__destroy(skel_);
}

bool BpfSession::attach_tracing(std::string* error) {
  bpf_program* prog;
  bpf_object__for_each_program(prog, skel_->obj) {
    if (!bpf_program__autoload(prog)) continue;
    auto type = bpf_program__type(prog);
    if (type == BPF_PROG_TYPE_SCHED_CLS) continue;  // TcAttachment's job
    std::string_view name = bpf_program__name(prog);
    if (name == "pf_snapshot") continue;    // run on demand, never attached
    if (is_uprobe_program(prog)) continue;  // attached to a library below
    bpf_link* link = nullptr;
    if (type == BPF_PROG_TYPE_CGROUP_SOCK_ADDR || type == BPF_PROG_TYPE_CGROUP_SOCK) {
      if (cgroup_path_.empty()) {
        *error = "cannot attach " + std::string(name) + ": no cgroup v2 mount";
        return false;
      }
      UniqueFd cgroup(open(cgroup_path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!cgroup.valid()) {
        *error = "cannot open " + cgroup_path_ + ": " + strerror(errno);
        return false;
      }
      link = bpf_program__attach_cgroup(prog, cgroup.get());  // a link: gone with us
    } else if (type == BPF_PROG_TYPE_TRACING && name == "pf_iter_tcp") {
      link = bpf_program__attach_iter(prog, nullptr);  // runs only when read
      iter_tcp_ = link;
    } else {
      link = bpf_program__attach(prog);
    }
    if (!link) {
      *error = "cannot attach " + std::string(name) + " (" + bpf_program__section_name(prog) +
               "): " + strerror(errno);
      return false;
    }
    links_.emplace_back(link);
  }
  return attach_tls(error);
}

bool BpfSession::attach_tls(std::string* error) {
  if (tls_library_.empty() || tls_) return true;
  std::string why;
  tls_ = TlsUprobes::attach([this](std::string_view name) { return program(name); }, tls_library_,
                            &why);
  if (tls_) return true;
  if (probing_) {
    *error = why;
    return false;
  }
  // The probe attached the same moments ago: the library changed since.
  spdlog::warn("no TLS plaintext: {}", why);
  return true;
}

bpf_program* BpfSession::program(std::string_view name) const {
  bpf_program* prog;
  bpf_object__for_each_program(prog, skel_->obj) {
    if (name == bpf_program__name(prog)) return prog;
  }
  return nullptr;
}

int BpfSession::events_fd() const {
  return bpf_map__fd(skel_->maps.events);
}
int BpfSession::wire_fd() const {
  return bpf_map__fd(skel_->maps.wire);
}
int BpfSession::wire_retired_fd() const {
  return bpf_map__fd(skel_->maps.wire_retired);
}
int BpfSession::drops_fd() const {
  return bpf_map__fd(skel_->maps.drops);
}
int BpfSession::flows_fd() const {
  return bpf_map__fd(skel_->maps.flows);
}
int BpfSession::udp_flows_fd() const {
  return bpf_map__fd(skel_->maps.udp_flows);
}

int BpfSession::payload_budget_fd() const {
  return bpf_map__fd(skel_->maps.payload_budget);
}

int BpfSession::listeners_fd() const {
  return bpf_map__fd(skel_->maps.listeners);
}

bool BpfSession::walk_existing_tcp(const std::function<void(const pf_tcp_existing&)>& fn,
                                   std::string* error, const std::string& proc_root) {
  if (!iter_tcp_) {
    *error = "the socket walk is not loaded";
    return false;
  }
  // A TCP iterator lists the sockets of the network namespace of the thread
  // that opens it: each namespace is walked from inside.
  std::vector<pf_tcp_existing> found;
  size_t walked = 0;
  for (const NetNamespace& ns : list_net_namespaces(proc_root)) {
    std::string why;
    bool read_ok = false;
    const bool entered = run_in_net_namespace(
        ns.pid, [&] { read_ok = read_iterator(iter_tcp_, &found, &why); }, &why, proc_root);
    if (entered && read_ok) walked++;
  }
  if (!walked) {
    *error = "cannot walk the TCP sockets of any network namespace";
    return false;
  }
  for (const pf_tcp_existing& rec : found) fn(rec);
  return true;
}

bool BpfSession::read_iterator(bpf_link* link, std::vector<pf_tcp_existing>* out,
                               std::string* error) {
  UniqueFd iter(bpf_iter_create(bpf_link__fd(link)));
  if (!iter.valid()) {
    *error = std::string("cannot start the socket walk: ") + strerror(errno);
    return false;
  }
  // Whole records only: the kernel fills the output a page at a time.
  std::vector<char> buffer(64 * 1024);
  size_t used = 0;
  for (;;) {
    const ssize_t n = read(iter.get(), buffer.data() + used, buffer.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = std::string("the socket walk failed: ") + strerror(errno);
      return false;
    }
    if (n == 0) return true;
    used += static_cast<size_t>(n);
    size_t at = 0;
    for (; used - at >= sizeof(pf_tcp_existing); at += sizeof(pf_tcp_existing)) {
      pf_tcp_existing rec;
      std::memcpy(&rec, buffer.data() + at, sizeof rec);
      if (rec.hdr.kind == PF_REC_TCP_EXISTING && rec.hdr.size == sizeof rec) out->push_back(rec);
    }
    std::memmove(buffer.data(), buffer.data() + at, used - at);
    used -= at;
  }
}

std::vector<uint64_t> BpfSession::flow_keys() const {
  // In batches: with 100 000 sockets tracked, one system call per key is 100 000 calls every
  // reconcile, long enough for a burst of new connections to fill the ring meanwhile.
  constexpr uint32_t batch = 1024;
  std::vector<uint64_t> keys, batch_keys(batch);
  std::vector<char> values(size_t{batch} * bpf_map__value_size(skel_->maps.flows));
  uint64_t out_batch = 0;
  void* in_batch = nullptr;
  while (true) {
    uint32_t count = batch;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    int err = bpf_map_lookup_batch(flows_fd(), in_batch, &out_batch, batch_keys.data(),
                                   values.data(), &count, &opts);
    if (err && errno != ENOENT) break;  // no batch operations (before 5.6): one key per call
    keys.insert(keys.end(), batch_keys.begin(), batch_keys.begin() + count);
    if (err) return keys;  // ENOENT: that was the last batch
    in_batch = &out_batch;
  }
  keys.clear();
  uint64_t key = 0, next = 0;
  const void* prev = nullptr;
  while (bpf_map_get_next_key(flows_fd(), prev, &next) == 0) {
    keys.push_back(next);
    key = next;
    prev = &key;
  }
  return keys;
}

std::vector<uint64_t> BpfSession::read_drops() const {
  std::vector<uint64_t> totals(PF_DROP_SLOTS, 0);
  int ncpu = libbpf_num_possible_cpus();
  if (ncpu <= 0) return totals;
  std::vector<uint64_t> per_cpu(ncpu);
  for (uint32_t i = 0; i < PF_DROP_SLOTS; i++) {
    if (bpf_map_lookup_elem(drops_fd(), &i, per_cpu.data()) != 0) continue;
    for (auto v : per_cpu) totals[i] += v;
  }
  return totals;
}

bool BpfSession::request_snapshot(std::string* error) {
  if (!bpf_program__autoload(skel_->progs.pf_snapshot)) {
    *error = "snapshot program not loaded";
    return false;
  }
  LIBBPF_OPTS(bpf_test_run_opts, opts);
  int err = bpf_prog_test_run_opts(bpf_program__fd(skel_->progs.pf_snapshot), &opts);
  if (err) {
    *error = std::string("snapshot failed: ") + strerror(errno);
    return false;
  }
  return true;
}

std::vector<ProgramRunStats> BpfSession::program_stats() const {
  return read_program_stats(skel_->obj);
}

}  // namespace procflow
