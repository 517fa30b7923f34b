#include "flow/flow_conversation.h"

#include <algorithm>

namespace procflow {
namespace {

constexpr uint64_t kDuplicateWindowNs = 100'000'000;
constexpr uint64_t kProtocolWaitNs = 1'000'000'000;

size_t index_of(MessageDirection d) {
  return d == MessageDirection::out ? 0 : 1;
}

}  // namespace

FlowConversation::FlowConversation(const ConversationSettings& settings, bool local_initiated)
    : settings_(settings),
      local_initiated_(local_initiated),
      wire_(settings.options.bytes),
      plaintext_(settings.options.bytes),
      inspector_(InspectorOptions{.redact = settings.options.redact}) {
  if (settings.ndpi) ndpi_ = std::make_unique<NdpiFlow>(*settings.ndpi);
}

void FlowConversation::classify(const PayloadChunk& c) {
  if (!ndpi_) return;
  ndpi_->feed(PacketView{.src = c.src,
                         .dst = c.dst,
                         .sport = c.sport,
                         .dport = c.dport,
                         .transport = c.transport,
                         .payload = c.bytes,
                         .time_ms = c.ktime_ns / 1'000'000});
  if (protocol_.empty()) protocol_ = ndpi_->protocol();
  if (ndpi_->settled()) {
    protocol_ = ndpi_->protocol();
    ndpi_.reset();  // its state is a few KiB: gone once it has answered
  }
}

void FlowConversation::add_wire(const PayloadChunk& c, MessageDirection d,
                                std::vector<FlowMessage>& out) {
  Recent& recent = recent_[index_of(d)];
  if (c.from_dns_capture) {
    const bool same =
        c.ktime_ns - recent.ktime_ns < kDuplicateWindowNs &&
        std::equal(c.bytes.begin(), c.bytes.end(), recent.bytes.begin(), recent.bytes.end());
    if (same) return;  // the same message on a second interface
    recent.ktime_ns = c.ktime_ns;
    recent.bytes.assign(c.bytes.begin(), c.bytes.end());
  }
  classify(c);
  std::optional<uint64_t> end;
  if (c.stream_offset) end = uint64_t{*c.stream_offset} + c.wire_len;
  wire_.add(ChunkView{.direction = d,
                      .turn = c.turn,
                      .turn_start = c.turn_start,
                      .cut = c.cut,
                      .ktime_ns = c.ktime_ns,
                      .stream_end = end,
                      .bytes = c.bytes},
            done_);
  describe(done_, ContentSource::wire, out);
}

void FlowConversation::add_plaintext(MessageDirection d, bool turn_start, uint64_t ktime_ns,
                                     std::span<const uint8_t> bytes, bool truncated,
                                     std::vector<FlowMessage>& out) {
  // The kernel marks where each turn starts; that is all the assembler needs.
  plaintext_.add(ChunkView{.direction = d,
                           .turn_start = turn_start,
                           .cut = truncated,
                           .ktime_ns = ktime_ns,
                           .bytes = bytes},
                 done_);
  describe(done_, ContentSource::tls_plaintext, out);
}

void FlowConversation::flush_idle(uint64_t now_ns, std::vector<FlowMessage>& out) {
  wire_.flush_idle(now_ns, settings_.idle_ns, done_);
  describe(done_, ContentSource::wire, out);
  plaintext_.flush_idle(now_ns, settings_.idle_ns, done_);
  describe(done_, ContentSource::tls_plaintext, out);
  if (!waiting_.empty() && now_ns >= waiting_since_ns_ + kProtocolWaitNs)
    release_waiting(true, out);
}

void FlowConversation::queue(FlowMessage&& m, std::vector<FlowMessage>& out) {
  if (waiting_.empty() && !m.application_protocol.empty()) {
    out.push_back(std::move(m));
    return;
  }
  if (waiting_.empty()) waiting_since_ns_ = m.ktime_ns;
  waiting_.push_back(std::move(m));
}

void FlowConversation::release_waiting(bool force, std::vector<FlowMessage>& out) {
  const std::string& name = !protocol_.empty() ? protocol_ : guessed_;
  if (waiting_.empty() || (name.empty() && !force)) return;
  for (FlowMessage& m : waiting_) {
    if (m.application_protocol.empty()) m.application_protocol = name;
    out.push_back(std::move(m));
  }
  waiting_.clear();
}

void FlowConversation::finish(std::vector<FlowMessage>& out) {
  if (ndpi_) {
    ndpi_->give_up();
    protocol_ = ndpi_->protocol();
    ndpi_.reset();
  }
  wire_.flush(done_);
  describe(done_, ContentSource::wire, out);
  plaintext_.flush(done_);
  describe(done_, ContentSource::tls_plaintext, out);
  if (protocol_.empty()) protocol_ = guessed_;
  release_waiting(true, out);
}

void FlowConversation::describe(std::vector<AssembledMessage>& done, ContentSource source,
                                std::vector<FlowMessage>& out) {
  for (AssembledMessage& m : done) {
    // --messages first: one per direction (and source); all: max_turns. The
    // kernel bounds its turns too, but a DNS socket's every message is one.
    uint16_t& count = messages_[source == ContentSource::wire ? 0 : 1][index_of(m.direction)];
    if (count >= settings_.options.kernel_turns()) continue;
    count++;
    FlowMessage fm;
    fm.direction = m.direction;
    fm.source = source;
    fm.ktime_ns = m.first_ns;
    fm.truncated = m.truncated;
    const bool from_initiator = (m.direction == MessageDirection::out) == local_initiated_;
    // The plaintext of a TLS flow is described as what it carries (HTTP...).
    const std::string_view known = source == ContentSource::wire ? protocol_ : std::string_view();
    fm.facts = inspector_.inspect(MessageView{.direction = m.direction,
                                              .from_initiator = from_initiator,
                                              .bytes = m.bytes,
                                              .truncated = m.truncated},
                                  known);
    if (source == ContentSource::wire && guessed_.empty()) guessed_ = fm.facts.guessed_protocol;
    fm.application_protocol = !protocol_.empty() ? protocol_ : guessed_;
    if (m.stream_end) {
      // This message's direction up to its end; the other up to the end of
      // its last message (what it said since is not in this one's view).
      reported_end_[index_of(m.direction)] = m.stream_end;
      fm.out_bytes = reported_end_[0];
      fm.in_bytes = reported_end_[1];
    }
    queue(std::move(fm), out);
  }
  done.clear();
  release_waiting(false, out);
}

}  // namespace procflow
