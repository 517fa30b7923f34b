// The turns of a TCP connection read from a capture of the traced interface:
// the exact bytes of a conversation whose client the test does not script
// (curl, openssl s_client generate their TLS handshakes themselves), to
// compute `content` from. Payload of each direction in order, consecutive
// packets of one sender joined into one turn; retransmissions left out.
#pragma once

#include <optional>
#include <string>

#include "packet_capture.h"
#include "talk_client.h"

namespace procflow_it {

// The transcript of the connection client_ip:client_port -> server_port
// (read after capture.stop()); nullopt (and `error`) if tshark fails.
std::optional<Transcript> wire_transcript(const PacketCapture& capture,
                                          const std::string& client_ip, int64_t client_port,
                                          int64_t server_port, std::string* error);

}  // namespace procflow_it
