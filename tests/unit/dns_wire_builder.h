// DNS messages for tests, built with ldns from zone-file text and encoded by
// ldns_pkt2wire (which compresses names, as real servers do).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace procflow::test {

using Bytes = std::vector<uint8_t>;

struct MessageSpec {
  std::string question = "www.example.com. IN A";  // "" for none
  std::vector<std::string> answers;                // zone-file RRs
  std::vector<std::string> additional;
  bool response = true;
  uint8_t rcode = 0;
  uint16_t id = 0x4242;
  uint16_t answer_class = 0;  // overrides the answers' class when non-zero
};

Bytes build_dns(const MessageSpec& spec);

}  // namespace procflow::test
