#include "bpf/libbpf_log.h"

#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace procflow {
namespace {

std::atomic<int> quiet_depth{0};

int forward(enum libbpf_print_level level, const char* format, va_list args) {
  // Verifier logs run to many kilobytes: format into an allocated string.
  char* text = nullptr;
  int n = vasprintf(&text, format, args);
  if (n < 0 || !text) return 0;
  std::string_view msg(text, n);
  while (!msg.empty() && msg.back() == '\n') msg.remove_suffix(1);
  if (quiet_depth.load() > 0 || level == LIBBPF_DEBUG) {
    spdlog::trace("libbpf: {}", msg);
  } else if (level == LIBBPF_WARN) {
    spdlog::warn("libbpf: {}", msg);
  } else {
    spdlog::debug("libbpf: {}", msg);
  }
  free(text);
  return n;
}

}  // namespace

void install_libbpf_logging() {
  libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
  libbpf_set_print(forward);
}

QuietLibbpf::QuietLibbpf() {
  quiet_depth++;
}
QuietLibbpf::~QuietLibbpf() {
  quiet_depth--;
}

}  // namespace procflow
