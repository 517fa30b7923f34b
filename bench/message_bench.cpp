// Userspace cost of `message` events (issue 11): one HTTP request/response
// exchange and one TLS ClientHello through a flow's conversation (assembly,
// nDPI, decoding, redaction, content escaping), per message. Run:
//   build/bench/message_bench
#include <benchmark/benchmark.h>

#include <string>

#include "flow/flow_conversation.h"
#include "proto/ndpi_engine.h"

namespace procflow {
namespace {

const std::string kRequest =
    "GET /index.html?q=1 HTTP/1.1\r\nHost: www.example.test\r\nUser-Agent: curl/7.88.1\r\n"
    "Accept: */*\r\nCookie: session=0123456789abcdef\r\n\r\n";
const std::string kResponse =
    "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\n"
    "Content-Length: 612\r\n\r\n<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome</title>";

PayloadChunk chunk(const std::string& bytes, bool from_client, uint16_t turn) {
  PayloadChunk c;
  const IpAddress client = *IpAddress::parse("10.0.0.2");
  const IpAddress server = *IpAddress::parse("10.0.0.1");
  c.src = from_client ? client : server;
  c.dst = from_client ? server : client;
  c.sport = from_client ? 40000 : 80;
  c.dport = from_client ? 80 : 40000;
  c.turn = turn;
  c.turn_start = true;
  c.wire_len = static_cast<uint32_t>(bytes.size());
  c.bytes = {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()};
  return c;
}

// A new flow per iteration: request and response as two messages, then the
// flow's end (nDPI gives up if it has not settled).
void exchange(benchmark::State& state, NdpiEngine* ndpi) {
  ConversationSettings settings{.options = {}, .ndpi = ndpi};
  std::vector<FlowMessage> out;
  const PayloadChunk request = chunk(kRequest, true, 0);
  const PayloadChunk response = chunk(kResponse, false, 0);
  uint64_t t = 1'000'000;
  for (auto _ : state) {
    FlowConversation conversation(settings, true);
    t += 1000;
    PayloadChunk a = request, b = response;
    a.ktime_ns = t;
    b.ktime_ns = t + 500;
    conversation.add_wire(a, MessageDirection::out, out);
    conversation.add_wire(b, MessageDirection::in, out);
    conversation.finish(out);
    benchmark::DoNotOptimize(out.data());
    out.clear();
  }
  state.counters["messages/s"] = benchmark::Counter(2.0 * static_cast<double>(state.iterations()),
                                                    benchmark::Counter::kIsRate);
}

void BM_HttpExchangeWithNdpi(benchmark::State& state) {
  std::string error;
  auto ndpi = NdpiEngine::create(&error);
  if (!ndpi) {
    state.SkipWithError(error.c_str());
    return;
  }
  exchange(state, ndpi.get());
}
BENCHMARK(BM_HttpExchangeWithNdpi);

void BM_HttpExchangeDecodersOnly(benchmark::State& state) {
  exchange(state, nullptr);
}
BENCHMARK(BM_HttpExchangeDecodersOnly);

}  // namespace
}  // namespace procflow

BENCHMARK_MAIN();
