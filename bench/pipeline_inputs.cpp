#include "pipeline_inputs.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

namespace procflow::bench {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kProcesses = 64;  // distinct processes owning sockets
constexpr uint32_t kFirstPid = 4000;
constexpr uint32_t kUid = 1000;          // present in the fake passwd file
constexpr uint64_t kMntns = 4026531841;  // one mount namespace, as on a plain host

// Remote host r: outbound sockets go to 93.184.216.(34 + r), inbound ones come from
// 198.51.100.(7 + r).
void remote_v4(bool outbound, uint32_t r, uint8_t* dst) {
  const uint8_t out[4] = {93, 184, 216, static_cast<uint8_t>(34 + r)};
  const uint8_t in[4] = {198, 51, 100, static_cast<uint8_t>(7 + r)};
  std::memcpy(dst, outbound ? out : in, 4);
}

void local_v4(uint8_t* dst) {
  const uint8_t local[4] = {10, 0, 0, 54};
  std::memcpy(dst, local, 4);
}

// A believed DNS answer naming remote host r; every other one behind a CNAME, as CDN answers
// are. The TTL outlives any benchmark run.
DnsMessage answer_for(uint32_t r) {
  DnsMessage m;
  m.is_response = true;
  m.qtype = dns_type::a;
  m.question = "host-" + std::to_string(r) + ".service.example.com";
  DnsRecord a;
  a.type = dns_type::a;
  a.ttl = 86'400;
  a.name = m.question;
  remote_v4(true, r, a.address.bytes.data());
  a.address.family = 4;
  if (r % 2) {
    DnsRecord c;
    c.type = dns_type::cname;
    c.ttl = 86'400;
    c.name = m.question;
    c.target = "edge-" + std::to_string(r) + ".cdn-provider.example.net";
    a.name = c.target;
    m.answers.push_back(c);
  }
  m.answers.push_back(a);
  return m;
}

pf_header header(pf_record_kind kind, uint16_t size, uint64_t ktime_ns) {
  pf_header h{};
  h.kind = kind;
  h.size = size;
  h.ktime_ns = ktime_ns;
  return h;
}

pf_tuple tcp_tuple_of(uint64_t i, bool outbound) {
  pf_tuple t{};
  t.family = 4;
  t.proto = IPPROTO_TCP;
  const uint32_t r = static_cast<uint32_t>(i / 2 % kRemoteHosts);
  if (outbound) {
    local_v4(t.saddr);
    remote_v4(true, r, t.daddr);
  } else {
    remote_v4(false, r, t.saddr);
    local_v4(t.daddr);
  }
  t.sport = static_cast<uint16_t>(32768 + i % 28000);
  t.dport = outbound ? 443 : 22;
  return t;
}

}  // namespace

Env::Env() {
  char tmpl[] = "/tmp/procflow-bench.XXXXXX";
  if (!mkdtemp(tmpl)) {
    std::perror("mkdtemp");
    std::exit(1);
  }
  root = tmpl;
  // <proc>/<pid>/root/etc/passwd: where UserResolver finds a process's users, <pid>/ns/mnt the
  // namespace it checks them against (the fake /proc has no self/: kMntns is not the tracer's
  // own, so its users come from the processes' roots). No <pid>/exe, so ProcessCache takes the
  // image path from the exec record, as for a process that exited.
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
  const char* hosts_file = "127.0.0.1 localhost\n10.0.0.54 node1.example.com node1\n";
  host = HostIdentity::from("node1", hosts_file);
  static const char* const images[] = {"/usr/bin/curl", "/usr/sbin/nginx",
                                       "/usr/lib/postgresql/15/bin/postgres", "/usr/bin/python3"};
  for (uint32_t i = 0; i < kProcesses; i++) processes->on_exec(task(i), images[i % 4]);

  const uint64_t now_s = clock.now_boot_ns() / 1'000'000'000ull;
  for (uint32_t r = 0; r < kRemoteHosts; r++) dns.add(kNetns, answer_for(r), now_s);
  uint8_t own[4];
  local_v4(own);
  names = std::make_unique<NameResolver>(dns, HostsTable::parse("127.0.0.1 localhost\n"),
                                         std::vector<IpAddress>{IpAddress::v4(own)}, host.fqdn);
}

Env::~Env() {
  std::error_code ec;
  fs::remove_all(root, ec);
}

pf_task Env::task(uint32_t i) {
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

FlowContext Env::context(bool with_names, const EventFilter* filter) {
  return FlowContext{*processes, *users, host, networks, clock, with_names ? names.get() : nullptr,
                     nullptr,    filter};
}

Env& env() {
  static Env e;
  return e;
}

void SocketRecords::renew(uint64_t sock_id, uint64_t ktime_ns) {
  start.sock_id = established.sock_id = owner.sock_id = end.sock_id = sock_id;
  start.hdr.ktime_ns = ktime_ns;
  established.hdr.ktime_ns = ktime_ns + 300'000;
  owner.hdr.ktime_ns = ktime_ns + 50'000;
  end.hdr.ktime_ns = ktime_ns + 2'000'000;
}

SocketRecords records_of(uint64_t i, uint64_t ktime_ns, Direction direction) {
  SocketRecords r{};
  r.outbound = direction == Direction::mixed ? i % 2 == 0 : direction == Direction::outbound;
  const pf_tuple tuple = tcp_tuple_of(i, r.outbound);

  r.start.hdr = header(PF_REC_TCP_START, sizeof r.start, ktime_ns);
  r.start.netns = kNetns;
  r.start.tuple = tuple;
  r.start.owner = Env::task(static_cast<uint32_t>(i));
  r.start.initiated = r.outbound ? 1 : 0;
  r.start.owner_source = r.outbound ? PF_OWNER_CONNECT : PF_OWNER_LISTENER;
  r.start.hook = PF_HOOK_FENTRY;

  r.established.hdr = header(PF_REC_TCP_ESTABLISHED, sizeof r.established, 0);
  r.established.tuple = tuple;

  r.owner.hdr = header(PF_REC_TCP_OWNER, sizeof r.owner, 0);
  r.owner.owner = Env::task(static_cast<uint32_t>(i + 1));  // a worker, not the listener
  r.owner.owner_source = PF_OWNER_ACCEPT;
  r.owner.hook = PF_HOOK_FENTRY;

  r.end.hdr = header(PF_REC_TCP_END, sizeof r.end, 0);
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
  r.renew(kSockBase + i * 2048, ktime_ns);
  return r;
}

void UdpRecords::renew(uint64_t sock_id, uint64_t ktime_ns) {
  start.key.sock_id = release.sock_id = sock_id;
  start.hdr.ktime_ns = ktime_ns;
  release.hdr.ktime_ns = ktime_ns + 1'500'000;
}

UdpRecords udp_records_of(uint64_t i, uint64_t ktime_ns) {
  UdpRecords r{};
  pf_tuple& t = r.start.tuple;
  t.family = 4;
  t.proto = IPPROTO_UDP;
  local_v4(t.saddr);
  remote_v4(true, static_cast<uint32_t>(i % kRemoteHosts), t.daddr);
  t.sport = static_cast<uint16_t>(32768 + i % 28000);
  t.dport = 443;
  r.start.hdr = header(PF_REC_UDP_START, sizeof r.start, 0);
  std::memcpy(r.start.key.peer_addr, t.daddr, 4);
  r.start.key.peer_port = t.dport;
  r.start.key.family = 4;
  r.start.netns = kNetns;
  r.start.owner = Env::task(static_cast<uint32_t>(i));
  r.start.initiated = 1;
  r.release.hdr = header(PF_REC_UDP_RELEASE, sizeof r.release, 0);
  r.renew(kSockBase + i * 2048, ktime_ns);
  return r;
}

}  // namespace procflow::bench
