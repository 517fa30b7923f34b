#include "bpf/kernel_facts.h"

#include <bpf/libbpf.h>
#include <linux/capability.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

namespace procflow {
namespace {

bool exists(const std::string& path) {
  return access(path.c_str(), F_OK) == 0;
}

// Mount points of a file-system type, from /proc/self/mountinfo.
std::vector<std::string> mounts_of_type(const std::string& fstype) {
  std::vector<std::string> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    // id parent major:minor root mountpoint options ... - fstype source superopts
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream rest(line.substr(dash + 3));
    std::string type;
    rest >> type;
    if (type != fstype) continue;
    std::istringstream head(line.substr(0, dash));
    std::string field, mountpoint;
    for (int i = 0; i < 5 && head >> field; i++)
      if (i == 4) mountpoint = field;
    out.push_back(mountpoint);
  }
  return out;
}

std::string find_or_mount_tracefs() {
  for (const auto& m : mounts_of_type("tracefs")) return m;
  if (exists("/sys/kernel/tracing") &&
      mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nullptr) == 0)
    return "/sys/kernel/tracing";
  return "";
}

}  // namespace

KernelFacts detect_kernel_facts() {
  KernelFacts f;
  utsname u{};
  if (uname(&u) == 0) f.release = u.release;
  f.btf = exists("/sys/kernel/btf/vmlinux");
  f.ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, nullptr) == 1;
  f.tracefs = find_or_mount_tracefs();
  auto cg = mounts_of_type("cgroup2");
  if (!cg.empty()) f.cgroup_v2 = cg.front();
  f.cgroup_v1 = !mounts_of_type("cgroup").empty();
  if (!f.tracefs.empty()) {
    f.sock_length_tracepoints = exists(f.tracefs + "/events/sock/sock_send_length");
    f.syscall_tracepoints = exists(f.tracefs + "/events/syscalls/sys_exit_accept4");
  }
  return f;
}

std::string missing_privileges() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) != 0) return "";  // cannot tell: let loading decide
  auto has = [&](int cap) { return (data[cap / 32].effective >> (cap % 32)) & 1; };
  const bool sys_admin = has(CAP_SYS_ADMIN);
  const bool bpf = sys_admin || has(CAP_BPF);
  const bool perfmon = sys_admin || has(CAP_PERFMON);
  const bool net_admin = has(CAP_NET_ADMIN);
  if (bpf && perfmon && net_admin) return "";
  std::string missing;
  if (!bpf) missing += " CAP_BPF";
  if (!perfmon) missing += " CAP_PERFMON";
  if (!net_admin) missing += " CAP_NET_ADMIN";
  return "procflow needs root (or the capabilities" + missing +
         ") to load its BPF programs; run it with sudo.";
}

std::string kernel_unsupported_reason(const KernelFacts& facts) {
  if (!facts.btf)
    return "this kernel (" + facts.release +
           ") has no BTF at /sys/kernel/btf/vmlinux; procflow needs a kernel built with "
           "CONFIG_DEBUG_INFO_BTF=y.";
  if (!facts.ringbuf)
    return "this kernel (" + facts.release +
           ") has no BPF ring buffer; procflow needs Linux 5.8 or newer.";
  return "";
}

}  // namespace procflow
