// libFuzzer target: arbitrary bytes as the head of an HTTP request and of a
// response; whatever parses must give well-formed proto_info with every field
// within its cap.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "proto/http_head.h"
#include "proto/proto_info_text.h"
#include "proto_text_fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto request = procflow::parse_http_request_head(text)) {
    for (const std::string* field : {&request->method, &request->target, &request->version,
                                     &request->host, &request->user_agent})
      if (field->size() > procflow::proto_info_value_cap) std::abort();
    procflow::fuzz::check_proto_info(procflow::http_request_proto_info(*request));
  }
  if (auto response = procflow::parse_http_response_head(text)) {
    if (response->status.size() != 3) std::abort();
    procflow::fuzz::check_proto_info(procflow::http_response_proto_info(*response));
  }
  return 0;
}
