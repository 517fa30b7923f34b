// Decides a flow's CAR network_direction from the set of networks the
// operator considers internal (the "perimeter").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "procflow/flow_event.h"

namespace procflow {

class NetworkClassifier {
 public:
  // Builds a classifier from CIDRs such as "10.0.0.0/8" or "fd00::/8". A bare
  // address means a single host; host bits below the prefix are ignored.
  // On a bad entry returns std::nullopt and, if `error` is non-null, sets it
  // to a message naming the entry.
  static std::optional<NetworkClassifier> parse(const std::vector<std::string>& cidrs,
                                                std::string* error);
  // RFC 1918, loopback, link-local and IPv6 unique-local networks.
  static NetworkClassifier defaults();

  // IPv4-mapped IPv6 addresses are checked as IPv4. Unset is never internal.
  bool is_internal(const IpAddress& address) const;
  // Direction of the initiator relative to the perimeter: in, out, internal,
  // external, or unknown when either address is unset.
  NetworkDirection classify(const IpAddress& initiator, const IpAddress& responder) const;

 private:
  struct Cidr {
    IpAddress network;  // host bits cleared
    uint8_t prefix_len;
  };

  std::vector<Cidr> cidrs_;
};

}  // namespace procflow
