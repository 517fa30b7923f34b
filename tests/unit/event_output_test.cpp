// Tests EventOutput, the seam every command writes through: each route gets
// the events its own filter passes, in its own format, through its own sink;
// a `lost` report reaches every route; the stdout route's reader going away is
// told apart from a file that failed.
#include "output/event_output.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "ip_literal.h"
#include "output/json_serializer.h"
#include "output/text_formatter.h"

namespace procflow {
namespace {

using namespace std::chrono_literals;
using test::ip;

FlowEvent event(FlowAction action, uint16_t dest_port) {
  FlowEvent e;
  e.action = action;
  e.src_ip = ip("10.0.0.5");
  e.dest_ip = ip("10.0.0.9");
  e.src_port = 50438;
  e.dest_port = dest_port;
  e.pid = 738;
  e.exe = "curl";
  return e;
}

class EventOutputTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string base = std::filesystem::temp_directory_path() / "procflow-output-XXXXXX";
    ASSERT_NE(mkdtemp(base.data()), nullptr);
    dir_ = base;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  std::filesystem::path dir_;
};

TEST_F(EventOutputTest, EachRouteHasItsOwnFilterAndFormat) {
  const std::string all = dir_ / "all.json", ends = dir_ / "ends.txt";
  OutputRoute everything;
  everything.uri = "file:" + all;
  OutputRoute only_ends;
  only_ends.uri = "file:" + ends;
  only_ends.format.layout = Layout::text;
  only_ends.filter.actions = {FlowAction::end};
  std::string error;
  auto out = EventOutput::open({everything, only_ends}, SinkQueue::WhenFull::drop, &error);
  ASSERT_TRUE(out) << error;
  EXPECT_FALSE(out->writes_stdout());
  const FlowEvent start = event(FlowAction::start, 443), end = event(FlowAction::end, 443);
  out->emit(start);
  out->emit(end);
  ASSERT_TRUE(out->drain(5s));

  std::string want_all, want_ends = text_header();
  append_json_line(start, want_all);
  append_json_line(end, want_all);
  append_text_line(end, want_ends);
  EXPECT_EQ(read(all), want_all);
  EXPECT_EQ(read(ends), want_ends);
  const auto stats = out->stats();
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].queue.events_written, 2u);
  EXPECT_EQ(stats[1].queue.events_written, 2u);  // the header and the end
  EXPECT_EQ(out->events_dropped(), 0u);
}

TEST_F(EventOutputTest, ALostReportReachesEveryRoute) {
  const std::string a = dir_ / "a.json", b = dir_ / "b.json";
  OutputRoute ra, rb;
  ra.uri = "file:" + a;
  rb.uri = "file:" + b;
  rb.filter.actions = {FlowAction::end};  // a route's filter is for flows, not for losses
  std::string error;
  auto out = EventOutput::open({ra, rb}, SinkQueue::WhenFull::drop, &error);
  ASSERT_TRUE(out) << error;
  LossCounts delta;
  delta.flows_end_lost = 3;
  out->emit_lost(delta, 1'000'000, 2'000'000);
  ASSERT_TRUE(out->drain(5s));
  EXPECT_NE(read(a).find("\"flows_end_lost\":3"), std::string::npos) << read(a);
  EXPECT_EQ(read(a), read(b));
}

TEST_F(EventOutputTest, OnlyTheStdoutRouteGoingAwayStopsACommand) {
  signal(SIGPIPE, SIG_IGN);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  // The route "-" writes to STDOUT_FILENO: point it at a pipe whose reader is gone.
  const int saved = dup(STDOUT_FILENO);
  ASSERT_EQ(dup2(fds[1], STDOUT_FILENO), STDOUT_FILENO);
  close(fds[0]);
  close(fds[1]);
  {
    OutputRoute to_stdout, to_file;
    to_file.uri = "file:" + (dir_ / "f.json").string();
    std::string error;
    auto out = EventOutput::open({to_stdout, to_file}, SinkQueue::WhenFull::drop, &error);
    ASSERT_TRUE(out) << error;
    EXPECT_TRUE(out->writes_stdout());
    out->emit(event(FlowAction::start, 80));
    out->drain(5s);
    EXPECT_TRUE(out->stdout_gone());
    const auto stats = out->stats();
    EXPECT_EQ(stats[0].queue.error, EPIPE);
    EXPECT_EQ(stats[1].queue.error, 0);
    EXPECT_EQ(stats[1].queue.events_written, 1u);
  }
  dup2(saved, STDOUT_FILENO);
  close(saved);
}

TEST(EventFormatTest, NamesAndTheirRefusals) {
  std::string error;
  auto car_text = EventFormat::from_names("car", "text", &error);
  ASSERT_TRUE(car_text);
  EXPECT_EQ(car_text->layout, Layout::text);
  auto defaults = EventFormat::from_names("", "", &error);
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->schema, Schema::car);
  EXPECT_EQ(defaults->layout, Layout::json);
  EXPECT_FALSE(EventFormat::from_names("xml", "json", &error));
  EXPECT_EQ(error, "unknown schema 'xml': expected car, ocsf or ecs");
  EXPECT_FALSE(EventFormat::from_names("car", "yaml", &error));
  EXPECT_EQ(error, "unknown format 'yaml': expected json or text");
}

}  // namespace
}  // namespace procflow
