// The gate in front of every test that loads procflow's kernel programs: they
// need root and a kernel that lets this process load BPF. Where that is
// missing the test is skipped, unless PROCFLOW_REQUIRE_BPF=1 (CI), where a
// skip would hide that nothing was tested, so it fails with the same reason.
#pragma once

#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

namespace procflow_it {

inline bool bpf_required() {
  const char* value = std::getenv("PROCFLOW_REQUIRE_BPF");
  return value != nullptr && std::string(value) == "1";
}

// Why BPF programs cannot be loaded here, or nullopt when they can. Proven by
// loading the smallest socket filter ("r0 = 0; exit").
inline std::optional<std::string> bpf_unavailable_reason() {
  if (geteuid() != 0) return "needs root to load BPF programs";
  bpf_insn program[2] = {};
  program[0].code = BPF_ALU64 | BPF_MOV | BPF_K;  // r0 = 0
  program[0].dst_reg = BPF_REG_0;
  program[1].code = BPF_JMP | BPF_EXIT;
  bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
  attr.insns = reinterpret_cast<uint64_t>(program);
  attr.insn_cnt = 2;
  attr.license = reinterpret_cast<uint64_t>("GPL");
  long fd = syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
  if (fd < 0) {
    return std::string("this kernel refuses to load BPF programs (bpf: ") + std::strerror(errno) +
           ")";
  }
  close(static_cast<int>(fd));
  return std::nullopt;
}

}  // namespace procflow_it

// Use at the top of SetUp() or a test body (a function returning void).
#define PROCFLOW_REQUIRE_BPF_OR_SKIP()                                             \
  do {                                                                             \
    if (auto pf_gate_reason = ::procflow_it::bpf_unavailable_reason()) {           \
      if (::procflow_it::bpf_required()) {                                         \
        FAIL() << *pf_gate_reason << " (PROCFLOW_REQUIRE_BPF=1 forbids skipping)"; \
      }                                                                            \
      GTEST_SKIP() << *pf_gate_reason;                                             \
    }                                                                              \
  } while (0)
