// `procflow probe` on this machine (kernel 6.18: no kprobes, fentry/fexit do
// not load) and the usage errors of `procflow trace`. The probe must report
// the plan procflow would trace with, as valid JSON and as text, and
// --disable-hook must force the documented fallbacks; bad arguments must be
// rejected with exit status 2 before anything is loaded.
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <map>
#include <regex>
#include <sstream>

#include <unistd.h>

#include "bpf_gate.h"
#include "procflow_runner.h"
#include "spawned_process.h"

namespace procflow_it {
namespace {

// Every need of the attach plan (docs/attach-plan.md), in the table's order.
const std::vector<std::string> kNeeds = {"exec",       "fork",    "exit",
                                         "tcp_state",  "connect", "accept",
                                         "socket_use", "packets", "open_flow_counters"};

std::vector<std::string> non_empty_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) out.push_back(line);
  }
  return out;
}

// One entry of the JSON plan.
struct NeedEntry {
  std::string hook;                      // "" when the need has no hook (JSON null)
  std::vector<std::string> unavailable;  // attach points that were tried and failed
  std::vector<std::string> disabled;
};

class ProbeTest : public ::testing::Test {
 protected:
  void SetUp() override { PROCFLOW_REQUIRE_BPF_OR_SKIP(); }

  // Runs `procflow probe ARGS --json`, expects exit 0 and one JSON object.
  void probe_json(std::vector<std::string> args) {
    argv_ = {procflow_binary(), "probe"};
    argv_.insert(argv_.end(), args.begin(), args.end());
    argv_.push_back("--json");
    result_ = run_command(argv_, 60s);
    ASSERT_TRUE(result_.ok()) << result_.describe(argv_);
    doc_.Parse(result_.out.c_str());
    ASSERT_FALSE(doc_.HasParseError())
        << "not valid JSON (offset " << doc_.GetErrorOffset() << "):\n"
        << result_.describe(argv_);
    ASSERT_TRUE(doc_.IsObject()) << result_.describe(argv_);
    ASSERT_TRUE(doc_.HasMember("plan") && doc_["plan"].IsArray()) << result_.out;
    for (const auto& entry : doc_["plan"].GetArray()) {
      ASSERT_TRUE(entry.IsObject() && entry.HasMember("need") && entry["need"].IsString())
          << result_.out;
      NeedEntry need;
      if (entry.HasMember("hook") && entry["hook"].IsString())
        need.hook = entry["hook"].GetString();
      if (entry.HasMember("unavailable") && entry["unavailable"].IsArray()) {
        for (const auto& u : entry["unavailable"].GetArray()) {
          if (u.IsObject() && u.HasMember("attach_point") && u["attach_point"].IsString())
            need.unavailable.push_back(u["attach_point"].GetString());
        }
      }
      if (entry.HasMember("disabled") && entry["disabled"].IsArray()) {
        for (const auto& d : entry["disabled"].GetArray()) {
          if (d.IsString()) need.disabled.push_back(d.GetString());
        }
      }
      plan_[entry["need"].GetString()] = need;
    }
  }

  std::string hook(const std::string& need) const {
    auto it = plan_.find(need);
    return it == plan_.end() ? "(need missing)" : it->second.hook;
  }
  bool lists(const std::vector<std::string>& list, const std::string& item) const {
    return std::find(list.begin(), list.end(), item) != list.end();
  }
  std::optional<bool> feature(const char* name) const {
    if (!doc_.HasMember("features") || !doc_["features"].IsObject()) return std::nullopt;
    const auto& f = doc_["features"];
    if (!f.HasMember(name) || !f[name].IsBool()) return std::nullopt;
    return f[name].GetBool();
  }

  std::vector<std::string> argv_;
  CommandResult result_;
  rapidjson::Document doc_;
  std::map<std::string, NeedEntry> plan_;
};

TEST_F(ProbeTest, JsonReportsThisMachinesPlan) {
  ASSERT_NO_FATAL_FAILURE(probe_json({}));
  SCOPED_TRACE(result_.out);
  // Needs beyond the TCP ones (the plan grows with procflow) are not checked here.
  for (const auto& need : kNeeds) EXPECT_TRUE(plan_.count(need)) << "no plan entry for " << need;

  EXPECT_EQ(hook("connect"), "state_transition");
  EXPECT_EQ(hook("accept"), "syscall_tp");
  EXPECT_EQ(hook("tcp_state"), "tp_btf");
  EXPECT_EQ(hook("packets"), "tcx");
  // fentry and kprobe were tried (for connect; fexit and kretprobe for accept) and failed.
  EXPECT_TRUE(lists(plan_["connect"].unavailable, "fentry/tcp_connect"));
  EXPECT_TRUE(lists(plan_["connect"].unavailable, "kprobe/tcp_connect"));
  EXPECT_TRUE(lists(plan_["accept"].unavailable, "fexit/inet_csk_accept"));
  EXPECT_TRUE(lists(plan_["accept"].unavailable, "kretprobe/inet_csk_accept"));
  for (const char* kind : {"fentry", "fexit", "kprobe", "kretprobe"}) {
    EXPECT_EQ(feature(kind), std::optional<bool>(false)) << kind;
  }
  for (const char* kind : {"btf", "ringbuf", "tp_btf", "tcx"}) {
    EXPECT_EQ(feature(kind), std::optional<bool>(true)) << kind;
  }

  // The summary is the plan in one line, as `trace` logs it, in the plan's order.
  ASSERT_TRUE(doc_.HasMember("summary") && doc_["summary"].IsString());
  std::string summary;
  for (const auto& entry : doc_["plan"].GetArray()) {
    std::string need = entry["need"].GetString();
    summary += (summary.empty() ? "" : ",") + need + "=" +
               (hook(need).empty() ? std::string("none") : hook(need));
  }
  EXPECT_EQ(std::string(doc_["summary"].GetString()), summary);
}

TEST_F(ProbeTest, DisableHookForcesTracepointAndClsact) {
  ASSERT_NO_FATAL_FAILURE(probe_json({"--disable-hook", "tp_btf,tcx"}));
  SCOPED_TRACE(result_.out);
  for (const char* need : {"exec", "fork", "exit", "tcp_state"}) {
    EXPECT_EQ(hook(need), "tracepoint") << need;
  }
  EXPECT_EQ(hook("packets"), "clsact");
  EXPECT_TRUE(lists(plan_["tcp_state"].disabled, "tp_btf/inet_sock_set_state"));
  EXPECT_TRUE(lists(plan_["packets"].disabled, "tcx ingress+egress links"));
  // What was not disabled stays as it was.
  EXPECT_EQ(hook("connect"), "state_transition");
  EXPECT_EQ(hook("accept"), "syscall_tp");
}

TEST_F(ProbeTest, TextNamesEveryNeed) {
  std::vector<std::string> argv = {procflow_binary(), "probe"};
  CommandResult result = run_command(argv, 60s);
  ASSERT_TRUE(result.ok()) << result.describe(argv);
  for (const auto& need : kNeeds) {
    // A plan line: two spaces, the need, then its hook kind.
    std::regex line("(^|\n)  " + need + " +\\S");
    EXPECT_TRUE(std::regex_search(result.out, line)) << "no line for " << need << ":\n"
                                                     << result.out;
  }
}

// The TLS line (issue 11): this machine has uprobes and Debian's libssl.so.3,
// so the four functions are attached to the library the loader would map,
// and SSL_do_handshake (its own row: the send/recv tracepoints are here);
// --disable-hook tls_uprobe says so instead, and tracing would go on.
TEST_F(ProbeTest, TextShowsTheTlsLibraryAndItsFunctions) {
  std::vector<std::string> argv = {procflow_binary(), "probe"};
  CommandResult result = run_command(argv, 60s);
  ASSERT_TRUE(result.ok()) << result.describe(argv);
  EXPECT_TRUE(std::regex_search(result.out, std::regex("(^|\n)  tls_plaintext +tls_uprobe +")))
      << result.out;
  EXPECT_TRUE(std::regex_search(
      result.out, std::regex("\n  tls_handshake +tls_uprobe +uprobe\\+uretprobe libssl\\.so\\.3 "
                             "SSL_do_handshake\n")))
      << result.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      result.out, m,
      std::regex(R"(\n      TLS plaintext from (/\S*/libssl\.so\.3) \(SSL_write, SSL_read, )"
                 R"(SSL_write_ex, SSL_read_ex; sockets also from SSL_do_handshake\)\n)")))
      << result.out;
  EXPECT_EQ(::access(m[1].str().c_str(), R_OK), 0) << m[1];

  argv = {procflow_binary(), "probe", "--disable-hook", "tls_uprobe"};
  result = run_command(argv, 60s);
  ASSERT_TRUE(result.ok()) << result.describe(argv);
  EXPECT_NE(result.out.find("\n      no TLS plaintext: disabled (--no-tls-plaintext, "
                            "content.tls_plaintext: false, or --disable-hook tls_uprobe)\n"),
            std::string::npos)
      << result.out;
}

TEST_F(ProbeTest, JsonHasTheTlsLibrary) {
  ASSERT_NO_FATAL_FAILURE(probe_json({}));
  EXPECT_EQ(hook("tls_plaintext"), "tls_uprobe") << result_.out;
  EXPECT_EQ(hook("tls_handshake"), "tls_uprobe") << result_.out;
  for (const auto& entry : doc_["plan"].GetArray()) {
    if (std::string(entry["need"].GetString()) != "tls_plaintext") continue;
    ASSERT_TRUE(entry.HasMember("library") && entry["library"].IsString()) << result_.out;
    EXPECT_EQ(::access(entry["library"].GetString(), R_OK), 0) << result_.out;
    ASSERT_TRUE(entry.HasMember("detail") && entry["detail"].IsString()) << result_.out;
    EXPECT_NE(std::string(entry["detail"].GetString()).find("TLS plaintext from "),
              std::string::npos);
  }
}

// Usage errors need no privileges: they are refused before anything is loaded.
TEST(TraceUsageTest, UnknownHookExitsTwoWithOneErrorLine) {
  std::vector<std::string> argv = {procflow_binary(), "trace", "--disable-hook", "nosuchhook"};
  CommandResult result = run_command(argv, 10s);
  ASSERT_TRUE(result.status) << "still running after 10 s: " << result.describe(argv);
  EXPECT_EQ(result.status->exited ? result.status->code : -1, 2) << result.describe(argv);
  auto lines = non_empty_lines(result.err);
  ASSERT_EQ(lines.size(), 1u) << "expected one error line:\n" << result.describe(argv);
  EXPECT_NE(lines[0].find("nosuchhook"), std::string::npos) << lines[0];
  EXPECT_TRUE(result.out.empty()) << result.describe(argv);
}

TEST(TraceUsageTest, UnknownFormatExitsTwo) {
  std::vector<std::string> argv = {procflow_binary(), "trace", "--format", "xml"};
  CommandResult result = run_command(argv, 10s);
  ASSERT_TRUE(result.status) << "still running after 10 s: " << result.describe(argv);
  EXPECT_EQ(result.status->exited ? result.status->code : -1, 2) << result.describe(argv);
  EXPECT_NE(result.err.find("xml"), std::string::npos) << result.describe(argv);
  EXPECT_TRUE(result.out.empty()) << result.describe(argv);
}

}  // namespace
}  // namespace procflow_it
