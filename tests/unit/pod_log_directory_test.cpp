// Tests the pod log directory reader: the kubelet's directory and link names
// parsed exactly (and anything else refused), pods found in a scratch
// /var/log/pods tree, container names from the containers links or a pod's
// only container, and pods forgotten when their directory goes.
#include "enrich/pod_log_directory.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "scratch_tree.h"

namespace procflow {
namespace {

const std::string kUid = "8e4f1c2a-3b5d-4e6f-9a0b-1c2d3e4f5a6b";
const std::string kId = "2f0d4d3c8b1e4a6f9c7d5e3b1a0f8e6d4c2b0a9f8e7d6c5b4a3928170615f4e3";

TEST(PodLogDirectoryTest, PodDirectoryNames) {
  auto p = parse_pod_directory_name("kube-system_coredns-5d78c9869d-x7x2k_" + kUid);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->first, kUid);
  EXPECT_EQ(p->second.pod_namespace, "kube-system");
  EXPECT_EQ(p->second.pod_name, "coredns-5d78c9869d-x7x2k");
  for (const std::string& bad : std::vector<std::string>{"", "a_b", "_b_c", "a__c", "a_b_",
                                                         "a_b_c_d", std::string(300, 'a') + "_b_c"})
    EXPECT_FALSE(parse_pod_directory_name(bad)) << bad;
}

TEST(PodLogDirectoryTest, ContainerLogLinkNames) {
  auto c = parse_container_log_name("coredns-5d78c9869d-x7x2k_kube-system_coredns-" + kId + ".log");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->first, kId);
  EXPECT_EQ(c->second, "coredns");
  // Container names may hold dashes: the id is the last 64 characters.
  c = parse_container_log_name("web_shop_istio-proxy-" + kId + ".log");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->second, "istio-proxy");
  for (const std::string& bad : std::vector<std::string>{
           "web_shop_app-" + kId, "web_shop_app-" + kId.substr(1) + ".log",
           "web_shop_app_" + kId + ".log", "web_app-" + kId + ".log", "web_shop_-" + kId + ".log",
           "web_shop_app-" + std::string(64, 'G') + ".log"})
    EXPECT_FALSE(parse_container_log_name(bad)) << bad;
}

TEST(PodLogDirectoryTest, PodsAndTheirOnlyContainer) {
  test::ScratchTree tree;
  ASSERT_TRUE(tree.ok());
  tree.write("pods/shop_web-7d9f_" + kUid + "/web/0.log", "");
  tree.write("pods/not-a-pod/x/0.log", "");
  PodLogDirectory dir(tree.path("pods"));
  const PodNames* p = dir.pod(kUid);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->pod_namespace, "shop");
  EXPECT_EQ(p->pod_name, "web-7d9f");
  EXPECT_EQ(p->containers, std::vector<std::string>{"web"});
  EXPECT_EQ(dir.container_name(kUid, kId), "web");
  EXPECT_EQ(dir.pod("ffffffff-3b5d-4e6f-9a0b-1c2d3e4f5a6b"), nullptr);
  EXPECT_EQ(dir.pod(""), nullptr);
}

TEST(PodLogDirectoryTest, SeveralContainersNeedTheContainersLinks) {
  test::ScratchTree tree;
  ASSERT_TRUE(tree.ok());
  const std::string pod = "pods/shop_web-7d9f_" + kUid;
  tree.write(pod + "/app/0.log", "");
  tree.write(pod + "/istio-proxy/0.log", "");
  PodLogDirectory without_links(tree.path("pods"));
  ASSERT_NE(without_links.pod(kUid), nullptr);
  EXPECT_EQ(without_links.container_name(kUid, kId), "") << "two containers: which is unknown";

  tree.mkdir("containers");
  ASSERT_EQ(::symlink(("../" + pod + "/istio-proxy/0.log").c_str(),
                      tree.path("containers/web-7d9f_shop_istio-proxy-" + kId + ".log").c_str()),
            0);
  PodLogDirectory with_links(tree.path("pods"), std::chrono::seconds(0));
  EXPECT_EQ(with_links.container_name(kUid, kId), "istio-proxy");
}

TEST(PodLogDirectoryTest, UnknownPodsAreLookedForAgainAndGonePodsForgotten) {
  test::ScratchTree tree;
  ASSERT_TRUE(tree.ok());
  tree.mkdir("pods");
  // Rescans allowed at once: the pod made after the first miss is found.
  PodLogDirectory dir(tree.path("pods"), std::chrono::seconds(0));
  EXPECT_EQ(dir.pod(kUid), nullptr);
  tree.write("pods/shop_web-7d9f_" + kUid + "/web/0.log", "");
  ASSERT_NE(dir.pod(kUid), nullptr);
  EXPECT_EQ(dir.cached(), 1u);
  tree.remove("pods/shop_web-7d9f_" + kUid);
  dir.forget_removed();
  EXPECT_EQ(dir.cached(), 0u);
  EXPECT_EQ(dir.pod(kUid), nullptr);
}

TEST(PodLogDirectoryTest, RescansOfUnknownPodsAreRateLimited) {
  test::ScratchTree tree;
  ASSERT_TRUE(tree.ok());
  tree.mkdir("pods");
  PodLogDirectory dir(tree.path("pods"), std::chrono::hours(1));
  EXPECT_EQ(dir.pod(kUid), nullptr);
  EXPECT_EQ(dir.pod(kUid), nullptr);
  EXPECT_EQ(dir.pod("ffffffff-3b5d-4e6f-9a0b-1c2d3e4f5a6b"), nullptr);
  EXPECT_EQ(dir.scans(), 1u);
}

TEST(PodLogDirectoryTest, AMissingDirectoryNamesNothing) {
  PodLogDirectory dir("/nonexistent/procflow/pods");
  EXPECT_EQ(dir.pod(kUid), nullptr);
  EXPECT_EQ(dir.container_name(kUid, kId), "");
}

}  // namespace
}  // namespace procflow
