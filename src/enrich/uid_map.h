// A user namespace's uid mapping, as /proc/<pid>/uid_map shows it to a reader
// in the initial user namespace: lines of "inside outside count". The kernel
// hands procflow global uids; a process in a user namespace (a rootless
// container) knows itself by the inside uid, and its passwd names that one.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace procflow {

class UidMap {
 public:
  // Default: no user namespace, every uid is itself.
  UidMap() = default;

  // nullopt for text the kernel would not write (a malformed line, a zero
  // count, a range past 2^32).
  static std::optional<UidMap> parse(std::string_view text);

  // The uid the process sees for the global `uid`; nullopt when its
  // namespace does not map it (the process sees the overflow uid).
  std::optional<uint32_t> to_inside(uint32_t uid) const;

 private:
  struct Range {
    uint32_t inside = 0, outside = 0;
    uint64_t count = 0;
  };
  bool identity_ = true;
  std::vector<Range> ranges_;
};

}  // namespace procflow
