// Which open flows a packet's bytes belong to: every local socket of the
// conversation (both sides of a connection between two local processes),
// found from the wire tuple alone. The key orders the endpoints (the lower
// address and port first) and writes a dual-stack socket's IPv4-mapped
// addresses as plain IPv4, as on the wire, so both directions meet.
//
// Network namespaces are not part of the key: TC sees packets, not sockets.
// Two namespaces with sockets on the very same tuple (addresses, ports and
// protocol) would both get the bytes; namespaces with overlapping private
// addresses talking to the same peer from the same port are that rare case.
#pragma once

#include <array>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "procflow/flow_event.h"

namespace procflow {

struct ConversationKey {
  std::array<uint8_t, 16> addr_lo{}, addr_hi{};
  uint16_t port_lo = 0, port_hi = 0;
  uint8_t family = 0;
  uint8_t transport = 0;
  bool operator==(const ConversationKey&) const = default;
};

ConversationKey conversation_key(const IpAddress& a, uint16_t port_a, const IpAddress& b,
                                 uint16_t port_b, uint8_t transport);

template <typename FlowId>
class ConversationIndex {
 public:
  void add(const ConversationKey& key, const FlowId& id) { map_[key].push_back(id); }
  void remove(const ConversationKey& key, const FlowId& id) {
    auto it = map_.find(key);
    if (it == map_.end()) return;
    auto& ids = it->second;
    for (size_t i = 0; i < ids.size(); i++) {
      if (ids[i] == id) {
        ids[i] = ids.back();
        ids.pop_back();
        break;
      }
    }
    if (ids.empty()) map_.erase(it);
  }
  // The flows of a conversation; nullptr when none is open.
  const std::vector<FlowId>* find(const ConversationKey& key) const {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second;
  }
  void clear() { map_.clear(); }
  size_t size() const { return map_.size(); }

 private:
  struct Hash {
    size_t operator()(const ConversationKey& k) const noexcept;
  };
  std::unordered_map<ConversationKey, std::vector<FlowId>, Hash> map_;
};

size_t hash_conversation(const ConversationKey& k) noexcept;

template <typename FlowId>
size_t ConversationIndex<FlowId>::Hash::operator()(const ConversationKey& k) const noexcept {
  return hash_conversation(k);
}

}  // namespace procflow
