// Short host names from fully qualified ones.
#include "enrich/host_names.h"

namespace procflow {

std::string_view short_hostname(std::string_view fqdn) {
  for (size_t i = 0; i < fqdn.size(); ++i) {
    if (fqdn[i] == '\\') {
      ++i;  // the escaped character (or the first digit of \DDD) is not a separator
    } else if (fqdn[i] == '.') {
      return fqdn.substr(0, i);
    }
  }
  return fqdn;
}

void fill_short_hostnames(FlowEvent& event) {
  if (event.src_hostname.empty() && !event.src_fqdn.empty()) {
    event.src_hostname.assign(short_hostname(event.src_fqdn));
  }
  if (event.dest_hostname.empty() && !event.dest_fqdn.empty()) {
    event.dest_hostname.assign(short_hostname(event.dest_fqdn));
  }
}

}  // namespace procflow
