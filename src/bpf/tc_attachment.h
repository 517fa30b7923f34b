// TC programs on one interface, ingress and egress, owned RAII-style.
//
// tcx links (6.6+) are preferred: they belong to the process and vanish with
// it, even after a crash. Older kernels get a clsact qdisc with two bpf
// filters at priority 0x5046 and a handle of the instance's own (its pid), so
// several procflows can share an interface; those outlive a crash, so the
// TcRegistry lets the next start remove them. A qdisc is only ever deleted if
// procflow created it.
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
                                              uint32_t filter_handle, int ingress_prog_fd,
                                              int egress_prog_fd, std::string* error);
  ~TcAttachment();
  TcAttachment(const TcAttachment&) = delete;
  TcAttachment& operator=(const TcAttachment&) = delete;

  int ifindex() const { return ifindex_; }
  const std::string& name() const { return name_; }
  bool created_qdisc() const { return created_qdisc_; }

 private:
  TcAttachment() = default;
  int ifindex_ = 0;
  std::string name_;
  TcMode mode_ = TcMode::tcx;
  uint32_t handle_ = 0;
  UniqueFd ingress_link_, egress_link_;                                          // tcx
  bool ingress_filter_ = false, egress_filter_ = false, created_qdisc_ = false;  // clsact
};

// Detaches procflow's clsact filters at `handle` on ifindex (only filters
// running a pf_tc_* program). Returns how many were removed.
int detach_tc_filters(int ifindex, uint32_t handle);
// Deletes the clsact qdisc of ifindex, with every filter on it.
void destroy_clsact(int ifindex);

}  // namespace procflow
