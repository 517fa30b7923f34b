// Builds proto_info: `key=value` pairs joined by "; " in the order added.
// Values are escaped like `content` (docs/events.md) and, since ";" joins
// pairs, ";" becomes \x3b, so a value can never forge another pair; in list
// values (items joined by ",") an item's own "," becomes \x2c. Every value is
// capped (in input bytes, before escaping) because it comes from the network.
// Empty values are left out: an absent key means "not seen".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace procflow {

inline constexpr size_t proto_info_value_cap = 256;

class ProtoInfoText {
 public:
  void add(std::string_view key, std::string_view value);
  // Items joined by ","; items after the cap (in input bytes) are left out.
  void add_list(std::string_view key, const std::vector<std::string>& items);
  bool empty() const { return text_.empty(); }
  std::string take() { return std::move(text_); }

 private:
  void start_pair(std::string_view key);
  std::string text_;
};

}  // namespace procflow
