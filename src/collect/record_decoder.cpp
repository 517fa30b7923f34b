#include "collect/record_decoder.h"

#include <cstddef>
#include <cstring>

namespace procflow {
namespace {

// The ABI: sizes and a few offsets the BPF side relies on. A change to
// procflow_abi.h that moves them fails the build here, not at run time.
static_assert(sizeof(pf_header) == 16);
static_assert(sizeof(pf_task) == 64);
static_assert(offsetof(pf_task, start_boot_ns) == 24);
static_assert(offsetof(pf_task, comm) == 48);
static_assert(sizeof(pf_tuple) == 40);
static_assert(sizeof(pf_proc_exec) == 16 + 64 + 24 + PF_PATH_LEN + PF_EXE_PATH_LEN);
static_assert(sizeof(pf_proc_fork) == 80);
static_assert(sizeof(pf_proc_exit) == 88);
static_assert(sizeof(pf_tcp_start) == 16 + 8 + 8 + 40 + 64 + 8);
static_assert(sizeof(pf_tcp_owner) == 16 + 8 + 64 + 8);
static_assert(sizeof(pf_tcp_established) == 16 + 8 + 40);
static_assert(sizeof(pf_tcp_end) == 16 + 8 + 8 + 40 + 24 + 8 + 4 + 4 + 8);
static_assert(sizeof(pf_tcp_reset) == 16 + 8);
static_assert(sizeof(pf_tcp_snapshot) == 16 + 8 + 16 + 8 + 8);
static_assert(sizeof(pf_config) == 24);
static_assert(sizeof(pf_udp_key) == 32);
static_assert(sizeof(pf_udp_stats) == 40);
static_assert(sizeof(pf_udp_start) == 16 + 32 + 8 + 40 + 64 + 8);
static_assert(sizeof(pf_udp_release) == 24);
static_assert(sizeof(pf_dns) == 16 + 8 + 40 + PF_DNS_MAX);
static_assert(sizeof(pf_payload) == 16 + 40 + 16 + 8 + PF_PAYLOAD_MAX);
static_assert(sizeof(pf_payload_key) == 48);
static_assert(sizeof(pf_payload_state) == 40);
static_assert(sizeof(pf_tls_data) == 16 + 64 + 8 + 8 + PF_TLS_MAX);

template <typename Record, typename Fn>
DecodeStatus copy_and_call(const void* data, size_t size, Fn&& fn) {
  if (size < sizeof(Record)) return DecodeStatus::truncated;
  Record record;
  std::memcpy(&record, data, sizeof(Record));
  if (record.hdr.size != sizeof(Record)) return DecodeStatus::size_mismatch;
  fn(record);
  return DecodeStatus::ok;
}

}  // namespace

DecodeStatus decode_record(const void* data, size_t size, RecordHandler& h) {
  if (size < sizeof(pf_header)) return DecodeStatus::truncated;
  pf_header header;
  std::memcpy(&header, data, sizeof header);
  switch (header.kind) {
    case PF_REC_PROC_EXEC:
      return copy_and_call<pf_proc_exec>(data, size, [&](auto& r) { h.on_exec(r); });
    case PF_REC_PROC_FORK:
      return copy_and_call<pf_proc_fork>(data, size, [&](auto& r) { h.on_fork(r); });
    case PF_REC_PROC_EXIT:
      return copy_and_call<pf_proc_exit>(data, size, [&](auto& r) { h.on_exit(r); });
    case PF_REC_TCP_START:
      return copy_and_call<pf_tcp_start>(data, size, [&](auto& r) { h.on_tcp_start(r); });
    case PF_REC_TCP_OWNER:
      return copy_and_call<pf_tcp_owner>(data, size, [&](auto& r) { h.on_tcp_owner(r); });
    case PF_REC_TCP_ESTABLISHED:
      return copy_and_call<pf_tcp_established>(data, size,
                                               [&](auto& r) { h.on_tcp_established(r); });
    case PF_REC_TCP_END:
      return copy_and_call<pf_tcp_end>(data, size, [&](auto& r) { h.on_tcp_end(r); });
    case PF_REC_TCP_SNAPSHOT:
      return copy_and_call<pf_tcp_snapshot>(data, size, [&](auto& r) { h.on_tcp_snapshot(r); });
    case PF_REC_UDP_START:
      return copy_and_call<pf_udp_start>(data, size, [&](auto& r) { h.on_udp_start(r); });
    case PF_REC_UDP_RELEASE:
      return copy_and_call<pf_udp_release>(data, size, [&](auto& r) { h.on_udp_release(r); });
    case PF_REC_TCP_RESET:
      return copy_and_call<pf_tcp_reset>(data, size, [&](auto& r) { h.on_tcp_reset(r); });
    case PF_REC_DNS:
      return copy_and_call<pf_dns>(data, size, [&](auto& r) { h.on_dns(r); });
    case PF_REC_PAYLOAD:
      return copy_and_call<pf_payload>(data, size, [&](auto& r) { h.on_payload(r); });
    case PF_REC_TLS_DATA:
      return copy_and_call<pf_tls_data>(data, size, [&](auto& r) { h.on_tls_data(r); });
  }
  return DecodeStatus::unknown_kind;
}

}  // namespace procflow
