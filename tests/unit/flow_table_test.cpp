// Tests FlowTable: hand-made kernel records (pf_tcp_start/owner/established/
// end/snapshot) in, CAR flow events out, with real enrichers (ProcessCache on
// a fake /proc, UserResolver on a temp passwd file, HostIdentity, the default
// NetworkClassifier, BootClock) and a fake source of what TC saw (FakeWire).
//
// Covers: outbound starts with the tuple complete at once (fentry/kprobe) and
// completed by the handshake (tracepoint); inbound ownership (listener guess,
// accept, owner_grace); failed connects; linger before `end`; counters from TC
// (only the connection's own generation) or from the socket; RSTs after the
// close; shutdown; IPv4-mapped tuples; Community ID; process fields from one
// moment across an exec; records for unknown sockets.
#include "flow/flow_table.h"

#include "ip_literal.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "collect/wire_stats_map.h"
#include "enrich/community_id.h"

namespace procflow {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kSec = 1'000'000'000;
constexpr uint64_t kGrace = 500 * kMs;  // FlowTableOptions defaults
constexpr uint64_t kLinger = 250 * kMs;
constexpr uint8_t kSyn = tcp_flag::syn, kAck = tcp_flag::ack, kFin = tcp_flag::fin,
                  kRst = tcp_flag::rst, kPsh = tcp_flag::psh;

// What TC saw of each connection, keyed as the kernel maps are: the bytes of
// the connection's wire key and its SYN's sequence number.
class FakeWire : public WireStatsSource {
 public:
  void put(const pf_tuple& tuple, uint32_t syn_seq, uint64_t packets, uint8_t flags,
           bool from_syn = true) {
    pf_wire_stats s{};
    s.packets = packets;
    s.syn_seq = syn_seq;
    s.tcp_flags = flags;
    s.from_syn = from_syn;
    stats_[key(tuple, syn_seq)] = s;
  }
  std::optional<pf_wire_stats> lookup(const pf_tuple& tuple, uint32_t syn_seq) override {
    lookups++;
    auto it = stats_.find(key(tuple, syn_seq));
    if (it == stats_.end()) return std::nullopt;
    return it->second;
  }
  static std::string key(const pf_tuple& tuple, uint32_t syn_seq) {
    const pf_wire_key k = wire_key_of(tuple);
    return std::string(reinterpret_cast<const char*>(&k), sizeof k) + std::to_string(syn_seq);
  }

  int lookups = 0;

 private:
  std::map<std::string, pf_wire_stats> stats_;
};

// The initiator's initial sequence number the records below carry.
constexpr uint32_t kSeq = 0x12345678;

void put_addr(uint8_t* out, const char* text, uint8_t family) {
  ASSERT_EQ(inet_pton(family == 4 ? AF_INET : AF_INET6, text, out), 1) << text;
}

pf_tuple tuple(uint8_t family, const char* saddr, uint16_t sport, const char* daddr,
               uint16_t dport) {
  pf_tuple t{};
  t.family = family;
  t.proto = IPPROTO_TCP;
  put_addr(t.saddr, saddr, family);
  put_addr(t.daddr, daddr, family);
  t.sport = sport;
  t.dport = dport;
  return t;
}

pf_tuple v4(const char* saddr, uint16_t sport, const char* daddr, uint16_t dport) {
  return tuple(4, saddr, sport, daddr, dport);
}

// The fake /proc's own mount namespace (proc/self/ns/mnt): the host's passwd.
constexpr uint64_t kHostMntns = 4026531841;

pf_task make_task(uint32_t tgid, uint32_t ppid, uint32_t uid, const char* comm,
                  uint64_t start_boot_ns, uint64_t mntns = kHostMntns) {
  pf_task t{};
  t.tgid = tgid;
  t.tid = tgid;
  t.ppid = ppid;
  t.uid = uid;
  t.gid = uid;
  t.start_boot_ns = start_boot_ns;
  t.mntns = mntns;
  t.cgroup_id = 4000 + tgid;
  std::strncpy(t.comm, comm, sizeof t.comm);
  return t;
}

template <typename Record>
void header(Record& r, uint16_t kind, uint64_t ktime_ns) {
  r.hdr.kind = kind;
  r.hdr.size = sizeof(Record);
  r.hdr.ktime_ns = ktime_ns;
}

pf_tcp_start start_rec(uint64_t sock, uint64_t t_ns, const pf_tuple& tup, const pf_task& owner,
                       bool initiated, uint8_t source, uint8_t hook) {
  pf_tcp_start r{};
  header(r, PF_REC_TCP_START, t_ns);
  r.sock_id = sock;
  r.netns = 4026531840;
  r.tuple = tup;
  if (source != PF_OWNER_NONE) r.owner = owner;
  r.initiated = initiated;
  r.owner_source = source;
  r.hook = hook;
  return r;
}

pf_tcp_owner owner_rec(uint64_t sock, uint64_t t_ns, const pf_task& owner, uint8_t source) {
  pf_tcp_owner r{};
  header(r, PF_REC_TCP_OWNER, t_ns);
  r.sock_id = sock;
  r.owner = owner;
  r.owner_source = source;
  r.hook = PF_HOOK_SYSCALL_TP;
  return r;
}

pf_tcp_established established_rec(uint64_t sock, uint64_t t_ns, const pf_tuple& tup) {
  pf_tcp_established r{};
  header(r, PF_REC_TCP_ESTABLISHED, t_ns);
  r.sock_id = sock;
  r.tuple = tup;
  return r;
}

pf_tcp_end end_rec(uint64_t sock, uint64_t t_ns, const pf_tuple& tup, uint8_t cause,
                   uint8_t implied, uint64_t in = 0, uint64_t out = 0, uint32_t segs_in = 0,
                   uint32_t segs_out = 0, uint32_t syn_seq = kSeq) {
  pf_tcp_end r{};
  header(r, PF_REC_TCP_END, t_ns);
  r.sock_id = sock;
  r.netns = 4026531840;
  r.tuple = tup;
  r.app_bytes_in = in;
  r.app_bytes_out = out;
  r.bytes_sent = out + 1000;  // retransmits included: must not be out_bytes
  r.packets = uint64_t{segs_in} + segs_out;
  r.syn_seq = syn_seq;
  r.close_cause = cause;
  r.implied_flags = implied;
  r.established = (implied & kAck) ? 1 : 0;
  return r;
}

pf_tcp_snapshot snapshot_rec(uint64_t sock, uint64_t t_ns, uint64_t in, uint64_t out,
                             uint32_t segs_in, uint32_t segs_out, uint8_t implied) {
  pf_tcp_snapshot r{};
  header(r, PF_REC_TCP_SNAPSHOT, t_ns);
  r.sock_id = sock;
  r.app_bytes_in = in;
  r.app_bytes_out = out;
  r.packets = uint64_t{segs_in} + segs_out;
  r.syn_seq = kSeq;
  r.implied_flags = implied;
  r.state = 1;  // TCP_ESTABLISHED
  return r;
}

using test::ip;

class FlowTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "procflow-flow-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    proc_ = dir_ / "proc";
    fs::create_directories(proc_ / "self" / "ns");
    fs::create_symlink("mnt:[" + std::to_string(kHostMntns) + "]", proc_ / "self" / "ns" / "mnt");
    passwd_ = dir_ / "passwd";
    std::ofstream(passwd_) << "root:x:0:0:root:/root:/bin/bash\n"
                              "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"
                              "alice:x:1000:1000:Alice:/home/alice:/bin/bash\n";

    processes_ = std::make_unique<ProcessCache>(proc_.string());
    users_ = std::make_unique<UserResolver>(proc_.string(), passwd_.string());
    // The processes of the scenarios, known from their exec/fork records.
    processes_->on_exec(curl_, "/usr/bin/curl");
    processes_->on_exec(nginx_master_, "/usr/sbin/nginx");
    processes_->on_fork(nginx_worker_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  FlowContext context(WireStatsSource* wire) {
    return FlowContext{*processes_, *users_, host_, networks_, clock_, nullptr, wire, &filter_};
  }
  std::unique_ptr<FlowTable> table(WireStatsSource* packets = nullptr,
                                   FlowTableOptions options = {}) {
    return std::make_unique<FlowTable>(
        context(packets), [this](const FlowEvent& e) { events_.push_back(e); }, options);
  }
  uint64_t unix_us(uint64_t boot_ns) const { return clock_.to_unix_us(boot_ns); }

  fs::path dir_, proc_, passwd_;
  std::unique_ptr<ProcessCache> processes_;
  std::unique_ptr<UserResolver> users_;
  HostIdentity host_ = HostIdentity::from("node1", "127.0.1.1 node1.example.com node1\n");
  NetworkClassifier networks_ = NetworkClassifier::defaults();
  BootClock clock_;
  EventFilter filter_;  // empty: every flow
  std::vector<FlowEvent> events_;

  const pf_task curl_ = make_task(738, 1860, 1000, "curl", 50 * kSec);
  const pf_task nginx_master_ = make_task(500, 1, 0, "nginx", 10 * kSec);
  const pf_task nginx_worker_ = make_task(501, 500, 33, "nginx", 11 * kSec);
};

// ---- outbound -------------------------------------------------------------

TEST_F(FlowTableTest, OutboundWithCompleteTupleStartsImmediately) {
  auto t = table();
  const auto tup = v4("10.0.0.54", 50438, "93.184.216.34", 443);
  t->on_tcp_start(start_rec(1, 100 * kSec, tup, curl_, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));

  ASSERT_EQ(events_.size(), 1u);
  const FlowEvent& e = events_[0];
  EXPECT_EQ(e.action, FlowAction::start);
  EXPECT_EQ(e.timestamp_us, unix_us(100 * kSec));
  EXPECT_EQ(e.start_time_us, unix_us(100 * kSec));
  EXPECT_FALSE(e.end_time_us.has_value());
  EXPECT_EQ(e.src_ip.to_string(), "10.0.0.54");
  EXPECT_EQ(e.src_ip.family, 4);
  EXPECT_EQ(e.dest_ip.to_string(), "93.184.216.34");
  EXPECT_EQ(e.src_port, 50438);
  EXPECT_EQ(e.dest_port, 443);
  EXPECT_EQ(e.transport, ip_proto_tcp);
  EXPECT_EQ(e.pid, 738u);
  EXPECT_EQ(e.ppid, 1860u);
  EXPECT_EQ(e.uid, 1000u);
  EXPECT_EQ(e.user, "alice");
  EXPECT_EQ(e.comm, "curl");
  EXPECT_EQ(e.exe, "curl");
  EXPECT_EQ(e.image_path, "/usr/bin/curl");
  EXPECT_EQ(e.cgroup_id, 4738u);
  EXPECT_EQ(e.netns, 4026531840u);
  EXPECT_EQ(e.hostname, "node1");
  EXPECT_EQ(e.fqdn, "node1.example.com");
  EXPECT_EQ(e.network_direction, NetworkDirection::out);
  EXPECT_EQ(e.community_id,
            community_id(ip("10.0.0.54"), ip("93.184.216.34"), 50438, 443, ip_proto_tcp));
  EXPECT_FALSE(e.community_id.empty());
  EXPECT_EQ(e.initiated, true);
  EXPECT_EQ(e.end_reason, EndReason::none);
  EXPECT_FALSE(e.in_bytes.has_value());
  EXPECT_FALSE(e.out_bytes.has_value());
  EXPECT_FALSE(e.packet_count.has_value());
  EXPECT_EQ(e.tcp_flags, 0);
  EXPECT_EQ(t->stats().starts, 1u);
  EXPECT_EQ(t->open_flows(), 1u);

  // The handshake completing later does not start it again.
  t->on_tcp_established(established_rec(1, 100 * kSec + 2 * kMs, tup));
  t->tick(200 * kSec);
  EXPECT_EQ(events_.size(), 1u);
  EXPECT_EQ(t->stats().starts, 1u);
}

TEST_F(FlowTableTest, OutboundTracepointStartWaitsForTheSourcePort) {
  auto t = table();
  const uint64_t t0 = 100 * kSec, t1 = t0 + 3 * kMs, t2 = t0 + 5 * kSec;
  // CLOSE -> SYN_SENT inside connect(): the source port is not chosen yet.
  t->on_tcp_start(start_rec(7, t0, v4("10.0.0.54", 0, "93.184.216.34", 443), curl_, true,
                            PF_OWNER_CONNECT, PF_HOOK_TP_BTF));
  EXPECT_TRUE(events_.empty());
  t->tick(t0 + 2 * kGrace);  // no grace for an incomplete tuple
  EXPECT_TRUE(events_.empty());
  EXPECT_EQ(t->stats().starts, 0u);

  t->on_tcp_established(established_rec(7, t1, v4("10.0.0.54", 50438, "93.184.216.34", 443)));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].action, FlowAction::start);
  EXPECT_EQ(events_[0].src_port, 50438);
  EXPECT_EQ(events_[0].dest_port, 443);
  EXPECT_EQ(events_[0].pid, 738u);
  // The flow started at the connect, not at the handshake.
  EXPECT_EQ(events_[0].start_time_us, unix_us(t0));
  EXPECT_EQ(events_[0].timestamp_us, unix_us(t0));
  EXPECT_EQ(events_[0].community_id,
            community_id(ip("10.0.0.54"), ip("93.184.216.34"), 50438, 443, ip_proto_tcp));

  t->on_tcp_end(end_rec(7, t2, v4("10.0.0.54", 50438, "93.184.216.34", 443), PF_CLOSE_NORMAL,
                        kSyn | kAck | kFin, 5000, 300, 8, 6));
  t->tick(t2 + kLinger);
  ASSERT_EQ(events_.size(), 2u);
  const FlowEvent& end = events_[1];
  EXPECT_EQ(end.action, FlowAction::end);
  EXPECT_EQ(end.start_time_us, unix_us(t0));
  EXPECT_EQ(end.end_time_us, unix_us(t2));
  EXPECT_EQ(end.timestamp_us, unix_us(t2));
  EXPECT_EQ(end.src_port, 50438);
  EXPECT_EQ(end.end_reason, EndReason::close);
  EXPECT_EQ(end.community_id, events_[0].community_id);
}

// ---- inbound --------------------------------------------------------------

TEST_F(FlowTableTest, InboundWaitsForAcceptAndTakesItsOwner) {
  auto t = table();
  const uint64_t t0 = 100 * kSec;
  // Oriented initiator -> responder: the remote client first.
  const auto tup = v4("203.0.113.9", 40000, "10.0.0.5", 80);
  t->on_tcp_start(start_rec(3, t0, tup, nginx_master_, false, PF_OWNER_LISTENER, PF_HOOK_TP_BTF));
  EXPECT_TRUE(events_.empty());
  t->tick(t0 + kGrace - 1);
  EXPECT_TRUE(events_.empty());

  t->on_tcp_owner(owner_rec(3, t0 + 200 * kMs, nginx_worker_, PF_OWNER_ACCEPT));
  ASSERT_EQ(events_.size(), 1u);
  const FlowEvent& e = events_[0];
  EXPECT_EQ(e.action, FlowAction::start);
  EXPECT_EQ(e.pid, 501u);
  EXPECT_EQ(e.ppid, 500u);
  EXPECT_EQ(e.uid, 33u);
  EXPECT_EQ(e.user, "www-data");
  EXPECT_EQ(e.exe, "nginx");  // the worker runs its parent's image (fork, no exec)
  EXPECT_EQ(e.image_path, "/usr/sbin/nginx");
  EXPECT_EQ(e.cgroup_id, 4501u);
  EXPECT_EQ(e.initiated, false);
  EXPECT_EQ(e.src_ip.to_string(), "203.0.113.9");
  EXPECT_EQ(e.src_port, 40000);
  EXPECT_EQ(e.dest_ip.to_string(), "10.0.0.5");
  EXPECT_EQ(e.dest_port, 80);
  EXPECT_EQ(e.network_direction, NetworkDirection::in);
  EXPECT_EQ(e.start_time_us, unix_us(t0));
  EXPECT_EQ(e.timestamp_us, unix_us(t0));

  t->tick(t0 + 10 * kGrace);
  EXPECT_EQ(events_.size(), 1u);
}

TEST_F(FlowTableTest, InboundFirstSendRecvAlsoSettlesTheOwner) {
  auto t = table();
  t->on_tcp_start(start_rec(3, 100 * kSec, v4("203.0.113.9", 40000, "10.0.0.5", 80), nginx_master_,
                            false, PF_OWNER_LISTENER, PF_HOOK_TP_BTF));
  t->on_tcp_owner(owner_rec(3, 100 * kSec + kMs, nginx_worker_, PF_OWNER_SENDRECV));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].pid, 501u);
}

TEST_F(FlowTableTest, InboundWithoutOwnerRecordStartsAfterGraceWithTheListener) {
  auto t = table();
  const uint64_t t0 = 100 * kSec;
  t->on_tcp_start(start_rec(4, t0, v4("203.0.113.9", 40001, "10.0.0.5", 80), nginx_master_, false,
                            PF_OWNER_LISTENER, PF_HOOK_TP_BTF));
  t->tick(t0);
  t->tick(t0 + kGrace - 1);
  EXPECT_TRUE(events_.empty());
  t->tick(t0 + kGrace);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].action, FlowAction::start);
  EXPECT_EQ(events_[0].pid, 500u);
  EXPECT_EQ(events_[0].user, "root");
  EXPECT_EQ(events_[0].image_path, "/usr/sbin/nginx");
  // The event is dated when the connection was accepted, not when the grace ran out.
  EXPECT_EQ(events_[0].start_time_us, unix_us(t0));
  EXPECT_EQ(events_[0].timestamp_us, unix_us(t0));
  t->tick(t0 + 3 * kGrace);
  EXPECT_EQ(events_.size(), 1u);

  // A later accept does not start it twice.
  t->on_tcp_owner(owner_rec(4, t0 + 2 * kGrace, nginx_worker_, PF_OWNER_ACCEPT));
  EXPECT_EQ(events_.size(), 1u);
  EXPECT_EQ(t->stats().starts, 1u);
}

TEST_F(FlowTableTest, OwnerGraceIsConfigurable) {
  FlowTableOptions options;
  options.owner_grace_ns = 10 * kMs;
  auto t = table(nullptr, options);
  t->on_tcp_start(start_rec(4, 100 * kSec, v4("203.0.113.9", 40001, "10.0.0.5", 80), nginx_master_,
                            false, PF_OWNER_LISTENER, PF_HOOK_TP_BTF));
  t->tick(100 * kSec + 10 * kMs - 1);
  EXPECT_TRUE(events_.empty());
  t->tick(100 * kSec + 10 * kMs);
  EXPECT_EQ(events_.size(), 1u);
}

TEST_F(FlowTableTest, InboundWithNoKnownOwnerHasNoProcessFields) {
  auto t = table();
  t->on_tcp_start(start_rec(5, 100 * kSec, v4("203.0.113.9", 40002, "10.0.0.5", 8080), pf_task{},
                            false, PF_OWNER_NONE, PF_HOOK_TP_BTF));
  t->tick(100 * kSec + kGrace);
  ASSERT_EQ(events_.size(), 1u);
  const FlowEvent& e = events_[0];
  EXPECT_FALSE(e.pid.has_value());
  EXPECT_FALSE(e.ppid.has_value());
  EXPECT_FALSE(e.uid.has_value());
  EXPECT_FALSE(e.cgroup_id.has_value());
  EXPECT_EQ(e.user, "");
  EXPECT_EQ(e.exe, "");
  EXPECT_EQ(e.image_path, "");
  EXPECT_EQ(e.comm, "");
  EXPECT_EQ(e.dest_port, 8080);
}

TEST_F(FlowTableTest, InboundEndingBeforeItsOwnerSettledStillStarts) {
  auto t = table();
  const uint64_t t0 = 100 * kSec;
  const auto tup = v4("203.0.113.9", 40003, "10.0.0.5", 80);
  t->on_tcp_start(start_rec(6, t0, tup, nginx_master_, false, PF_OWNER_LISTENER, PF_HOOK_TP_BTF));
  t->on_tcp_end(end_rec(6, t0 + 10 * kMs, tup, PF_CLOSE_RESET, kSyn | kAck | kRst, 0, 0, 2, 1));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].action, FlowAction::start);
  EXPECT_EQ(events_[0].pid, 500u);
  t->tick(t0 + 10 * kMs + kLinger);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[1].action, FlowAction::end);
  EXPECT_EQ(events_[1].pid, 500u);
  EXPECT_EQ(events_[1].end_reason, EndReason::reset);
}

TEST_F(FlowTableTest, OwnerFollowsTheLastProcessToUseTheSocket) {
  auto t = table();
  const auto tup = v4("10.0.0.54", 50438, "10.0.0.1", 22);
  t->on_tcp_start(start_rec(8, 100 * kSec, tup, curl_, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));
  // Handed to another process (fd passing), which then closes it.
  t->on_tcp_owner(owner_rec(8, 101 * kSec, nginx_worker_, PF_OWNER_SENDRECV));
  t->on_tcp_end(end_rec(8, 102 * kSec, tup, PF_CLOSE_NORMAL, kSyn | kAck | kFin));
  t->finish(103 * kSec);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[0].pid, 738u);
  EXPECT_EQ(events_[1].pid, 501u);
  EXPECT_EQ(events_[1].user, "www-data");
  EXPECT_EQ(events_[1].network_direction, NetworkDirection::internal);
}

// A process connects, then execs another image and never touches the socket
// again: the flow still belongs to the image that connected, and every
// process field says so (not the new image with the old comm).
TEST_F(FlowTableTest, ExecAfterConnectKeepsTheConnectingImageOnEveryField) {
  auto t = table();
  const auto tup = v4("10.0.0.54", 50438, "93.184.216.34", 443);
  t->on_tcp_start(start_rec(16, 100 * kSec, tup, curl_, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));
  pf_task evil = curl_;  // same pid and start time: exec keeps both
  std::strncpy(evil.comm, "evil", sizeof evil.comm);
  processes_->on_exec(evil, "/tmp/evil");
  t->on_tcp_end(end_rec(16, 101 * kSec, tup, PF_CLOSE_NORMAL, kSyn | kAck | kFin));
  t->tick(102 * kSec);
  ASSERT_EQ(events_.size(), 2u);
  for (const FlowEvent& e : events_) {
    EXPECT_EQ(e.pid, 738u);
    EXPECT_EQ(e.comm, "curl");
    EXPECT_EQ(e.exe, "curl");
    EXPECT_EQ(e.image_path, "/usr/bin/curl");
  }
}

// The new image uses the socket (the kernel sends an owner record because
// the exec id changed): from then on the flow is the new image's, all fields.
TEST_F(FlowTableTest, ExecThenUseOfTheSocketMovesEveryFieldToTheNewImage) {
  auto t = table();
  const auto tup = v4("10.0.0.54", 50438, "93.184.216.34", 443);
  t->on_tcp_start(start_rec(17, 100 * kSec, tup, curl_, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));
  pf_task evil = curl_;
  std::strncpy(evil.comm, "evil", sizeof evil.comm);
  processes_->on_exec(evil, "/tmp/evil");
  t->on_tcp_owner(owner_rec(17, 100 * kSec + kMs, evil, PF_OWNER_SENDRECV));
  t->on_tcp_end(end_rec(17, 101 * kSec, tup, PF_CLOSE_NORMAL, kSyn | kAck | kFin));
  t->tick(102 * kSec);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[0].comm, "curl");
  EXPECT_EQ(events_[0].image_path, "/usr/bin/curl");
  EXPECT_EQ(events_[1].pid, 738u);
  EXPECT_EQ(events_[1].comm, "evil");
  EXPECT_EQ(events_[1].exe, "evil");
  EXPECT_EQ(events_[1].image_path, "/tmp/evil");
}

TEST_F(FlowTableTest, UserResolvesInTheOwnersMountNamespace) {
  // A container process: its uid 1000 is "app" in its own /etc/passwd.
  fs::create_directories(proc_ / "9000" / "root" / "etc");
  fs::create_directories(proc_ / "9000" / "ns");
  fs::create_symlink("mnt:[4026532000]", proc_ / "9000" / "ns" / "mnt");
  std::ofstream(proc_ / "9000" / "root" / "etc" / "passwd") << "app:x:1000:1000::/app:/bin/sh\n";
  const pf_task containerized = make_task(9000, 8999, 1000, "app", 60 * kSec, 4026532000);
  processes_->on_exec(containerized, "/app/bin/server");
  auto t = table();
  t->on_tcp_start(start_rec(9, 100 * kSec, v4("172.17.0.2", 41000, "172.17.0.1", 5432),
                            containerized, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].user, "app");
  EXPECT_EQ(events_[0].image_path, "/app/bin/server");
}

// ---- failed connects and end reasons ---------------------------------------

TEST_F(FlowTableTest, RefusedConnectStartsThenEndsWithReset) {
  auto t = table();
  const uint64_t t0 = 100 * kSec, t1 = t0 + kMs;
  t->on_tcp_start(start_rec(10, t0, v4("127.0.0.1", 0, "127.0.0.1", 9), curl_, true,
                            PF_OWNER_CONNECT, PF_HOOK_TP_BTF));
  EXPECT_TRUE(events_.empty());
  // The RST closes the socket: the end record carries the port it had bound.
  t->on_tcp_end(end_rec(10, t1, v4("127.0.0.1", 51000, "127.0.0.1", 9), PF_CLOSE_RESET, kSyn | kRst,
                        0, 0, 1, 1));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].action, FlowAction::start);
  EXPECT_EQ(events_[0].src_port, 51000);
  EXPECT_EQ(events_[0].dest_port, 9);
  EXPECT_EQ(events_[0].start_time_us, unix_us(t0));
  EXPECT_EQ(events_[0].pid, 738u);
  EXPECT_EQ(t->open_flows(), 0u);

  t->tick(t1 + kLinger);
  ASSERT_EQ(events_.size(), 2u);
  const FlowEvent& e = events_[1];
  EXPECT_EQ(e.action, FlowAction::end);
  EXPECT_EQ(e.end_reason, EndReason::reset);
  EXPECT_TRUE(e.tcp_flags & kRst);
  EXPECT_EQ(e.tcp_flags, kSyn | kRst);
  EXPECT_EQ(tcp_flags_to_string(e.tcp_flags), "SYN, RST");
  EXPECT_EQ(e.in_bytes, 0u);
  EXPECT_EQ(e.out_bytes, 0u);
  EXPECT_EQ(e.packet_count, 2u);
  EXPECT_EQ(e.src_port, 51000);
  EXPECT_EQ(e.start_time_us, unix_us(t0));
  EXPECT_EQ(e.end_time_us, unix_us(t1));
  EXPECT_EQ(e.network_direction, NetworkDirection::internal);
  EXPECT_EQ(t->stats().starts, 1u);
  EXPECT_EQ(t->stats().ends, 1u);
}

TEST_F(FlowTableTest, TimedOutConnectEndsWithTimeout) {
  auto t = table();
  t->on_tcp_start(start_rec(11, 100 * kSec, v4("10.0.0.54", 0, "192.0.2.1", 443), curl_, true,
                            PF_OWNER_CONNECT, PF_HOOK_TP_BTF));
  t->on_tcp_end(end_rec(11, 227 * kSec, v4("10.0.0.54", 51001, "192.0.2.1", 443), PF_CLOSE_TIMEOUT,
                        kSyn, 0, 0, 0, 7));
  t->tick(228 * kSec);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[1].end_reason, EndReason::timeout);
  EXPECT_EQ(events_[1].tcp_flags, kSyn);
  EXPECT_EQ(events_[1].packet_count, 7u);
}

// An RST on the wire is a flag of the connection; whether it ended the flow
// is the socket's to say (sk_err, an abortive close, the RST record below).
TEST_F(FlowTableTest, RstSeenByTcIsAFlagNotTheEndReason) {
  FakeWire wire;
  auto t = table(&wire);
  const auto tup = v4("10.0.0.54", 50438, "10.0.0.1", 80);
  wire.put(tup, kSeq, 9, kSyn | kAck | kPsh | kRst);
  t->on_tcp_start(start_rec(12, 100 * kSec, tup, curl_, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));
  t->on_tcp_end(end_rec(12, 101 * kSec, tup, PF_CLOSE_NORMAL, kSyn | kAck | kFin, 10, 20, 5, 5));
  t->tick(102 * kSec);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[1].end_reason, EndReason::close);
  EXPECT_EQ(events_[1].tcp_flags, kSyn | kAck | kPsh | kRst | kFin);
}

pf_tcp_reset reset_rec(uint64_t sock, uint64_t t_ns) {
  pf_tcp_reset r{};
  header(r, PF_REC_TCP_RESET, t_ns);
  r.sock_id = sock;
  return r;
}

// SO_LINGER 0 after shutdown(): FIN_WAIT2 -> CLOSE looks like a normal
// close, then the socket sends its RST. The record turns the end into a
// reset and counts the RST the socket counters never saw.
TEST_F(FlowTableTest, ResetAfterTheCloseMakesTheEndAnAbortWithItsPacket) {
  auto t = table();
  const auto tup = v4("10.0.0.54", 50438, "10.0.0.1", 80);
  t->on_tcp_start(start_rec(13, 100 * kSec, tup, curl_, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));
  t->on_tcp_end(end_rec(13, 101 * kSec, tup, PF_CLOSE_NORMAL, kSyn | kAck | kFin, 10, 20, 4, 5));
  t->on_tcp_reset(reset_rec(13, 101 * kSec + 1000));
  t->tick(102 * kSec);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[1].end_reason, EndReason::reset);
  EXPECT_EQ(events_[1].tcp_flags, kSyn | kAck | kFin | kRst);
  EXPECT_EQ(events_[1].packet_count, 10u);
  EXPECT_EQ(t->stats().late_resets, 0u);
}

// With TC's count of the connection, the RST is already in it: no double count.
TEST_F(FlowTableTest, ResetAfterTheCloseIsNotCountedTwiceWhenTcSawIt) {
  FakeWire wire;
  auto t = table(&wire);
  const auto tup = v4("10.0.0.54", 50438, "10.0.0.1", 80);
  wire.put(tup, kSeq, 8, kSyn | kAck | kPsh | kRst);
  t->on_tcp_start(start_rec(14, 100 * kSec, tup, curl_, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));
  t->on_tcp_end(end_rec(14, 101 * kSec, tup, PF_CLOSE_RESET, kSyn | kAck | kRst, 10, 20, 3, 4));
  t->on_tcp_reset(reset_rec(14, 101 * kSec + 1000));
  t->tick(102 * kSec);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[1].end_reason, EndReason::reset);
  EXPECT_EQ(events_[1].packet_count, 8u);
}

TEST_F(FlowTableTest, ResetForAnEndAlreadyOutIsCountedNotApplied) {
  auto t = table();
  const auto tup = v4("10.0.0.54", 50438, "10.0.0.1", 80);
  t->on_tcp_start(start_rec(15, 100 * kSec, tup, curl_, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));
  t->on_tcp_end(end_rec(15, 101 * kSec, tup, PF_CLOSE_NORMAL, kSyn | kAck | kFin, 1, 2, 3, 4));
  t->tick(102 * kSec);
  t->on_tcp_reset(reset_rec(15, 102 * kSec));
  t->on_tcp_reset(reset_rec(999, 102 * kSec));  // a socket procflow never followed
  EXPECT_EQ(t->stats().late_resets, 2u);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[1].end_reason, EndReason::close);
}

// ---- end: linger and counters ----------------------------------------------

TEST_F(FlowTableTest, EndIsHeldBackUntilLingerWithTcCounters) {
  FakeWire packets;
  auto t = table(&packets);
  const uint64_t t0 = 100 * kSec, t1 = 130 * kSec;
  const auto tup = v4("10.0.0.54", 50438, "93.184.216.34", 443);
  t->on_tcp_start(start_rec(20, t0, tup, curl_, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));
  t->on_tcp_end(end_rec(20, t1, tup, PF_CLOSE_NORMAL, kSyn | kAck | kFin, 13200, 1337, 15, 11));
  ASSERT_EQ(events_.size(), 1u);  // the start only
  EXPECT_EQ(t->open_flows(), 0u);

  t->tick(t1);
  t->tick(t1 + kLinger - 1);
  EXPECT_EQ(events_.size(), 1u);
  EXPECT_EQ(t->stats().ends, 0u);
  EXPECT_EQ(packets.lookups, 0);

  // The TC counters arrive during the linger (the final ACK).
  packets.put(tup, kSeq, 27, kSyn | kAck | kPsh | kFin);
  t->tick(t1 + kLinger);
  ASSERT_EQ(events_.size(), 2u);
  const FlowEvent& e = events_[1];
  EXPECT_EQ(e.action, FlowAction::end);
  EXPECT_EQ(e.end_reason, EndReason::close);
  EXPECT_EQ(e.in_bytes, 13200u);  // app_bytes_in
  EXPECT_EQ(e.out_bytes, 1337u);  // app_bytes_out, not bytes_sent
  EXPECT_EQ(e.packet_count, 27u);
  EXPECT_EQ(e.tcp_flags, kSyn | kAck | kPsh | kFin);
  EXPECT_EQ(tcp_flags_to_string(e.tcp_flags), "SYN, ACK, PSH, FIN");
  EXPECT_EQ(e.start_time_us, unix_us(t0));
  EXPECT_EQ(e.end_time_us, unix_us(t1));
  EXPECT_EQ(e.timestamp_us, unix_us(t1));
  EXPECT_EQ(e.pid, 738u);
  EXPECT_EQ(e.exe, "curl");
  EXPECT_EQ(e.src_port, 50438);
  EXPECT_EQ(e.community_id, events_[0].community_id);
  EXPECT_EQ(t->stats().ends, 1u);
  EXPECT_EQ(packets.lookups, 1);

  t->tick(t1 + 10 * kLinger);
  EXPECT_EQ(events_.size(), 2u);
}

TEST_F(FlowTableTest, EndWithoutTcEntryUsesSocketSegmentsAndImpliedFlags) {
  FakeWire packets;  // attached, but this connection never crossed it
  auto t = table(&packets);
  const auto tup = v4("10.0.0.54", 50438, "93.184.216.34", 443);
  packets.put(v4("10.0.0.54", 50439, "93.184.216.34", 443), kSeq, 99, kPsh);
  t->on_tcp_start(start_rec(21, 100 * kSec, tup, curl_, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));
  t->on_tcp_end(end_rec(21, 101 * kSec, tup, PF_CLOSE_NORMAL, kSyn | kAck | kFin, 500, 60, 9, 8));
  t->tick(101 * kSec + kLinger);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[1].packet_count, 17u);
  EXPECT_EQ(events_[1].tcp_flags, kSyn | kAck | kFin);
  EXPECT_EQ(events_[1].in_bytes, 500u);
  EXPECT_EQ(events_[1].out_bytes, 60u);
  EXPECT_EQ(packets.lookups, 1);
}

// Port reuse: TC's entry for the tuple belongs to the connection opened by
// another SYN. It must not lend this flow its packets or flags.
TEST_F(FlowTableTest, TcEntryOfAnotherConnectionOnTheSameTupleIsNotUsed) {
  FakeWire wire;
  auto t = table(&wire);
  const auto tup = v4("10.0.0.54", 50438, "93.184.216.34", 443);
  wire.put(tup, kSeq + 1000, 20, kSyn | kAck | kPsh | kRst);
  t->on_tcp_start(start_rec(24, 100 * kSec, tup, curl_, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));
  t->on_tcp_end(end_rec(24, 101 * kSec, tup, PF_CLOSE_NORMAL, kSyn | kAck | kFin, 5, 6, 5, 5));
  t->tick(101 * kSec + kLinger);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[1].packet_count, 10u);
  EXPECT_EQ(events_[1].tcp_flags, kSyn | kAck | kFin);
  EXPECT_EQ(events_[1].end_reason, EndReason::close);
}

// TC attached after the connection opened: no SYN seen, so its count is
// partial (the socket's is whole), but its flags are this connection's.
TEST_F(FlowTableTest, TcEntryWithoutItsSynLendsFlagsButNotTheCount) {
  FakeWire wire;
  auto t = table(&wire);
  const auto tup = v4("10.0.0.54", 50438, "93.184.216.34", 443);
  wire.put(tup, kSeq, 3, kAck | kPsh, /*from_syn=*/false);
  t->on_tcp_start(start_rec(25, 100 * kSec, tup, curl_, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));
  t->on_tcp_end(end_rec(25, 101 * kSec, tup, PF_CLOSE_NORMAL, kSyn | kAck | kFin, 5, 6, 7, 8));
  t->tick(101 * kSec + kLinger);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[1].packet_count, 15u);
  EXPECT_EQ(events_[1].tcp_flags, kSyn | kAck | kPsh | kFin);
}

TEST_F(FlowTableTest, EndWithoutPacketSourceUsesSocketSegments) {
  auto t = table(nullptr);
  const auto tup = v4("10.0.0.54", 50438, "93.184.216.34", 443);
  t->on_tcp_start(start_rec(22, 100 * kSec, tup, curl_, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));
  t->on_tcp_end(end_rec(22, 101 * kSec, tup, PF_CLOSE_NORMAL, kSyn | kAck | kFin, 1, 2,
                        4'000'000'000u, 4'000'000'000u));
  t->tick(101 * kSec + kLinger);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[1].packet_count, 8'000'000'000u);  // summed in 64 bits
}

TEST_F(FlowTableTest, LingerIsConfigurable) {
  FlowTableOptions options;
  options.linger_ns = 0;
  auto t = table(nullptr, options);
  const auto tup = v4("10.0.0.54", 50438, "93.184.216.34", 443);
  t->on_tcp_start(start_rec(23, 100 * kSec, tup, curl_, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));
  t->on_tcp_end(end_rec(23, 101 * kSec, tup, PF_CLOSE_NORMAL, kSyn | kAck | kFin));
  EXPECT_EQ(events_.size(), 1u);  // still only on tick
  t->tick(101 * kSec);
  EXPECT_EQ(events_.size(), 2u);
}

TEST_F(FlowTableTest, EndsComeOutInOrderAsTheyFallDue) {
  auto t = table();
  const auto a = v4("10.0.0.54", 50001, "93.184.216.34", 443);
  const auto b = v4("10.0.0.54", 50002, "93.184.216.34", 443);
  t->on_tcp_start(start_rec(30, 100 * kSec, a, curl_, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));
  t->on_tcp_start(start_rec(31, 100 * kSec, b, curl_, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));
  t->on_tcp_end(end_rec(30, 110 * kSec, a, PF_CLOSE_NORMAL, kSyn | kAck | kFin));
  t->on_tcp_end(end_rec(31, 110 * kSec + 100 * kMs, b, PF_CLOSE_NORMAL, kSyn | kAck | kFin));
  events_.clear();
  t->tick(110 * kSec + kLinger);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].src_port, 50001);
  t->tick(110 * kSec + 100 * kMs + kLinger);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[1].src_port, 50002);
}

// ---- shutdown --------------------------------------------------------------

TEST_F(FlowTableTest, FinishFlushesPendingEndsThenStopsOpenFlows) {
  auto t = table();
  const uint64_t t0 = 100 * kSec, stop = 200 * kSec;
  const auto ended = v4("10.0.0.54", 50001, "93.184.216.34", 443);
  const auto open_with_snapshot = v4("10.0.0.54", 50002, "93.184.216.34", 443);
  const auto open_without = v4("10.0.0.54", 50003, "93.184.216.34", 443);
  const auto inbound_pending = v4("203.0.113.9", 40000, "10.0.0.5", 80);
  t->on_tcp_start(start_rec(40, t0, ended, curl_, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));
  t->on_tcp_start(
      start_rec(41, t0, open_with_snapshot, curl_, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));
  t->on_tcp_start(start_rec(42, t0, open_without, curl_, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));
  t->on_tcp_start(start_rec(43, stop - kMs, inbound_pending, nginx_master_, false,
                            PF_OWNER_LISTENER, PF_HOOK_TP_BTF));
  t->on_tcp_end(end_rec(40, stop - kMs, ended, PF_CLOSE_NORMAL, kSyn | kAck | kFin, 1, 2, 3, 4));
  t->on_tcp_snapshot(snapshot_rec(41, stop, 7000, 800, 30, 20, kSyn | kAck));
  ASSERT_EQ(events_.size(), 3u);  // starts of 40, 41, 42
  events_.clear();
  EXPECT_EQ(t->open_flows(), 3u);

  t->finish(stop);
  EXPECT_EQ(t->open_flows(), 0u);
  // The pending end first, with its own time and reason.
  ASSERT_EQ(events_.size(), 5u);
  EXPECT_EQ(events_[0].action, FlowAction::end);
  EXPECT_EQ(events_[0].src_port, 50001);
  EXPECT_EQ(events_[0].end_reason, EndReason::close);
  EXPECT_EQ(events_[0].end_time_us, unix_us(stop - kMs));
  EXPECT_EQ(events_[0].packet_count, 7u);

  std::map<uint16_t, FlowEvent> ends;
  int starts = 0;
  for (size_t i = 1; i < events_.size(); ++i) {
    if (events_[i].action == FlowAction::start) {
      ++starts;
      EXPECT_EQ(events_[i].src_port, 40000);  // the inbound flow never started
      EXPECT_EQ(events_[i].pid, 500u);
      continue;
    }
    ends[events_[i].src_port] = events_[i];
  }
  EXPECT_EQ(starts, 1);
  ASSERT_EQ(ends.size(), 3u);
  for (const auto& [port, e] : ends) {
    EXPECT_EQ(e.action, FlowAction::end) << port;
    EXPECT_EQ(e.end_reason, EndReason::tracer_stop) << port;
    EXPECT_EQ(e.end_time_us, unix_us(stop)) << port;
    EXPECT_EQ(e.timestamp_us, unix_us(stop)) << port;
  }
  const FlowEvent& snap = ends.at(50002);
  EXPECT_EQ(snap.in_bytes, 7000u);
  EXPECT_EQ(snap.out_bytes, 800u);
  EXPECT_EQ(snap.packet_count, 50u);
  EXPECT_EQ(snap.tcp_flags, kSyn | kAck);
  EXPECT_EQ(snap.start_time_us, unix_us(t0));
  EXPECT_EQ(snap.pid, 738u);
  // Without a snapshot the counters are unknown: absent, not zero.
  const FlowEvent& bare = ends.at(50003);
  EXPECT_FALSE(bare.in_bytes.has_value());
  EXPECT_FALSE(bare.out_bytes.has_value());
  EXPECT_FALSE(bare.packet_count.has_value());
  EXPECT_EQ(bare.tcp_flags, 0);
  const FlowEvent& inbound = ends.at(40000);
  EXPECT_EQ(inbound.pid, 500u);
  EXPECT_EQ(inbound.initiated, false);

  EXPECT_EQ(t->stats().starts, 4u);
  EXPECT_EQ(t->stats().ends, 4u);
  t->finish(stop + kSec);  // nothing left
  EXPECT_EQ(events_.size(), 5u);
}

TEST_F(FlowTableTest, FinishPrefersTcCountersOverTheSnapshot) {
  FakeWire packets;
  auto t = table(&packets);
  const auto tup = v4("10.0.0.54", 50002, "93.184.216.34", 443);
  packets.put(tup, kSeq, 61, kSyn | kAck | kPsh);
  t->on_tcp_start(start_rec(41, 100 * kSec, tup, curl_, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));
  t->on_tcp_snapshot(snapshot_rec(41, 200 * kSec, 7000, 800, 30, 20, kSyn | kAck));
  t->finish(200 * kSec);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[1].packet_count, 61u);
  EXPECT_EQ(events_[1].tcp_flags, kSyn | kAck | kPsh);
  EXPECT_EQ(events_[1].in_bytes, 7000u);
  EXPECT_EQ(events_[1].end_reason, EndReason::tracer_stop);
}

TEST_F(FlowTableTest, FinishStartsAnOutboundAttemptThatNeverGotItsPort) {
  auto t = table();
  t->on_tcp_start(start_rec(44, 100 * kSec, v4("10.0.0.54", 0, "192.0.2.1", 443), curl_, true,
                            PF_OWNER_CONNECT, PF_HOOK_TP_BTF));
  t->finish(101 * kSec);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[0].action, FlowAction::start);
  EXPECT_EQ(events_[0].src_port, 0);
  EXPECT_EQ(events_[0].community_id, "");  // no port, no flow hash
  EXPECT_EQ(events_[1].action, FlowAction::end);
  EXPECT_EQ(events_[1].end_reason, EndReason::tracer_stop);
}

// ---- filters before enrichment ---------------------------------------------

// A flow the --port/--pid/--exe/--host filters do not want gets no event
// built at all (no name look-up, no hash); one they want is untouched.
TEST_F(FlowTableTest, FlowLevelFiltersDecideBeforeAnythingIsBuilt) {
  filter_.ports = {443};
  filter_.exes = {"curl"};
  auto t = table();
  const auto wanted = v4("10.0.0.54", 50438, "93.184.216.34", 443);
  const auto other_port = v4("10.0.0.54", 50439, "93.184.216.34", 80);
  t->on_tcp_start(start_rec(95, 100 * kSec, wanted, curl_, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));
  t->on_tcp_start(
      start_rec(96, 100 * kSec, other_port, curl_, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));
  t->on_tcp_start(start_rec(97, 100 * kSec, v4("10.0.0.5", 80, "10.0.0.6", 443), nginx_master_,
                            true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));  // port ok, exe not
  t->on_tcp_end(end_rec(95, 101 * kSec, wanted, PF_CLOSE_NORMAL, kSyn | kAck | kFin));
  t->on_tcp_end(end_rec(96, 101 * kSec, other_port, PF_CLOSE_NORMAL, kSyn | kAck | kFin));
  t->tick(102 * kSec);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[0].src_port, 50438);
  EXPECT_EQ(events_[1].src_port, 50438);
  EXPECT_EQ(t->stats().filtered, 3u);  // 96's start and end, 97's start
  EXPECT_EQ(t->stats().starts, 3u);    // every flow is still followed
}

// ---- connections that existed before procflow ------------------------------

pf_tcp_existing existing_rec(uint64_t sock, uint64_t t_ns, const pf_tuple& local_to_remote,
                             bool initiated) {
  pf_tcp_existing r{};
  header(r, PF_REC_TCP_EXISTING, t_ns);
  r.sock_id = sock;
  r.netns = 4026531840;
  r.tuple = local_to_remote;
  r.app_bytes_in = 300;
  r.app_bytes_out = 40;
  r.packets = 9;
  r.syn_seq = kSeq;
  r.state = 1;  // TCP_ESTABLISHED
  r.initiated = initiated;
  r.tracked = 1;
  r.implied_flags = kSyn | kAck;
  return r;
}

TEST_F(FlowTableTest, AnExistingConnectionStartsAtOnceAsASnapshotAndEndsLikeAnyOther) {
  auto t = table();
  // An accepted connection: the walk gives local (the server) -> remote.
  const auto local_to_remote = v4("10.0.0.5", 22, "203.0.113.9", 40000);
  t->on_existing(existing_rec(90, 100 * kSec, local_to_remote, false), nginx_master_);
  ASSERT_EQ(events_.size(), 1u);
  const FlowEvent& s = events_[0];
  EXPECT_EQ(s.action, FlowAction::start);
  EXPECT_EQ(s.snapshot, true);
  EXPECT_EQ(s.src_ip.to_string(), "203.0.113.9");  // initiator -> responder
  EXPECT_EQ(s.src_port, 40000);
  EXPECT_EQ(s.dest_port, 22);
  EXPECT_EQ(s.initiated, false);
  EXPECT_EQ(s.pid, 500u);
  EXPECT_EQ(s.exe, "nginx");
  EXPECT_EQ(s.in_bytes, 300u);  // so far
  EXPECT_EQ(s.out_bytes, 40u);
  EXPECT_EQ(s.packet_count, 9u);
  EXPECT_EQ(s.start_time_us, unix_us(100 * kSec));

  t->on_tcp_end(end_rec(90, 130 * kSec, tuple(4, "203.0.113.9", 40000, "10.0.0.5", 22),
                        PF_CLOSE_NORMAL, kSyn | kAck | kFin, 5000, 600, 20, 20));
  t->tick(131 * kSec);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[1].action, FlowAction::end);
  EXPECT_FALSE(events_[1].snapshot.has_value()) << "only the start is a snapshot";
  EXPECT_EQ(events_[1].in_bytes, 5000u);
  EXPECT_EQ(events_[1].pid, 500u);
}

TEST_F(FlowTableTest, ListenersAndSocketsTheWalkDidNotEnterAreIgnored) {
  auto t = table();
  auto listener = existing_rec(91, 100 * kSec, v4("0.0.0.0", 80, "0.0.0.0", 0), false);
  listener.listening = 1;
  listener.tracked = 0;
  t->on_existing(listener, std::nullopt);
  auto seen_starting = existing_rec(92, 100 * kSec, v4("10.0.0.5", 50000, "10.0.0.9", 443), true);
  seen_starting.tracked = 0;  // started after the attach: its own start record comes
  t->on_existing(seen_starting, curl_);
  EXPECT_TRUE(events_.empty());
  EXPECT_EQ(t->open_flows(), 0u);
}

TEST_F(FlowTableTest, AnExistingConnectionNoProcessHoldsHasNoProcessFields) {
  auto t = table();
  t->on_existing(existing_rec(93, 100 * kSec, v4("10.0.0.5", 50001, "10.0.0.9", 443), true),
                 std::nullopt);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_FALSE(events_[0].pid.has_value());
  EXPECT_EQ(events_[0].src_port, 50001);
  EXPECT_EQ(events_[0].initiated, true);
}

// ---- addresses and identifiers ----------------------------------------------

TEST_F(FlowTableTest, Ipv4MappedTuplesComeOutAsIpv4) {
  auto t = table();
  // A dual-stack server ([::]:80) accepting an IPv4 client.
  const auto tup = tuple(6, "::ffff:192.0.2.10", 40000, "::ffff:10.0.0.5", 80);
  t->on_tcp_start(
      start_rec(50, 100 * kSec, tup, nginx_master_, false, PF_OWNER_ACCEPT, PF_HOOK_FENTRY));
  ASSERT_EQ(events_.size(), 1u);
  const FlowEvent& e = events_[0];
  EXPECT_EQ(e.src_ip.family, 4);
  EXPECT_EQ(e.dest_ip.family, 4);
  EXPECT_EQ(e.src_ip.to_string(), "192.0.2.10");
  EXPECT_EQ(e.dest_ip.to_string(), "10.0.0.5");
  EXPECT_EQ(e.network_direction, NetworkDirection::in);
  EXPECT_EQ(e.community_id,
            community_id(ip("192.0.2.10"), ip("10.0.0.5"), 40000, 80, ip_proto_tcp));
}

TEST_F(FlowTableTest, Ipv6TuplesStayIpv6) {
  auto t = table();
  const auto tup = tuple(6, "2001:db8::54", 50438, "2606:2800:220:1::1", 443);
  t->on_tcp_start(start_rec(51, 100 * kSec, tup, curl_, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_[0].src_ip.family, 6);
  EXPECT_EQ(events_[0].src_ip.to_string(), "2001:db8::54");
  EXPECT_EQ(events_[0].dest_ip.to_string(), "2606:2800:220:1::1");
  EXPECT_EQ(events_[0].network_direction, NetworkDirection::external);
}

TEST_F(FlowTableTest, BothSidesOfALoopbackConnectionShareCommunityIdAndWireEntry) {
  FakeWire packets;
  auto t = table(&packets);
  // One connection, two local sockets: the client's and the accepted one. Both
  // records are oriented initiator -> responder.
  const auto tup = v4("127.0.0.1", 50000, "127.0.0.1", 8080);
  packets.put(tup, kSeq, 10, kSyn | kAck | kPsh | kFin);
  t->on_tcp_start(start_rec(60, 100 * kSec, tup, curl_, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));
  t->on_tcp_start(
      start_rec(61, 100 * kSec + kMs, tup, nginx_master_, false, PF_OWNER_ACCEPT, PF_HOOK_FENTRY));
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[0].community_id, events_[1].community_id);
  EXPECT_EQ(events_[0].community_id,
            community_id(ip("127.0.0.1"), ip("127.0.0.1"), 50000, 8080, ip_proto_tcp));
  EXPECT_EQ(events_[0].initiated, true);
  EXPECT_EQ(events_[1].initiated, false);
  EXPECT_EQ(events_[1].src_port, 50000);  // both say who initiated
  EXPECT_EQ(events_[0].pid, 738u);
  EXPECT_EQ(events_[1].pid, 500u);

  t->on_tcp_end(end_rec(60, 101 * kSec, tup, PF_CLOSE_NORMAL, kSyn | kAck | kFin, 10, 20, 5, 5));
  t->on_tcp_end(end_rec(61, 101 * kSec, tup, PF_CLOSE_NORMAL, kSyn | kAck | kFin, 20, 10, 5, 5));
  t->tick(102 * kSec);
  ASSERT_EQ(events_.size(), 4u);
  EXPECT_EQ(events_[2].packet_count, 10u);
  EXPECT_EQ(events_[3].packet_count, 10u);
  EXPECT_EQ(events_[2].in_bytes, 10u);
  EXPECT_EQ(events_[3].in_bytes, 20u);
  EXPECT_EQ(packets.lookups, 2);
}

// The same regression end to end: the TC entry of an IPv4-mapped flow must
// be found, not replaced by the socket's segments and implied flags.
TEST_F(FlowTableTest, Ipv4MappedFlowFindsItsTcCounters) {
  FakeWire packets;
  auto t = table(&packets);
  const auto tup = tuple(6, "::ffff:192.0.2.10", 40000, "::ffff:10.0.0.5", 80);
  packets.put(v4("192.0.2.10", 40000, "10.0.0.5", 80), kSeq, 12, kSyn | kAck | kPsh | kFin);
  t->on_tcp_start(
      start_rec(52, 100 * kSec, tup, nginx_master_, false, PF_OWNER_ACCEPT, PF_HOOK_FENTRY));
  t->on_tcp_end(end_rec(52, 101 * kSec, tup, PF_CLOSE_NORMAL, kSyn | kAck | kFin, 1, 2, 3, 4));
  t->tick(102 * kSec);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_[1].packet_count, 12u);
  EXPECT_EQ(events_[1].tcp_flags, kSyn | kAck | kPsh | kFin);
}

// ---- unknown sockets ---------------------------------------------------------

TEST_F(FlowTableTest, RecordsForUnknownSocketsAreCountedAndIgnored) {
  auto t = table();
  const auto tup = v4("10.0.0.54", 50438, "93.184.216.34", 443);
  t->on_tcp_owner(owner_rec(777, 100 * kSec, curl_, PF_OWNER_SENDRECV));
  t->on_tcp_established(established_rec(778, 100 * kSec, tup));
  t->on_tcp_end(end_rec(779, 100 * kSec, tup, PF_CLOSE_NORMAL, kSyn | kAck | kFin));
  t->on_tcp_snapshot(snapshot_rec(780, 100 * kSec, 1, 2, 3, 4, kSyn));  // harmless
  EXPECT_EQ(t->stats().unknown_sockets, 3u);
  t->tick(200 * kSec);
  t->finish(200 * kSec);
  EXPECT_TRUE(events_.empty());
  EXPECT_EQ(t->open_flows(), 0u);
  EXPECT_EQ(t->stats().starts, 0u);
  EXPECT_EQ(t->stats().ends, 0u);
}

TEST_F(FlowTableTest, SecondEndOfTheSameSocketIsUnknown) {
  auto t = table();
  const auto tup = v4("10.0.0.54", 50438, "93.184.216.34", 443);
  t->on_tcp_start(start_rec(70, 100 * kSec, tup, curl_, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));
  t->on_tcp_end(end_rec(70, 101 * kSec, tup, PF_CLOSE_NORMAL, kSyn | kAck | kFin));
  t->on_tcp_end(end_rec(70, 101 * kSec, tup, PF_CLOSE_NORMAL, kSyn | kAck | kFin));
  EXPECT_EQ(t->stats().unknown_sockets, 1u);
  t->tick(102 * kSec);
  EXPECT_EQ(events_.size(), 2u);
  EXPECT_EQ(t->stats().ends, 1u);
}

TEST_F(FlowTableTest, ReusedSocketAddressStartsAFreshFlow) {
  auto t = table();
  const auto a = v4("10.0.0.54", 50001, "93.184.216.34", 443);
  const auto b = v4("10.0.0.54", 50002, "93.184.216.34", 443);
  t->on_tcp_start(start_rec(80, 100 * kSec, a, curl_, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));
  t->on_tcp_end(end_rec(80, 101 * kSec, a, PF_CLOSE_NORMAL, kSyn | kAck | kFin));
  t->on_tcp_start(start_rec(80, 102 * kSec, b, curl_, true, PF_OWNER_CONNECT, PF_HOOK_FENTRY));
  t->tick(103 * kSec);
  ASSERT_EQ(events_.size(), 3u);
  EXPECT_EQ(events_[1].action, FlowAction::start);
  EXPECT_EQ(events_[1].src_port, 50002);
  EXPECT_EQ(events_[2].action, FlowAction::end);
  EXPECT_EQ(events_[2].src_port, 50001);
  EXPECT_EQ(t->open_flows(), 1u);
}

}  // namespace
}  // namespace procflow
