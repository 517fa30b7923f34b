// tcpdump/tshark ground truth for packet counts and flags; see packet_capture.h.
#include "packet_capture.h"

#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "flow_query.h"

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

PacketCapture::PacketCapture(const std::string& dev, const std::string& filter, int snap_length)
    : dir_(make_temp_dir()), file_(dir_ + "/capture.pcap") {
  // -Z root: tcpdump would otherwise drop to its own user before creating the
  // file in this root-only directory. -U: write each packet as it comes.
  // -s 256 keeps every header (flags are all that is read back) and, with
  // -B, makes the kernel ring hold thousands of packets: at the default
  // snap length of 256 KiB it holds only a handful, and a burst of the
  // exchange overflows it ("packets dropped by kernel").
  tcpdump_ = std::make_unique<SpawnedProcess>(std::vector<std::string>{
      "tcpdump", "-i", dev, "-n", "-U", "--immediate-mode", "-s", std::to_string(snap_length), "-B",
      "8192", "-Z", "root", "-w", file_, filter});
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

int64_t CapturedConnection::largest_frame() const {
  int64_t largest = 0;
  for (const auto& packet : sequence) largest = std::max(largest, packet.length);
  return largest;
}

bool CapturedConnection::opened_by_syn() const {
  return !sequence.empty() && (sequence.front().flags & 0x12) == 0x02;
}

bool CapturedConnection::src_closed_first() const {
  for (const auto& packet : sequence) {
    if (packet.flags & 0x01) return packet.forward;
  }
  return false;
}

std::optional<int64_t> CapturedConnection::segments() const {
  const CapturedPacket* syn[2] = {nullptr, nullptr};  // [forward], the first SYN each way
  for (const auto& packet : sequence) {
    if ((packet.flags & 0x02) && !syn[packet.forward]) syn[packet.forward] = &packet;
  }
  if (!syn[0] || !syn[1] || !syn[0]->mss || !syn[1]->mss) return std::nullopt;
  const int64_t options = syn[0]->timestamps && syn[1]->timestamps ? 12 : 0;
  int64_t total = 0;
  for (const auto& packet : sequence) {
    // What this packet's sender may put in one segment: the peer's MSS.
    const int64_t size = syn[!packet.forward]->mss - options;
    total += packet.payload > size ? (packet.payload + size - 1) / size : 1;
  }
  return total;
}

std::string CapturedConnection::describe() const {
  std::string text = "tcp.stream " + std::to_string(stream) + " " + src_ip + ":" +
                     std::to_string(src_port) + " -> " + dest_ip + ":" + std::to_string(dest_port) +
                     ", " + std::to_string(packets) + " packets, flags";
  for (const auto& flag : flags) text += " " + flag;
  return text + "; (frame, flags, length, direction):\n" + frames;
}

std::optional<std::vector<CapturedConnection>> PacketCapture::streams(std::string* error) const {
  auto rows = fields("tcp",
                     {"tcp.stream", "frame.number", "tcp.flags", "frame.len", "ip.src", "ipv6.src",
                      "tcp.srcport", "ip.dst", "ipv6.dst", "tcp.dstport", "tcp.len",
                      "tcp.options.mss_val", "tcp.options.timestamp.tsval"},
                     error);
  if (!rows) return std::nullopt;
  std::vector<CapturedConnection> out;
  std::map<int64_t, size_t> by_stream;  // tcp.stream -> index in out
  for (const auto& row : *rows) {
    // A stream's packets share tcp.stream; an ICMP error quoting a TCP
    // header would carry two of each address (never captured: filter "tcp").
    if (row[0].empty() || row[0].find(',') != std::string::npos) continue;
    const int64_t stream = std::stoll(row[0]);
    const std::string src = row[4].empty() ? row[5] : row[4];
    const std::string dst = row[7].empty() ? row[8] : row[7];
    const int64_t sport = std::stoll(row[6]);
    auto [it, fresh] = by_stream.try_emplace(stream, out.size());
    if (fresh) {
      CapturedConnection c;
      c.stream = stream;
      c.src_ip = src;
      c.src_port = sport;
      c.dest_ip = dst;
      c.dest_port = std::stoll(row[9]);
      out.push_back(std::move(c));
    }
    CapturedConnection& c = out[it->second];
    CapturedPacket packet;
    packet.frame = std::stoll(row[1]);
    packet.flags = static_cast<unsigned>(std::stoul(row[2], nullptr, 16));
    packet.length = std::stoll(row[3]);
    packet.forward = same_ip(src, c.src_ip) && sport == c.src_port;
    packet.payload = row[10].empty() ? 0 : std::stoll(row[10]);
    packet.mss = row[11].empty() ? 0 : std::stoll(row[11]);
    packet.timestamps = !row[12].empty();
    c.sequence.push_back(packet);
    ++c.packets;
    for (const auto& flag : tcp_flag_names(packet.flags)) c.flags.insert(flag);
    c.frames += "  " + row[1] + " " + row[2] + " " + row[3] + (packet.forward ? " >" : " <") + "\n";
  }
  return out;
}

std::optional<std::vector<CapturedConnection>> PacketCapture::connections(
    const std::string& ip_a, int64_t port_a, const std::string& ip_b, int64_t port_b,
    std::string* error) const {
  auto all = streams(error);
  if (!all) return std::nullopt;
  std::vector<CapturedConnection> out;
  for (auto& c : *all) {
    bool forward = same_ip(c.src_ip, ip_a) && c.src_port == port_a && same_ip(c.dest_ip, ip_b) &&
                   c.dest_port == port_b;
    bool backward = same_ip(c.src_ip, ip_b) && c.src_port == port_b && same_ip(c.dest_ip, ip_a) &&
                    c.dest_port == port_a;
    if (forward || backward) out.push_back(std::move(c));
  }
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
