#include "util/capabilities.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace procflow {
namespace {

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

// The highest capability this kernel knows.
int last_capability() {
  std::ifstream in("/proc/sys/kernel/cap_last_cap");
  int last = CAP_LAST_CAP;
  in >> last;
  return last;
}

const char* capability_name(int cap) {
  switch (cap) {
    case CAP_BPF:
      return "cap_bpf";
    case CAP_PERFMON:
      return "cap_perfmon";
    case CAP_NET_ADMIN:
      return "cap_net_admin";
    case CAP_SYS_PTRACE:
      return "cap_sys_ptrace";
    case CAP_DAC_READ_SEARCH:
      return "cap_dac_read_search";
    case CAP_SYS_ADMIN:
      return "cap_sys_admin";
    default:
      return "cap_other";
  }
}

struct CapabilitySets {
  __user_cap_data_struct data[2]{};  // _LINUX_CAPABILITY_U32S_3
};

bool get_sets(CapabilitySets* sets) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  return syscall(SYS_capget, &header, sets->data) == 0;
}

bool set_sets(CapabilitySets* sets) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  return syscall(SYS_capset, &header, sets->data) == 0;
}

bool has(const CapabilitySets& s, int cap, bool effective) {
  const uint32_t word = effective ? s.data[cap / 32].effective : s.data[cap / 32].permitted;
  return word & (1u << (cap % 32));
}

}  // namespace

std::vector<int> capabilities_after_start() {
  std::vector<int> keep = {CAP_NET_ADMIN, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH};
  if (last_capability() >= CAP_BPF) {
    keep.push_back(CAP_BPF);
    keep.push_back(CAP_PERFMON);
  } else {
    keep.push_back(CAP_SYS_ADMIN);
  }
  return keep;
}

bool keep_only_capabilities(const std::vector<int>& keep, std::string* kept, std::string* error) {
  CapabilitySets now;
  if (!get_sets(&now)) {
    *error = std::string("capget: ") + std::strerror(errno);
    return false;
  }
  auto wanted = [&](int cap) {
    for (int k : keep)
      if (k == cap) return true;
    return false;
  };
  // The bounding set first: dropping from it needs CAP_SETPCAP, which goes next.
  const int last = last_capability();
  if (has(now, CAP_SETPCAP, true)) {
    for (int cap = 0; cap <= last; cap++)
      if (!wanted(cap)) prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
  }
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  CapabilitySets next;
  kept->clear();
  for (int cap : keep) {
    if (cap > last || !has(now, cap, false)) continue;
    next.data[cap / 32].permitted |= 1u << (cap % 32);
    next.data[cap / 32].effective |= 1u << (cap % 32);
    if (!kept->empty()) *kept += ", ";
    *kept += capability_name(cap);
  }
  if (!set_sets(&next)) {
    *error = std::string("capset: ") + std::strerror(errno);
    return false;
  }
  return true;
}

void drop_all_capabilities_of_this_thread() {
  CapabilitySets none;
  set_sets(&none);  // cannot fail when lowering; nothing to do if it did
}

}  // namespace procflow
