// CIDR parsing and prefix matching behind NetworkClassifier.
#include "enrich/network_direction.h"

#include <charconv>
#include <string_view>

namespace procflow {
namespace {

std::string_view trim(std::string_view s) {
  constexpr std::string_view space = " \t\r\n";
  const size_t first = s.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(space) - first + 1);
}

// Clears every bit after the first `prefix_len` bits.
IpAddress mask(IpAddress a, unsigned prefix_len) {
  for (size_t i = 0; i < a.bytes.size(); ++i) {
    const unsigned bit = static_cast<unsigned>(i) * 8;
    if (bit >= prefix_len) {
      a.bytes[i] = 0;
    } else if (prefix_len - bit < 8) {
      a.bytes[i] &= static_cast<uint8_t>(0xff << (8 - (prefix_len - bit)));
    }
  }
  return a;
}

bool in_prefix(const IpAddress& a, const IpAddress& network, unsigned prefix_len) {
  const unsigned full = prefix_len / 8;
  for (unsigned i = 0; i < full; ++i) {
    if (a.bytes[i] != network.bytes[i]) return false;
  }
  const unsigned rest = prefix_len % 8;
  if (rest == 0) return true;
  const auto m = static_cast<uint8_t>(0xff << (8 - rest));
  return (a.bytes[full] & m) == network.bytes[full];
}

}  // namespace

std::optional<NetworkClassifier> NetworkClassifier::parse(const std::vector<std::string>& cidrs,
                                                          std::string* error) {
  NetworkClassifier result;
  for (const std::string& entry : cidrs) {
    auto fail = [&](std::string_view why) -> std::optional<NetworkClassifier> {
      if (error != nullptr) {
        *error = "invalid network \"" + entry + "\": " + std::string(why);
      }
      return std::nullopt;
    };
    const std::string_view text = trim(entry);
    if (text.empty()) return fail("empty entry");

    const size_t slash = text.find('/');
    const auto address = IpAddress::parse(text.substr(0, slash));
    if (!address) return fail("not an IPv4 or IPv6 address");
    const unsigned max_len = address->family == 4 ? 32 : 128;

    unsigned prefix_len = max_len;
    if (slash != std::string_view::npos) {
      const std::string_view digits = text.substr(slash + 1);
      if (digits.empty()) return fail("missing prefix length after '/'");
      const char* end = digits.data() + digits.size();
      const auto [ptr, ec] = std::from_chars(digits.data(), end, prefix_len);
      if (ec != std::errc() || ptr != end || prefix_len > max_len) {
        return fail("prefix length must be a whole number from 0 to " + std::to_string(max_len));
      }
    }

    // Addresses are matched unmapped, so an IPv4-mapped IPv6 network has to
    // become the IPv4 network it stands for.
    IpAddress network = *address;
    const IpAddress unmapped = network.unmapped();
    if (unmapped.family == 4 && network.family == 6 && prefix_len >= 96) {
      network = unmapped;
      prefix_len -= 96;
    }
    result.cidrs_.push_back({mask(network, prefix_len), static_cast<uint8_t>(prefix_len)});
  }
  return result;
}

NetworkClassifier NetworkClassifier::defaults() {
  static const std::vector<std::string> kDefaults = {
      "10.0.0.0/8",     "172.16.0.0/12", "192.168.0.0/16",  // RFC 1918
      "127.0.0.0/8",    "::1/128",                          // loopback
      "169.254.0.0/16", "fe80::/10",                        // link-local
      "fc00::/7",                                           // IPv6 unique local
  };
  return *parse(kDefaults, nullptr);
}

bool NetworkClassifier::is_internal(const IpAddress& address) const {
  if (!address.is_set()) return false;
  const IpAddress a = address.unmapped();
  for (const Cidr& cidr : cidrs_) {
    if (cidr.network.family == a.family && in_prefix(a, cidr.network, cidr.prefix_len)) {
      return true;
    }
  }
  return false;
}

NetworkDirection NetworkClassifier::classify(const IpAddress& initiator,
                                             const IpAddress& responder) const {
  if (!initiator.is_set() || !responder.is_set()) return NetworkDirection::unknown;
  const bool from_inside = is_internal(initiator);
  const bool to_inside = is_internal(responder);
  if (from_inside && to_inside) return NetworkDirection::internal;
  if (from_inside) return NetworkDirection::out;
  if (to_inside) return NetworkDirection::in;
  return NetworkDirection::external;
}

}  // namespace procflow
