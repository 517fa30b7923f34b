// Turns from a capture; see wire_transcript.h.
#include "wire_transcript.h"

namespace procflow_it {

std::optional<Transcript> wire_transcript(const PacketCapture& capture,
                                          const std::string& client_ip, int64_t client_port,
                                          int64_t server_port, std::string* error) {
  const std::string filter = "tcp.port==" + std::to_string(client_port) +
                             " && tcp.port==" + std::to_string(server_port) +
                             " && tcp.len>0 && !tcp.analysis.retransmission";
  auto rows = capture.fields(filter, {"tcp.srcport", "tcp.payload"}, error);
  if (!rows) return std::nullopt;
  Transcript t;
  t.local_ip = client_ip;
  t.local_port = client_port;
  for (const auto& row : *rows) {
    if (row.size() != 2 || row[0].empty()) continue;
    const TurnFrom from = std::stoll(row[0]) == client_port ? TurnFrom::client : TurnFrom::server;
    std::string bytes;
    std::string hex;
    for (char c : row[1]) {
      if (c != ':') hex += c;  // some tshark versions separate the bytes
    }
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
      bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    }
    if (!t.turns.empty() && t.turns.back().from == from) {
      t.turns.back().bytes += bytes;
    } else {
      t.turns.push_back({from, bytes});
    }
  }
  return t;
}

}  // namespace procflow_it
