// Live events in every schema at once. `procflow run --config` writes three
// outputs, each with its own schema and filter: CAR JSON (everything), OCSF
// (only `end` events) and ECS (no messages), while real TCP exchanges run.
// Then a reload turns the ECS output into an OCSF one at another path. Every
// OCSF and ECS line is checked against the vendored definitions
// (tests/fixtures/schemas, the same validators as the unit tests), and each
// output holds exactly the events its filter lets through: those of the CAR
// output, by flow and action.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "ground_truth.h"
#include "integration_test.h"
#include "json_line.h"
#include "schema_validators.h"
#include "scratch_dir.h"

namespace procflow_it {
namespace {

using namespace std::chrono_literals;

constexpr int kPort = 18650;
constexpr int kClientBytes = 1500;
constexpr int kServerBytes = 7000;

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

size_t newlines_in(const std::string& path) {
  return lines_of(path).size();
}

class LiveSchemaTest : public IntegrationTest {
 protected:
  // The config: the CAR output, the OCSF one of ends only, and a third output
  // (`third_schema` at `third_path`) that leaves messages out.
  void write_config(const std::string& third_schema, const std::string& third_path) {
    std::ofstream(config_) << "outputs:\n"
                           << "  - uri: file:" << car_ << "\n"
                           << "  - uri: file:" << ocsf_ << "\n    schema: ocsf\n"
                           << "    filter: {include: {action: [end]}}\n"
                           << "  - uri: file:" << third_path << "\n    schema: " << third_schema
                           << "\n    filter: {exclude: {action: [message]}}\n"
                           << "filter:\n  include: {port: [" << kPort << "]}\n"
                           << "interfaces: [" << topo().host_if() << "]\n";
  }

  // `n` connections, each traced as 2 starts, 2 ends and 4 messages; waits
  // until the CAR output holds `car_lines` lines.
  void connections(int n, size_t car_lines) {
    for (int i = 0; i < n; ++i) {
      SpawnedProcess& client = run_in_ns({helper_path(Helper::tcp_client), topo().host_ip4(),
                                          std::to_string(kPort), std::to_string(kClientBytes)});
      const auto truth = client_truth(client);
      ASSERT_TRUE(truth && truth->error.empty()) << client.describe();
    }
    for (int i = 0; i < 400 && newlines_in(car_) < car_lines; ++i)
      std::this_thread::sleep_for(50ms);
    ASSERT_EQ(newlines_in(car_), car_lines);
  }

  ScratchDir scratch_{"procflow-live-schema"};
  const std::string config_ = (scratch_.path() / "procflow.yaml").string();
  const std::string car_ = (scratch_.path() / "car.json").string();
  const std::string ocsf_ = (scratch_.path() / "ocsf.json").string();
  const std::string ecs_ = (scratch_.path() / "ecs.json").string();
  const std::string ocsf_after_ = (scratch_.path() / "ocsf-after-reload.json").string();
};

// (src_port, dest_port, action) of a CAR line, and of an OCSF or ECS one.
using FlowAction = std::tuple<int64_t, int64_t, std::string>;

FlowAction car_key(const std::string& line) {
  const auto e = JsonLine::parse(line);
  EXPECT_TRUE(e) << line;
  if (!e) return {};
  return {e->integer("src_port").value_or(-1), e->integer("dest_port").value_or(-1),
          e->str("action").value_or("")};
}

// OCSF's activity: 1 Open for a start; every other activity here is an end
// (docs/schemas.md#activity). Source and destination are the CAR flow's
// initiator and responder.
FlowAction ocsf_key(const rapidjson::Document& d) {
  EXPECT_EQ(procflow::test::integer(d, "class_uid"), 4001);  // Network Activity
  return {procflow::test::integer(d, "src_endpoint.port"),
          procflow::test::integer(d, "dst_endpoint.port"),
          procflow::test::integer(d, "activity_id") == 1 ? "start" : "end"};
}

// ECS's event.action is the CAR action.
FlowAction ecs_key(const rapidjson::Document& d) {
  return {procflow::test::integer(d, "source.port"), procflow::test::integer(d, "destination.port"),
          procflow::test::text(d, "event.action")};
}

// Every line of an output checked against its schema's definitions; the
// (ports, action) of each.
template <class Validator, class KeyOf>
std::multiset<FlowAction> validated_events(const std::string& path, const Validator& validator,
                                           KeyOf key_of) {
  std::multiset<FlowAction> keys;
  for (const auto& line : lines_of(path)) {
    const auto d = procflow::test::parse_line(line + "\n");
    EXPECT_EQ(procflow::test::joined(validator.validate(d)), "") << line;
    keys.insert(key_of(d));
  }
  return keys;
}

TEST_F(LiveSchemaTest, EachOutputHasItsSchemaAndFilterAndAReloadChangesASchema) {
  write_config("ecs", ecs_);
  SpawnedProcess service({procflow_binary(), "run", "--config", config_});
  ASSERT_TRUE(service.err().wait_for_text("tracing started", 1, 20s)) << service.describe();
  ASSERT_NE(start_server(topo().host_ip4(), kPort, 2, kServerBytes), nullptr);
  ASSERT_NO_FATAL_FAILURE(connections(3, 3 * 8));

  write_config("ocsf", ocsf_after_);
  service.signal(SIGHUP);
  ASSERT_TRUE(service.err().wait_for_text("reloaded: 3 outputs", 1, 20s)) << service.describe();
  ASSERT_NO_FATAL_FAILURE(connections(2, 5 * 8));
  service.signal(SIGTERM);
  const auto status = service.wait(20s);
  ASSERT_TRUE(status && status->success()) << service.describe();

  // What each output must hold, from the CAR output (which took everything).
  std::multiset<FlowAction> car_ends, car_starts_ends_before, car_starts_ends_after;
  const auto car = lines_of(car_);
  ASSERT_EQ(car.size(), 40u);
  for (size_t i = 0; i < car.size(); ++i) {
    const FlowAction k = car_key(car[i]);
    if (std::get<2>(k) == "end") car_ends.insert(k);
    if (std::get<2>(k) == "message") continue;
    (i < 24 ? car_starts_ends_before : car_starts_ends_after).insert(k);
  }

  const auto ocsf_ends = validated_events(ocsf_, procflow::test::ocsf_validator(), ocsf_key);
  EXPECT_EQ(ocsf_ends.size(), 10u);  // 5 connections, 2 sides
  EXPECT_EQ(ocsf_ends, car_ends) << "the OCSF output: every end, nothing else";

  const auto ecs_events = validated_events(ecs_, procflow::test::ecs_validator(), ecs_key);
  EXPECT_EQ(ecs_events.size(), 12u);  // 3 connections, 2 sides, start and end
  EXPECT_EQ(ecs_events, car_starts_ends_before) << "the ECS output until the reload";

  const auto after = validated_events(ocsf_after_, procflow::test::ocsf_validator(), ocsf_key);
  EXPECT_EQ(after.size(), 8u);  // 2 connections, 2 sides, start and end
  EXPECT_EQ(after, car_starts_ends_after) << "the third output, OCSF since the reload";
}

}  // namespace
}  // namespace procflow_it
