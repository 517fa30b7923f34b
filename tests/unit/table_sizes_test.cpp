// The exit report's line of table sizes: every table, in a fixed order, with
// its number (the soak test parses it).
#include "service/table_sizes.h"

#include <gtest/gtest.h>

namespace procflow {
namespace {

TEST(TableSizesTest, NamesEveryTableWithItsSize) {
  TableSizes t;
  t.tcp_flows = 1;
  t.tcp_ending = 2;
  t.tcp_endpoints = 3;
  t.udp_flows = 4;
  t.udp_endpoints = 5;
  t.processes = 6;
  t.processes_exited = 7;
  t.dns_names = 8;
  t.dns_queries = 9;
  t.dns_waiting = 10;
  t.mount_namespaces = 11;
  t.namespace_users = 12;
  t.cgroups = 13;
  t.container_processes = 14;
  t.pods = 15;
  EXPECT_EQ(t.describe(),
            "open at stop: 1 TCP flows (2 ending, 3 endpoints), 4 UDP flows (5 endpoints), 6 "
            "processes (7 exited), 8 DNS names, 9 DNS queries, 10 DNS answers waiting, 11 mount "
            "namespaces (12 user names), 13 cgroups (14 processes' container facts), 15 pods");
}

}  // namespace
}  // namespace procflow
