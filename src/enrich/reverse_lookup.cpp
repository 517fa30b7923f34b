// ReverseLookup: c-ares sends the PTR queries (resolv.conf, retries, TCP on
// truncation, query ids and source ports); ldns, the parser the rest of
// procflow's DNS code uses, reads the answers because c-ares 1.18's PTR
// parser does not report TTLs.
#include "enrich/reverse_lookup.h"
#include "util/hash_mix.h"

// Before ldns, in a block of its own so include sorting keeps it first:
// without it ldns/common.h defines `true`, `false` and `bool` as macros in
// C++, which breaks standard headers included after it.
#include <stdbool.h>  // NOLINT(modernize-deprecated-headers)

#include <ares.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <mutex>
#include <random>
#include <type_traits>

namespace procflow {
namespace {

static_assert(std::is_same_v<ares_socket_t, int>, "c-ares sockets are file descriptors on Linux");

constexpr int kClassIn = 1;   // RFC 1035 3.2.4
constexpr int kTypePtr = 12;  // RFC 1035 3.2.2
// CNAME hops followed from the question to the PTR (RFC 2317 delegation uses
// one; resolvers give up around 8-16).
constexpr size_t kMaxChain = 8;

bool is_unspecified(const IpAddress& a) {
  return std::all_of(a.bytes.begin(), a.bytes.begin() + a.size(), [](uint8_t b) { return b == 0; });
}

// The name a PTR query asks for: the address's bytes (IPv4) or nibbles (IPv6)
// in reverse order under in-addr.arpa / ip6.arpa (RFC 1035 3.5, RFC 3596 2.5).
std::string arpa_name(const IpAddress& a) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  if (a.family == 4) {
    for (int i = 3; i >= 0; --i) out += std::to_string(a.bytes[i]) + '.';
    out += "in-addr.arpa";
  } else {
    out.reserve(64 + 8);
    for (int i = 15; i >= 0; --i) {
      out += kHex[a.bytes[i] & 0xf];
      out += '.';
      out += kHex[a.bytes[i] >> 4];
      out += '.';
    }
    out += "ip6.arpa";
  }
  return out;
}

// A PTR target as flows show it: lowercase labels joined by dots, no trailing
// dot, at most kMaxNameLength characters. The reverse zone is the address
// holder's to fill, so the text is chosen by the remote party: anything but
// host-name characters (letters, digits, '-', '_') is refused rather than
// escaped, which keeps control bytes, spaces, quotes and look-alike
// punctuation out of every output format.
bool host_name(const ldns_rdf* rdf, std::string* out) {
  if (!rdf || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME) return false;
  const uint8_t* data = ldns_rdf_data(rdf);
  const size_t size = ldns_rdf_size(rdf);
  if (!data || size == 0 || size > LDNS_MAX_DOMAINLEN) return false;
  out->clear();
  size_t pos = 0;
  while (pos < size && data[pos] != 0) {
    const size_t length = data[pos++];
    if (length > LDNS_MAX_LABELLEN || length > size - pos) return false;
    if (!out->empty()) out->push_back('.');
    for (size_t i = 0; i < length; ++i) {
      const char c = static_cast<char>(data[pos + i]);
      if (c >= 'A' && c <= 'Z') {
        out->push_back(static_cast<char>(c - 'A' + 'a'));  // names compare case-insensitively
      } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
        out->push_back(c);
      } else {
        return false;
      }
    }
    pos += length;
    if (out->size() > ReverseLookup::kMaxNameLength) return false;
  }
  // Not the root (an empty name names nothing), and properly terminated.
  return !out->empty() && pos < size && data[pos] == 0;
}

struct PktFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};

// The PTR name the reply gives for its question, following CNAMEs (RFC 2317
// classless delegation), and the smallest TTL along the way (the mapping
// holds only while every hop does). The first usable PTR in wire order wins:
// an address with several names gets the one a resolver library would give.
// False when the reply holds no usable PTR for the question.
bool ptr_from_reply(const unsigned char* reply, int length, std::string* name, uint32_t* ttl) {
  if (!reply || length <= 0) return false;
  ldns_pkt* raw = nullptr;
  const ldns_status status = ldns_wire2pkt(&raw, reply, static_cast<size_t>(length));
  std::unique_ptr<ldns_pkt, PktFree> pkt(raw);
  if (status != LDNS_STATUS_OK || !pkt) return false;
  const ldns_rr_list* questions = ldns_pkt_question(pkt.get());
  const ldns_rr_list* answers = ldns_pkt_answer(pkt.get());
  if (!questions || ldns_rr_list_rr_count(questions) == 0 || !answers) return false;

  const ldns_rdf* owner = ldns_rr_owner(ldns_rr_list_rr(questions, 0));
  uint32_t smallest = UINT32_MAX;
  const size_t count = ldns_rr_list_rr_count(answers);
  // Each hop scans the answers once: O(answers * kMaxChain) for any reply.
  for (size_t hop = 0; owner && hop <= kMaxChain; ++hop) {
    const ldns_rdf* next = nullptr;
    uint32_t next_ttl = 0;
    for (size_t i = 0; i < count; ++i) {
      const ldns_rr* rr = ldns_rr_list_rr(answers, i);
      if (!rr || ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN || ldns_rr_rd_count(rr) != 1) continue;
      if (ldns_dname_compare(ldns_rr_owner(rr), owner) != 0) continue;
      // RFC 2181 8: a TTL with the top bit set is to be treated as zero.
      const uint32_t rr_ttl = ldns_rr_ttl(rr) > 0x7fffffffu ? 0 : ldns_rr_ttl(rr);
      if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_PTR) {
        if (host_name(ldns_rr_rdf(rr, 0), name)) {
          *ttl = std::min(smallest, rr_ttl);
          return true;
        }
      } else if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && !next) {
        next = ldns_rr_rdf(rr, 0);
        next_ttl = rr_ttl;
      }
    }
    owner = next;
    smallest = std::min(smallest, next_ttl);
  }
  return false;
}

}  // namespace

// What c-ares carries from ares_query() to on_reply(): c-ares calls the
// callback exactly once per query, also when the channel is destroyed.
struct ReverseLookup::Query {
  ReverseLookup* self;
  IpAddress address;
};

size_t ReverseLookup::AddressHash::operator()(const IpAddress& a) const noexcept {
  uint64_t lo = 0, hi = 0;
  std::memcpy(&lo, a.bytes.data(), 8);
  std::memcpy(&hi, a.bytes.data() + 8, 8);
  // Seeded per object: the addresses come from traffic anyone can send, so
  // bucket placement must not be predictable (hash flooding).
  return static_cast<size_t>(hash_mix(hash_mix(seed ^ lo ^ a.family) ^ hi));
}

ReverseLookup::ReverseLookup(const ReverseLookupConfig& config)
    : config_(config),
      hash_{(uint64_t{std::random_device{}()} << 32) | std::random_device{}()},
      index_(0, hash_),
      pending_(0, hash_),
      tokens_(std::max(1.0, config.max_queries_per_s)) {}

std::unique_ptr<ReverseLookup> ReverseLookup::create(const ReverseLookupConfig& config,
                                                     std::string* error) {
  std::string ignored;
  if (!error) error = &ignored;
  if (!(config.max_queries_per_s > 0) || !std::isfinite(config.max_queries_per_s)) {
    *error = "reverse DNS: max_queries_per_s must be a positive number";
    return nullptr;
  }
  if (config.max_entries == 0 || config.max_pending == 0) {
    *error = "reverse DNS: max_entries and max_pending must be at least 1";
    return nullptr;
  }
  if (config.timeout_ms == 0 || config.tries == 0) {
    *error = "reverse DNS: timeout_ms and tries must be at least 1";
    return nullptr;
  }
  std::unique_ptr<ReverseLookup> self(new ReverseLookup(config));
  if (!self->init(error)) return nullptr;
  return self;
}

bool ReverseLookup::init(std::string* error) {
  // A no-op on Linux in c-ares 1.18, but required by its API, and not
  // thread-safe: once per process.
  static std::once_flag once;
  static int library_status = ARES_SUCCESS;
  std::call_once(once, [] { library_status = ares_library_init(ARES_LIB_INIT_ALL); });
  if (library_status != ARES_SUCCESS) {
    *error = std::string("reverse DNS: c-ares: ") + ares_strerror(library_status);
    return false;
  }

  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    *error = std::string("reverse DNS: epoll_create1: ") + strerror(errno);
    return false;
  }

  ares_options options{};
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  options.sock_state_cb = &ReverseLookup::on_socket_state;
  options.sock_state_cb_data = this;
  options.timeout = static_cast<int>(std::min<uint32_t>(config_.timeout_ms, 600'000));
  options.tries = static_cast<int>(std::min<uint32_t>(config_.tries, 16));
  ares_channel channel = nullptr;
  const int status = ares_init_options(&channel, &options, mask);
  if (status != ARES_SUCCESS) {
    *error = std::string("reverse DNS: c-ares: ") + ares_strerror(status);
    return false;
  }
  channel_ = channel;

  if (!config_.server.empty()) {
    auto server = IpAddress::parse(config_.server);
    if (!server) {
      *error = "reverse DNS: server is not an IP address: " + config_.server;
      return false;
    }
    ares_addr_port_node node{};
    node.next = nullptr;
    if (server->family == 4) {
      node.family = AF_INET;
      std::memcpy(&node.addr.addr4, server->bytes.data(), 4);
    } else {
      node.family = AF_INET6;
      std::memcpy(&node.addr.addr6, server->bytes.data(), 16);
    }
    node.udp_port = config_.port;
    node.tcp_port = config_.port;
    const int set = ares_set_servers_ports(channel_, &node);
    if (set != ARES_SUCCESS) {
      *error = std::string("reverse DNS: c-ares: ") + ares_strerror(set);
      return false;
    }
  }
  return true;
}

ReverseLookup::~ReverseLookup() {
  // Destroying the channel runs every outstanding query's callback (with
  // ARES_EDESTRUCTION, which frees its Query) and closes c-ares' sockets
  // through on_socket_state, so the epoll descriptor must outlive it.
  if (channel_) ares_destroy(channel_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

std::string_view ReverseLookup::cached(const IpAddress& address, uint64_t now_s) {
  const IpAddress key = address.unmapped();
  auto it = index_.find(key);
  if (it == index_.end()) return {};
  if (it->second->expires_s <= now_s) return {};
  // A hit counts as use: names that keep being shown stay cached.
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->name;
}

bool ReverseLookup::take_token(uint64_t now_s) {
  const double capacity = std::max(1.0, config_.max_queries_per_s);
  if (now_s > refilled_s_) {
    tokens_ = std::min(
        capacity, tokens_ + static_cast<double>(now_s - refilled_s_) * config_.max_queries_per_s);
  }
  // A clock that steps back refills nothing until it passes the old time.
  refilled_s_ = std::max(refilled_s_, now_s);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

void ReverseLookup::request(const IpAddress& address, uint64_t now_s) {
  if (!address.is_set()) return;
  const IpAddress key = address.unmapped();
  if (is_unspecified(key)) return;
  if (auto it = index_.find(key); it != index_.end()) {
    if (it->second->expires_s > now_s) return;
    // Expired: forget it, so cached() stays "" until the new answer lands.
    lru_.erase(it->second);
    index_.erase(it);
  }
  if (pending_.count(key)) return;
  // Queue space first: a request that cannot be queued must not use a token.
  if (pending_.size() >= config_.max_pending) {
    dropped_queue_full_++;
    return;
  }
  if (!take_token(now_s)) {
    dropped_rate_limited_++;
    return;
  }
  pending_.insert(key);
  queue_.push_back(key);
}

std::vector<int> ReverseLookup::fds() const {
  std::vector<int> out;
  out.reserve(sockets_.size());
  for (const auto& [fd, events] : sockets_) out.push_back(fd);
  return out;
}

void ReverseLookup::on_socket_state(void* data, int fd, int readable, int writable) {
  auto* self = static_cast<ReverseLookup*>(data);
  const uint32_t events = (readable ? EPOLLIN : 0u) | (writable ? EPOLLOUT : 0u);
  auto it = self->sockets_.find(fd);
  if (events == 0) {
    // c-ares is about to close it. Closing would drop it from the epoll set
    // too, but our map must forget it before the number can be reused.
    if (it != self->sockets_.end()) {
      epoll_ctl(self->epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
      self->sockets_.erase(it);
    }
    return;
  }
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (it == self->sockets_.end()) {
    if (epoll_ctl(self->epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0) self->sockets_[fd] = events;
  } else if (it->second != events) {
    if (epoll_ctl(self->epoll_fd_, EPOLL_CTL_MOD, fd, &ev) == 0) it->second = events;
  }
}

void ReverseLookup::process(uint64_t now_s) {
  now_s_ = now_s;
  // Sent here rather than in request(): sending is a system call (and, on
  // the first query, opening a socket), which the event path must not pay.
  while (!queue_.empty()) {
    const IpAddress address = queue_.front();
    queue_.pop_front();
    queries_sent_++;
    // c-ares may call on_reply before returning (e.g. no server reachable).
    ares_query(channel_, arpa_name(address).c_str(), kClassIn, kTypePtr, &ReverseLookup::on_reply,
               new Query{this, address});
  }

  epoll_event events[16];
  const int n = epoll_wait(epoll_fd_, events, 16, 0);
  for (int i = 0; i < n; ++i) {
    const int fd = events[i].data.fd;
    // An error or hang-up is reported as readable so c-ares reads the error
    // and fails (or retries) the query instead of leaving it to time out.
    const bool readable = events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP);
    const bool writable = events[i].events & EPOLLOUT;
    ares_process_fd(channel_, readable ? fd : ARES_SOCKET_BAD, writable ? fd : ARES_SOCKET_BAD);
  }
  // Timeouts and retries, whether or not any socket was ready.
  ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

void ReverseLookup::on_reply(void* arg, int status, int /*timeouts*/, unsigned char* reply,
                             int length) {
  std::unique_ptr<Query> query(static_cast<Query*>(arg));
  // The channel is going away with the object: nothing left to update.
  if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) return;
  query->self->finish(query->address, status, reply, length);
}

void ReverseLookup::finish(const IpAddress& address, int status, const unsigned char* reply,
                           int length) {
  pending_.erase(address);
  std::string name;
  uint32_t ttl = 0;
  if (status == ARES_SUCCESS && ptr_from_reply(reply, length, &name, &ttl)) {
    answers_++;
    const uint32_t floor = std::min(kMinTtl, config_.positive_ttl_s);
    store(address, std::move(name), std::clamp(ttl, floor, config_.positive_ttl_s));
    return;
  }
  // NXDOMAIN, no PTR, an unusable name, a timeout or a server error alike:
  // remembered for negative_ttl_s so the address is not asked again sooner.
  failures_++;
  store(address, {}, config_.negative_ttl_s);
}

void ReverseLookup::store(const IpAddress& address, std::string name, uint64_t ttl_s) {
  const uint64_t expires = now_s_ + ttl_s;
  if (auto it = index_.find(address); it != index_.end()) {
    it->second->name = std::move(name);
    it->second->expires_s = expires;
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  if (index_.size() >= config_.max_entries) {
    index_.erase(lru_.back().address);
    lru_.pop_back();
    evictions_++;
  }
  lru_.push_front(Entry{address, std::move(name), expires});
  index_.emplace(address, lru_.begin());
}

}  // namespace procflow
