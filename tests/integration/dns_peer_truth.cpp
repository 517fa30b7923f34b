// Parsing of helpers/dns_peer's lines; see dns_peer_truth.h.
#include "dns_peer_truth.h"

#include "helper_programs.h"
#include "json_line.h"

namespace procflow_it {
namespace {

std::optional<DnsQueryTruth> to_query_truth(const JsonLine& json) {
  if (!json.integer("pid") || !json.integer("answers")) return std::nullopt;
  DnsQueryTruth truth;
  truth.pid = *json.integer("pid");
  truth.local_ip = json.str("local_ip").value_or("");
  truth.local_port = json.integer("local_port").value_or(0);
  truth.queried = json.boolean("queried").value_or(false);
  truth.id = json.integer("id").value_or(-1);
  truth.name = json.str("name").value_or("");
  truth.answers = *json.integer("answers");
  truth.answer_from = json.str("answer_from").value_or("");
  truth.answer_from_port = json.integer("answer_from_port").value_or(0);
  truth.answer_id = json.integer("answer_id").value_or(-1);
  truth.answer_name = json.str("answer_name").value_or("");
  truth.answer_rcode = json.integer("answer_rcode").value_or(-1);
  truth.answer_a = json.str("answer_a").value_or("");
  truth.answer_ms = json.integer("answer_ms").value_or(-1);
  return truth;
}

std::optional<DnsServedTruth> to_served_truth(const std::string& line) {
  auto json = JsonLine::parse(line);
  if (!json || !json->integer("pid") || !json->integer("query_id")) return std::nullopt;
  DnsServedTruth truth;
  truth.pid = *json->integer("pid");
  truth.query_from = json->str("query_from").value_or("");
  truth.query_from_port = json->integer("query_from_port").value_or(0);
  truth.query_id = *json->integer("query_id");
  truth.query_name = json->str("query_name").value_or("");
  truth.answered = json->boolean("answered").value_or(false);
  truth.answer_id = json->integer("answer_id").value_or(-1);
  truth.answer_name = json->str("answer_name").value_or("");
  truth.answer_a = json->str("answer_a").value_or("");
  truth.delay_ms = json->integer("delay_ms").value_or(0);
  return truth;
}

std::vector<std::string> responder_argv(const std::string& ip, int port, const std::string& mode,
                                        const std::vector<std::string>& answers,
                                        const std::string& other_name, int queries) {
  std::vector<std::string> argv = {helper_path(Helper::dns_peer),
                                   "respond",
                                   ip,
                                   std::to_string(port),
                                   "--mode",
                                   mode,
                                   "--queries",
                                   std::to_string(queries)};
  for (const auto& a : answers) {
    argv.push_back("--answer");
    argv.push_back(a);
  }
  if (!other_name.empty()) {
    argv.push_back("--other-name");
    argv.push_back(other_name);
  }
  return argv;
}

std::vector<std::string> launched(const std::vector<std::string>& launcher,
                                  std::vector<std::string> argv) {
  std::vector<std::string> out = launcher;
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

}  // namespace

std::optional<int64_t> wait_dns_peer_ready(const SpawnedProcess& peer,
                                           std::chrono::milliseconds timeout) {
  std::optional<int64_t> port;
  bool failed = false;
  peer.out().wait_for(
      [&](const std::vector<std::string>& lines) {
        for (const auto& line : lines) {
          auto json = JsonLine::parse(line);
          if (!json) continue;
          if (json->str("error")) failed = true;
          if (json->boolean("ready").value_or(false)) port = json->integer("local_port");
        }
        return port.has_value() || failed;
      },
      timeout);
  return port;
}

std::optional<DnsQueryTruth> dns_query_truth(const SpawnedProcess& peer) {
  for (const auto& line : peer.out().lines()) {
    auto json = JsonLine::parse(line);
    if (!json) continue;
    if (auto truth = to_query_truth(*json)) return truth;
  }
  return std::nullopt;
}

std::optional<DnsForgeTruth> dns_forge_truth(const SpawnedProcess& forger) {
  for (const auto& line : forger.out().lines()) {
    auto json = JsonLine::parse(line);
    if (!json || !json->integer("pid") || !json->integer("bytes")) continue;
    DnsForgeTruth truth;
    truth.pid = *json->integer("pid");
    truth.uid = json->integer("uid").value_or(-1);
    truth.raw = json->boolean("raw").value_or(false);
    truth.from = json->str("from").value_or("");
    truth.from_port = json->integer("from_port").value_or(0);
    truth.to = json->str("to").value_or("");
    truth.to_port = json->integer("to_port").value_or(0);
    truth.id = json->integer("id").value_or(-1);
    truth.name = json->str("name").value_or("");
    truth.answer_a = json->str("answer_a").value_or("");
    truth.bytes = *json->integer("bytes");
    return truth;
  }
  return std::nullopt;
}

DnsResponder::DnsResponder(const std::string& ip, int port, const std::string& mode,
                           const std::vector<std::string>& answers,
                           const std::vector<std::string>& launcher, const std::string& other_name,
                           int queries)
    : process_(std::make_unique<SpawnedProcess>(
          launched(launcher, responder_argv(ip, port, mode, answers, other_name, queries)))) {}

::testing::AssertionResult DnsResponder::wait_listening(std::chrono::milliseconds timeout) {
  auto listening = [](const std::vector<std::string>& lines) {
    for (const auto& line : lines) {
      auto json = JsonLine::parse(line);
      if (json && (json->boolean("listening").value_or(false) || json->str("error"))) return true;
    }
    return false;
  };
  process_->out().wait_for(listening, timeout);
  for (const auto& line : process_->out().lines()) {
    auto json = JsonLine::parse(line);
    if (json && json->boolean("listening").value_or(false)) {
      pid_ = json->integer("pid").value_or(-1);
      return ::testing::AssertionSuccess();
    }
  }
  process_->wait(0ms);  // reaps a responder that died, so its exit status is described
  return ::testing::AssertionFailure() << "dns_peer respond is not listening:\n"
                                       << process_->describe();
}

std::vector<DnsServedTruth> DnsResponder::wait_served(size_t count,
                                                      std::chrono::milliseconds timeout) const {
  auto served = [](const std::vector<std::string>& lines) {
    std::vector<DnsServedTruth> out;
    for (const auto& line : lines) {
      if (auto truth = to_served_truth(line)) out.push_back(*truth);
    }
    return out;
  };
  process_->out().wait_for([&](const auto& lines) { return served(lines).size() >= count; },
                           timeout);
  return served(process_->out().lines());
}

}  // namespace procflow_it
