// TC programs on one interface, ingress and egress, owned RAII-style.
//
// tcx links (6.6+) are preferred: they belong to the process and vanish with
// it, even after a crash. Older kernels get a clsact qdisc with two bpf
// filters at procflow's own handle/priority; those outlive a crash, so every
// start first removes stale ones (recognised by handle, priority and program
// name). A qdisc is only ever deleted if procflow created it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "bpf/libbpf_raii.h"

namespace procflow {

enum class TcMode { tcx, clsact };

class TcAttachment {
 public:
  static std::unique_ptr<TcAttachment> attach(int ifindex, std::string name, TcMode mode,
                                              int ingress_prog_fd, int egress_prog_fd,
                                              std::string* error);
  ~TcAttachment();
  TcAttachment(const TcAttachment&) = delete;
  TcAttachment& operator=(const TcAttachment&) = delete;

  int ifindex() const { return ifindex_; }
  const std::string& name() const { return name_; }

 private:
  TcAttachment() = default;
  int ifindex_ = 0;
  std::string name_;
  TcMode mode_ = TcMode::tcx;
  UniqueFd ingress_link_, egress_link_;   // tcx
  bool ingress_filter_ = false, egress_filter_ = false, created_qdisc_ = false;  // clsact
};

// Removes clsact filters a previous procflow left behind on ifindex. Returns
// how many were removed.
int remove_stale_tc_filters(int ifindex);

}  // namespace procflow
