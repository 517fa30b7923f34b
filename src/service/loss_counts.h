// Everything procflow lost, by where and why, in one place: what the kernel
// could not record (by reason, and ring-buffer losses by record kind), what
// userspace could not decode, flows that had to be ended because their end
// record was lost, and events the output could not write. The exit report
// and the `lost` events in the stream are made from it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "procflow_abi.h"

namespace procflow {

inline constexpr size_t kRecordKinds = PF_DROP_SLOTS - PF_DROP_RING_BY_KIND;

struct LossCounts {
  std::array<uint64_t, PF_DROP_COUNTER_MAX> kernel{};  // by enum pf_drop_counter
  std::array<uint64_t, kRecordKinds> records{};        // lost to a full ring, by record kind
  uint64_t undecodable = 0;                            // records that failed the kind/size checks
  uint64_t flows_end_lost = 0;      // open flows ended because their end record never came
  uint64_t events_not_written = 0;  // events the output dropped (a slow or gone reader)

  // From the kernel's drops map as BpfSession::read_drops returns it.
  static LossCounts from_kernel(const std::vector<uint64_t>& slots);
  LossCounts since(const LossCounts& earlier) const;  // this minus earlier, per counter
  bool any() const;
  uint64_t records_lost() const;  // records lost in the kernel, of any kind
};

// "tcp_end", "dns", ...: the JSON key of a record kind.
std::string_view record_kind_name(size_t kind);
// The words of each kernel reason, as the exit report and `probe` print them.
std::string_view drop_reason_words(size_t reason);
// One machine-readable key per kernel reason ("ring_buffer_full", ...).
std::string_view drop_reason_key(size_t reason);

}  // namespace procflow
