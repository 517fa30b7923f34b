// DNS naming costs (issue 3 asks for both numbers): the parse rate of a
// realistic response in answers/s, and the DnsCache's memory per 100k names.
//
// The response is shaped like the CDN answers in the shared captures (e.g.
// android.clients.google.com in dns_ambiguous_names.pcap): one CNAME then 16
// A records, with an EDNS OPT record, encoded by ldns with name compression.
// The cache is filled with 100k distinct addresses named like real traffic:
// half plain answers, half behind a CNAME (so they keep a canonical name too).
// Before ldns, in a block of its own so include sorting keeps it first:
// without it ldns/common.h defines `true`, `false` and `bool` as macros in
// C++, which breaks standard headers included after it.
#include <stdbool.h>  // NOLINT(modernize-deprecated-headers)

#include <ldns/ldns.h>
#include <malloc.h>
#include <unistd.h>

#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "dns/dns_message.h"
#include "enrich/dns_cache.h"

namespace procflow {
namespace {

constexpr int kAddresses = 16;
constexpr size_t kNames = 100'000;

std::vector<uint8_t> realistic_response() {
  ldns_pkt* pkt = ldns_pkt_new();
  ldns_pkt_set_id(pkt, 0x5eed);
  ldns_pkt_set_qr(pkt, true);
  ldns_pkt_set_rd(pkt, true);
  ldns_pkt_set_ra(pkt, true);
  ldns_rr* rr = nullptr;
  ldns_rr_new_question_frm_str(&rr, "android.clients.google.com. IN A", nullptr, nullptr);
  ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, rr);
  ldns_rr_new_frm_str(&rr, "android.clients.google.com. 287 IN CNAME android.l.google.com.", 0,
                      nullptr, nullptr);
  ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr);
  for (int i = 0; i < kAddresses; ++i) {
    const std::string text = "android.l.google.com. 287 IN A 74.125.131." + std::to_string(100 + i);
    ldns_rr_new_frm_str(&rr, text.c_str(), 0, nullptr, nullptr);
    ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr);
  }
  ldns_pkt_set_edns_udp_size(pkt, 1232);  // makes ldns emit an OPT record
  uint8_t* wire = nullptr;
  size_t size = 0;
  if (ldns_pkt2wire(&wire, pkt, &size) != LDNS_STATUS_OK) std::abort();
  std::vector<uint8_t> out(wire, wire + size);
  std::free(wire);
  ldns_pkt_free(pkt);
  return out;
}

IpAddress nth_address(size_t i) {
  const uint8_t v4[4] = {10, uint8_t(i >> 16), uint8_t(i >> 8), uint8_t(i)};
  return IpAddress::v4(v4);
}

// Half the names are plain, half sit behind a CNAME, as in the captures.
DnsMessage nth_answer(size_t i) {
  DnsMessage m;
  m.is_response = true;
  m.question = "host-" + std::to_string(i) + ".service.example.com";  // ~28 chars
  DnsRecord a;
  a.type = dns_type::a;
  a.ttl = 300;
  a.address = nth_address(i);
  a.name = m.question;
  if (i % 2) {
    DnsRecord c;
    c.type = dns_type::cname;
    c.ttl = 300;
    c.name = m.question;
    c.target = "edge-" + std::to_string(i) + ".cdn-provider.example.net";  // ~33 chars
    a.name = c.target;
    m.answers.push_back(c);
  }
  m.answers.push_back(a);
  return m;
}

long rss_bytes() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * sysconf(_SC_PAGESIZE);
}

size_t heap_in_use() {
  const struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

// Memory of a cache holding 100k names: memory_bytes() (the cache's own
// estimate), the malloc heap in use and the RSS growth, all per 100k names.
void BM_CacheMemoryPer100kNames(benchmark::State& state) {
  std::vector<DnsMessage> answers;
  answers.reserve(kNames);
  for (size_t i = 0; i < kNames; ++i) answers.push_back(nth_answer(i));
  for (auto _ : state) {
    malloc_trim(0);
    const long rss_before = rss_bytes();
    const size_t heap_before = heap_in_use();
    auto cache = std::make_unique<DnsCache>();
    for (const auto& m : answers) cache->add(0, m, 1);
    state.counters["memory_bytes"] = static_cast<double>(cache->memory_bytes());
    state.counters["heap_delta"] = static_cast<double>(heap_in_use() - heap_before);
    state.counters["rss_delta"] = static_cast<double>(rss_bytes() - rss_before);
    state.counters["entries"] = static_cast<double>(cache->size());
    state.counters["bytes/entry"] =
        static_cast<double>(cache->memory_bytes()) / static_cast<double>(cache->size());
    state.PauseTiming();
    cache.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kNames));
}
// Registered first and run once, so the RSS delta is not hidden by memory an
// earlier benchmark freed.
BENCHMARK(BM_CacheMemoryPer100kNames)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_ParseResponse(benchmark::State& state) {
  const auto wire = realistic_response();
  size_t answers = 0;
  for (auto _ : state) {
    auto m = parse_dns_message(wire, nullptr);
    if (!m) state.SkipWithError("does not parse");
    answers += m->answers.size();
    benchmark::DoNotOptimize(m);
  }
  // items = answer records (the A records and the CNAME): answers/s.
  state.SetItemsProcessed(static_cast<int64_t>(answers));
  state.counters["messages/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["bytes"] = static_cast<double>(wire.size());
}
BENCHMARK(BM_ParseResponse);

void BM_ParseAndCache(benchmark::State& state) {
  const auto wire = realistic_response();
  DnsCache cache;
  uint64_t now = 0;
  size_t answers = 0;
  for (auto _ : state) {
    auto m = parse_dns_message(wire, nullptr);
    cache.add(0, *m, ++now);
    answers += m->answers.size();
  }
  state.SetItemsProcessed(static_cast<int64_t>(answers));
}
BENCHMARK(BM_ParseAndCache);

void BM_CacheLookupHit(benchmark::State& state) {
  DnsCache cache;
  for (size_t i = 0; i < kNames; ++i) cache.add(0, nth_answer(i), 1);
  size_t i = 0;
  for (auto _ : state) {
    // A container's namespace asking for names learned on the host: the
    // scope misses, the scope-0 fallback hits (the dearer of the two paths).
    const DnsName* name = cache.find(4026531840, nth_address(i++ % kNames), 2);
    benchmark::DoNotOptimize(name);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CacheLookupHit);

}  // namespace
}  // namespace procflow

BENCHMARK_MAIN();
