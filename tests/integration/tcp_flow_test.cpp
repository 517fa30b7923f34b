// One TCP connection from a client in the namespace to a pre-forking server in
// the root namespace, over IPv4 and IPv6: both flows of it (the client's and
// the accepting worker's) with exact pids, exe paths, users, byte counts,
// flags and a shared community_id, checked against the helpers' own account
// (the scenario itself is in core_exchange.*, shared with the attach-plan suite).
#include "core_exchange.h"

namespace procflow_it {
namespace {

class TcpFlowTest : public CoreExchangeTest {};

TEST_F(TcpFlowTest, Ipv4ClientAndPreforkedWorkerFlows) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  exchange_and_check(topo().host_ip4(), topo().ns_ip4());
}

TEST_F(TcpFlowTest, Ipv6ClientAndPreforkedWorkerFlows) {
  ASSERT_NO_FATAL_FAILURE(start_procflow());
  exchange_and_check(topo().host_ip6(), topo().ns_ip6());
}

}  // namespace
}  // namespace procflow_it
