// libFuzzer target: arbitrary bytes as a DNS message (UDP), as a DNS-over-TCP
// stream, and without the question requirement (mDNS); whatever parses is fed
// to a small DnsCache and looked up again, and the question's text is
// compared with ldns's own printing of it. Traps on any broken invariant, so
// the fuzzer reports logic errors as well as memory errors.
// Before ldns, in a block of its own (see src/dns/dns_message.cpp).
#include <stdbool.h>  // NOLINT(modernize-deprecated-headers)

#include <ldns/ldns.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "dns/dns_message.h"
#include "enrich/dns_cache.h"

namespace {

using procflow::DnsCache;
using procflow::DnsCacheConfig;
using procflow::DnsMessage;
using procflow::DnsParseLimits;

// Small, so eviction and the expired-entry path run all the time.
DnsCache& cache() {
  static DnsCache c([] {
    DnsCacheConfig config;
    config.max_entries = 64;
    config.max_chain_depth = 8;
    return config;
  }());
  return c;
}

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void check_message(const DnsMessage& m, const DnsParseLimits& limits) {
  check(m.answers.size() <= limits.max_answers);
  check(m.question.size() <= limits.max_name_length);
  // No check for a trailing dot: a label may end in an escaped dot, which
  // ldns prints as backslash-dot.
  for (const auto& r : m.answers) {
    check(r.name.size() <= limits.max_name_length && r.target.size() <= limits.max_name_length);
    for (char c : r.name) check(c < 'A' || c > 'Z');
    check(r.address.is_set() == (r.type != procflow::dns_type::cname));
  }
}

void use(const DnsMessage& m, const DnsParseLimits& limits, uint64_t now) {
  check_message(m, limits);
  const uint64_t scope = m.id & 3;  // a few namespaces, scope 0 among them
  cache().add(scope, m, now);
  for (const auto& r : m.answers) {
    if (!r.address.is_set()) continue;
    if (const auto* name = cache().find(scope, r.address, now)) {
      check(!name->fqdn.empty());
    }
  }
  check(cache().size() <= 64);
}

// Differential check of our name printer: the question as ldns itself
// prints it, lowercased and without the root's dot, must be what we produced.
void check_question_against_ldns(std::span<const uint8_t> bytes, const DnsMessage& m) {
  ldns_pkt* pkt = nullptr;
  check(ldns_wire2pkt(&pkt, bytes.data(), bytes.size()) == LDNS_STATUS_OK);
  const ldns_rr_list* questions = ldns_pkt_question(pkt);
  check(questions && ldns_rr_list_rr_count(questions) > 0);
  char* text = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(questions, 0)));
  check(text != nullptr);
  std::string expected(text);
  std::free(text);
  ldns_pkt_free(pkt);
  if (!expected.empty() && expected.back() == '.') expected.pop_back();
  for (char& c : expected) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  check(expected == m.question);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static uint64_t now = 0;
  now += 7;  // time moves, so TTLs (floor 60 s) expire within a run
  const std::span<const uint8_t> bytes(data, size);

  const DnsParseLimits unicast;
  if (auto m = procflow::parse_dns_message(bytes, nullptr, unicast)) use(*m, unicast, now);

  DnsParseLimits lenient;  // long enough for any name, however escaped
  lenient.max_name_length = 4 * LDNS_MAX_DOMAINLEN;
  if (auto m = procflow::parse_dns_message(bytes, nullptr, lenient)) {
    check_message(*m, lenient);
    check_question_against_ldns(bytes, *m);
  }

  DnsParseLimits mdns;
  mdns.require_question = false;
  mdns.max_answers = 8;
  mdns.max_name_length = 40;
  if (auto m = procflow::parse_dns_message(bytes, nullptr, mdns)) use(*m, mdns, now);

  // As a TCP stream: consecutive length-prefixed messages.
  std::span<const uint8_t> rest = bytes;
  for (int i = 0; i < 16 && !rest.empty(); ++i) {
    size_t consumed = 0;
    auto m = procflow::parse_dns_over_tcp(rest, nullptr, &consumed, unicast);
    if (consumed == 0) break;
    check(consumed <= rest.size());
    if (m) use(*m, unicast, now);
    rest = rest.subspan(consumed);
  }
  return 0;
}
