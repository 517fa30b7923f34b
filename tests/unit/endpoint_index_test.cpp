// Tests EndpointIndex: finding the namespace of the socket a DNS answer is
// for. Ports are per namespace, so sockets of two namespaces can share the
// endpoints; the local address tells them apart when both have one, and a
// look-up that still fits two namespaces is ambiguous, never a guess.
#include "flow/endpoint_index.h"

#include "ip_literal.h"

#include <gtest/gtest.h>

namespace procflow {
namespace {

using test::ip;

constexpr uint64_t kA = 4026532001, kB = 4026532002;

SocketEndpoints socket(const char* local, uint16_t local_port) {
  return SocketEndpoints{ip("10.0.0.53"), 53, local_port, local ? ip(local) : IpAddress{}};
}

TEST(EndpointIndexTest, OneSocketIsFound) {
  EndpointIndex index;
  index.add(socket("10.0.0.2", 40000), kA);
  auto m = index.find(ip("10.0.0.53"), 53, 40000, ip("10.0.0.2"));
  EXPECT_EQ(m.netns, kA);
  EXPECT_FALSE(m.ambiguous);
  EXPECT_FALSE(index.find(ip("10.0.0.53"), 53, 40001, ip("10.0.0.2")).netns);
  EXPECT_FALSE(index.find(ip("10.0.0.54"), 53, 40000, ip("10.0.0.2")).netns);
}

TEST(EndpointIndexTest, TheLocalAddressTellsTwoNamespacesApart) {
  EndpointIndex index;
  index.add(socket("10.0.0.2", 40000), kA);
  index.add(socket("10.0.9.9", 40000), kB);  // same port in another namespace
  EXPECT_EQ(index.find(ip("10.0.0.53"), 53, 40000, ip("10.0.0.2")).netns, kA);
  EXPECT_EQ(index.find(ip("10.0.0.53"), 53, 40000, ip("10.0.9.9")).netns, kB);
}

TEST(EndpointIndexTest, AWildcardSocketOfAnotherNamespaceMakesItAmbiguous) {
  EndpointIndex index;
  index.add(socket("10.0.0.2", 40000), kA);
  index.add(socket(nullptr, 40000), kB);  // unconnected, on 0.0.0.0: could be the one
  auto m = index.find(ip("10.0.0.53"), 53, 40000, ip("10.0.0.2"));
  EXPECT_FALSE(m.netns);
  EXPECT_TRUE(m.ambiguous);
}

TEST(EndpointIndexTest, SeveralSocketsOfOneNamespaceAreNoAmbiguity) {
  EndpointIndex index;
  index.add(socket(nullptr, 40000), kA);
  index.add(socket("10.0.0.2", 40000), kA);
  EXPECT_EQ(index.find(ip("10.0.0.53"), 53, 40000, ip("10.0.0.2")).netns, kA);
}

TEST(EndpointIndexTest, RemoveTakesOutOneEntry) {
  EndpointIndex index;
  index.add(socket("10.0.0.2", 40000), kA);
  index.add(socket(nullptr, 40000), kB);
  index.remove(socket(nullptr, 40000), kB);
  EXPECT_EQ(index.find(ip("10.0.0.53"), 53, 40000, ip("10.0.0.2")).netns, kA);
  index.remove(socket("10.0.0.2", 40000), kA);
  EXPECT_EQ(index.size(), 0u);
}

TEST(EndpointIndexTest, SizeCountsKeysAndEntriesCountsSockets) {
  EndpointIndex index;
  index.add(socket("10.0.0.2", 40000), kA);
  index.add(socket("10.0.9.9", 40000), kB);  // same key, another namespace
  index.add(socket("10.0.0.2", 40001), kA);
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(index.entries(), 3u);
  index.remove(socket("10.0.0.2", 40000), kA);
  EXPECT_EQ(index.size(), 2u);
  EXPECT_EQ(index.entries(), 2u);
  index.remove(socket("10.0.9.9", 40000), kB);
  EXPECT_EQ(index.size(), 1u);
  index.remove(socket("10.0.0.2", 40000), kA);  // already gone: nothing changes
  EXPECT_EQ(index.entries(), 1u);
}

TEST(EndpointIndexTest, AnEntryAddedAgainAfterRemovalIsFound) {
  EndpointIndex index;  // the removed entry's node is reused for the next add
  index.add(socket("10.0.0.2", 40000), kA);
  index.remove(socket("10.0.0.2", 40000), kA);
  index.add(socket("10.0.9.9", 40002), kB);
  EXPECT_FALSE(index.find(ip("10.0.0.53"), 53, 40000, ip("10.0.0.2")).netns);
  EXPECT_EQ(index.find(ip("10.0.0.53"), 53, 40002, ip("10.0.9.9")).netns, kB);
}

TEST(EndpointIndexTest, AMappedPeerIsItsIpv4AddressAndIpv6IsAnotherKey) {
  EndpointIndex index;
  index.add(socket("10.0.0.2", 40000), kA);
  EXPECT_EQ(index.find(ip("::ffff:10.0.0.53"), 53, 40000, ip("::ffff:10.0.0.2")).netns, kA);
  // An IPv6 peer whose first four bytes are 10.0.0.53 is not the IPv4 peer.
  EXPECT_FALSE(index.find(ip("a00:35::"), 53, 40000, IpAddress{}).netns);
}

TEST(EndpointIndexTest, EndpointsComeFromTheOrientedTuple) {
  auto out = socket_endpoints(ip("10.0.0.2"), 40000, ip("10.0.0.53"), 53, /*initiated=*/true);
  EXPECT_EQ(out.peer, ip("10.0.0.53"));
  EXPECT_EQ(out.local_port, 40000);
  auto in = socket_endpoints(ip("10.0.0.2"), 40000, ip("10.0.0.53"), 53, /*initiated=*/false);
  EXPECT_EQ(in.peer, ip("10.0.0.2"));
  EXPECT_EQ(in.peer_port, 40000);
  EXPECT_EQ(in.local, ip("10.0.0.53"));
}

}  // namespace
}  // namespace procflow
