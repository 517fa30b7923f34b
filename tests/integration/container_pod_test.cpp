// Container and pod fields (issue 10, section 1), against real cgroups:
// - cgroup v2 directories made by the test in the shapes of the kubelet's two
//   cgroup drivers (systemd: kubepods.slice/...-pod<uid_>.slice/
//   cri-containerd-<id>.scope; cgroupfs: kubepods/<qos>/pod<uid>/<id> and
//   crio-<id>), Docker's, and a plain service's as a control;
// - a pod log directory made by the test (--pod-log-dir), one pod with two
//   containers told apart by the kubelet's containers links;
// - a client that moves itself into each cgroup (`echo $$ > cgroup.procs`,
//   then exec) before it connects, and lives until the test lets it go.
// Every event of each client's flow must carry exactly the container id,
// runtime, pod uid, pod name, namespace and container name the test made, and
// the control none of them. Also: a client in a new pid namespace (`unshare
// --pid --fork`) gets its pid in that namespace as container_pid, read
// through --host-proc.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include "flow_query.h"
#include "integration_test.h"
#include "json_line.h"
#include "scratch_dir.h"
#include "spawned_process.h"
#include "test_cgroups.h"

namespace procflow_it {
namespace {

// The fields a flow of a process in a container carries (absent ones "").
struct ExpectedContainer {
  std::string container_id, runtime, pod_uid, pod_name, pod_namespace, container_name;
};

void expect_container(const JsonLine& event, const ExpectedContainer& want) {
  auto check = [&](const char* key, const std::string& value) {
    if (value.empty())
      EXPECT_FALSE(event.has(key)) << key << " must be absent: " << event.raw();
    else
      EXPECT_EQ(event.str(key), value) << key << ": " << event.raw();
  };
  check("container_id", want.container_id);
  check("container_runtime", want.runtime);
  check("pod_uid", want.pod_uid);
  check("pod_name", want.pod_name);
  check("pod_namespace", want.pod_namespace);
  check("container_name", want.container_name);
  // Every process here shares the test's pid namespace.
  EXPECT_FALSE(event.has("container_pid")) << event.raw();
}

// Lets a `quick_connect --hold FIFO` go: opens the FIFO for writing (the
// helper has it open for reading once it printed its line) and closes it.
bool release(const std::filesystem::path& fifo, SpawnedProcess& client) {
  for (int attempt = 0; attempt < 1000; attempt++) {
    const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) {
      ::close(fd);
      return client.wait(10s).has_value();
    }
    if (client.wait(10ms)) return true;  // it is gone anyway
  }
  return false;
}

class ContainerPodTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    if (HasFatalFailure() || IsSkipped()) return;
    if (cgroup2_mount().empty()) GTEST_SKIP() << "no cgroup v2 mount";
    cgroups_ = std::make_unique<TestCgroups>();
    ASSERT_TRUE(cgroups_->ok()) << "cannot make a cgroup under " << cgroup2_mount();
    dir_ = std::make_unique<ScratchDir>("pf-it-pods-");
    std::filesystem::create_directories(dir_->path() / "pods");
  }
  void TearDown() override {
    // The clients first: a cgroup with a process in it cannot be removed.
    held_clients_.clear();
    IntegrationTest::TearDown();
    cgroups_.reset();
  }

  std::string pod_log_dir() const { return (dir_->path() / "pods").string(); }
  // /var/log/pods/<namespace>_<name>_<uid>/<container>/0.log, as the kubelet writes them.
  void make_pod_logs(const std::string& ns, const std::string& name, const std::string& uid,
                     const std::vector<std::string>& containers) {
    for (const std::string& c : containers) {
      const auto d = dir_->path() / "pods" / (ns + "_" + name + "_" + uid) / c;
      std::filesystem::create_directories(d);
      std::ofstream(d / "0.log") << "";
    }
  }
  // /var/log/containers/<pod>_<namespace>_<container>-<id>.log -> the pod's log.
  void make_container_link(const std::string& ns, const std::string& name, const std::string& uid,
                           const std::string& container, const std::string& id) {
    const auto links = dir_->path() / "containers";
    std::filesystem::create_directories(links);
    std::filesystem::create_symlink(
        dir_->path() / "pods" / (ns + "_" + name + "_" + uid) / container / "0.log",
        links / (name + "_" + ns + "_" + container + "-" + id + ".log"));
  }

  struct Held {
    SpawnedProcess* process = nullptr;
    std::filesystem::path fifo;
    int64_t pid = 0, local_port = 0;
  };
  // quick_connect --hold from `cgroup_dir` (moved there before it connects),
  // in the root network namespace: the kubelet-shaped cgroups are on the
  // cgroup2 mount, which `ip netns exec` hides behind a fresh /sys.
  Held connect_from(const std::string& cgroup_dir, const std::string& name) {
    Held h;
    h.fifo = dir_->path() / (name + ".fifo");
    if (::mkfifo(h.fifo.c_str(), 0600) != 0) {
      ADD_FAILURE() << "mkfifo " << h.fifo;
      return h;
    }
    held_clients_.push_back(std::make_unique<SpawnedProcess>(
        std::vector<std::string>{"sh", "-c", "echo $$ > \"$0/cgroup.procs\" && exec \"$@\"",
                                 cgroup_dir, helper_path(Helper::quick_connect), topo().host_ip4(),
                                 std::to_string(kServerPort), "--hold", h.fifo.string()}));
    h.process = held_clients_.back().get();
    auto truth = wait_client_truth(*h.process);
    if (!truth) {
      ADD_FAILURE() << "no line from " << h.process->describe();
      return h;
    }
    EXPECT_EQ(truth->pid, h.process->pid()) << "sh must exec, not fork";
    h.pid = truth->pid;
    h.local_port = truth->local_port;
    return h;
  }

  FlowSelector selector_of(const Held& h) {
    FlowSelector s = client_side(topo().host_ip4(), h.local_port, topo().host_ip4(), kServerPort);
    s.pid = h.pid;
    return s;
  }

  // Waits for the flow's start, lets the client go, waits for the end; the flow.
  Flow flow_of(Held& h) {
    const FlowSelector s = selector_of(h);
    wait_for_events(
        [&](const std::vector<JsonLine>& events) {
          for (const JsonLine& e : events)
            if (s.matches(e)) return true;
          return false;
        },
        "the start of " + s.describe());
    EXPECT_TRUE(release(h.fifo, *h.process)) << h.process->describe();
    wait_for_ends({s}, 15s);
    return collect_flow(procflow().events(), s);
  }

  std::unique_ptr<TestCgroups> cgroups_;
  std::unique_ptr<ScratchDir> dir_;
  std::vector<std::unique_ptr<SpawnedProcess>> held_clients_;
};

TEST_F(ContainerPodTest, KubeletDockerAndPlainCgroupsNameTheirContainersAndPods) {
  struct Case {
    std::string what, cgroup;
    ExpectedContainer want;
  };
  std::vector<Case> cases;

  // systemd driver, containerd, a pod with one container.
  const std::string uid1 = random_pod_uid(), id1 = random_container_id();
  std::string uid1_underscores = uid1;
  std::replace(uid1_underscores.begin(), uid1_underscores.end(), '-', '_');
  make_pod_logs("shop", "web-7d9f", uid1, {"web"});
  cases.push_back({"systemd driver, containerd",
                   "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" +
                       uid1_underscores + ".slice/cri-containerd-" + id1 + ".scope",
                   {id1, "containerd", uid1, "web-7d9f", "shop", "web"}});

  // cgroupfs driver with a bare id (containerd or Docker: the runtime is not said).
  const std::string uid2 = random_pod_uid(), id2 = random_container_id();
  make_pod_logs("batch", "report-29d8", uid2, {"report"});
  cases.push_back({"cgroupfs driver, bare id",
                   "kubepods/besteffort/pod" + uid2 + "/" + id2,
                   {id2, "", uid2, "report-29d8", "batch", "report"}});

  // cgroupfs driver, CRI-O, a pod with two containers: the link names this one.
  const std::string uid3 = random_pod_uid(), id3 = random_container_id();
  make_pod_logs("prod", "api-5c", uid3, {"app", "sidecar"});
  make_container_link("prod", "api-5c", uid3, "sidecar", id3);
  cases.push_back({"cgroupfs driver, CRI-O, two containers",
                   "kubepods/burstable/pod" + uid3 + "/crio-" + id3,
                   {id3, "cri-o", uid3, "api-5c", "prod", "sidecar"}});

  // Docker outside Kubernetes: a container, no pod.
  const std::string id4 = random_container_id();
  cases.push_back({"docker, cgroupfs", "docker/" + id4, {id4, "docker", "", "", "", ""}});

  // A plain service: no container at all.
  cases.push_back({"control: a service's cgroup", "system.slice/pf-control.service", {}});

  ASSERT_NO_FATAL_FAILURE(start_procflow({"--pod-log-dir", pod_log_dir()}));
  ASSERT_NE(start_server(topo().host_ip4(), kServerPort, 2, 0), nullptr);

  for (const Case& c : cases) {
    SCOPED_TRACE(c.what + ": " + c.cgroup);
    const std::string dir = cgroups_->make(c.cgroup);
    ASSERT_FALSE(dir.empty()) << "cannot make " << c.cgroup;
    Held h = connect_from(dir, "client-" + std::to_string(&c - cases.data()));
    ASSERT_NE(h.pid, 0);
    const Flow flow = flow_of(h);
    ASSERT_EQ(flow.starts.size(), 1u) << dump(procflow().events());
    ASSERT_EQ(flow.ends.size(), 1u) << dump(flow.starts);
    for (const JsonLine* e : flow.all()) {
      EXPECT_EQ(e->integer("pid"), h.pid) << e->raw();
      EXPECT_EQ(e->str("exe"), helper_exe(Helper::quick_connect)) << e->raw();
      expect_container(*e, c.want);
    }
  }
}

TEST_F(ContainerPodTest, APidNamespaceGivesTheInnerPid) {
  // Through --host-proc (another path to this /proc): every read of other
  // processes' entries, NSpid included, goes there.
  const auto host_proc = dir_->path() / "host-proc";
  std::filesystem::create_directory_symlink("/proc", host_proc);
  ASSERT_NO_FATAL_FAILURE(
      start_procflow({"--pod-log-dir", pod_log_dir(), "--host-proc", host_proc.string()}));
  ASSERT_NE(start_server(topo().host_ip4(), kServerPort, 1, 0), nullptr);
  const auto fifo = dir_->path() / "pidns.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // The shell is pid 1 of the new namespace; /proc is still the host's, so
  // its own stat names its host pid. Then it execs the client (same pids).
  held_clients_.push_back(std::make_unique<SpawnedProcess>(std::vector<std::string>{
      "unshare", "--pid", "--fork", "sh", "-c",
      "read -r s < /proc/self/stat; echo \"{\\\"host_pid\\\":${s%% *}}\"; exec \"$@\"", "sh",
      helper_path(Helper::quick_connect), topo().host_ip4(), std::to_string(kServerPort), "--hold",
      fifo.string()}));
  SpawnedProcess& client = *held_clients_.back();
  ASSERT_TRUE(client.out().wait_for([](const auto& lines) { return lines.size() >= 2; }, 10s))
      << client.describe();
  const auto lines = client.out().lines();
  const auto host = JsonLine::parse(lines[0]);
  const auto inner = JsonLine::parse(lines[1]);
  ASSERT_TRUE(host && host->integer("host_pid")) << lines[0];
  ASSERT_TRUE(inner && inner->integer("pid") && inner->integer("local_port")) << lines[1];
  ASSERT_NE(*host->integer("host_pid"), *inner->integer("pid"));

  Held h;
  h.process = &client;
  h.fifo = fifo;
  h.pid = *host->integer("host_pid");
  h.local_port = *inner->integer("local_port");
  const Flow flow = flow_of(h);
  ASSERT_EQ(flow.starts.size(), 1u) << dump(procflow().events());
  ASSERT_EQ(flow.ends.size(), 1u) << dump(flow.starts);
  for (const JsonLine* e : flow.all()) {
    EXPECT_EQ(e->integer("pid"), h.pid) << "pid stays the host's: " << e->raw();
    EXPECT_EQ(e->integer("container_pid"), inner->integer("pid")) << e->raw();
    EXPECT_FALSE(e->has("container_id")) << "a pid namespace is no container: " << e->raw();
  }
}

}  // namespace
}  // namespace procflow_it
