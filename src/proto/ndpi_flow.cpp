#include "proto/ndpi_flow.h"

#include <arpa/inet.h>
#include <ndpi_api.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "proto/ndpi_engine.h"

namespace procflow {

namespace {

constexpr size_t ipv4_header = 20, ipv6_header = 40, tcp_header = 20, udp_header = 8;
// ndpi_detection_process_packet takes an unsigned short length.
constexpr size_t max_packet = 65535;

void put16(uint8_t* at, uint16_t value) {
  at[0] = static_cast<uint8_t>(value >> 8);
  at[1] = static_cast<uint8_t>(value & 0xff);
}

void put32(uint8_t* at, uint32_t value) {
  put16(at, static_cast<uint16_t>(value >> 16));
  put16(at + 2, static_cast<uint16_t>(value & 0xffff));
}

}  // namespace

namespace {
// The library's own idea of the flow's size wins over the header's, in case
// the installed headers and library were ever built with different options.
size_t flow_struct_size() {
  return std::max<size_t>(SIZEOF_FLOW_STRUCT, ndpi_detection_get_sizeof_ndpi_flow_struct());
}
}  // namespace

NdpiFlow::NdpiFlow(NdpiEngine& engine)
    : engine_(engine), flow_(static_cast<ndpi_flow_struct*>(ndpi_flow_malloc(flow_struct_size()))) {
  if (flow_ == nullptr) throw std::bad_alloc();
  std::memset(flow_, 0, flow_struct_size());  // nDPI expects a zeroed flow
}

NdpiFlow::~NdpiFlow() {
  ndpi_free_flow(flow_);
}

size_t NdpiFlow::build_packet(const PacketView& packet) {
  bool tcp = packet.transport == ip_proto_tcp;
  size_t l3 = packet.src.family == 4 ? ipv4_header : ipv6_header;
  size_t l4 = tcp ? tcp_header : udp_header;
  size_t payload = std::min(packet.payload.size(), max_packet - l3 - l4);
  size_t total = l3 + l4 + payload;
  std::vector<uint8_t>& buffer = engine_.packet_buffer();
  buffer.assign(total, 0);
  uint8_t* p = buffer.data();

  if (packet.src.family == 4) {
    p[0] = 0x45;  // version 4, 5 words
    put16(p + 2, static_cast<uint16_t>(total));
    p[6] = 0x40;  // don't fragment
    p[8] = 64;    // TTL
    p[9] = packet.transport;
    std::memcpy(p + 12, packet.src.bytes.data(), 4);
    std::memcpy(p + 16, packet.dst.bytes.data(), 4);
  } else {
    p[0] = 0x60;
    put16(p + 4, static_cast<uint16_t>(total - ipv6_header));
    p[6] = packet.transport;
    p[7] = 64;
    std::memcpy(p + 8, packet.src.bytes.data(), 16);
    std::memcpy(p + 24, packet.dst.bytes.data(), 16);
  }

  uint8_t* l4p = p + l3;
  put16(l4p, packet.sport);
  put16(l4p + 2, packet.dport);
  if (tcp) {
    // Sequence numbers continue per direction, so nDPI's connection tracking
    // sees an in-order stream.
    bool forward = !seen_packet_ || (packet.src == first_src_ && packet.sport == first_sport_);
    if (!seen_packet_) {
      seen_packet_ = true;
      first_src_ = packet.src;
      first_sport_ = packet.sport;
    }
    uint32_t& seq = next_seq_[forward ? 0 : 1];
    put32(l4p + 4, seq);
    put32(l4p + 8, next_seq_[forward ? 1 : 0]);
    seq += static_cast<uint32_t>(payload);
    l4p[12] = 5 << 4;  // data offset: 5 words
    l4p[13] = tcp_flag::ack | tcp_flag::psh;
    put16(l4p + 14, 65535);  // window
  } else {
    put16(l4p + 4, static_cast<uint16_t>(udp_header + payload));
  }
  if (payload) std::memcpy(l4p + l4, packet.payload.data(), payload);
  return total;
}

void NdpiFlow::feed(const PacketView& packet) {
  if (settled() || packet.payload.empty()) return;
  if (packet.transport != ip_proto_tcp && packet.transport != ip_proto_udp) return;
  if (!packet.src.is_set() || packet.src.family != packet.dst.family) return;
  size_t length = build_packet(packet);
  ndpi_protocol result =
      ndpi_detection_process_packet(engine_.module(), flow_, engine_.packet_buffer().data(),
                                    static_cast<unsigned short>(length), packet.time_ms);
  record(result.master_protocol, result.app_protocol);
}

void NdpiFlow::record(uint16_t master, uint16_t app) {
  if (master != NDPI_PROTOCOL_UNKNOWN) master_ = master;
  if (app != NDPI_PROTOCOL_UNKNOWN) app_ = app;
}

bool NdpiFlow::settled() const {
  if (gave_up_) return true;
  if (master_ == NDPI_PROTOCOL_UNKNOWN && app_ == NDPI_PROTOCOL_UNKNOWN) return false;
  return ndpi_extra_dissection_possible(engine_.module(), flow_) == 0;
}

void NdpiFlow::give_up() {
  if (gave_up_) return;
  gave_up_ = true;
  uint8_t guessed = 0;
  ndpi_protocol result = ndpi_detection_giveup(engine_.module(), flow_, 1, &guessed);
  if (guessed) {
    uint16_t id = result.master_protocol != NDPI_PROTOCOL_UNKNOWN ? result.master_protocol
                                                                  : result.app_protocol;
    if (id != NDPI_PROTOCOL_UNKNOWN && master_ == 0 && app_ == 0)
      port_guess_ = ndpi_get_proto_name(engine_.module(), id);
    return;
  }
  record(result.master_protocol, result.app_protocol);
}

std::string NdpiFlow::protocol() const {
  uint16_t id = master_ != NDPI_PROTOCOL_UNKNOWN ? master_ : app_;
  if (id == NDPI_PROTOCOL_UNKNOWN) return {};
  const char* name = ndpi_get_proto_name(engine_.module(), id);
  return name ? name : "";
}

std::string NdpiFlow::server_name() const {
  const char* name = flow_->host_server_name;
  return std::string(name, strnlen(name, sizeof flow_->host_server_name));
}

}  // namespace procflow
