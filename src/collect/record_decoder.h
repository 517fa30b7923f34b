// Turns raw ring-buffer bytes into typed records. The layout lives in one
// place, bpf/procflow_abi.h; here every size is pinned with static_assert and
// every record is copied out with memcpy after its kind and size are checked,
// never cast in place.
#pragma once

#include <cstddef>
#include <cstdint>

#include "procflow_abi.h"

namespace procflow {

class RecordHandler {
 public:
  virtual ~RecordHandler() = default;
  virtual void on_exec(const pf_proc_exec&) {}
  virtual void on_fork(const pf_proc_fork&) {}
  virtual void on_exit(const pf_proc_exit&) {}
  virtual void on_tcp_start(const pf_tcp_start&) {}
  virtual void on_tcp_owner(const pf_tcp_owner&) {}
  virtual void on_tcp_established(const pf_tcp_established&) {}
  virtual void on_tcp_end(const pf_tcp_end&) {}
  virtual void on_tcp_snapshot(const pf_tcp_snapshot&) {}
  virtual void on_tcp_reset(const pf_tcp_reset&) {}
  virtual void on_udp_start(const pf_udp_start&) {}
  virtual void on_udp_release(const pf_udp_release&) {}
  virtual void on_dns(const pf_dns&) {}
  virtual void on_payload(const pf_payload&) {}
  virtual void on_tls_data(const pf_tls_data&) {}
};

enum class DecodeStatus { ok, truncated, unknown_kind, size_mismatch };

DecodeStatus decode_record(const void* data, size_t size, RecordHandler& handler);

}  // namespace procflow
