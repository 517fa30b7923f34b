#include "bpf/tc_attachment.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "bpf/libbpf_log.h"

namespace procflow {
namespace {

// From the kernel's uapi (6.6+); libbpf 1.1's headers predate tcx.
constexpr int attach_type_tcx_ingress = 46;
constexpr int attach_type_tcx_egress = 47;

// procflow's filters: priority "PF"; the handle is the instance's.
constexpr uint32_t filter_priority = 0x5046;

bpf_tc_hook make_hook(int ifindex, bpf_tc_attach_point point) {
  bpf_tc_hook hook{};
  hook.sz = sizeof(hook);
  hook.ifindex = ifindex;
  hook.attach_point = point;
  return hook;
}

bpf_tc_opts make_opts(uint32_t handle, int prog_fd) {
  bpf_tc_opts opts{};
  opts.sz = sizeof(opts);
  opts.handle = handle;
  opts.priority = filter_priority;
  opts.prog_fd = prog_fd;
  return opts;
}

bool detach_filter(int ifindex, uint32_t handle, bpf_tc_attach_point point) {
  auto hook = make_hook(ifindex, point);
  auto opts = make_opts(handle, 0);
  return bpf_tc_detach(&hook, &opts) == 0;
}

bool is_procflow_program(uint32_t prog_id) {
  int fd = bpf_prog_get_fd_by_id(prog_id);
  if (fd < 0) return false;
  bpf_prog_info info{};
  uint32_t len = sizeof(info);
  bool ours =
      bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && std::strncmp(info.name, "pf_tc_", 6) == 0;
  close(fd);
  return ours;
}

}  // namespace

std::unique_ptr<TcAttachment> TcAttachment::attach(int ifindex, std::string name, TcMode mode,
                                                   uint32_t filter_handle, int ingress_prog_fd,
                                                   int egress_prog_fd, std::string* error) {
  std::unique_ptr<TcAttachment> a(new TcAttachment());
  a->handle_ = filter_handle;
  a->ifindex_ = ifindex;
  a->name_ = std::move(name);
  a->mode_ = mode;
  if (mode == TcMode::tcx) {
    int in = bpf_link_create(ingress_prog_fd, ifindex,
                             static_cast<bpf_attach_type>(attach_type_tcx_ingress), nullptr);
    if (in < 0) {
      *error = "tcx ingress on " + a->name_ + ": " + strerror(errno);
      return nullptr;
    }
    a->ingress_link_ = UniqueFd(in);
    int out = bpf_link_create(egress_prog_fd, ifindex,
                              static_cast<bpf_attach_type>(attach_type_tcx_egress), nullptr);
    if (out < 0) {
      *error = "tcx egress on " + a->name_ + ": " + strerror(errno);
      return nullptr;
    }
    a->egress_link_ = UniqueFd(out);
    return a;
  }

  QuietLibbpf quiet;  // EEXIST from an existing qdisc is expected
  auto hook = make_hook(ifindex, BPF_TC_INGRESS);
  int err = bpf_tc_hook_create(&hook);
  if (err && err != -EEXIST) {
    *error = "clsact qdisc on " + a->name_ + ": " + strerror(-err);
    return nullptr;
  }
  a->created_qdisc_ = err == 0;
  auto in_opts = make_opts(filter_handle, ingress_prog_fd);
  err = bpf_tc_attach(&hook, &in_opts);
  if (err) {
    *error = "tc ingress filter on " + a->name_ + ": " + strerror(-err);
    return nullptr;
  }
  a->ingress_filter_ = true;
  auto egress_hook = make_hook(ifindex, BPF_TC_EGRESS);
  auto out_opts = make_opts(filter_handle, egress_prog_fd);
  err = bpf_tc_attach(&egress_hook, &out_opts);
  if (err) {
    *error = "tc egress filter on " + a->name_ + ": " + strerror(-err);
    return nullptr;
  }
  a->egress_filter_ = true;
  return a;
}

TcAttachment::~TcAttachment() {
  if (mode_ == TcMode::tcx) return;  // closing the link fds detaches
  QuietLibbpf quiet;                 // the interface may be gone already
  if (ingress_filter_) detach_filter(ifindex_, handle_, BPF_TC_INGRESS);
  if (egress_filter_) detach_filter(ifindex_, handle_, BPF_TC_EGRESS);
  if (created_qdisc_) destroy_clsact(ifindex_);
}

void destroy_clsact(int ifindex) {
  QuietLibbpf quiet;
  auto hook = make_hook(ifindex, static_cast<bpf_tc_attach_point>(BPF_TC_INGRESS | BPF_TC_EGRESS));
  bpf_tc_hook_destroy(&hook);
}

int detach_tc_filters(int ifindex, uint32_t handle) {
  QuietLibbpf quiet;  // "no such filter" is the usual answer
  int removed = 0;
  for (auto point : {BPF_TC_INGRESS, BPF_TC_EGRESS}) {
    auto hook = make_hook(ifindex, point);
    auto opts = make_opts(handle, 0);
    if (bpf_tc_query(&hook, &opts) != 0) continue;
    if (!is_procflow_program(opts.prog_id)) continue;
    if (detach_filter(ifindex, handle, point)) removed++;
  }
  return removed;
}

}  // namespace procflow
