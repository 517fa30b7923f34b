// Tests UidMap: /proc/<pid>/uid_map text as the kernel writes it, and
// translating global uids into a user namespace's own.
#include "enrich/uid_map.h"

#include <gtest/gtest.h>

namespace procflow {
namespace {

TEST(UidMapTest, DefaultIsIdentity) {
  UidMap map;
  EXPECT_EQ(map.to_inside(0), 0u);
  EXPECT_EQ(map.to_inside(4294967295u), 4294967295u);
}

TEST(UidMapTest, InitialNamespaceMapsEverything) {
  auto map = UidMap::parse("         0          0 4294967295\n");
  ASSERT_TRUE(map);
  EXPECT_EQ(map->to_inside(0), 0u);
  EXPECT_EQ(map->to_inside(65534), 65534u);
  EXPECT_EQ(map->to_inside(4294967294u), 4294967294u);
}

TEST(UidMapTest, RootlessContainerRanges) {
  auto map = UidMap::parse(
      "         0       1000          1\n"
      "         1     100000      65536\n");
  ASSERT_TRUE(map);
  EXPECT_EQ(map->to_inside(1000), 0u);
  EXPECT_EQ(map->to_inside(100000), 1u);
  EXPECT_EQ(map->to_inside(165535), 65536u);
  EXPECT_EQ(map->to_inside(165536), std::nullopt);
  EXPECT_EQ(map->to_inside(0), std::nullopt);
}

TEST(UidMapTest, EmptyMapMapsNothing) {
  // A new user namespace before its map is written.
  auto map = UidMap::parse("");
  ASSERT_TRUE(map);
  EXPECT_EQ(map->to_inside(0), std::nullopt);
}

TEST(UidMapTest, MalformedTextIsRefused) {
  EXPECT_FALSE(UidMap::parse("0 0\n"));
  EXPECT_FALSE(UidMap::parse("0 0 0\n"));
  EXPECT_FALSE(UidMap::parse("0 x 1\n"));
  EXPECT_FALSE(UidMap::parse("0 0 1 9\n"));
  EXPECT_FALSE(UidMap::parse("0 4294967295 2\n"));
  EXPECT_FALSE(UidMap::parse("-1 0 1\n"));
}

}  // namespace
}  // namespace procflow
