// Tests what a reload does to the outputs: the keep-or-open decision
// (plan_output_reload), EventOutput::reconfigure keeping an unchanged
// output with what it holds, and the retirement of the others off the
// caller's thread, where whatever a retired output could not deliver in its
// time is counted exactly (SinkQueue::abandon, reason `retired`).
#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>

#include "output/event_output.h"
#include "output/json_serializer.h"
#include "output/output_reload_plan.h"
#include "output/output_retirement.h"
#include "output/sink_queue.h"

namespace procflow {
namespace {

using namespace std::chrono_literals;

// Nothing listens on port 1: the ClickHouse sink holds its rows and retries.
constexpr char kDeadClickHouse[] = "clickhouse+http://127.0.0.1:1/?table=flows";

OutputRoute route(const std::string& uri) {
  OutputRoute r;
  r.uri = uri;
  return r;
}

FlowEvent end_event(uint16_t dest_port) {
  FlowEvent e;
  e.action = FlowAction::end;
  e.dest_port = dest_port;
  e.exe = "curl";
  return e;
}

TEST(OutputReloadPlanTest, UnchangedOutputsAreKeptWhereverTheyMoved) {
  const std::vector<OutputRoute> running = {route("file:/var/log/a.json"), route(kDeadClickHouse)};
  const auto plan =
      plan_output_reload(running, {route(kDeadClickHouse), route("file:/var/log/b.json")});
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0], std::optional<size_t>(1)) << "the ClickHouse output, now first, is kept";
  EXPECT_EQ(plan[1], std::nullopt) << "a new file is opened";
}

TEST(OutputReloadPlanTest, AnyChangeInTheDescriptionOpensTheOutputAgain) {
  const OutputRoute before = route("file:/var/log/a.json");
  EXPECT_TRUE(same_output(before, route("file:/var/log/a.json")));

  OutputRoute options = before;
  options.uri = std::string(kDeadClickHouse) + "&max_rows=10";
  EXPECT_FALSE(same_output(route(kDeadClickHouse), options)) << "URI options";
  OutputRoute rotation = before;
  rotation.file.max_size_bytes = 1 << 20;
  EXPECT_FALSE(same_output(before, rotation)) << "rotation";
  OutputRoute fsync = before;
  fsync.file.fsync = FsyncPolicy::batch;
  EXPECT_FALSE(same_output(before, fsync)) << "fsync";
  OutputRoute schema = before;
  schema.format.schema = Schema::ocsf;
  EXPECT_FALSE(same_output(before, schema)) << "schema";
  OutputRoute layout = before;
  layout.format.layout = Layout::text;
  EXPECT_FALSE(same_output(before, layout)) << "layout";
  OutputRoute queue = before;
  queue.queue_bytes = 1 << 20;
  EXPECT_FALSE(same_output(before, queue)) << "queue size";
  OutputRoute actions = before;
  actions.filter.actions = {FlowAction::end};
  EXPECT_FALSE(same_output(before, actions)) << "filter: actions";
  OutputRoute excluded = before;
  excluded.filter.exclude.exes = {"sshd"};
  EXPECT_FALSE(same_output(before, excluded)) << "filter: exclude";

  // Hosts: told apart by the CIDRs they were built from.
  OutputRoute hosts_a = before, hosts_b = before;
  hosts_a.filter.hosts = NetworkClassifier::parse({"10.0.0.0/8"}, nullptr);
  hosts_a.filter.host_cidrs = {"10.0.0.0/8"};
  hosts_b.filter.hosts = NetworkClassifier::parse({"192.168.0.0/16"}, nullptr);
  hosts_b.filter.host_cidrs = {"192.168.0.0/16"};
  EXPECT_FALSE(same_output(hosts_a, hosts_b));
  EXPECT_FALSE(same_output(before, hosts_a));
  EXPECT_TRUE(same_output(hosts_a, hosts_a));
}

TEST(OutputReloadPlanTest, TwoIdenticalOutputsStayTwoAndAThirdIsOpened) {
  const OutputRoute a = route("file:/var/log/a.json");
  const auto plan = plan_output_reload({a, a}, {a, a, a});
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0], std::optional<size_t>(0));
  EXPECT_EQ(plan[1], std::optional<size_t>(1));
  EXPECT_EQ(plan[2], std::nullopt);
}

// Takes the first write, then blocks in the second until released: a sink
// that never comes back while the test looks.
class BlockingSink : public Sink {
 public:
  struct Gate {
    std::mutex mu;
    std::condition_variable cv;
    int writes = 0;
    bool released = false;
  };
  explicit BlockingSink(std::shared_ptr<Gate> gate) : gate_(std::move(gate)) {}
  void write(std::string_view) override {
    std::unique_lock lock(gate_->mu);
    gate_->writes++;
    gate_->cv.notify_all();
    gate_->cv.wait(lock, [&] { return gate_->released; });
  }
  void flush() override {}
  bool broken() const override { return false; }
  int last_error() const override { return 0; }
  uint64_t bytes_written() const override { return 0; }

 private:
  std::shared_ptr<Gate> gate_;
};

TEST(SinkQueueAbandonTest, EverythingABlockedSinkDidNotDeliverIsCounted) {
  auto gate = std::make_shared<BlockingSink::Gate>();
  SinkQueue queue(std::make_unique<BlockingSink>(gate), 1 << 20);
  ASSERT_TRUE(queue.offer("one\n"));
  ASSERT_TRUE(queue.offer("two\n"));
  queue.flush();
  {  // the thread is stuck in the write of the first two
    std::unique_lock lock(gate->mu);
    gate->cv.wait(lock, [&] { return gate->writes == 1; });
  }
  for (int i = 0; i < 5; i++) ASSERT_TRUE(queue.offer("more\n"));
  queue.flush();
  EXPECT_FALSE(queue.drain(100ms));
  EXPECT_EQ(queue.abandon(), 7u) << "two in the write under way, five queued";
  EXPECT_EQ(queue.stats().events_written, 0u);
  {
    std::lock_guard lock(gate->mu);
    gate->released = true;
  }
  gate->cv.notify_all();
}

TEST(OutputRetirementTest, ARetiredOutputsHeldRowsAreCountedAsRetired) {
  std::string error;
  auto out = EventOutput::open({route(kDeadClickHouse)}, SinkQueue::WhenFull::drop, &error);
  ASSERT_TRUE(out) << error;
  for (uint16_t port = 1; port <= 7; port++) out->emit(end_event(port));
  out->flush();
  OutputRetirement retirement(300ms);
  retirement.retire(std::move(out));
  retirement.wait();
  const std::vector<OutputRouteStats> finished = retirement.take_finished();
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_EQ(finished[0].dropped_retired, 7u) << "the seven rows waiting for the server";
  EXPECT_EQ(finished[0].dropped_shutdown, 0u);
  EXPECT_EQ(finished[0].queue.events_dropped, 0u);
  EXPECT_EQ(finished[0].events_dropped(), 7u);
  EXPECT_EQ(finished[0].events_by_action[2], 7u);
  EXPECT_TRUE(retirement.take_finished().empty()) << "taken once";
}

TEST(OutputRetirementTest, RetiringDoesNotWaitForTheDrain) {
  std::string error;
  auto out = EventOutput::open({route(kDeadClickHouse)}, SinkQueue::WhenFull::drop, &error);
  ASSERT_TRUE(out) << error;
  out->emit(end_event(443));
  OutputRetirement retirement(2s);  // the server never comes: the whole 2 s
  const auto before = std::chrono::steady_clock::now();
  retirement.retire(std::move(out));
  EXPECT_LT(std::chrono::steady_clock::now() - before, 1s);
  EXPECT_TRUE(retirement.take_finished().empty()) << "still draining";
  ASSERT_EQ(retirement.draining().size(), 1u);
  EXPECT_EQ(retirement.draining()[0].events_by_action[2], 1u);
  EXPECT_EQ(retirement.events_dropped(), 0u);
  retirement.wait();
  EXPECT_EQ(retirement.events_dropped(), 1u) << "finished, not yet taken: still counted";
}

TEST(EventOutputReconfigureTest, AnUnchangedOutputKeepsItsHeldRowsAndCounters) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("procflow-reload-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string old_file = dir / "old.json", new_file = dir / "new.json";
  std::string error;
  auto out = EventOutput::open({route(kDeadClickHouse), route("file:" + old_file)},
                               SinkQueue::WhenFull::drop, &error);
  ASSERT_TRUE(out) << error;
  const FlowEvent first = end_event(80), second = end_event(443);
  out->emit(first);
  out->flush();

  std::unique_ptr<EventOutput> retired;
  OutputChanges changes;
  ASSERT_TRUE(out->reconfigure({route(kDeadClickHouse), route("file:" + new_file)},
                               SinkQueue::WhenFull::drop, &retired, &changes, &error))
      << error;
  EXPECT_EQ(changes.kept, 1u);
  EXPECT_EQ(changes.opened, 1u);
  EXPECT_EQ(changes.retired, 1u);
  ASSERT_TRUE(retired);
  out->emit(second);
  ASSERT_FALSE(out->drain(300ms)) << "the ClickHouse server is down";
  const auto stats = out->stats();
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].uri, kDeadClickHouse);
  EXPECT_EQ(stats[0].events_by_action[2], 2u) << "counters kept across the reload";
  EXPECT_EQ(stats[0].queue.events_held, 2u) << "the row from before the reload is still held";

  OutputRetirement retirement(5s);
  retirement.retire(std::move(retired));
  retirement.wait();
  const auto finished = retirement.take_finished();
  ASSERT_EQ(finished.size(), 1u);
  EXPECT_EQ(finished[0].uri, "file:" + old_file);
  EXPECT_EQ(finished[0].dropped_retired, 0u) << "a file takes everything in time";

  std::string want_old, want_new;
  append_json_line(first, want_old);
  append_json_line(second, want_new);
  auto read = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_EQ(read(old_file), want_old);
  EXPECT_EQ(read(new_file), want_new);
  EXPECT_EQ(out->abandon(Undelivered::shutdown), 2u);
  EXPECT_EQ(out->stats()[0].dropped_shutdown, 2u);
  EXPECT_EQ(out->events_dropped(), 2u);
  std::filesystem::remove_all(dir);
}

TEST(EventOutputReconfigureTest, AnOutputThatCannotOpenChangesNothing) {
  std::string error;
  auto out = EventOutput::open({route(kDeadClickHouse)}, SinkQueue::WhenFull::drop, &error);
  ASSERT_TRUE(out) << error;
  std::unique_ptr<EventOutput> retired;
  OutputChanges changes;
  EXPECT_FALSE(out->reconfigure({route("file:/nonexistent-dir/x.json")}, SinkQueue::WhenFull::drop,
                                &retired, &changes, &error));
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(retired);
  ASSERT_EQ(out->stats().size(), 1u);
  EXPECT_EQ(out->stats()[0].uri, kDeadClickHouse);
}

}  // namespace
}  // namespace procflow
