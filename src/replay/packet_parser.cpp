#include "replay/packet_parser.h"

#include <pcap/dlt.h>

#include <algorithm>

namespace procflow {
namespace {

constexpr uint16_t ethertype_ipv4 = 0x0800;
constexpr uint16_t ethertype_ipv6 = 0x86dd;
constexpr uint16_t ethertype_vlan = 0x8100;      // 802.1Q
constexpr uint16_t ethertype_qinq = 0x88a8;      // 802.1ad
constexpr uint16_t ethertype_qinq_old = 0x9100;  // pre-standard QinQ, still seen
constexpr uint16_t ethertype_pppoe_session = 0x8864;
constexpr uint16_t ppp_ipv4 = 0x0021;
constexpr uint16_t ppp_ipv6 = 0x0057;

constexpr size_t ethernet_header = 14;
constexpr size_t sll_header = 16;
constexpr size_t sll2_header = 20;
constexpr size_t vlan_tag = 4;
constexpr size_t pppoe_header = 8;  // 6 bytes of PPPoE, then the 2-byte PPP protocol
constexpr size_t ipv4_min_header = 20;
constexpr size_t ipv6_header = 40;
constexpr size_t tcp_min_header = 20;
constexpr size_t udp_header = 8;

// IPv6 next-header values that are extension headers we can step over.
constexpr uint8_t ipv6_hop_by_hop = 0;
constexpr uint8_t ipv6_routing = 43;
constexpr uint8_t ipv6_fragment = 44;
constexpr uint8_t ipv6_auth = 51;
constexpr uint8_t ipv6_dest_options = 60;
constexpr uint8_t ipv6_mobility = 135;
constexpr uint8_t ipv6_hip = 139;
constexpr uint8_t ipv6_shim6 = 140;

// Reads from the captured bytes only; callers check `has` first.
class Bytes {
 public:
  explicit Bytes(std::span<const uint8_t> data) : data_(data) {}
  bool has(size_t offset, size_t count) const {
    return offset <= data_.size() && count <= data_.size() - offset;
  }
  uint8_t u8(size_t offset) const { return data_[offset]; }
  uint16_t be16(size_t offset) const {
    return static_cast<uint16_t>(data_[offset] << 8 | data_[offset + 1]);
  }
  uint32_t be32(size_t offset) const {
    return uint32_t{data_[offset]} << 24 | uint32_t{data_[offset + 1]} << 16 |
           uint32_t{data_[offset + 2]} << 8 | uint32_t{data_[offset + 3]};
  }
  const uint8_t* at(size_t offset) const { return data_.data() + offset; }
  size_t size() const { return data_.size(); }

 private:
  std::span<const uint8_t> data_;
};

bool is_vlan(uint16_t ethertype) {
  return ethertype == ethertype_vlan || ethertype == ethertype_qinq ||
         ethertype == ethertype_qinq_old;
}

// Steps over VLAN tags and a PPPoE session header starting at *offset, where `ethertype` was
// read just before it. Returns the ethertype of what follows, 0 when that is not IP or the
// tags run past the capture.
uint16_t skip_tags(const Bytes& b, uint16_t ethertype, size_t* offset,
                   const PacketParseLimits& limits, ParseStatus* status) {
  for (size_t tags = 0; is_vlan(ethertype); tags++) {
    if (tags == limits.max_vlan_tags) return 0;
    if (!b.has(*offset, vlan_tag)) {
      *status = ParseStatus::truncated;
      return 0;
    }
    ethertype = b.be16(*offset + 2);
    *offset += vlan_tag;
  }
  if (ethertype == ethertype_pppoe_session) {
    if (!b.has(*offset, pppoe_header)) {
      *status = ParseStatus::truncated;
      return 0;
    }
    const uint16_t ppp = b.be16(*offset + 6);
    *offset += pppoe_header;
    ethertype = ppp == ppp_ipv4 ? ethertype_ipv4 : ppp == ppp_ipv6 ? ethertype_ipv6 : 0;
  }
  return ethertype;
}

// Where the IP packet starts, and which version the link layer says it is (4, 6; 0 = read the
// version nibble, for raw IP). ParseStatus::ok or why not.
ParseStatus find_ip(LinkType link, const Bytes& b, size_t* offset, int* version,
                    const PacketParseLimits& limits) {
  uint16_t ethertype = 0;
  ParseStatus status = ParseStatus::not_ip;
  switch (link) {
    case LinkType::ethernet:
      if (!b.has(0, ethernet_header)) return ParseStatus::truncated;
      *offset = ethernet_header;
      ethertype = skip_tags(b, b.be16(12), offset, limits, &status);
      break;
    case LinkType::linux_sll:
      if (!b.has(0, sll_header)) return ParseStatus::truncated;
      *offset = sll_header;
      ethertype = skip_tags(b, b.be16(14), offset, limits, &status);
      break;
    case LinkType::linux_sll2:
      if (!b.has(0, sll2_header)) return ParseStatus::truncated;
      *offset = sll2_header;
      ethertype = skip_tags(b, b.be16(0), offset, limits, &status);
      break;
    case LinkType::raw_ip:
      *offset = 0;
      *version = 0;
      return ParseStatus::ok;
    case LinkType::unsupported:
      return ParseStatus::not_ip;
  }
  if (ethertype == ethertype_ipv4) {
    *version = 4;
    return ParseStatus::ok;
  }
  if (ethertype == ethertype_ipv6) {
    *version = 6;
    return ParseStatus::ok;
  }
  return status;
}

// The IP layer's result: where the transport header starts and where the IP packet ends (both
// as frame offsets; `end` may lie beyond the captured bytes).
struct IpLayer {
  size_t transport = 0;
  size_t end = 0;
};

ParseStatus parse_ipv4(const Bytes& b, size_t ip, size_t wire_ip, ParsedPacket* out,
                       IpLayer* layer) {
  if (!b.has(ip, ipv4_min_header)) return ParseStatus::truncated;
  if (b.u8(ip) >> 4 != 4) return ParseStatus::malformed;
  const size_t header = (b.u8(ip) & 0x0f) * 4u;
  if (header < ipv4_min_header) return ParseStatus::malformed;
  out->src_ip = IpAddress::v4(b.at(ip + 12));
  out->dest_ip = IpAddress::v4(b.at(ip + 16));
  out->ip_proto = b.u8(ip + 9);
  // Total length 0 is what a sender-side capture of a TSO/GSO super-packet can show: the frame's
  // own length is all there is to go by.
  const size_t total = b.be16(ip + 2);
  if (total != 0 && total < header) return ParseStatus::malformed;
  const size_t ip_bytes = total == 0 ? wire_ip : std::min(total, wire_ip);
  if (ip_bytes < header) return ParseStatus::malformed;
  out->ip_bytes = static_cast<uint32_t>(ip_bytes);
  const uint16_t fragment = b.be16(ip + 6);
  if ((fragment & 0x1fff) != 0) return ParseStatus::ip_fragment;
  out->fragmented = (fragment & 0x2000) != 0;
  if (!b.has(ip, header)) return ParseStatus::truncated;  // options cut by the snap length
  layer->transport = ip + header;
  layer->end = ip + ip_bytes;
  return ParseStatus::ok;
}

bool is_ipv6_extension(uint8_t next) {
  switch (next) {
    case ipv6_hop_by_hop:
    case ipv6_routing:
    case ipv6_fragment:
    case ipv6_auth:
    case ipv6_dest_options:
    case ipv6_mobility:
    case ipv6_hip:
    case ipv6_shim6:
      return true;
  }
  return false;
}

ParseStatus parse_ipv6(const Bytes& b, size_t ip, size_t wire_ip, ParsedPacket* out, IpLayer* layer,
                       const PacketParseLimits& limits) {
  if (!b.has(ip, ipv6_header)) return ParseStatus::truncated;
  if (b.u8(ip) >> 4 != 6) return ParseStatus::malformed;
  out->src_ip = IpAddress::v6(b.at(ip + 8));
  out->dest_ip = IpAddress::v6(b.at(ip + 24));
  // Payload length 0: a jumbogram or a TSO/GSO super-packet; the frame's length is all there is.
  const size_t payload = b.be16(ip + 4);
  const size_t ip_bytes = payload == 0 ? wire_ip : std::min(ipv6_header + payload, wire_ip);
  if (ip_bytes < ipv6_header) return ParseStatus::malformed;
  out->ip_bytes = static_cast<uint32_t>(ip_bytes);
  const size_t end = ip + ip_bytes;
  uint8_t next = b.u8(ip + 6);
  size_t at = ip + ipv6_header;
  for (size_t seen = 0; is_ipv6_extension(next); seen++) {
    if (seen == limits.max_ipv6_extension_headers) {
      out->ip_proto = next;
      return ParseStatus::other_transport;
    }
    // Every extension header is at least 8 bytes, with its next header and length first.
    if (at + 8 > end) return ParseStatus::malformed;
    if (!b.has(at, 8)) return ParseStatus::truncated;
    const uint8_t following = b.u8(at);
    size_t length = 8;
    if (next == ipv6_fragment) {
      const uint16_t offset_flags = b.be16(at + 2);
      if ((offset_flags & 0xfff8) != 0) {
        out->ip_proto = following;
        return ParseStatus::ip_fragment;
      }
      out->fragmented = (offset_flags & 0x0001) != 0;
    } else if (next == ipv6_auth) {
      length = (b.u8(at + 1) + 2u) * 4u;  // AH counts 4-byte words (RFC 4302)
    } else {
      length = (b.u8(at + 1) + 1u) * 8u;
    }
    at += length;
    next = following;
  }
  out->ip_proto = next;
  if (at > end) return ParseStatus::malformed;
  layer->transport = at;
  layer->end = end;
  return ParseStatus::ok;
}

ParseStatus parse_tcp(const Bytes& b, const IpLayer& ip, size_t captured_end, ParsedPacket* out) {
  const size_t wire = ip.end - ip.transport;
  if (wire < tcp_min_header) return ParseStatus::malformed;
  if (!b.has(ip.transport, tcp_min_header)) return ParseStatus::truncated;
  const size_t t = ip.transport;
  out->src_port = b.be16(t);
  out->dest_port = b.be16(t + 2);
  out->tcp_seq = b.be32(t + 4);
  out->tcp_ack = b.be32(t + 8);
  out->tcp_flags = b.u8(t + 13);
  const size_t header = (b.u8(t + 12) >> 4) * 4u;
  if (header < tcp_min_header || header > wire) return ParseStatus::malformed;
  out->payload_bytes = static_cast<uint32_t>(wire - header);
  // Options cut off by the snap length leave the ports and flags usable; only the payload is gone.
  const size_t start = std::min(t + header, captured_end);
  out->payload = std::span<const uint8_t>(b.at(start), captured_end - start);
  return ParseStatus::ok;
}

ParseStatus parse_udp(const Bytes& b, const IpLayer& ip, size_t captured_end, ParsedPacket* out) {
  const size_t wire = ip.end - ip.transport;
  if (wire < udp_header) return ParseStatus::malformed;
  if (!b.has(ip.transport, udp_header)) return ParseStatus::truncated;
  const size_t u = ip.transport;
  out->src_port = b.be16(u);
  out->dest_port = b.be16(u + 2);
  const size_t declared = b.be16(u + 4);
  size_t payload = wire - udp_header;
  if (out->fragmented) {
    // The rest of the datagram is in later fragments; its header says how big it is. A fragment
    // cannot be bigger than its datagram, so a smaller claim is ignored.
    if (declared >= wire) payload = declared - udp_header;
  } else if (declared >= udp_header && declared <= wire) {
    payload = declared - udp_header;  // bytes after the declared end are link padding
  }
  out->payload_bytes = static_cast<uint32_t>(payload);
  const size_t start = std::min(u + udp_header, captured_end);
  const size_t stop = std::min(captured_end, u + udp_header + payload);
  out->payload = std::span<const uint8_t>(b.at(start), std::max(start, stop) - start);
  return ParseStatus::ok;
}

}  // namespace

LinkType link_type_from_dlt(int dlt) {
  switch (dlt) {
    case DLT_EN10MB:
      return LinkType::ethernet;
    case DLT_LINUX_SLL:
      return LinkType::linux_sll;
    case DLT_LINUX_SLL2:
      return LinkType::linux_sll2;
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
      return LinkType::raw_ip;
  }
  return LinkType::unsupported;
}

LinkType link_type_from_linktype(int linktype) {
  constexpr int linktype_raw = 101;
  return linktype == linktype_raw ? LinkType::raw_ip : link_type_from_dlt(linktype);
}

std::string_view to_string(ParseStatus status) {
  switch (status) {
    case ParseStatus::ok:
      return "ok";
    case ParseStatus::not_ip:
      return "not IP";
    case ParseStatus::truncated:
      return "headers cut short by the capture";
    case ParseStatus::malformed:
      return "malformed headers";
    case ParseStatus::ip_fragment:
      return "non-first IP fragments (no ports)";
    case ParseStatus::other_transport:
      return "neither TCP nor UDP";
  }
  return "";
}

ParseStatus parse_packet(LinkType link, std::span<const uint8_t> frame, uint32_t wire_length,
                         ParsedPacket* out, const PacketParseLimits& limits) {
  *out = ParsedPacket{};
  const Bytes b(frame);
  size_t ip = 0;
  int version = 0;
  if (ParseStatus s = find_ip(link, b, &ip, &version, limits); s != ParseStatus::ok) return s;
  if (version == 0) {
    if (!b.has(ip, 1)) return ParseStatus::truncated;
    version = b.u8(ip) >> 4;
    if (version != 4 && version != 6) return ParseStatus::malformed;
  }
  // The packet's length on the wire, past the link header: pcap's `len` can only be smaller
  // than what was captured in a broken file, and then the capture is all we know.
  const size_t wire_ip = std::max<size_t>(wire_length, frame.size()) - ip;
  IpLayer layer;
  ParseStatus s = version == 4 ? parse_ipv4(b, ip, wire_ip, out, &layer)
                               : parse_ipv6(b, ip, wire_ip, out, &layer, limits);
  if (s != ParseStatus::ok) return s;
  const size_t captured_end = std::min(layer.end, frame.size());
  if (out->ip_proto == ip_proto_tcp) return parse_tcp(b, layer, captured_end, out);
  if (out->ip_proto == ip_proto_udp) return parse_udp(b, layer, captured_end, out);
  return ParseStatus::other_transport;
}

}  // namespace procflow
