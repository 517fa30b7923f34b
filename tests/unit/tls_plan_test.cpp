// Tests the TLS line of the plan (src/bpf/tls_plan.h): attached (library and
// functions), content capture off, --disable-hook, and a failed probe's reason.
#include "bpf/tls_plan.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace procflow {
namespace {

class TlsProber : public HookProber {
 public:
  bool tls = true;
  bool handshake = true;
  bool sock_length = true;
  bool works(const HookCandidate& c) override {
    if (c.kind == HookKind::sock_length_tracepoint) return sock_length;
    if (c.kind != HookKind::tls_uprobe) return true;
    return c.attach_point.find("SSL_do_handshake") != std::string_view::npos ? handshake : tls;
  }
};

// Capturing, with the handshake uprobe or why not: a failed probe is a warning.
TEST(TlsPlanTest, AttachedWithOrWithoutTheHandshake) {
  const std::string failure =
      "cannot attach a uprobe to SSL_do_handshake in /l/libssl.so.3: no such symbol";
  struct Case {
    bool handshake, sock_length, problem;
    std::string after;  // what follows the plaintext functions
  };
  for (const Case& c : std::vector<Case>{
           {true, true, false, "sockets also from SSL_do_handshake"},
           {false, true, true, "not SSL_do_handshake: " + failure},
       }) {
    TlsProber prober;
    prober.handshake = c.handshake;
    prober.sock_length = c.sock_length;
    const AttachPlan plan = choose_attach_plan(prober, {});
    const TlsPlanLine line =
        describe_tls_plan(plan, "/l/libssl.so.3", "", true, c.handshake ? "" : failure);
    EXPECT_TRUE(line.capturing) << c.after;
    EXPECT_EQ(line.problem, c.problem) << c.after;
    EXPECT_EQ(
        line.text,
        "TLS plaintext from /l/libssl.so.3 (SSL_write, SSL_read, SSL_write_ex, SSL_read_ex; " +
            c.after + ")");
  }
}

TEST(TlsPlanTest, ContentCaptureOff) {
  TlsProber prober;
  // The tracer disables the hook when content capture is off.
  const AttachPlan plan = choose_attach_plan(prober, {HookKind::tls_uprobe});
  const TlsPlanLine line = describe_tls_plan(plan, "", "", false);
  EXPECT_FALSE(line.capturing);
  EXPECT_FALSE(line.problem);
  EXPECT_EQ(line.text,
            "no TLS plaintext: content capture is off (--content-bytes 0, content.bytes: 0)");
}

TEST(TlsPlanTest, DisabledHook) {
  TlsProber prober;
  const AttachPlan plan = choose_attach_plan(prober, {HookKind::tls_uprobe});
  const TlsPlanLine line = describe_tls_plan(plan, "", "", true);
  EXPECT_FALSE(line.capturing);
  EXPECT_FALSE(line.problem);
  EXPECT_EQ(line.text,
            "no TLS plaintext: disabled (--no-tls-plaintext, content.tls_plaintext: false, or "
            "--disable-hook tls_uprobe)");
}

// Before Linux 6.3 the uprobes work but nothing names a call's socket: left out, and said so.
TEST(TlsPlanTest, NoSendRecvTracepoints) {
  TlsProber prober;
  prober.sock_length = false;
  const AttachPlan plan = choose_attach_plan(prober, {});
  const TlsPlanLine line = describe_tls_plan(plan, "/l/libssl.so.3", "", true);
  EXPECT_FALSE(line.capturing);
  EXPECT_TRUE(line.problem);
  EXPECT_EQ(line.text,
            "no TLS plaintext: the uprobes work, but without the sock_{send,recv}_length "
            "tracepoints (Linux 6.3+) no call could be joined to its socket's flow");
}

TEST(TlsPlanTest, ProbeFailureIsTheReason) {
  TlsProber prober;
  prober.tls = false;
  const AttachPlan plan = choose_attach_plan(prober, {});
  const TlsPlanLine line =
      describe_tls_plan(plan, "", "libssl.so.3 not found (in /etc/ld.so.cache ...)", true);
  EXPECT_FALSE(line.capturing);
  EXPECT_TRUE(line.problem);
  EXPECT_EQ(line.text, "no TLS plaintext: libssl.so.3 not found (in /etc/ld.so.cache ...)");
}

}  // namespace
}  // namespace procflow
