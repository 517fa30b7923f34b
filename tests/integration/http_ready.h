// Waiting for a server the test started to answer: what every suite with a
// real HTTP server (ClickHouse, Prometheus) does after spawning it.
#pragma once

#include <chrono>
#include <string>

#include "spawned_process.h"

namespace procflow_it {

// Polls http://127.0.0.1:`port``path` until it answers 200 (true), the
// process exits, or `timeout` passes (false).
bool wait_until_http_ok(SpawnedProcess& process, int port, const std::string& path,
                        std::chrono::milliseconds timeout);

}  // namespace procflow_it
