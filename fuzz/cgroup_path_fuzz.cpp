// libFuzzer target: the cgroup path parser (container id, runtime, pod uid)
// on arbitrary text, as a path and as /proc/<pid>/cgroup lines, and the pod
// log directory's name parsers. cgroup names are chosen by whoever may make
// cgroups, so the text is untrusted.
//
// Traps on a broken promise: a container id is 64 lowercase hex digits, a
// pod uid 32 hex digits (dashed as a UUID or not), a runtime one of the
// names, and every answer is text the input holds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "enrich/container_cgroup.h"
#include "enrich/pod_log_directory.h"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool lower_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

void check_ref(const std::optional<procflow::ContainerRef>& ref, std::string_view input) {
  if (!ref) return;
  check(ref->container_id.size() == 64);
  for (char c : ref->container_id) check(lower_hex(c));
  check(input.find(ref->container_id) != std::string_view::npos);
  const size_t uid = ref->pod_uid.size();
  check(uid == 0 || uid == 32 || uid == 36);
  size_t digits = 0;
  for (char c : ref->pod_uid) {
    check(c == '-' || lower_hex(c));
    digits += c != '-';
  }
  check(uid == 0 || digits == 32);
  const std::string_view runtime = procflow::to_string(ref->runtime);
  check(runtime.empty() || runtime == "containerd" || runtime == "cri-o" || runtime == "docker" ||
        runtime == "podman");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_ref(procflow::container_from_cgroup_path(text), text);
  check_ref(procflow::container_from_proc_cgroup(text), text);
  if (auto pod = procflow::parse_pod_directory_name(text)) {
    check(!pod->first.empty() && !pod->second.pod_name.empty() &&
          !pod->second.pod_namespace.empty());
    check(pod->first.find('_') == std::string::npos);
  }
  if (auto log = procflow::parse_container_log_name(text)) {
    check(log->first.size() == 64 && !log->second.empty());
    check(text.find(log->first) != std::string_view::npos);
  }
  return 0;
}
