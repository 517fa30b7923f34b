// Waiting until a server the test started has its socket bound, without
// connecting to it: a probe connection would be one more flow in procflow's
// output (and, for a one-connection server such as `sshd -d` or
// `openssl s_server -naccept 1`, would use up its only connection).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "spawned_process.h"

namespace procflow_it {

enum class Transport { tcp, udp };

// Polls `ss` until a socket is listening (TCP) or bound (UDP) on ip:port in
// the root namespace, or in the one `launcher` (`ip netns exec NS`) runs ss
// in; false if `process` exits first or `timeout` passes.
bool wait_for_listener(SpawnedProcess& process, const std::string& ip, int port,
                       Transport transport, std::chrono::milliseconds timeout = 15s,
                       const std::vector<std::string>& launcher = {});

}  // namespace procflow_it
