#include "service/tracer.h"

#include <bpf/bpf.h>
#include <netinet/in.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>

#include "bpf/hook_prober.h"
#include "bpf/interfaces.h"
#include "bpf/kernel_facts.h"
#include "bpf/libbpf_log.h"
#include "bpf/tc_attachment.h"
#include "bpf/tc_registry.h"
#include "bpf/tls_plan.h"
#include "collect/dns_record.h"
#include "collect/payload_chunk.h"
#include "collect/ring_fill.h"
#include "collect/ring_reader.h"
#include "collect/tls_plaintext.h"
#include "collect/udp_stats_map.h"
#include "collect/wire_stats_map.h"
#include "dns/dns_message.h"
#include "enrich/container_resolver.h"
#include "enrich/dns_cache.h"
#include "enrich/host_identity.h"
#include "enrich/name_resolver.h"
#include "enrich/network_direction.h"
#include "enrich/process_cache.h"
#include "enrich/socket_owners.h"
#include "enrich/user_resolver.h"
#include "flow/dns_learner.h"
#include "flow/flow_conversation.h"
#include "flow/udp_flow_table.h"
#include "proto/content_text.h"
#include "proto/ndpi_engine.h"
#include "service/table_sizes.h"
#include "util/host_proc.h"
#include "util/seconds.h"

namespace procflow {

struct Tracer::Impl : RecordHandler {
  // Every reader of other processes' /proc entries gets the configured root.
  explicit Impl(const TracerOptions& o)
      : options(o),
        tc_registry(TcRegistry::kDefaultDir, 0, o.host_proc),
        processes(o.host_proc),
        users(o.host_proc) {}

  TracerOptions options;
  AttachPlan plan;
  std::unique_ptr<BpfSession> session;
  bool tc_enabled = false;
  bool exec_hooked = false;
  TcMode tc_mode = TcMode::tcx;
  TcRegistry tc_registry;
  std::map<int, std::unique_ptr<TcAttachment>> tc;  // by ifindex
  std::unique_ptr<LinkWatcher> watcher;
  BootClock clock;
  ProcessCache processes;
  UserResolver users;
  HostIdentity host;
  NetworkClassifier networks = NetworkClassifier::defaults();
  std::unique_ptr<WireStatsMap> wire;
  DnsCache dns_cache;
  std::unique_ptr<ReverseLookup> reverse;
  std::unique_ptr<NameResolver> names;
  std::unique_ptr<DnsLearner> dns;
  std::unique_ptr<ContainerResolver> containers;
  std::string cgroup_v2_mount;  // "" on a cgroup v1 only host

  // The loop wakes when `fd` is readable.
  void watch(int fd) const {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(epoll_fd.get(), EPOLL_CTL_ADD, fd, &ev);
  }
  // Content capture: nDPI's module and what every conversation shares;
  // nullptr when content capture is off (no `message` events).
  std::unique_ptr<NdpiEngine> ndpi;
  std::unique_ptr<ConversationSettings> conversations;
  uint64_t payload_records = 0;
  uint64_t payload_malformed = 0;  // records whose lengths did not add up: not used
  uint64_t interfaces_failed = 0;  // TC attach refused: logged, counted, the rest go on
  Tracer::OnLoss on_loss;
  LossCounts reported;             // losses already told through on_loss
  uint64_t reported_until_us = 0;  // the moment they were told up to

  LossCounts losses() const { return losses(session->read_drops()); }
  // From drop counters already read (one map read serves several counts).
  LossCounts losses(const std::vector<uint64_t>& kernel_counters) const {
    LossCounts c = LossCounts::from_kernel(kernel_counters);
    c.undecodable = ring->decode_errors();
    c.flows_end_lost = table->stats().ends_lost;
    if (options.output_dropped) c.events_not_written = options.output_dropped();
    return c;
  }

  // Tells what was lost since the last report, if anything was.
  void report_losses() {
    const LossCounts now = losses();
    const LossCounts delta = now.since(reported);
    if (!delta.any()) return;
    const uint64_t now_us = clock.to_unix_us(clock.now_boot_ns());
    if (on_loss) on_loss(delta, reported_until_us, now_us);
    reported = now;
    reported_until_us = now_us;
  }
  std::unique_ptr<FlowTable> table;
  std::unique_ptr<UdpStatsMap> udp_stats;
  std::unique_ptr<UdpFlowTable> udp_table;
  std::unique_ptr<RingReader> ring;
  std::unique_ptr<RingFill> ring_fill;  // nullptr: the fill is not reported
  UniqueFd signal_fd;
  UniqueFd epoll_fd;

  void on_exec(const pf_proc_exec& r) override {
    const ExecDetails exec = exec_details(r);
    spdlog::trace("exec pid={} filename={} kernel_path={} flags={:#x} mnt_event={}", r.task.tgid,
                  exec_filename(r), exec.kernel_path, exec.kernel_flags, r.mnt_event);
    processes.on_exec(r.task, exec_filename(r), exec);
    // Read the new process's user table while its root is still reachable: a
    // short-lived process in a fresh container is gone by the time its flow
    // ends. Its pid also stays a way into the namespace for later processes.
    users.on_exec(r.task.uid, r.task.tgid, r.task.mntns, exec.program);
    // Likewise its cgroup and /proc facts: a container that runs one short
    // command may be gone, cgroup and all, before its flow's records are read.
    if (containers)
      containers->resolve(r.task.tgid, r.task.start_boot_ns, r.task.cgroup_id, r.task.ns_tgid);
  }
  void on_fork(const pf_proc_fork& r) override {
    users.remember(r.child.mntns, r.child.tgid);
    // A child inherits its parent's image only until it execs: without the
    // exec hook that moment is invisible, and /proc is the better answer.
    if (exec_hooked) processes.on_fork(r.child);
  }
  void on_exit(const pf_proc_exit& r) override { processes.on_exit(r.task, r.hdr.ktime_ns); }
  void on_tcp_start(const pf_tcp_start& r) override {
    spdlog::trace("tcp start sock={:x} initiated={} owner={} source={} hook={} ports={}->{}",
                  r.sock_id, r.initiated, r.owner.tgid, r.owner_source, r.hook, r.tuple.sport,
                  r.tuple.dport);
    retry_dns_answers();
    table->on_tcp_start(r);
  }
  void on_tcp_owner(const pf_tcp_owner& r) override {
    spdlog::trace("tcp owner sock={:x} owner={} source={} hook={}", r.sock_id, r.owner.tgid,
                  r.owner_source, r.hook);
    table->on_tcp_owner(r);
  }
  void on_tcp_established(const pf_tcp_established& r) override { table->on_tcp_established(r); }
  void on_tcp_end(const pf_tcp_end& r) override { table->on_tcp_end(r); }
  void on_tcp_snapshot(const pf_tcp_snapshot& r) override { table->on_tcp_snapshot(r); }
  void on_tcp_reset(const pf_tcp_reset& r) override { table->on_tcp_reset(r); }
  void on_udp_start(const pf_udp_start& r) override {
    retry_dns_answers();
    if (udp_table) udp_table->on_udp_start(r);
  }
  // A DNS answer read before its querying socket's flow waits for it; the
  // flow a client opens to the answered address must not start before the
  // answer had its chance (the socket's start was read by now).
  void retry_dns_answers() {
    if (dns && dns->answers_waiting()) dns->retry_waiting();
  }
  void on_dns(const pf_dns& r) override {
    dns->on_message(dns_wire_of(r), dns_payload_of(r));
    if (conversations)
      if (auto chunk = payload_chunk_of(r)) to_flows(*chunk);
  }
  void on_payload(const pf_payload& r) override {
    payload_records++;
    auto chunk = payload_chunk_of(r);
    if (!chunk) {
      payload_malformed++;
      return;
    }
    to_flows(*chunk);
  }
  void to_flows(const PayloadChunk& c) {
    if (c.transport == IPPROTO_TCP)
      table->on_payload(c);
    else if (udp_table)
      udp_table->on_payload(c);
  }
  void on_udp_release(const pf_udp_release& r) override {
    if (udp_table) udp_table->on_udp_release(r);
  }
  // TLS plaintext: to the socket's flow, as its tls_plaintext messages.
  uint64_t tls_records = 0;
  void on_tls_data(const pf_tls_data& r) override {
    const std::optional<TlsPlaintext> tls = tls_plaintext_of(r);
    if (!tls) return;
    tls_records++;
    if (spdlog::should_log(spdlog::level::trace))
      spdlog::trace("tls {} pid={} tid={} sock={:x} len={} copied={} turn_start={} data=\"{}\"",
                    tls->sent ? "sent" : "received", tls->task.tgid, tls->task.tid, tls->sock_id,
                    tls->data_len, tls->bytes.size(), tls->turn_start,
                    content_text(tls->bytes.first(std::min<size_t>(tls->bytes.size(), 60))));
    if (conversations)
      table->on_plaintext(tls->sock_id, tls->sent ? MessageDirection::out : MessageDirection::in,
                          tls->turn_start, tls->ktime_ns, tls->bytes,
                          tls->data_len > tls->bytes.size());
  }

  // report_interval: TCP counters come from a snapshot the kernel writes
  // into the ring when asked (read at once, so the table has them), UDP
  // counters from the map. Without the snapshot program (an old kernel's
  // plan) TCP periods cannot be counted and are not reported.
  void report_period(uint64_t now) {
    std::string snapshot_error;
    if (plan.chosen_kind(Need::open_flow_counters) && session->request_snapshot(&snapshot_error)) {
      ring->consume(options.records_per_turn * 16);
      table->report_period(now);
    } else if (!period_warning_given) {
      spdlog::warn(
          "report_interval: TCP flows are reported only at their end here ({})",
          snapshot_error.empty() ? "no snapshot program in this attach plan" : snapshot_error);
      period_warning_given = true;
    }
    if (udp_table) udp_table->report_period(now);
  }
  bool period_warning_given = false;

  TableSizes table_sizes() const {
    TableSizes t;
    t.tcp_flows = table->open_flows();
    t.tcp_ending = table->ending_flows();
    t.tcp_endpoints = table->indexed_endpoints();
    if (udp_table) {
      t.udp_flows = udp_table->open_flows();
      t.udp_endpoints = udp_table->indexed_endpoints();
    }
    t.processes = processes.size();
    t.processes_exited = processes.exited();
    t.dns_names = dns_cache.size();
    t.dns_queries = dns->tracker().outstanding();
    t.dns_waiting = dns->answers_waiting();
    t.mount_namespaces = users.namespaces_cached();
    t.namespace_users = users.answers_cached();
    t.cgroups = containers->cgroups_cached();
    t.container_processes = containers->processes_cached();
    t.pods = containers->pods_cached();
    return t;
  }

  // Connections and listeners that existed before procflow: found by the
  // socket walk, owners from /proc, so nothing already open is invisible.
  void report_existing_sockets() {
    if (!plan.chosen_kind(Need::existing_sockets)) return;
    std::vector<pf_tcp_existing> found;
    std::string why;
    if (!session->walk_existing_tcp([&](const pf_tcp_existing& r) { found.push_back(r); }, &why,
                                    options.host_proc)) {
      spdlog::warn("connections open before procflow started are not reported: {}", why);
      return;
    }
    const SocketOwners owners = SocketOwners::scan(options.host_proc, cgroup_v2_mount);
    size_t connections = 0, listeners_found = 0, unowned = 0;
    for (const pf_tcp_existing& r : found) {
      const std::optional<pf_task> owner = owners.owner_of(r.inode);
      if (r.listening) {
        listeners_found++;
        pf_listener_key key{};
        key.netns = r.netns;
        key.port = r.tuple.sport;
        pf_task current{};
        // Only the walk's own entries (owner unknown): a listener that
        // started after the programs were attached has its real owner.
        if (owner && bpf_map_lookup_elem(session->listeners_fd(), &key, &current) == 0 &&
            current.tgid == 0)
          bpf_map_update_elem(session->listeners_fd(), &key, &*owner, BPF_EXIST);
        continue;
      }
      if (!r.tracked) continue;
      connections++;
      if (!owner) unowned++;
      table->on_existing(r, owner);
    }
    spdlog::info(
        "found {} TCP connections ({} held by no process) and {} listeners that "
        "existed before procflow started",
        connections, unowned, listeners_found);
  }

  bool wanted(const InterfaceInfo& info) const {
    if (options.interfaces.empty()) return info.up;
    for (const auto& name : options.interfaces)
      if (name == info.name) return true;
    return false;
  }

  bool attach_interface(const InterfaceInfo& info, std::string* error) {
    if (tc.count(info.index)) return true;
    auto a = TcAttachment::attach(info.index, info.name, tc_mode, tc_registry.filter_handle(),
                                  bpf_program__fd(session->program("pf_tc_ingress")),
                                  bpf_program__fd(session->program("pf_tc_egress")), error);
    if (!a) return false;
    if (tc_mode == TcMode::clsact) tc_registry.record(info.index, info.name, a->created_qdisc());
    spdlog::debug("TC attached to {} ({})", info.name, tc_mode == TcMode::tcx ? "tcx" : "clsact");
    tc[info.index] = std::move(a);
    return true;
  }

  bool attach_interfaces(std::string* error) {
    if (int stale = tc_registry.remove_stale())
      spdlog::warn("removed {} TC filter(s) left behind by a procflow that did not exit cleanly",
                   stale);
    auto all = list_interfaces();
    for (const auto& name : options.interfaces) {
      bool found = false;
      for (const auto& i : all) found |= i.name == name;
      if (!found)
        spdlog::warn("no interface named '{}' yet: it will be traced when it appears", name);
    }
    for (const auto& info : all) {
      if (!wanted(info)) continue;
      // One interface that refuses (a driver without clsact, a race with
      // its removal) must not keep the others, and every flow, untraced.
      std::string why;
      if (!attach_interface(info, &why)) {
        interfaces_failed++;
        spdlog::warn("not tracing packets on {}: {}", info.name, why);
      }
    }
    if (!all.empty() && tc.empty() && interfaces_failed) {
      *error = "TC could not be attached to any interface (see the warnings above)";
      return false;
    }
    return true;
  }

  void on_links_changed() {
    for (const auto& info : watcher->drain()) {
      if (info.name.empty()) continue;
      if (!tc.count(info.index) && wanted(info)) {
        std::string err;
        if (!attach_interface(info, &err)) {
          interfaces_failed++;
          spdlog::warn("cannot trace new interface: {}", err);
        } else
          spdlog::info("tracing new interface {}", info.name);
      }
    }
  }
};

namespace {

// The inode of procflow's own network namespace: the one its TC interfaces
// are in, and the netns of the host's flows when procflow runs on the host.
uint64_t own_network_namespace() {
  struct stat st = {};
  return ::stat("/proc/self/ns/net", &st) == 0 ? st.st_ino : 0;
}

void report_dns(const DnsQueryTracker& t, uint64_t learned) {
  if (!t.queries_seen() && !learned && !t.rejected()) return;
  spdlog::info("DNS: {} queries seen, {} answers named addresses, {} answers rejected",
               t.queries_seen(), learned, t.rejected());
  for (size_t i = 0; i < dns_verdict_count; i++) {
    const auto verdict = static_cast<DnsVerdict>(i);
    if (verdict == DnsVerdict::accepted || !t.count(verdict)) continue;
    spdlog::info("DNS: {} answers {}: {}", t.count(verdict),
                 verdict == DnsVerdict::duplicate ? "ignored" : "rejected", to_string(verdict));
  }
  if (t.queries_evicted())
    spdlog::warn("DNS: {} queries forgotten unanswered to make room", t.queries_evicted());
}

}  // namespace

Tracer::Tracer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tracer::~Tracer() = default;

std::unique_ptr<Tracer> Tracer::start(const TracerOptions& options, Emit emit, std::string* error) {
  install_libbpf_logging();
  if (auto why = missing_privileges(); !why.empty()) {
    *error = why;
    return nullptr;
  }
  KernelFacts facts = detect_kernel_facts();
  if (auto why = kernel_unsupported_reason(facts); !why.empty()) {
    *error = why;
    return nullptr;
  }
  // Before anything reads /proc: the kernel reports pids of the initial pid
  // namespace, so in any other one every pid would name the wrong process
  // (and procflow would not know its own). A container without hostPID and
  // its own /proc is caught here; one given a host /proc, just below.
  if (auto why = own_pid_namespace_problem(); !why.empty()) {
    *error = why;
    return nullptr;
  }
  if (options.host_proc != "/proc") {
    if (auto why = host_pid_namespace_problem(options.host_proc, getpid()); !why.empty()) {
      *error = why;
      return nullptr;
    }
  }
  auto impl = std::make_unique<Impl>(options);
  if (!options.internal_networks.empty()) {
    auto parsed = NetworkClassifier::parse(options.internal_networks, error);
    if (!parsed) return nullptr;
    impl->networks = *parsed;
  }

  KernelHookProber prober(facts.cgroup_v2, options.host_proc);
  // TLS plaintext is content: with content capture off, its uprobes go too.
  const bool content_capture = options.content.enabled();
  std::set<HookKind> disabled = options.disabled_hooks;
  if (!content_capture || !options.content.tls_plaintext) disabled.insert(HookKind::tls_uprobe);
  impl->plan = choose_attach_plan(prober, disabled);
  if (const NeedSpec* missing = impl->plan.missing_required()) {
    *error = "this kernel offers no usable hook for '" + std::string(missing->name) + "' (" +
             std::string(missing->cost_if_none) + "); run `procflow probe` for details";
    return nullptr;
  }
  spdlog::info("attach plan: {}", impl->plan.summary());
  for (const auto& c : impl->plan.choices) {
    // TLS has its own line, below.
    if (c.spec->need == Need::tls_plaintext || c.spec->need == Need::tls_handshake) continue;
    if (!c.chosen)
      spdlog::warn("no usable hook for '{}': {}", c.spec->name, c.spec->cost_if_none);
    else if (!c.chosen->cost.empty())
      spdlog::info("{} uses {}: {}", c.spec->name, c.chosen->attach_point, c.chosen->cost);
  }

  const TlsPlanLine tls_line = describe_tls_plan(impl->plan, prober, content_capture);
  if (tls_line.problem)
    spdlog::warn("{}", tls_line.text);
  else
    spdlog::info("{}", tls_line.text);

  SessionOptions session_options = options.session;
  if (tls_line.capturing) session_options.tls_library = prober.tls_library();
  session_options.self_tgid = static_cast<uint32_t>(getpid());
  session_options.connect_by_tracepoint =
      impl->plan.chosen_kind(Need::tcp_connect) == HookKind::state_transition;
  session_options.udp_enabled = impl->plan.chosen_kind(Need::udp_datagrams).has_value();
  session_options.cgroup_path = facts.cgroup_v2;
  if (options.content.enabled()) {
    session_options.payload_bytes =
        static_cast<uint16_t>(std::min(options.content.bytes, kMaxContentBytes));
    session_options.payload_turns = options.content.kernel_turns();
    session_options.payload_rate = options.content.turns_per_second;
    if (!impl->plan.chosen_kind(Need::packets))
      spdlog::warn("no message events from the wire: the TC programs that copy it are not used");
  }
  if (options.filter && options.filter_in_kernel) {
    session_options.filter_pids.assign(options.filter->pids.begin(), options.filter->pids.end());
    session_options.filter_ports.assign(options.filter->ports.begin(), options.filter->ports.end());
  }
  impl->session = BpfSession::load(impl->plan.programs(), session_options, error);
  if (!impl->session && session_options.payload_bytes > PF_PAYLOAD_MAX) {
    // An older verifier gives up on the loop that copies a large packet in
    // several records: one record per packet, a turn ends at a packet it cuts.
    spdlog::warn("{}; retrying with at most {} content bytes copied per packet", *error,
                 PF_PAYLOAD_MAX);
    session_options.payload_pieces = 1;
    impl->session = BpfSession::load(impl->plan.programs(), session_options, error);
  }
  if (!impl->session) return nullptr;

  // Enrichers and the flow table exist before the first record can arrive.
  impl->host = HostIdentity::detect();
  ContainerResolverOptions container_options;
  container_options.cgroup_v2_mount = facts.cgroup_v2;
  impl->cgroup_v2_mount = facts.cgroup_v2;
  container_options.cgroup_v1 = facts.cgroup_v1;
  container_options.proc_root = options.host_proc;
  container_options.pod_log_dir = options.pod_log_dir;
  impl->containers = std::make_unique<ContainerResolver>(container_options);
  impl->processes.scan_proc();
  impl->exec_hooked = impl->plan.chosen_kind(Need::process_exec).has_value();
  auto packets_kind = impl->plan.chosen_kind(Need::packets);
  impl->tc_enabled = packets_kind.has_value();
  if (impl->tc_enabled) {
    impl->tc_mode = *packets_kind == HookKind::tcx ? TcMode::tcx : TcMode::clsact;
    impl->wire =
        std::make_unique<WireStatsMap>(impl->session->wire_fd(), impl->session->wire_retired_fd());
  }
  if (options.reverse_dns) {
    std::string reverse_error;
    impl->reverse = ReverseLookup::create(options.reverse, &reverse_error);
    if (!impl->reverse) {
      *error = "--reverse-dns: " + reverse_error;
      return nullptr;
    }
  }
  std::string hosts_error;
  impl->names = std::make_unique<NameResolver>(
      impl->dns_cache, HostsTable::load("/etc/hosts", &hosts_error),
      NameResolver::local_addresses(), impl->host.fqdn, impl->reverse.get());
  if (session_options.payload_bytes) {
    std::string ndpi_error;
    impl->ndpi = NdpiEngine::create(&ndpi_error);
    if (!impl->ndpi)
      spdlog::warn("no application_protocol from nDPI: {}; messages are still decoded", ndpi_error);
    impl->conversations = std::make_unique<ConversationSettings>(
        ConversationSettings{.options = options.content, .ndpi = impl->ndpi.get()});
  }
  FlowContext ctx{impl->processes,          impl->users,    impl->host,
                  impl->networks,           impl->clock,    impl->names.get(),
                  impl->wire.get(),         options.filter, impl->containers.get(),
                  impl->conversations.get()};
  impl->table = std::make_unique<FlowTable>(ctx, emit, options.flow);
  if (session_options.udp_enabled) {
    impl->udp_stats = std::make_unique<UdpStatsMap>(impl->session->udp_flows_fd());
    impl->udp_table = std::make_unique<UdpFlowTable>(ctx, *impl->udp_stats, emit, options.udp);
  }
  DnsLearnerOptions dns_options;
  dns_options.tracker.answer_window_ns = options.dns_answer_window_ns;
  dns_options.sockets_known = impl->udp_table != nullptr;
  dns_options.own_netns = own_network_namespace();
  Impl* m = impl.get();
  impl->dns = std::make_unique<DnsLearner>(
      impl->dns_cache,
      [m](uint8_t proto, const IpAddress& server, uint16_t server_port, const IpAddress& local,
          uint16_t local_port) {
        // The socket that sent the query: its flow knows its namespace.
        if (proto == IPPROTO_TCP) return m->table->netns_of(server, server_port, local_port, local);
        return m->udp_table->netns_of(server, server_port, local_port, local);
      },
      dns_options);
  impl->ring = RingReader::create(impl->session->events_fd(), *impl, error);
  if (!impl->ring) return nullptr;
  std::string fill_error;
  impl->ring_fill = RingFill::open(impl->session->events_fd(), &fill_error);
  if (!impl->ring_fill) spdlog::warn("the ring buffer's fill is not reported: {}", fill_error);

  // Signals arrive through a descriptor so the loop can finish its batch.
  sigset_t mask;
  sigemptyset(&mask);
  // Every signal that would end the process: each stops it the clean way
  // (tracer_stop ends written, TC filters removed). SIGHUP (a closed
  // terminal, an ssh hang-up) and SIGQUIT included.
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&mask, sig);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
  impl->signal_fd = UniqueFd(signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));

  if (!impl->session->attach_tracing(error)) return nullptr;
  if (impl->tc_enabled) {
    std::string watch_error;
    impl->watcher = std::make_unique<LinkWatcher>(&watch_error);
    if (!impl->watcher->valid()) {
      spdlog::warn("new interfaces will not be traced: {}", watch_error);
      impl->watcher.reset();
    }
    if (!impl->attach_interfaces(error)) return nullptr;
  }

  impl->report_existing_sockets();

  impl->epoll_fd = UniqueFd(epoll_create1(EPOLL_CLOEXEC));
  impl->watch(impl->ring->epoll_fd());
  impl->watch(impl->signal_fd.get());
  if (impl->watcher) impl->watch(impl->watcher->fd());
  if (impl->reverse) impl->watch(impl->reverse->poll_fd());
  if (options.output_fd >= 0) {
    // No events asked for: epoll reports EPOLLERR/EPOLLHUP anyway, which is
    // how a pipe whose reader went away (`| head -0`) is noticed with
    // nothing to write. A regular file cannot be watched (EPERM): it never
    // goes away either.
    epoll_event ev{};
    ev.data.fd = options.output_fd;
    epoll_ctl(impl->epoll_fd.get(), EPOLL_CTL_ADD, options.output_fd, &ev);
  }
  return std::unique_ptr<Tracer>(new Tracer(std::move(impl)));
}

bool Tracer::set_enrichment(const Enrichment& enrichment, std::string* error) {
  Impl& m = *impl_;
  const bool unchanged =
      enrichment.reverse_dns ? m.reverse && m.options.reverse == enrichment.reverse : !m.reverse;
  if (unchanged) {
    m.dns->set_answer_window(enrichment.dns_answer_window_ns);
    return true;
  }
  std::unique_ptr<ReverseLookup> next;
  if (enrichment.reverse_dns) {
    std::string why;
    next = ReverseLookup::create(enrichment.reverse, &why);
    if (!next) {
      *error = "reverse_dns: " + why;
      return false;
    }
  }
  // The resolver's socket wakes the loop: the old one leaves the epoll set,
  // the new one joins it. Pending look-ups of the old resolver are dropped
  // (their addresses are asked again by the next flow that needs them).
  if (m.reverse) epoll_ctl(m.epoll_fd.get(), EPOLL_CTL_DEL, m.reverse->poll_fd(), nullptr);
  m.names->set_reverse(next.get());
  if (next) m.watch(next->poll_fd());
  m.reverse = std::move(next);
  m.dns->set_answer_window(enrichment.dns_answer_window_ns);
  m.options.reverse_dns = enrichment.reverse_dns;
  m.options.reverse = enrichment.reverse;
  return true;
}

bool Tracer::run(const std::function<bool()>& after_batch, std::string* error) {
  Impl& m = *impl_;
  const uint64_t started = m.clock.now_boot_ns();
  const uint64_t duration_ns = seconds_to_ns(m.options.duration_s);
  constexpr uint64_t keep_exited_ns = 30'000'000'000ull;
  uint64_t last_refresh = started;
  uint64_t last_reconcile = started;
  uint64_t last_report = started;
  const uint64_t report_interval_ns = seconds_to_ns(m.options.report_interval_s);
  m.reported_until_us = m.clock.to_unix_us(started);
  constexpr uint64_t reconcile_every_ns = 2'000'000'000ull;
  uint64_t last_container_sweep = started;
  constexpr uint64_t container_sweep_every_ns = 10'000'000'000ull;
  bool stop = false;
  bool backlog = false;  // the last turn left records in the ring
  while (!stop) {
    epoll_event events[8];
    int n = epoll_wait(m.epoll_fd.get(), events, 8, backlog ? 0 : m.options.tick_ms);
    if (n < 0 && errno != EINTR) {
      *error = std::string("epoll_wait: ") + strerror(errno);
      return false;
    }
    for (int i = 0; i < n; i++) {
      if (events[i].data.fd == m.signal_fd.get()) {
        signalfd_siginfo info;
        while (read(m.signal_fd.get(), &info, sizeof info) == sizeof info) {
          const int sig = static_cast<int>(info.ssi_signo);
          if (sig == SIGHUP && m.options.on_hangup) {
            spdlog::info("{} received: reloading", strsignal(sig));
            m.options.on_hangup();
            continue;
          }
          spdlog::info("{} received: stopping", strsignal(sig));
          stop = true;
        }
      } else if (m.watcher && events[i].data.fd == m.watcher->fd()) {
        m.on_links_changed();
      } else if (events[i].data.fd == m.options.output_fd &&
                 (events[i].events & (EPOLLERR | EPOLLHUP))) {
        spdlog::info("the reader of the output went away: stopping");
        stop = true;
      }
    }
    m.ring->consume(m.options.records_per_turn, &backlog);
    uint64_t now = m.clock.now_boot_ns();
    m.table->tick(now);
    if (m.udp_table) m.udp_table->tick(now);
    if (report_interval_ns && !backlog && now - last_report >= report_interval_ns) {
      m.report_period(now);
      last_report = now;
    }
    m.dns->tick(now);
    // Every turn, not only when its descriptor is ready: queued requests and
    // timeouts are driven from here.
    if (m.reverse) m.reverse->process(now / 1'000'000'000ull);
    if (now - last_refresh > 1'000'000'000ull) {
      // What is known about the users of processes gone for good goes with them.
      const std::vector<GoneProcess> gone = m.processes.expire(now, keep_exited_ns);
      m.users.forget_processes(gone);
      m.containers->forget_processes(gone);
      m.clock.refresh();
      m.report_losses();
      last_refresh = now;
    }
    // Removed cgroups and pods are forgotten; not every second: each cached
    // cgroup costs a stat.
    if (now - last_container_sweep > container_sweep_every_ns) {
      m.containers->forget_removed();
      last_container_sweep = now;
    }
    // Only with the ring drained: a backlog may still hold the end records.
    if (!backlog && now - last_reconcile > reconcile_every_ns) {
      m.table->reconcile(m.session->flow_keys(), now);
      last_reconcile = now;
    }
    if (!after_batch()) stop = true;
    if (duration_ns && now - started >= duration_ns) stop = true;
  }

  // What is held at this moment, before shutdown empties the flow tables.
  spdlog::info("{}", m.table_sizes().describe());
  // Ask the kernel for the counters of every flow still open, then end them.
  std::string snapshot_error;
  if (m.plan.chosen_kind(Need::open_flow_counters) && !m.session->request_snapshot(&snapshot_error))
    spdlog::warn("{}", snapshot_error);
  // Bounded too: the kernel keeps producing while we stop.
  m.ring->consume(m.options.records_per_turn * 16);
  report_dns(m.dns->tracker(), m.dns->answers_learned());
  if (m.reverse)
    spdlog::info(
        "reverse DNS: {} queries, {} named, {} failed, {} dropped (rate), {} dropped (queue)",
        m.reverse->queries_sent(), m.reverse->answers(), m.reverse->failures(),
        m.reverse->dropped_rate_limited(), m.reverse->dropped_queue_full());
  m.table->finish(m.clock.now_boot_ns());
  if (m.udp_table) m.udp_table->finish(m.clock.now_boot_ns());
  m.report_losses();
  after_batch();
  return true;
}

void Tracer::set_loss_handler(OnLoss handler) {
  impl_->on_loss = std::move(handler);
}

const AttachPlan& Tracer::plan() const {
  return impl_->plan;
}

TracerStats Tracer::stats() const {
  TracerStats s;
  s.records = impl_->ring->records();
  const std::vector<uint64_t> counters = impl_->session->read_drops();
  s.losses = impl_->losses(counters);
  s.filtered_in_kernel = counters.size() > PF_COUNT_FILTERED ? counters[PF_COUNT_FILTERED] : 0;
  s.flows_started = impl_->table->stats().starts;
  s.flows_ended = impl_->table->stats().ends;
  s.interfaces_failed = impl_->interfaces_failed;
  s.messages = impl_->table->stats().messages;
  s.payload_records = impl_->payload_records;
  s.payload_unmatched = impl_->table->payload_unmatched();
  s.tls_records = impl_->tls_records;
  if (impl_->udp_table) {
    s.flows_started += impl_->udp_table->starts();
    s.flows_ended += impl_->udp_table->ends();
    s.messages += impl_->udp_table->messages();
    s.payload_unmatched += impl_->udp_table->payload_unmatched();
  }
  return s;
}

TracerMetrics Tracer::metrics() const {
  const Impl& m = *impl_;
  TracerMetrics t;
  t.records = m.ring->records();
  const std::vector<uint64_t> counters = m.session->read_drops();
  t.losses = m.losses(counters);
  t.filtered_in_kernel = counters.size() > PF_COUNT_FILTERED ? counters[PF_COUNT_FILTERED] : 0;
  t.tcp_flows_started = m.table->stats().starts;
  t.tcp_flows_ended = m.table->stats().ends;
  t.messages = m.table->stats().messages;
  t.payload_records = m.payload_records;
  t.payload_unmatched = m.table->payload_unmatched();
  if (m.udp_table) {
    t.udp_flows_started = m.udp_table->starts();
    t.udp_flows_ended = m.udp_table->ends();
    t.messages += m.udp_table->messages();
    t.payload_unmatched += m.udp_table->payload_unmatched();
  }
  t.tables = m.table_sizes();
  t.processes = {m.processes.hits(), m.processes.misses()};
  t.proc_reads = m.processes.proc_reads();
  t.dns_names = {m.dns_cache.hits(), m.dns_cache.misses()};
  t.cgroups = {m.containers->cgroup_hits(), m.containers->cgroup_misses()};
  t.dns_cache_evictions = m.dns_cache.evictions();
  t.dns_queries_seen = m.dns->tracker().queries_seen();
  t.dns_answers_learned = m.dns->answers_learned();
  t.dns_answers_rejected = m.dns->tracker().rejected();
  if (m.ring_fill) {
    t.ring_size_bytes = m.ring_fill->size_bytes();
    t.ring_used_bytes = m.ring_fill->used_bytes();
  }
  t.interfaces_attached = m.tc.size();
  t.interfaces_failed = m.interfaces_failed;
  t.tls_records = m.tls_records;
  t.bpf_stats_enabled = bpf_stats_enabled();
  if (t.bpf_stats_enabled) t.programs = m.session->program_stats();
  return t;
}

std::vector<std::string> Tracer::attached_interfaces() const {
  std::vector<std::string> out;
  for (const auto& [index, a] : impl_->tc) out.push_back(a->name());
  return out;
}

}  // namespace procflow
