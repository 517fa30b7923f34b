// RAII owner of nDPI's detection module (libndpi 4.2): all protocols enabled,
// initialisation finalised. It holds about 4.9 MB (measured with counting
// allocators: nDPI's host and IP match automata). One per tracer or replay; like nDPI itself it is
// not thread-safe, and every NdpiFlow made from it must be used on the thread
// that uses it and destroyed before it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct ndpi_detection_module_struct;

namespace procflow {

class NdpiEngine {
 public:
  // nullptr (and *error, if given) when nDPI cannot be initialised.
  static std::unique_ptr<NdpiEngine> create(std::string* error);
  ~NdpiEngine();
  NdpiEngine(const NdpiEngine&) = delete;
  NdpiEngine& operator=(const NdpiEngine&) = delete;

  ndpi_detection_module_struct* module() const { return module_; }
  // Where NdpiFlow synthesizes each packet: one buffer for all flows, since
  // one engine is used by one thread and a per-flow buffer would keep a
  // packet's worth of memory alive in every flow.
  std::vector<uint8_t>& packet_buffer() { return packet_buffer_; }

 private:
  explicit NdpiEngine(ndpi_detection_module_struct* module) : module_(module) {}
  ndpi_detection_module_struct* module_;
  std::vector<uint8_t> packet_buffer_;
};

}  // namespace procflow
