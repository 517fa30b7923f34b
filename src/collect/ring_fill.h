// How full the kernel's ring buffer is: the bytes the kernel has produced
// and userspace has not yet consumed. libbpf 1.1 has no accessor for this
// (ring__avail_data_size came in 1.3), so the ring's two position pages are
// mapped read-only here, as the kernel allows any reader to do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace procflow {

class RingFill {
 public:
  // Maps the positions of the ring buffer map `map_fd`; nullptr with `error`.
  static std::unique_ptr<RingFill> open(int map_fd, std::string* error);
  ~RingFill();
  RingFill(const RingFill&) = delete;
  RingFill& operator=(const RingFill&) = delete;

  uint64_t size_bytes() const { return size_; }
  // Produced and not yet consumed, including records being written (their
  // space is reserved): what a burst has left of the ring is size - used.
  uint64_t used_bytes() const;

 private:
  RingFill(void* positions, size_t mapped, uint64_t size)
      : positions_(positions), mapped_(mapped), size_(size) {}
  void* positions_;  // page 0: consumer position, page 1: producer position
  size_t mapped_;
  uint64_t size_;
};

}  // namespace procflow
