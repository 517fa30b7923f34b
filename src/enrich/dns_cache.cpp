// DnsCache: CNAME-chain resolution within a response, TTL clamping, LRU.
#include "enrich/dns_cache.h"
#include "util/hash_mix.h"

#include <algorithm>
#include <cstring>
#include <random>
#include <string_view>
#include <vector>

namespace procflow {
namespace {

// glibc malloc: 8 bytes of header, 16-byte granularity, 32-byte minimum.
size_t malloc_chunk(size_t n) {
  return std::max<size_t>(32, (n + 8 + 15) & ~size_t{15});
}

// One name on the CNAME chain from the question, with the smallest TTL of
// the hops that lead to it (the mapping holds only while all of them do).
struct ChainLink {
  std::string_view name;
  uint32_t ttl;
};

}  // namespace

size_t DnsCache::KeyHash::operator()(const Key& k) const noexcept {
  uint64_t lo = 0, hi = 0;
  std::memcpy(&lo, k.address.bytes.data(), 8);
  std::memcpy(&hi, k.address.bytes.data() + 8, 8);
  // Seeded per cache: addresses come from DNS answers anyone on the path can
  // forge, so bucket placement must not be predictable (hash flooding).
  uint64_t h = hash_mix(seed ^ k.scope);
  h = hash_mix(h ^ lo ^ k.address.family);
  return static_cast<size_t>(hash_mix(h ^ hi));
}

DnsCache::DnsCache(DnsCacheConfig config)
    : config_(config),
      index_(0, KeyHash{(uint64_t{std::random_device{}()} << 32) | std::random_device{}()}) {
  config_.ttl_cap_s = std::max(config_.ttl_cap_s, config_.ttl_floor_s);
}

size_t DnsCache::string_heap_bytes(const std::string& s) {
  // Short strings live inside the object (small-string optimisation).
  const auto* self = reinterpret_cast<const char*>(&s);
  if (s.data() >= self && s.data() < self + sizeof s) return 0;
  return malloc_chunk(s.capacity() + 1);
}

void DnsCache::add(uint64_t scope, const DnsMessage& m, uint64_t now_s, NameSource source) {
  if (config_.max_entries == 0) return;
  if (!m.is_response || m.opcode != 0 || m.rcode != dns_rcode::noerror || m.answers.empty()) {
    return;
  }

  // The chain the client's resolver followed: question -> CNAME -> ... Each
  // hop is looked up among at most max_answers records and the chain stops
  // at max_chain_depth or at a name already on it (a loop), so a hostile
  // response costs O(answers * depth) at worst.
  std::vector<ChainLink> chain;
  if (!m.question.empty()) {
    chain.push_back({m.question, UINT32_MAX});
    while (chain.size() <= config_.max_chain_depth) {
      const ChainLink last = chain.back();  // a copy: push_back below may reallocate
      const auto hop = std::find_if(m.answers.begin(), m.answers.end(), [&](const DnsRecord& r) {
        return r.type == dns_type::cname && r.name == last.name;
      });
      if (hop == m.answers.end()) break;
      const bool loops = std::any_of(chain.begin(), chain.end(),
                                     [&](const ChainLink& l) { return l.name == hop->target; });
      if (loops) break;
      chain.push_back({hop->target, std::min(last.ttl, hop->ttl)});
    }
  }

  for (const DnsRecord& r : m.answers) {
    if (r.type != dns_type::a && r.type != dns_type::aaaa) continue;
    const IpAddress address = r.address.unmapped();
    if (!address.is_set() || r.name.empty()) continue;

    std::string_view fqdn = r.name, canonical;
    uint32_t ttl = r.ttl;
    if (!chain.empty()) {
      // With a question, only the records its chain reaches: a stub resolver
      // ignores the others, so the client cannot connect to them by name.
      const auto link = std::find_if(chain.begin(), chain.end(),
                                     [&](const ChainLink& l) { return l.name == r.name; });
      if (link == chain.end()) continue;
      fqdn = m.question;
      if (link != chain.begin()) canonical = r.name;
      ttl = std::min(ttl, link->ttl);
    }
    ttl = std::clamp(ttl, config_.ttl_floor_s, config_.ttl_cap_s);
    insert(Key{scope, address}, fqdn, canonical, now_s + ttl, source);
  }
}

void DnsCache::insert(const Key& key, std::string_view fqdn, std::string_view canonical,
                      uint64_t expires_s, NameSource source) {
  auto found = index_.find(key);
  if (found != index_.end()) {
    Entry& e = *found->second;
    string_bytes_ -= string_heap_bytes(e.name.fqdn) + string_heap_bytes(e.name.canonical);
    e.name.fqdn.assign(fqdn);
    e.name.canonical.assign(canonical);
    e.name.source = source;
    e.expires_s = expires_s;
    string_bytes_ += string_heap_bytes(e.name.fqdn) + string_heap_bytes(e.name.canonical);
    lru_.splice(lru_.begin(), lru_, found->second);
    return;
  }
  while (index_.size() >= config_.max_entries && !lru_.empty()) {
    erase(std::prev(lru_.end()));
    ++evictions_;
  }
  lru_.push_front(
      Entry{key, DnsName{std::string(fqdn), source, std::string(canonical)}, expires_s});
  string_bytes_ +=
      string_heap_bytes(lru_.front().name.fqdn) + string_heap_bytes(lru_.front().name.canonical);
  index_.emplace(key, lru_.begin());
}

void DnsCache::erase(Lru::iterator it) {
  string_bytes_ -= string_heap_bytes(it->name.fqdn) + string_heap_bytes(it->name.canonical);
  index_.erase(it->key);
  lru_.erase(it);
}

const DnsName* DnsCache::find(uint64_t scope, const IpAddress& address, uint64_t now_s) {
  const IpAddress a = address.unmapped();
  if (!a.is_set()) return nullptr;
  for (const uint64_t s : {scope, uint64_t{0}}) {
    auto found = index_.find(Key{s, a});
    if (found != index_.end()) {
      if (now_s < found->second->expires_s) {
        lru_.splice(lru_.begin(), lru_, found->second);
        hits_++;
        return &found->second->name;
      }
      erase(found->second);  // expired: free the room now rather than at eviction
    }
    if (s == 0) break;  // scope 0 was the one asked for: no separate fallback
  }
  misses_++;
  return nullptr;
}

std::optional<DnsName> DnsCache::lookup(uint64_t scope, const IpAddress& address, uint64_t now_s) {
  const DnsName* name = find(scope, address, now_s);
  if (!name) return std::nullopt;
  return *name;
}

size_t DnsCache::memory_bytes() const {
  // Node sizes as libstdc++ lays them out: a list node is two links plus the
  // value; a hash node is a link, the value and the cached hash code.
  constexpr size_t list_node = 2 * sizeof(void*) + sizeof(Entry);
  constexpr size_t hash_node =
      sizeof(void*) + sizeof(std::pair<const Key, Lru::iterator>) + sizeof(size_t);
  return index_.size() * (malloc_chunk(list_node) + malloc_chunk(hash_node)) +
         index_.bucket_count() * sizeof(void*) + string_bytes_;
}

}  // namespace procflow
