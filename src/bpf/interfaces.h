// Network interfaces: which are up now, names <-> indexes, and a netlink
// watch that reports interfaces as they appear or come up.
#pragma once

#include <string>
#include <vector>

#include "bpf/libbpf_raii.h"

namespace procflow {

struct InterfaceInfo {
  int index = 0;
  std::string name;
  bool up = false;
};

std::vector<InterfaceInfo> list_interfaces();

class LinkWatcher {
 public:
  // Subscribes to RTNLGRP_LINK; error set and !valid() on failure.
  explicit LinkWatcher(std::string* error);
  bool valid() const { return fd_.valid(); }
  int fd() const { return fd_.get(); }
  // Non-blocking: the links announced since the last call (new or changed).
  std::vector<InterfaceInfo> drain();

 private:
  UniqueFd fd_;
};

}  // namespace procflow
