// tcpdump/tshark ground truth for packet counts and flags; see packet_capture.h.
#include "packet_capture.h"

#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace procflow_it {
namespace {

std::string make_temp_dir() {
  char pattern[] = "/tmp/pf-capture.XXXXXX";
  if (!mkdtemp(pattern)) throw std::runtime_error("mkdtemp failed");
  return pattern;
}

// tshark's display-filter field for an address of this family.
std::string ip_field(const std::string& ip) {
  return ip.find(':') == std::string::npos ? "ip.addr" : "ipv6.addr";
}

}  // namespace

std::set<std::string> tcp_flag_names(unsigned bits) {
  static constexpr std::pair<unsigned, const char*> names[] = {
      {0x01, "FIN"}, {0x02, "SYN"}, {0x04, "RST"}, {0x08, "PSH"},
      {0x10, "ACK"}, {0x20, "URG"}, {0x40, "ECE"}, {0x80, "CWR"}};
  std::set<std::string> out;
  for (const auto& [bit, name] : names) {
    if (bits & bit) out.insert(name);
  }
  return out;
}

PacketCapture::PacketCapture(const std::string& dev, const std::string& filter)
    : dir_(make_temp_dir()), file_(dir_ + "/capture.pcap") {
  // -Z root: tcpdump would otherwise drop to its own user before creating the
  // file in this root-only directory. -U: write each packet as it comes.
  // -s 256 keeps every header (flags are all that is read back) and, with
  // -B, makes the kernel ring hold thousands of packets: at the default
  // snap length of 256 KiB it holds only a handful, and a burst of the
  // exchange overflows it ("packets dropped by kernel").
  tcpdump_ = std::make_unique<SpawnedProcess>(
      std::vector<std::string>{"tcpdump", "-i", dev, "-n", "-U", "--immediate-mode", "-s", "256",
                               "-B", "8192", "-Z", "root", "-w", file_, filter});
}

PacketCapture::~PacketCapture() {
  if (tcpdump_) tcpdump_->kill_group();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

::testing::AssertionResult PacketCapture::wait_ready(std::chrono::milliseconds timeout) {
  auto listening = [](const std::vector<std::string>& lines) {
    for (const auto& line : lines) {
      if (line.find("listening on") != std::string::npos) return true;
    }
    return false;
  };
  if (tcpdump_->err().wait_for(listening, timeout)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "tcpdump is not capturing:\n" << describe();
}

::testing::AssertionResult PacketCapture::stop(std::chrono::milliseconds timeout) {
  tcpdump_->signal(SIGINT);
  auto status = tcpdump_->wait(timeout);
  if (!status || !status->success()) {
    return ::testing::AssertionFailure() << "tcpdump did not end cleanly:\n" << describe();
  }
  // "N packets captured", "M packets received by filter", "K packets dropped by kernel".
  static const std::regex counter(
      R"((\d+) packets? (captured|received by filter|dropped by kernel))");
  std::map<std::string, long> counts;
  std::string text = tcpdump_->err().text();
  for (std::sregex_iterator it(text.begin(), text.end(), counter), end; it != end; ++it) {
    counts[(*it)[2]] = std::stol((*it)[1]);
  }
  if (counts.size() != 3 || counts["captured"] != counts["received by filter"] ||
      counts["dropped by kernel"] != 0) {
    return ::testing::AssertionFailure() << "the capture is incomplete:\n" << describe();
  }
  return ::testing::AssertionSuccess();
}

std::optional<CapturedConnection> PacketCapture::connection(const std::string& ip_a, int64_t port_a,
                                                            const std::string& ip_b, int64_t port_b,
                                                            std::string* error) const {
  std::string filter = ip_field(ip_a) + "==" + ip_a + " && " + ip_field(ip_b) + "==" + ip_b +
                       " && tcp.port==" + std::to_string(port_a) +
                       " && tcp.port==" + std::to_string(port_b);
  std::vector<std::string> argv = {"tshark", "-r",        file_,    "-n",       "-Y",
                                   filter,   "-T",        "fields", "-e",       "frame.number",
                                   "-e",     "tcp.flags", "-e",     "frame.len"};
  CommandResult result = run_command(argv);
  if (!result.ok()) {
    *error = result.describe(argv);
    return std::nullopt;
  }
  CapturedConnection out;
  unsigned bits = 0;
  std::istringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string number, flags;
    if (!(fields >> number >> flags)) continue;
    ++out.packets;
    bits |= static_cast<unsigned>(std::stoul(flags, nullptr, 16));
    out.frames += "  " + line + "\n";
  }
  out.flags = tcp_flag_names(bits);
  return out;
}

std::optional<std::vector<std::vector<std::string>>> PacketCapture::fields(
    const std::string& display_filter, const std::vector<std::string>& fields,
    std::string* error) const {
  std::vector<std::string> argv = {"tshark", "-r", file_, "-n", "-Y", display_filter};
  // One line per packet, tab between fields, every occurrence of a field joined by ','.
  for (const char* option : {"-Tfields", "-Eseparator=/t", "-Eoccurrence=a", "-Eaggregator=,"}) {
    argv.push_back(option);
  }
  for (const auto& field : fields) {
    argv.push_back("-e");
    argv.push_back(field);
  }
  CommandResult result = run_command(argv);
  if (!result.ok()) {
    *error = result.describe(argv);
    return std::nullopt;
  }
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> row;
    size_t start = 0;
    for (size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1) {
      row.push_back(line.substr(start, tab - start));
    }
    row.push_back(line.substr(start));
    row.resize(fields.size());
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string PacketCapture::describe() const {
  return tcpdump_ ? tcpdump_->describe() : "tcpdump was not started\n";
}

}  // namespace procflow_it
