// Decodes one captured frame down to the TCP or UDP header, for `procflow replay`.
//
// Frames come from capture files anyone can hand us, so nothing in them is trusted: every read is
// checked against the captured length (caplen), and every length field (IPv4 total length, IPv6
// payload length, extension-header lengths, TCP data offset, UDP length) only ever narrows what is
// read, never widens it. Lengths "on the wire" (what the counters report) come from the headers,
// clamped by the frame's original length, because a capture cut by a snap length still describes
// the whole packet; the bytes we can actually look at (`payload`) are only the captured ones.
//
// Covered: Ethernet (with up to two 802.1Q/802.1ad tags and PPPoE sessions), Linux cooked
// captures v1 and v2 (what `tcpdump -i any` writes), and raw IP; IPv4 and IPv6 (extension headers
// skipped, at most max_ipv6_extension_headers of them); TCP and UDP. IP fragments are not
// reassembled: a first fragment is decoded (its transport header is there) and flagged, later
// fragments carry no ports and are reported as such.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "procflow/flow_event.h"

namespace procflow {

// Link types, as libpcap's pcap_datalink() reports them (DLT_* values).
enum class LinkType : uint8_t {
  ethernet,     // DLT_EN10MB
  linux_sll,    // DLT_LINUX_SLL
  linux_sll2,   // DLT_LINUX_SLL2
  raw_ip,       // DLT_RAW, DLT_IPV4, DLT_IPV6: the frame starts with the IP header
  unsupported,  // anything else
};

// Maps a pcap DLT_* value to the link types this parser reads.
LinkType link_type_from_dlt(int dlt);
// Maps a LINKTYPE_* value as written in capture files (what PcapngReader hands
// out; libpcap translates these to DLT_* itself). They differ from DLT_*
// values only for raw IP: LINKTYPE_RAW is 101, DLT_RAW 12 (14 on OpenBSD).
LinkType link_type_from_linktype(int linktype);

enum class ParseStatus : uint8_t {
  ok,               // a TCP or UDP packet with ports
  not_ip,           // ARP, LLDP, ... : no IP inside
  truncated,        // the capture stops inside a header we need (snap length, or a short frame)
  malformed,        // a header contradicts itself (bad version, lengths too small, ...)
  ip_fragment,      // a non-first IP fragment: addresses, but no transport header
  other_transport,  // IP carrying neither TCP nor UDP (ICMP, ESP, ...), or too many IPv6
                    // extension headers to find out
};

std::string_view to_string(ParseStatus status);

struct ParsedPacket {
  IpAddress src_ip, dest_ip;  // set for ok, ip_fragment and other_transport
  uint8_t ip_proto = 0;       // ip_proto_tcp or ip_proto_udp when ok
  uint16_t src_port = 0, dest_port = 0;

  // TCP only.
  uint8_t tcp_flags = 0;
  uint32_t tcp_seq = 0, tcp_ack = 0;

  // First fragment of a datagram that continues in other IP fragments: the transport header is
  // here, most of the payload is not.
  bool fragmented = false;

  // On the wire, from the headers (clamped by the frame's original length): the IP packet
  // (header included) and the transport payload. For the first fragment of a fragmented UDP
  // datagram, payload_bytes is the whole datagram's payload as its UDP header declares it.
  uint32_t ip_bytes = 0;
  uint32_t payload_bytes = 0;

  // The transport payload's bytes that were captured: at most payload_bytes, fewer when the snap
  // length cut the frame or the datagram is fragmented. Points into the frame passed to
  // parse_packet().
  std::span<const uint8_t> payload;
};

struct PacketParseLimits {
  // Real stacks put at most a few extension headers before TCP/UDP (hop-by-hop, routing,
  // fragment, destination options); a chain longer than this is treated as "not TCP/UDP" rather
  // than walked to its end.
  size_t max_ipv6_extension_headers = 8;
  // 802.1Q in 802.1ad ("QinQ") is the deepest tagging seen in practice.
  size_t max_vlan_tags = 2;
};

// Decodes `frame` (the caplen bytes libpcap hands over) whose original length on the wire was
// `wire_length` (pcap's `len`; values below frame.size() are treated as frame.size()). Fills *out
// as far as it got; out->payload is only meaningful when the result is ok.
ParseStatus parse_packet(LinkType link, std::span<const uint8_t> frame, uint32_t wire_length,
                         ParsedPacket* out, const PacketParseLimits& limits = {});

}  // namespace procflow
