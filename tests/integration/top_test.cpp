// `procflow top` driven the way a person drives it: in a real terminal (tmux),
// after known traffic (a pre-forked server, clients with known byte counts),
// the screen must show the right processes, counts and byte totals, each key
// must do what the help says, a resize must relayout, and q must quit with
// status 0, the terminal restored and nothing left in the kernel.
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "bpf_leftovers.h"
#include "integration_test.h"
#include "scratch_dir.h"
#include "tmux_session.h"

namespace procflow_it {
namespace {

constexpr int kClients = 3;
constexpr int kClientBytes = 3000;  // each client sends
constexpr int kServerBytes = 7000;  // each worker answers

// "6.8KiB" as top writes bytes (binary units, one decimal, rounded down).
std::string kib(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fKiB", double(bytes * 10 / 1024) / 10);
  return buf;
}

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// The screen line whose first words are `label` (a row of the table).
std::optional<std::vector<std::string>> row(const std::string& screen, const std::string& label) {
  std::istringstream in(screen);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(label + " ", 0) == 0) return words(line.substr(label.size()));
  return std::nullopt;
}

// The data rows: the lines after the column titles, up to the status line.
std::vector<std::string> table_lines(const std::string& screen) {
  std::istringstream in(screen);
  std::vector<std::string> lines;
  bool in_table = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("NAME", 0) == 0) {
      in_table = true;
      continue;
    }
    if (in_table && !line.empty() && line.find("q quit") == std::string::npos)
      lines.push_back(line);
  }
  return lines;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class TopTest : public IntegrationTest {
 protected:
  // `procflow top` on the test's veth, for the test's port, in `locale`, then
  // (after it exits) its exit status and the terminal's modes into `dir`.
  // --content-bytes 0: no message names a protocol, so the flows stay under TCP/PORT.
  std::string top_command(const std::string& locale, const std::filesystem::path& dir) {
    return "LC_ALL=" + locale + " " + procflow_binary() + " top --interfaces " + topo().host_if() +
           " --content-bytes 0 --port " + std::to_string(kServerPort) + "; echo $? > " +
           (dir / "status").string() + "; stty -a > " + (dir / "stty").string() + "; sleep 60";
  }
};

TEST_F(TopTest, ShowsTheTrafficAndEveryKeyDoesWhatTheHelpSays) {
  const std::string server_ip = topo().host_ip4();
  const std::string client_ip = topo().ns_ip4();
  ScratchDir dir("pf-top");
  const auto status_file = dir.path() / "status";
  const auto stty_file = dir.path() / "stty";
  const int64_t first_prog = max_bpf_prog_id();
  // LC_ALL=C: the plain-ASCII screen (the sort mark is "v", the sparkline .:-=#).
  const std::string command = top_command("C", dir.path());
  TmuxSession tmux("top" + std::to_string(getpid()), 160, 40, command);
  ASSERT_TRUE(tmux.started());
  ASSERT_TRUE(tmux.wait_for_text("procflow top |", 30s)) << tmux.screen_text();
  const std::string first = tmux.screen_text();
  EXPECT_NE(first.find("| by process | sort IN/S desc"), std::string::npos) << first;
  EXPECT_NE(first.find("IN/Sv"), std::string::npos) << first;
  EXPECT_NE(first.find("LAST MINUTE"), std::string::npos) << first;

  PreforkServer* server = start_server(server_ip, kServerPort, 2, kServerBytes);
  ASSERT_NE(server, nullptr);
  std::vector<int64_t> client_pids;
  for (int i = 0; i < kClients; i++) {
    SpawnedProcess& client = run_in_ns({helper_path(Helper::tcp_client), server_ip,
                                        std::to_string(kServerPort), std::to_string(kClientBytes)});
    auto truth = client_truth(client);
    ASSERT_TRUE(truth && truth->error.empty()) << client.describe();
    ASSERT_EQ(truth->received, kServerBytes);
    client_pids.push_back(truth->pid);
  }

  // By process: each client its own row, its one flow ended, its bytes.
  auto client_row_done = [&](const std::string& screen, int64_t pid) {
    auto r = row(screen, std::to_string(pid) + " tcp_client");
    return r && r->size() >= 7 && (*r)[0] == "0" && (*r)[5] == kib(kServerBytes);
  };
  ASSERT_TRUE(tmux.wait_for(
      [&](const std::string& s) {
        for (int64_t pid : client_pids)
          if (!client_row_done(s, pid)) return false;
        return true;
      },
      15s))
      << tmux.screen_text();
  std::string screen = tmux.screen_text();
  for (int64_t pid : client_pids) {
    auto r = row(screen, std::to_string(pid) + " tcp_client");
    ASSERT_TRUE(r) << screen;
    // OPEN FLOWS CONN/S IN/S OUT/S IN OUT
    EXPECT_EQ((*r)[0], "0") << screen;
    EXPECT_EQ((*r)[1], "1") << screen;
    EXPECT_EQ((*r)[5], kib(kServerBytes)) << screen;
    EXPECT_EQ((*r)[6], kib(kClientBytes)) << screen;
  }
  EXPECT_NE(screen.find(" prefork_server"), std::string::npos) << screen;

  // g: by remote endpoint. The clients' flows meet the server's address, the
  // workers' the clients'.
  tmux.send_keys({"g"});
  ASSERT_TRUE(tmux.wait_for_text("| by remote |", 5s)) << tmux.screen_text();
  screen = tmux.screen_text();
  // The server's address is this host's: named by the host's own name when it has one.
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  const std::string server_label = row(screen, server_ip) ? server_ip : std::string(host);
  const auto to_server = row(screen, server_label);
  ASSERT_TRUE(to_server) << screen;
  EXPECT_EQ((*to_server)[1], std::to_string(kClients)) << screen;
  EXPECT_EQ((*to_server)[5], kib(kClients * kServerBytes)) << screen;
  EXPECT_EQ((*to_server)[6], kib(kClients * kClientBytes)) << screen;
  const auto to_clients = row(screen, client_ip);
  ASSERT_TRUE(to_clients) << screen;
  EXPECT_EQ((*to_clients)[1], std::to_string(kClients)) << screen;
  EXPECT_EQ((*to_clients)[5], kib(kClients * kClientBytes)) << screen;

  // 7: sort by IN (largest first); r: the other way round.
  tmux.send_keys({"7"});
  ASSERT_TRUE(tmux.wait_for_text("sort IN desc", 5s)) << tmux.screen_text();
  screen = tmux.screen_text();
  EXPECT_NE(screen.find("INv"), std::string::npos) << screen;
  ASSERT_GE(table_lines(screen).size(), 2u) << screen;
  EXPECT_EQ(table_lines(screen)[0].rfind(server_label + " ", 0), 0u) << screen;
  tmux.send_keys({"r"});
  ASSERT_TRUE(tmux.wait_for_text("sort IN asc", 5s)) << tmux.screen_text();
  screen = tmux.screen_text();
  EXPECT_NE(screen.find("IN^"), std::string::npos) << screen;
  EXPECT_EQ(table_lines(screen)[0].rfind(client_ip + " ", 0), 0u) << screen;

  // g again: by protocol, every flow to port 18080 in one row; then back.
  tmux.send_keys({"g"});
  ASSERT_TRUE(tmux.wait_for_text("| by protocol |", 5s)) << tmux.screen_text();
  screen = tmux.screen_text();
  const auto proto = row(screen, "TCP/" + std::to_string(kServerPort));
  ASSERT_TRUE(proto) << screen;
  EXPECT_EQ((*proto)[1], std::to_string(2 * kClients)) << screen;
  tmux.send_keys({"g"});
  ASSERT_TRUE(tmux.wait_for_text("| by process |", 5s)) << tmux.screen_text();

  // /: the filter; only the clients stay.
  tmux.send_keys({"/"});
  tmux.type("tcp_cl");
  ASSERT_TRUE(tmux.wait_for_text("filter: tcp_cl_", 5s)) << tmux.screen_text();
  tmux.send_keys({"Enter"});
  // Out of the editor: the key hints are back, the filter stays.
  ASSERT_TRUE(tmux.wait_for_text("q quit", 5s)) << tmux.screen_text();
  ASSERT_TRUE(tmux.wait_for_text("| filter: tcp_cl |", 5s)) << tmux.screen_text();
  screen = tmux.screen_text();
  EXPECT_EQ(screen.find("prefork_server"), std::string::npos) << screen;
  EXPECT_EQ(table_lines(screen).size(), size_t(kClients)) << screen;

  // Enter: the selected client's flow, ended, to the server.
  tmux.send_keys({"Enter"});
  const std::string flow_text = "-> " + server_label + ":" + std::to_string(kServerPort);
  ASSERT_TRUE(tmux.wait_for_text(flow_text, 5s)) << tmux.screen_text();
  screen = tmux.screen_text();
  EXPECT_NE(screen.find("ended"), std::string::npos) << screen;
  EXPECT_EQ(table_lines(screen).size(), size_t(kClients + 1)) << screen;
  // Esc closes the group, Esc again drops the filter.
  tmux.send_keys({"Escape"});
  ASSERT_TRUE(tmux.wait_for(
      [&](const std::string& s) { return s.find(flow_text) == std::string::npos; }, 5s))
      << tmux.screen_text();
  tmux.send_keys({"Escape"});
  ASSERT_TRUE(tmux.wait_for_text("prefork_server", 5s)) << tmux.screen_text();

  // ?: the help; any key closes it.
  tmux.send_keys({"?"});
  ASSERT_TRUE(tmux.wait_for_text("procflow top: keys", 5s)) << tmux.screen_text();
  screen = tmux.screen_text();
  for (const char* line : {"sort by column 1-8", "group by process, remote endpoint, protocol",
                           "pause the picture", "quit"})
    EXPECT_NE(screen.find(line), std::string::npos) << line << "\n" << screen;
  tmux.send_keys({"x"});
  ASSERT_TRUE(tmux.wait_for(
      [](const std::string& s) { return s.find("procflow top: keys") == std::string::npos; }, 5s))
      << tmux.screen_text();

  // p: paused, a new client does not show; p again, it does.
  tmux.send_keys({"p"});
  ASSERT_TRUE(tmux.wait_for_text("| PAUSED", 5s)) << tmux.screen_text();
  SpawnedProcess& late = run_in_ns({helper_path(Helper::tcp_client), server_ip,
                                    std::to_string(kServerPort), std::to_string(kClientBytes)});
  auto late_truth = client_truth(late);
  ASSERT_TRUE(late_truth && late_truth->error.empty()) << late.describe();
  const std::string late_row = std::to_string(late_truth->pid) + " tcp_client";
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(tmux.screen_text().find(late_row), std::string::npos) << tmux.screen_text();
  tmux.send_keys({"p"});
  ASSERT_TRUE(tmux.wait_for_text(late_row, 5s)) << tmux.screen_text();

  // A narrower terminal: the history column goes, no line is wider; back, it returns.
  tmux.resize(80, 24);
  ASSERT_TRUE(tmux.wait_for(
      [](const std::string& s) { return s.find("LAST MINUTE") == std::string::npos; }, 5s))
      << tmux.screen_text();
  for (const std::string& line : tmux.screen()) EXPECT_LE(line.size(), 80u) << line;
  EXPECT_NE(tmux.screen_text().find("procflow top |"), std::string::npos);
  tmux.resize(160, 40);
  ASSERT_TRUE(tmux.wait_for_text("LAST MINUTE", 5s)) << tmux.screen_text();

  // q: exit status 0, the terminal's modes back, the screen back, nothing left behind.
  tmux.send_keys({"q"});
  ASSERT_TRUE(
      tmux.wait_for([&](const std::string&) { return std::filesystem::exists(stty_file); }, 20s))
      << tmux.screen_text();
  EXPECT_EQ(read_file(status_file), "0\n") << tmux.screen_text();
  const std::string modes = read_file(stty_file);
  EXPECT_NE(modes.find(" icanon"), std::string::npos) << modes;
  EXPECT_NE(modes.find(" echo "), std::string::npos) << modes;
  EXPECT_EQ(tmux.screen_text().find("procflow top |"), std::string::npos) << tmux.screen_text();
  EXPECT_TRUE(orphaned_programs(first_prog).empty());
  for (const std::string& line : attachments_on(topo().host_if()))
    EXPECT_EQ(line.find(kProgramPrefix), std::string::npos) << line;
}

// A UTF-8 locale: the sort mark and the history in block characters; q still quits cleanly.
TEST_F(TopTest, Utf8LocaleDrawsBlocks) {
  const std::string server_ip = topo().host_ip4();
  ScratchDir dir("pf-top-utf8");
  TmuxSession tmux("top-utf8-" + std::to_string(getpid()), 160, 40,
                   top_command("C.UTF-8", dir.path()));
  ASSERT_TRUE(tmux.started());
  ASSERT_TRUE(tmux.wait_for_text("procflow top |", 30s)) << tmux.screen_text();
  EXPECT_NE(tmux.screen_text().find("IN/S\u25bc"), std::string::npos) << tmux.screen_text();
  ASSERT_NE(start_server(server_ip, kServerPort, 1, kServerBytes), nullptr);
  SpawnedProcess& client = run_in_ns({helper_path(Helper::tcp_client), server_ip,
                                      std::to_string(kServerPort), std::to_string(kClientBytes)});
  auto truth = client_truth(client);
  ASSERT_TRUE(truth && truth->error.empty()) << client.describe();
  // The client's row, its bytes in the history as a full block (its one busy second).
  ASSERT_TRUE(tmux.wait_for(
      [&](const std::string& s) {
        auto r = row(s, std::to_string(truth->pid) + " tcp_client");
        return r && r->size() >= 8 && (*r)[5] == kib(kServerBytes) &&
               r->back().find("\u2588") != std::string::npos;
      },
      15s))
      << tmux.screen_text();
  tmux.send_keys({"q"});
  ASSERT_TRUE(tmux.wait_for(
      [&](const std::string&) { return std::filesystem::exists(dir.path() / "stty"); }, 20s))
      << tmux.screen_text();
  EXPECT_EQ(read_file(dir.path() / "status"), "0\n") << tmux.screen_text();
}

}  // namespace
}  // namespace procflow_it
