// Tests the TLS line of the plan (src/bpf/tls_plan.h): attached (library and
// functions), content capture off, --disable-hook, and a failed probe's reason.
#include "bpf/tls_plan.h"

#include <gtest/gtest.h>

namespace procflow {
namespace {

class TlsProber : public HookProber {
 public:
  bool tls = true;
  bool works(const HookCandidate& c) override {
    return c.kind == HookKind::tls_uprobe ? tls : true;
  }
};

TEST(TlsPlanTest, Attached) {
  TlsProber prober;
  const AttachPlan plan = choose_attach_plan(prober, {});
  const TlsPlanLine line = describe_tls_plan(plan, "/usr/lib/x/libssl.so.3", "", true);
  EXPECT_TRUE(line.capturing);
  EXPECT_FALSE(line.problem);
  EXPECT_EQ(line.text,
            "TLS plaintext from /usr/lib/x/libssl.so.3 (SSL_write, SSL_read, SSL_write_ex, "
            "SSL_read_ex)");
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
