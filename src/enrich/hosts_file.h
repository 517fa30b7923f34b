// Names from an /etc/hosts file, the second source of flow names after the
// DNS cache: covers names that never cross the wire (local services,
// container links written into the container's hosts file).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "procflow/flow_event.h"

namespace procflow {

class HostsTable {
 public:
  // Far more than any real hosts file; beyond these the rest is ignored so a
  // huge (e.g. ad-blocking) file cannot make start-up slow or memory-hungry.
  static constexpr size_t kMaxBytes = 1 << 20;
  static constexpr size_t kMaxEntries = 65'536;
  static constexpr size_t kMaxNameLength = 253;  // longest DNS name in text form

  // Each line is "address name [aliases...] [# comment]". An address gets
  // the first name of the first line that lists it, the name the resolver
  // would report as canonical. Comments, blank lines and malformed lines
  // (unparsable address, zone-scoped IPv6, no name, a name with control
  // characters or over kMaxNameLength) are skipped. The unspecified
  // addresses 0.0.0.0 and :: are skipped too: block lists use them to
  // sink names, they name no host. Names are kept as written.
  static HostsTable parse(std::string_view text);
  // Reads and parses at most kMaxBytes of `path`. A file that cannot be read
  // gives an empty table and, if `error` is non-null, the reason.
  static HostsTable load(const std::string& path, std::string* error = nullptr);

  // The name for `address` (IPv4-mapped IPv6 is looked up as IPv4), or ""
  // when the file does not list it. The view lives as long as the table.
  std::string_view lookup(const IpAddress& address) const;
  size_t size() const { return entries_.size(); }

 private:
  std::vector<std::pair<IpAddress, std::string>> entries_;  // sorted by address, unique
};

}  // namespace procflow
