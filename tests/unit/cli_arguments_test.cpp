// The procflow binary itself, given command lines that must be refused: every case checks the
// exit status docs/operations.md lists and the one line of stderr that says what is wrong. No
// case needs root or BPF: arguments are checked before anything is loaded. (Were a bad value
// accepted, `trace` would start; as root it would trace until the deadline stops it, so a
// regression shows as a slow failure, never as a pass.)
#include <stdlib.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <ostream>
#include <string>
#include <vector>

#include "run_binary.h"

#ifndef PROCFLOW_BINARY
#error "PROCFLOW_BINARY must name the procflow executable (tests/CMakeLists.txt)"
#endif

namespace procflow {
namespace {

// Generous: under ASan on a busy machine start-up alone can take a second.
constexpr std::chrono::seconds kDeadline{20};

constexpr int kSuccess = 0;
constexpr int kRuntimeFailure = 1;
constexpr int kUsageError = 2;

// A capture with several flows, for the output tests.
constexpr const char* kOutputCapture = "dns.pcap";

BinaryRun procflow(std::vector<std::string> args) {
  args.insert(args.begin(), PROCFLOW_BINARY);
  return run_binary(args, kDeadline);
}

struct RefusedCase {
  const char* name;  // the test's name
  std::vector<std::string> args;
  const char* message;  // the first line of stderr
  // false: `message` is how the line starts, where the rest is another module's wording.
  bool whole_line = true;
};

// gtest prints a failing parameter with this, not as a dump of its bytes.
void PrintTo(const RefusedCase& c, std::ostream* os) {
  *os << c.name;
}

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

class RefusedArgumentsTest : public testing::TestWithParam<RefusedCase> {};

TEST_P(RefusedArgumentsTest, ExitsTwoWithAReadableMessage) {
  const RefusedCase& c = GetParam();
  const BinaryRun run = procflow(c.args);
  ASSERT_TRUE(run.exited) << run.describe();
  EXPECT_EQ(run.exit_status, kUsageError) << run.describe();
  const std::string line = first_line(run.err);
  if (c.whole_line)
    EXPECT_EQ(line, c.message) << run.describe();
  else
    EXPECT_EQ(line.substr(0, std::string(c.message).size()), c.message) << run.describe();
  EXPECT_EQ(run.out, "") << run.describe();
}

// The bounds in the messages are those of src/cli/option_ranges.h, as the README lists them.
const RefusedCase kRefused[] = {
    // Overflowed nanoseconds: these ended UDP flows at once.
    {"UdpIdleTimeout1e308",
     {"trace", "--udp-idle-timeout", "1e308"},
     "--udp-idle-timeout: 1e308 is out of range: expected seconds between 0.1 and 86400"},
    {"UdpIdleTimeout2e10",
     {"trace", "--udp-idle-timeout", "2e10"},
     "--udp-idle-timeout: 2e10 is out of range: expected seconds between 0.1 and 86400"},
    {"ReplayUdpIdleTimeout1e308",
     {"replay", "-", "--udp-idle-timeout", "1e308"},
     "--udp-idle-timeout: 1e308 is out of range: expected seconds between 0.1 and 86400"},
    {"UdpIdleTimeoutNan",
     {"trace", "--udp-idle-timeout", "nan"},
     "--udp-idle-timeout: nan is not a number: expected seconds between 0.1 and 86400"},
    // NaN never compared as reached: tracing never stopped.
    {"DurationNan",
     {"trace", "--duration", "nan"},
     "--duration: nan is not a number: expected seconds between 0.1 and 31536000"},
    {"DurationInf",
     {"trace", "--duration", "inf"},
     "--duration: inf is out of range: expected seconds between 0.1 and 31536000"},
    {"DurationZero",
     {"trace", "--duration", "0"},
     "--duration: 0 is out of range: expected seconds between 0.1 and 31536000"},
    {"Duration300Digits",
     {"trace", "--duration", std::string(300, '9')},
     "--duration: 99999999999999999999999999999999... is out of range: expected seconds "
     "between 0.1 and 31536000"},
    {"ReverseDnsRateNan",
     {"trace", "--reverse-dns-rate", "nan"},
     "--reverse-dns-rate: nan is not a number: expected queries per second between 0.1 and "
     "1000"},
    {"ReverseDnsRate1e308",
     {"trace", "--reverse-dns-rate", "1e308"},
     "--reverse-dns-rate: 1e308 is out of range: expected queries per second between 0.1 and "
     "1000"},
    {"PortZero",
     {"trace", "--port", "0"},
     "--port: 0 is out of range: expected a port between 1 and 65535"},
    {"Port70000",
     {"trace", "--port", "70000"},
     "--port: 70000 is out of range: expected a port between 1 and 65535"},
    {"PortEmpty",
     {"trace", "--port", ""},
     "--port: empty value: expected a port between 1 and 65535"},
    {"ReplayPortEmpty",
     {"replay", "-", "--port", ""},
     "--port: empty value: expected a port between 1 and 65535"},
    {"ReplayPortZero",
     {"replay", "-", "--port", "0"},
     "--port: 0 is out of range: expected a port between 1 and 65535"},
    {"ContentBytesTooLarge",
     {"trace", "--content-bytes", "16385"},
     "--content-bytes: 16385 is out of range: expected bytes (0: off) between 0 and 16384"},
    {"ReplayContentBytesTooLarge",
     {"replay", "-", "--content-bytes", "16385"},
     "--content-bytes: 16385 is out of range: expected bytes (0: off) between 0 and 16384"},
    {"ReplayMaxTurnsZero",
     {"replay", "-", "--max-turns", "0"},
     "--max-turns: 0 is out of range: expected turns between 1 and 1000"},
    {"PidZero",
     {"trace", "--pid", "0"},
     "--pid: 0 is out of range: expected a pid between 1 and 4194303"},
    {"PidAbovePidMaxLimit",
     {"trace", "--pid", "4194304"},
     "--pid: 4194304 is out of range: expected a pid between 1 and 4194303"},
    // Empty values that silently meant "nothing" or "the default".
    {"InterfacesEmpty",
     {"trace", "--interfaces", ""},
     "--interfaces: empty value: expected interface names"},
    {"ExeEmpty", {"trace", "--exe", ""}, "--exe: empty value: expected executable names"},
    {"ActionsEmpty",
     {"trace", "--actions", ""},
     "--actions: empty value: expected start, message or end"},
    {"ReplayActionsEmpty",
     {"replay", "-", "--actions", ""},
     "--actions: empty value: expected start, message or end"},
    {"HostEmpty", {"trace", "--host", ""}, "--host: empty value: expected IP addresses or CIDRs"},
    {"DisableHookEmpty",
     {"trace", "--disable-hook", ""},
     "--disable-hook: empty value: expected hook kinds, e.g. fentry,kprobe"},
    {"ProbeDisableHookEmpty",
     {"probe", "--disable-hook", ""},
     "--disable-hook: empty value: expected hook kinds, e.g. fentry,kprobe"},
    {"InternalNetworksEmpty",
     {"trace", "--internal-networks", ""},
     "--internal-networks: empty value: expected CIDRs"},
    {"ReverseDnsServerEmpty",
     {"trace", "--reverse-dns-server", ""},
     "--reverse-dns-server: empty value: expected an IP address"},
    {"HostProcMissing",
     {"trace", "--host-proc", "/nonexistent/procflow-host-proc"},
     "--host-proc: ",
     false},
    {"ProbeHostProcMissing",
     {"probe", "--host-proc", "/nonexistent/procflow-host-proc"},
     "--host-proc: Directory does not exist: /nonexistent/procflow-host-proc"},
    {"ProbeHostProcAFile",
     {"probe", "--host-proc", "/etc/passwd"},
     "--host-proc: Directory is actually a file: /etc/passwd"},
    {"PodLogDirEmpty",
     {"trace", "--pod-log-dir", ""},
     "--pod-log-dir: empty value: expected a directory"},
    {"ReplayFileEmpty",
     {"replay", ""},
     "file: empty value: expected a capture file, or - for stdin"},
    // Values checked after parsing, still before anything is loaded.
    {"ReverseDnsServerNotAnAddress",
     {"trace", "--reverse-dns-server", "resolver.example"},
     "procflow: error: --reverse-dns-server: 'resolver.example' is not an IP address"},
    {"InternalNetworksInvalid",
     {"trace", "--internal-networks", "foo"},
     "procflow: error: --internal-networks: invalid network \"foo\"",
     false},
    // Without privileges this used to be exit 1: they were checked first.
    {"ProbeUnknownHook",
     {"probe", "--disable-hook", "bogus"},
     "procflow: error: --disable-hook: unknown hook 'bogus' (known: ",
     false},
    // Subcommands and options.
    {"UnknownSubcommand",
     {"frobnicate"},
     "unknown subcommand 'frobnicate': expected trace, probe, replay, run or top"},
    {"UnknownSubcommandAfterAnOption",
     {"--log-level", "debug", "frobnicate", "--x"},
     "unknown subcommand 'frobnicate': expected trace, probe, replay, run or top"},
    {"NoSubcommand", {}, "a subcommand is required: trace, probe, replay, run or top"},
    {"UnknownOptionWithoutSubcommand",
     {"--bogus"},
     "unknown option '--bogus'; a subcommand is required: trace, probe, replay, run or top"},
    {"UnknownTraceOption",
     {"trace", "--bogus"},
     "The following argument was not expected: --bogus"},
    {"UnknownFormat", {"replay", "-", "--format", "xml"}, "--format: xml not in {text,json}"},
    {"UnknownColour", {"trace", "--color", "sometimes"}, "--color: sometimes not in", false},
    // Refused before anything is loaded: stdin here is /dev/null.
    {"TopWithoutTerminal",
     {"top", "--duration", "1"},
     "procflow: error: procflow top needs a terminal (procflow trace writes to a pipe or a file)"},
    {"TopRefreshTooShort", {"top", "--refresh", "0.1"}, "--refresh: ", false},
    {"ReplayWithoutFile", {"replay"}, "file is required"},
    {"UnknownSchema", {"replay", "-", "--schema", "xml"}, "--schema: xml not in", false},
    {"EmptyOutput",
     {"replay", "-", "--output", ""},
     "--output: empty value: expected an output, e.g. - or file:/var/log/procflow/flows.json",
     false},
};

INSTANTIATE_TEST_SUITE_P(Cli, RefusedArgumentsTest, testing::ValuesIn(kRefused),
                         [](const testing::TestParamInfo<RefusedCase>& info) {
                           return std::string(info.param.name);
                         });

// The other rows of the exit-status table that need no privileges: replay's.
class ReplayExitStatusTest : public testing::Test {
 protected:
  void SetUp() override {
    const std::string base = std::filesystem::temp_directory_path() / "procflow-cli-XXXXXX";
    std::vector<char> name(base.begin(), base.end());
    name.push_back('\0');
    ASSERT_NE(::mkdtemp(name.data()), nullptr);
    dir_ = name.data();
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::string write_file(const std::string& name, const std::string& bytes) {
    const std::string path = dir_ / name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  std::filesystem::path dir_;
};

TEST_F(ReplayExitStatusTest, MissingFileIsARuntimeFailure) {
  const std::string missing = dir_ / "missing.pcap";
  const BinaryRun run = procflow({"replay", missing});
  ASSERT_TRUE(run.exited) << run.describe();
  EXPECT_EQ(run.exit_status, kRuntimeFailure) << run.describe();
  EXPECT_EQ(first_line(run.err), "procflow: error: " + missing + ": No such file or directory")
      << run.describe();
}

TEST_F(ReplayExitStatusTest, AFileThatIsNoCaptureIsARuntimeFailure) {
  const BinaryRun run = procflow({"replay", write_file("notes.txt", "not a capture\n")});
  ASSERT_TRUE(run.exited) << run.describe();
  EXPECT_EQ(run.exit_status, kRuntimeFailure) << run.describe();
  EXPECT_NE(run.err.find("procflow: error: "), std::string::npos) << run.describe();
}

TEST_F(ReplayExitStatusTest, AnEmptyCaptureReadToItsEndIsSuccess) {
  // A pcap file header (little-endian, version 2.4, snaplen 65535, Ethernet) and no packets.
  const std::string header(
      "\xd4\xc3\xb2\xa1\x02\x00\x04\x00"
      "\x00\x00\x00\x00\x00\x00\x00\x00"
      "\xff\xff\x00\x00\x01\x00\x00\x00",
      24);
  const BinaryRun run = procflow({"replay", "--format", "json", write_file("empty.pcap", header),
                                  "--udp-idle-timeout", "0.1", "--port", "65535"});
  ASSERT_TRUE(run.exited) << run.describe();
  EXPECT_EQ(run.exit_status, kSuccess) << run.describe();
  EXPECT_EQ(run.out, "") << run.describe();
}

// Every --output gets every event: two files and stdout hold the same bytes.
TEST_F(ReplayExitStatusTest, EveryOutputGetsTheSameEvents) {
  const std::string capture = std::string(PROCFLOW_TEST_FIXTURES) + "/pcap/dns/" + kOutputCapture;
  const std::string a = dir_ / "a.json", b = dir_ / "b.json";
  const BinaryRun files =
      procflow({"replay", capture, "--output", "file:" + a, "--output", "file:" + b});
  ASSERT_TRUE(files.exited) << files.describe();
  ASSERT_EQ(files.exit_status, kSuccess) << files.describe();
  EXPECT_EQ(files.out, "") << "nothing to stdout when it is not an output";
  const BinaryRun to_stdout = procflow({"replay", capture, "--format", "json"});
  ASSERT_EQ(to_stdout.exit_status, kSuccess) << to_stdout.describe();
  ASSERT_NE(to_stdout.out, "");
  auto read = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_EQ(read(a), to_stdout.out);
  EXPECT_EQ(read(b), to_stdout.out);
}

TEST_F(ReplayExitStatusTest, AnOutputThatCannotBeOpenedIsARuntimeFailure) {
  const std::string capture = std::string(PROCFLOW_TEST_FIXTURES) + "/pcap/dns/" + kOutputCapture;
  const std::string bad = (dir_ / "no-such-dir" / "x.json").string();
  const BinaryRun run = procflow({"replay", capture, "--output", "file:" + bad});
  ASSERT_TRUE(run.exited) << run.describe();
  EXPECT_EQ(run.exit_status, kRuntimeFailure) << run.describe();
  EXPECT_EQ(first_line(run.err), "procflow: error: output file:" + bad + ": cannot open " + bad +
                                     ": No such file or directory")
      << run.describe();
  const BinaryRun scheme = procflow({"replay", capture, "--output", "ftp://x"});
  EXPECT_EQ(scheme.exit_status, kRuntimeFailure) << scheme.describe();
  EXPECT_NE(scheme.err.find("unknown output 'ftp://x'"), std::string::npos) << scheme.describe();
}

TEST(CliExitStatusTest, VersionAndHelpSucceed) {
  const BinaryRun version = procflow({"--version"});
  ASSERT_TRUE(version.exited) << version.describe();
  EXPECT_EQ(version.exit_status, kSuccess) << version.describe();
  EXPECT_EQ(version.out, PROCFLOW_VERSION "\n");

  const BinaryRun help = procflow({"trace", "--help"});
  ASSERT_TRUE(help.exited) << help.describe();
  EXPECT_EQ(help.exit_status, kSuccess) << help.describe();
  // The documented ranges are in the help text.
  for (const char* shown :
       {"--duration SEC:0.1..31536000", "--pid PID:1..4194303 ...", "--port PORT:1..65535 ...",
        "--udp-idle-timeout SEC:0.1..86400", "--reverse-dns-rate RATE:0.1..1000"})
    EXPECT_NE(help.out.find(shown), std::string::npos) << shown << " not in:\n" << help.out;
}

TEST(CliExitStatusTest, ProbeHelpListsHostProc) {
  const BinaryRun help = procflow({"probe", "--help"});
  ASSERT_TRUE(help.exited) << help.describe();
  EXPECT_EQ(help.exit_status, kSuccess) << help.describe();
  EXPECT_NE(help.out.find("--host-proc DIR:DIR"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace procflow
