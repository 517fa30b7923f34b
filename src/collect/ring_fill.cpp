#include "collect/ring_fill.h"

#include <bpf/bpf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace procflow {

std::unique_ptr<RingFill> RingFill::open(int map_fd, std::string* error) {
  bpf_map_info info{};
  uint32_t length = sizeof info;
  if (bpf_obj_get_info_by_fd(map_fd, &info, &length) != 0) {
    *error = std::string("ring buffer info: ") + strerror(errno);
    return nullptr;
  }
  if (info.type != BPF_MAP_TYPE_RINGBUF) {
    *error = "not a ring buffer map";
    return nullptr;
  }
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  // Read-only, so the kernel lets the consumer page and the producer page be
  // mapped together; the data pages are not needed.
  void* positions = mmap(nullptr, 2 * page, PROT_READ, MAP_SHARED, map_fd, 0);
  if (positions == MAP_FAILED) {
    *error = std::string("mapping the ring buffer positions: ") + strerror(errno);
    return nullptr;
  }
  return std::unique_ptr<RingFill>(new RingFill(positions, 2 * page, info.max_entries));
}

RingFill::~RingFill() {
  munmap(positions_, mapped_);
}

uint64_t RingFill::used_bytes() const {
  const size_t page = mapped_ / 2;
  const auto* consumer = static_cast<const uint64_t*>(positions_);
  const auto* producer =
      reinterpret_cast<const uint64_t*>(static_cast<const char*>(positions_) + page);
  // Both move forward only; consumer first, so used never reads negative.
  const uint64_t c = __atomic_load_n(consumer, __ATOMIC_ACQUIRE);
  const uint64_t p = __atomic_load_n(producer, __ATOMIC_ACQUIRE);
  return p > c ? std::min<uint64_t>(p - c, size_) : 0;
}

}  // namespace procflow
