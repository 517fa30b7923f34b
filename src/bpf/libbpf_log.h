// Routes libbpf's own messages into spdlog. While probing, failures are the
// expected answer to "does this hook work?", so they are demoted to debug.
#pragma once

namespace procflow {

void install_libbpf_logging();

// While alive, libbpf warnings are logged at debug level.
class QuietLibbpf {
 public:
  QuietLibbpf();
  ~QuietLibbpf();
  QuietLibbpf(const QuietLibbpf&) = delete;
  QuietLibbpf& operator=(const QuietLibbpf&) = delete;
};

}  // namespace procflow
