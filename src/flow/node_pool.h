// Nodes of a node-based standard container (unordered_map/set/multimap, map), kept when an entry
// is erased and handed back for the next insert. The flow tables insert and erase a few entries
// per flow; a recycled node costs no malloc and free, and neither do the strings inside it,
// which keep their storage. Re-inserting a node places it exactly where inserting a new value
// would, so the containers' iteration order (the order of events at a tick or at shutdown) is
// unchanged.
#pragma once

#include <cstddef>
#include <vector>

namespace procflow {

template <typename Container, size_t Max = 256>
class NodePool {
 public:
  using Node = typename Container::node_type;

  // Keeps the node (while fewer than Max are kept, so a burst of ends does not hold its memory).
  void put(Node node) {
    if (!node || nodes_.size() >= Max) return;
    if (nodes_.capacity() == 0) nodes_.reserve(Max);
    nodes_.push_back(std::move(node));
  }
  // A kept node with its old contents, or an empty one.
  Node take() {
    if (nodes_.empty()) return {};
    Node node = std::move(nodes_.back());
    nodes_.pop_back();
    return node;
  }
  void clear() { nodes_.clear(); }

 private:
  std::vector<Node> nodes_;
};

}  // namespace procflow
