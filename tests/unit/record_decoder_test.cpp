// Tests decode_record: every record kind reaches its own handler with every
// field intact; short buffers, a wrong hdr.size and unknown kinds are refused
// with the right DecodeStatus and no handler call; input at any alignment.
#include "collect/record_decoder.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace procflow {
namespace {

// Records every call: which handler ran and a copy of what it received.
class RecordingHandler : public RecordHandler {
 public:
  void on_exec(const pf_proc_exec& r) override {
    calls.push_back("exec");
    exec = r;
  }
  void on_fork(const pf_proc_fork& r) override {
    calls.push_back("fork");
    fork = r;
  }
  void on_exit(const pf_proc_exit& r) override {
    calls.push_back("exit");
    exit = r;
  }
  void on_tcp_start(const pf_tcp_start& r) override {
    calls.push_back("start");
    start = r;
  }
  void on_tcp_owner(const pf_tcp_owner& r) override {
    calls.push_back("owner");
    owner = r;
  }
  void on_tcp_established(const pf_tcp_established& r) override {
    calls.push_back("established");
    established = r;
  }
  void on_tcp_end(const pf_tcp_end& r) override {
    calls.push_back("end");
    end = r;
  }
  void on_tcp_reset(const pf_tcp_reset& r) override {
    calls.push_back("reset");
    reset = r;
  }
  void on_tcp_snapshot(const pf_tcp_snapshot& r) override {
    calls.push_back("snapshot");
    snapshot = r;
  }

  std::vector<std::string> calls;
  pf_proc_exec exec{};
  pf_proc_fork fork{};
  pf_proc_exit exit{};
  pf_tcp_start start{};
  pf_tcp_owner owner{};
  pf_tcp_established established{};
  pf_tcp_end end{};
  pf_tcp_snapshot snapshot{};
  pf_tcp_reset reset{};
};

template <typename Record>
void set_header(Record& r, uint16_t kind, uint64_t ktime_ns = 1'000'000'123) {
  r.hdr.kind = kind;
  r.hdr.size = sizeof(Record);
  r.hdr.ktime_ns = ktime_ns;
}

pf_task make_task(uint32_t tgid) {
  pf_task t{};
  t.tgid = tgid;
  t.tid = tgid + 1;
  t.ppid = 1;
  t.uid = 1000;
  t.gid = 1001;
  t.start_boot_ns = 987'654'321'000;
  t.mntns = 4026531841;
  t.cgroup_id = 0x1122334455667788ull;
  std::strncpy(t.comm, "curl", sizeof t.comm);
  return t;
}

pf_tuple make_tuple() {
  pf_tuple t{};
  const uint8_t s[4] = {10, 0, 0, 5};
  const uint8_t d[4] = {93, 184, 216, 34};
  std::memcpy(t.saddr, s, 4);
  std::memcpy(t.daddr, d, 4);
  t.sport = 50438;
  t.dport = 443;
  t.family = 4;
  t.proto = 6;
  return t;
}

void expect_task_eq(const pf_task& a, const pf_task& b) {
  EXPECT_EQ(a.tgid, b.tgid);
  EXPECT_EQ(a.tid, b.tid);
  EXPECT_EQ(a.ppid, b.ppid);
  EXPECT_EQ(a.uid, b.uid);
  EXPECT_EQ(a.gid, b.gid);
  EXPECT_EQ(a.start_boot_ns, b.start_boot_ns);
  EXPECT_EQ(a.mntns, b.mntns);
  EXPECT_EQ(a.cgroup_id, b.cgroup_id);
  EXPECT_EQ(std::string(a.comm, strnlen(a.comm, sizeof a.comm)),
            std::string(b.comm, strnlen(b.comm, sizeof b.comm)));
}

template <typename Record>
DecodeStatus decode(const Record& r, RecordHandler& h) {
  return decode_record(&r, sizeof r, h);
}

TEST(RecordDecoderTest, ExecRecord) {
  pf_proc_exec r{};
  set_header(r, PF_REC_PROC_EXEC);
  r.task = make_task(4242);
  const char path[] = "/usr/bin/curl";
  std::memcpy(r.filename, path, sizeof path);
  r.filename_len = sizeof path;
  RecordingHandler h;
  ASSERT_EQ(decode(r, h), DecodeStatus::ok);
  ASSERT_EQ(h.calls, std::vector<std::string>{"exec"});
  EXPECT_EQ(h.exec.hdr.kind, PF_REC_PROC_EXEC);
  EXPECT_EQ(h.exec.hdr.size, sizeof(pf_proc_exec));
  EXPECT_EQ(h.exec.hdr.ktime_ns, 1'000'000'123u);
  expect_task_eq(h.exec.task, r.task);
  EXPECT_EQ(h.exec.filename_len, 14u);
  EXPECT_STREQ(h.exec.filename, "/usr/bin/curl");
}

TEST(RecordDecoderTest, ForkRecord) {
  pf_proc_fork r{};
  set_header(r, PF_REC_PROC_FORK, 55);
  r.child = make_task(5000);
  RecordingHandler h;
  ASSERT_EQ(decode(r, h), DecodeStatus::ok);
  ASSERT_EQ(h.calls, std::vector<std::string>{"fork"});
  EXPECT_EQ(h.fork.hdr.ktime_ns, 55u);
  expect_task_eq(h.fork.child, r.child);
}

TEST(RecordDecoderTest, ExitRecord) {
  pf_proc_exit r{};
  set_header(r, PF_REC_PROC_EXIT, 77);
  r.task = make_task(5001);
  r.exit_code = 256;
  RecordingHandler h;
  ASSERT_EQ(decode(r, h), DecodeStatus::ok);
  ASSERT_EQ(h.calls, std::vector<std::string>{"exit"});
  EXPECT_EQ(h.exit.hdr.ktime_ns, 77u);
  expect_task_eq(h.exit.task, r.task);
  EXPECT_EQ(h.exit.exit_code, 256u);
}

TEST(RecordDecoderTest, TcpStartRecord) {
  pf_tcp_start r{};
  set_header(r, PF_REC_TCP_START);
  r.sock_id = 0xffff888812345678ull;
  r.netns = 4026531840;
  r.tuple = make_tuple();
  r.owner = make_task(738);
  r.initiated = 1;
  r.owner_source = PF_OWNER_CONNECT;
  r.hook = PF_HOOK_FENTRY;
  RecordingHandler h;
  ASSERT_EQ(decode(r, h), DecodeStatus::ok);
  ASSERT_EQ(h.calls, std::vector<std::string>{"start"});
  EXPECT_EQ(h.start.sock_id, 0xffff888812345678ull);
  EXPECT_EQ(h.start.netns, 4026531840u);
  EXPECT_EQ(std::memcmp(&h.start.tuple, &r.tuple, sizeof r.tuple), 0);
  EXPECT_EQ(h.start.tuple.sport, 50438);
  EXPECT_EQ(h.start.tuple.dport, 443);
  EXPECT_EQ(h.start.tuple.family, 4);
  EXPECT_EQ(h.start.tuple.proto, 6);
  EXPECT_EQ(h.start.tuple.daddr[0], 93);
  expect_task_eq(h.start.owner, r.owner);
  EXPECT_EQ(h.start.initiated, 1);
  EXPECT_EQ(h.start.owner_source, PF_OWNER_CONNECT);
  EXPECT_EQ(h.start.hook, PF_HOOK_FENTRY);
}

TEST(RecordDecoderTest, TcpOwnerRecord) {
  pf_tcp_owner r{};
  set_header(r, PF_REC_TCP_OWNER);
  r.sock_id = 99;
  r.owner = make_task(800);
  r.owner_source = PF_OWNER_ACCEPT;
  r.hook = PF_HOOK_SYSCALL_TP;
  RecordingHandler h;
  ASSERT_EQ(decode(r, h), DecodeStatus::ok);
  ASSERT_EQ(h.calls, std::vector<std::string>{"owner"});
  EXPECT_EQ(h.owner.sock_id, 99u);
  expect_task_eq(h.owner.owner, r.owner);
  EXPECT_EQ(h.owner.owner_source, PF_OWNER_ACCEPT);
  EXPECT_EQ(h.owner.hook, PF_HOOK_SYSCALL_TP);
}

TEST(RecordDecoderTest, TcpEstablishedRecord) {
  pf_tcp_established r{};
  set_header(r, PF_REC_TCP_ESTABLISHED, 123456789);
  r.sock_id = 100;
  r.tuple = make_tuple();
  RecordingHandler h;
  ASSERT_EQ(decode(r, h), DecodeStatus::ok);
  ASSERT_EQ(h.calls, std::vector<std::string>{"established"});
  EXPECT_EQ(h.established.hdr.ktime_ns, 123456789u);
  EXPECT_EQ(h.established.sock_id, 100u);
  EXPECT_EQ(std::memcmp(&h.established.tuple, &r.tuple, sizeof r.tuple), 0);
}

TEST(RecordDecoderTest, TcpEndRecord) {
  pf_tcp_end r{};
  set_header(r, PF_REC_TCP_END);
  r.sock_id = 101;
  r.netns = 7;
  r.tuple = make_tuple();
  r.app_bytes_in = 13200;
  r.app_bytes_out = 1337;
  r.bytes_sent = 1400;
  r.packets = 21;
  r.sk_err = 104;
  r.syn_seq = 0xfeedbeef;
  r.close_cause = PF_CLOSE_RESET;
  r.implied_flags = 0x17;
  r.last_state = 1;
  r.established = 1;
  RecordingHandler h;
  ASSERT_EQ(decode(r, h), DecodeStatus::ok);
  ASSERT_EQ(h.calls, std::vector<std::string>{"end"});
  EXPECT_EQ(h.end.sock_id, 101u);
  EXPECT_EQ(h.end.netns, 7u);
  EXPECT_EQ(std::memcmp(&h.end.tuple, &r.tuple, sizeof r.tuple), 0);
  EXPECT_EQ(h.end.app_bytes_in, 13200u);
  EXPECT_EQ(h.end.app_bytes_out, 1337u);
  EXPECT_EQ(h.end.bytes_sent, 1400u);
  EXPECT_EQ(h.end.packets, 21u);
  EXPECT_EQ(h.end.sk_err, 104u);
  EXPECT_EQ(h.end.syn_seq, 0xfeedbeefu);
  EXPECT_EQ(h.end.close_cause, PF_CLOSE_RESET);
  EXPECT_EQ(h.end.implied_flags, 0x17);
  EXPECT_EQ(h.end.last_state, 1);
  EXPECT_EQ(h.end.established, 1);
}

TEST(RecordDecoderTest, TcpSnapshotRecord) {
  pf_tcp_snapshot r{};
  set_header(r, PF_REC_TCP_SNAPSHOT);
  r.sock_id = 102;
  r.app_bytes_in = 5;
  r.app_bytes_out = 6;
  r.packets = 15;
  r.syn_seq = 77;
  r.implied_flags = 0x12;
  r.state = 1;
  RecordingHandler h;
  ASSERT_EQ(decode(r, h), DecodeStatus::ok);
  ASSERT_EQ(h.calls, std::vector<std::string>{"snapshot"});
  EXPECT_EQ(h.snapshot.sock_id, 102u);
  EXPECT_EQ(h.snapshot.app_bytes_in, 5u);
  EXPECT_EQ(h.snapshot.app_bytes_out, 6u);
  EXPECT_EQ(h.snapshot.packets, 15u);
  EXPECT_EQ(h.snapshot.syn_seq, 77u);
  EXPECT_EQ(h.snapshot.implied_flags, 0x12);
  EXPECT_EQ(h.snapshot.state, 1);
}

TEST(RecordDecoderTest, TcpResetRecord) {
  pf_tcp_reset r{};
  set_header(r, PF_REC_TCP_RESET);
  r.sock_id = 103;
  RecordingHandler h;
  ASSERT_EQ(decode(r, h), DecodeStatus::ok);
  ASSERT_EQ(h.calls, std::vector<std::string>{"reset"});
  EXPECT_EQ(h.reset.sock_id, 103u);
}

TEST(RecordDecoderTest, EmptyAndShorterThanHeaderIsTruncated) {
  pf_tcp_end r{};
  set_header(r, PF_REC_TCP_END);
  RecordingHandler h;
  EXPECT_EQ(decode_record(&r, 0, h), DecodeStatus::truncated);
  EXPECT_EQ(decode_record(&r, 1, h), DecodeStatus::truncated);
  EXPECT_EQ(decode_record(&r, sizeof(pf_header) - 1, h), DecodeStatus::truncated);
  EXPECT_TRUE(h.calls.empty());
}

// Regression (bug fixed in 2d4c831): a buffer holding a valid header but cut
// off before the end of its record used to be reported as size_mismatch
// rather than truncated.
TEST(RecordDecoderTest, ShorterThanRecordIsTruncated) {
  pf_tcp_end r{};
  set_header(r, PF_REC_TCP_END);
  RecordingHandler h;
  EXPECT_EQ(decode_record(&r, sizeof(pf_header), h), DecodeStatus::truncated);
  EXPECT_EQ(decode_record(&r, sizeof r - 1, h), DecodeStatus::truncated);
  EXPECT_TRUE(h.calls.empty());
}

TEST(RecordDecoderTest, ShorterThanRecordIsNeverDecoded) {
  pf_proc_exec exec{};
  set_header(exec, PF_REC_PROC_EXEC);
  pf_tcp_start start{};
  set_header(start, PF_REC_TCP_START);
  pf_tcp_snapshot snap{};
  set_header(snap, PF_REC_TCP_SNAPSHOT);
  RecordingHandler h;
  EXPECT_NE(decode_record(&exec, sizeof exec - 8, h), DecodeStatus::ok);
  EXPECT_NE(decode_record(&start, sizeof start - 8, h), DecodeStatus::ok);
  EXPECT_NE(decode_record(&snap, sizeof snap - 8, h), DecodeStatus::ok);
  EXPECT_TRUE(h.calls.empty());
}

TEST(RecordDecoderTest, WrongHeaderSizeIsSizeMismatch) {
  RecordingHandler h;
  pf_tcp_start start{};
  set_header(start, PF_REC_TCP_START);
  start.hdr.size = sizeof start - 8;  // the kernel's struct is older/newer than ours
  EXPECT_EQ(decode(start, h), DecodeStatus::size_mismatch);
  start.hdr.size = sizeof start + 8;
  EXPECT_EQ(decode(start, h), DecodeStatus::size_mismatch);
  start.hdr.size = 0;
  EXPECT_EQ(decode(start, h), DecodeStatus::size_mismatch);

  // A record whose header names another kind's size.
  pf_tcp_owner owner{};
  set_header(owner, PF_REC_TCP_OWNER);
  owner.hdr.size = sizeof(pf_tcp_established);
  EXPECT_EQ(decode(owner, h), DecodeStatus::size_mismatch);
  EXPECT_TRUE(h.calls.empty());
}

TEST(RecordDecoderTest, UnknownKindIsRefused) {
  RecordingHandler h;
  pf_tcp_end r{};
  set_header(r, PF_REC_TCP_END);
  for (uint16_t kind : {0, PF_REC_TCP_RESET + 1, 100, 0xffff}) {
    r.hdr.kind = kind;
    EXPECT_EQ(decode(r, h), DecodeStatus::unknown_kind) << kind;
  }
  // A bare header of an unknown kind is enough to tell.
  pf_header hdr{};
  hdr.kind = 42;
  hdr.size = sizeof hdr;
  EXPECT_EQ(decode_record(&hdr, sizeof hdr, h), DecodeStatus::unknown_kind);
  EXPECT_TRUE(h.calls.empty());
}

TEST(RecordDecoderTest, LongerBufferWithCorrectHeaderDecodes) {
  // The ring buffer may hand over a sample with trailing bytes; hdr.size rules.
  pf_tcp_owner r{};
  set_header(r, PF_REC_TCP_OWNER);
  r.sock_id = 5;
  std::vector<unsigned char> buf(sizeof r + 16, 0xee);
  std::memcpy(buf.data(), &r, sizeof r);
  RecordingHandler h;
  ASSERT_EQ(decode_record(buf.data(), buf.size(), h), DecodeStatus::ok);
  ASSERT_EQ(h.calls, std::vector<std::string>{"owner"});
  EXPECT_EQ(h.owner.sock_id, 5u);
}

TEST(RecordDecoderTest, UnalignedInputDecodes) {
  pf_tcp_end r{};
  set_header(r, PF_REC_TCP_END, 0x0102030405060708ull);
  r.sock_id = 0xa1a2a3a4a5a6a7a8ull;
  r.tuple = make_tuple();
  r.app_bytes_in = 0x1111222233334444ull;
  r.packets = 0xdeadbeefcafeull;
  r.close_cause = PF_CLOSE_TIMEOUT;
  // Every misalignment of an 8-byte field.
  for (size_t offset = 1; offset < 8; ++offset) {
    std::vector<unsigned char> storage(sizeof r + 16);
    unsigned char* p = storage.data() + offset;
    std::memcpy(p, &r, sizeof r);
    RecordingHandler h;
    ASSERT_EQ(decode_record(p, sizeof r, h), DecodeStatus::ok) << offset;
    ASSERT_EQ(h.calls, std::vector<std::string>{"end"});
    EXPECT_EQ(h.end.hdr.ktime_ns, 0x0102030405060708ull);
    EXPECT_EQ(h.end.sock_id, 0xa1a2a3a4a5a6a7a8ull);
    EXPECT_EQ(h.end.app_bytes_in, 0x1111222233334444ull);
    EXPECT_EQ(h.end.packets, 0xdeadbeefcafeull);
    EXPECT_EQ(h.end.close_cause, PF_CLOSE_TIMEOUT);
    EXPECT_EQ(h.end.tuple.sport, 50438);
  }
}

TEST(RecordDecoderTest, DefaultHandlerIgnoresEveryKind) {
  RecordHandler h;  // all no-ops
  pf_tcp_snapshot r{};
  set_header(r, PF_REC_TCP_SNAPSHOT);
  EXPECT_EQ(decode(r, h), DecodeStatus::ok);
}

TEST(RecordDecoderTest, ConsecutiveRecordsEachGoToTheirHandler) {
  pf_tcp_start start{};
  set_header(start, PF_REC_TCP_START);
  start.sock_id = 1;
  pf_tcp_end end{};
  set_header(end, PF_REC_TCP_END);
  end.sock_id = 1;
  pf_proc_fork fork{};
  set_header(fork, PF_REC_PROC_FORK);
  RecordingHandler h;
  EXPECT_EQ(decode(start, h), DecodeStatus::ok);
  EXPECT_EQ(decode(fork, h), DecodeStatus::ok);
  EXPECT_EQ(decode(end, h), DecodeStatus::ok);
  EXPECT_EQ(h.calls, (std::vector<std::string>{"start", "fork", "end"}));
}

}  // namespace
}  // namespace procflow
