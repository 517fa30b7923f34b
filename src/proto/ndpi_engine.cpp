#include "proto/ndpi_engine.h"

#include <ndpi_api.h>

namespace procflow {

std::unique_ptr<NdpiEngine> NdpiEngine::create(std::string* error) {
  ndpi_detection_module_struct* module = ndpi_init_detection_module(ndpi_no_prefs);
  if (module == nullptr) {
    if (error) *error = "nDPI: ndpi_init_detection_module failed";
    return nullptr;
  }
  NDPI_PROTOCOL_BITMASK all;
  NDPI_BITMASK_SET_ALL(all);
  ndpi_set_protocol_detection_bitmask2(module, &all);
  ndpi_finalize_initialization(module);
  return std::unique_ptr<NdpiEngine>(new NdpiEngine(module));
}

NdpiEngine::~NdpiEngine() {
  ndpi_exit_detection_module(module_);
}

}  // namespace procflow
