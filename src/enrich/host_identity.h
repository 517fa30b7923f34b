// The sensor host's own name for the CAR `hostname` and `fqdn` fields,
// found locally (never via DNS) so start-up cannot hang on the network.
#pragma once

#include <string>
#include <string_view>

namespace procflow {

struct HostIdentity {
  std::string hostname;  // first label of the host name, e.g. "node1"
  std::string fqdn;      // e.g. "node1.example.com"; the plain name if none is known

  // gethostname() plus `<etc_root>/hosts`, like `hostname -f` without DNS.
  // PROCFLOW_NODE_NAME, when set and not empty, stands for gethostname(): a
  // container's own host name is the pod's, the node's comes from the
  // downward API (spec.nodeName).
  static HostIdentity detect(const std::string& etc_root = "/etc");
  // `name` is the kernel host name, `hosts_file_text` the hosts file's text.
  static HostIdentity from(std::string_view name, std::string_view hosts_file_text);
};

}  // namespace procflow
