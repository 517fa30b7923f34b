// The procflow process under test; see procflow_runner.h.
#include "procflow_runner.h"

#include <signal.h>

#include <cstdlib>

namespace procflow_it {
namespace {

std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

}  // namespace

std::string procflow_binary() {
  if (const char* env = std::getenv("PROCFLOW_TEST_BINARY"); env && *env) return env;
  return PROCFLOW_BINARY;
}

ProcflowRunner::ProcflowRunner(const std::vector<std::string>& interfaces,
                               std::vector<std::string> extra_args,
                               std::vector<std::string> global_args) {
  argv_ = {procflow_binary()};
  argv_.insert(argv_.end(), global_args.begin(), global_args.end());
  for (const char* arg : {"trace", "--format", "json", "--interfaces"}) argv_.emplace_back(arg);
  argv_.push_back(join(interfaces, ","));
  argv_.insert(argv_.end(), extra_args.begin(), extra_args.end());
}

ProcflowRunner::~ProcflowRunner() {
  if (process_) process_->kill_group();
}

::testing::AssertionResult ProcflowRunner::start(std::chrono::milliseconds timeout) {
  try {
    process_ = std::make_unique<SpawnedProcess>(argv_);
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << e.what();
  }
  auto started = [](const std::vector<std::string>& lines) {
    for (const auto& line : lines) {
      if (line.find("tracing started") != std::string::npos) return true;
    }
    return false;
  };
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (process_->err().wait_for(started, 100ms)) return ::testing::AssertionSuccess();
    if (process_->wait(0ms)) {
      return ::testing::AssertionFailure() << "procflow exited before \"tracing started\":\n"
                                           << describe();
    }
  }
  auto failure = ::testing::AssertionFailure() << "procflow did not log \"tracing started\" within "
                                               << timeout.count() << " ms:\n";
  process_->kill_group();
  return failure << describe();
}

pid_t ProcflowRunner::pid() const {
  return process_ ? process_->pid() : -1;
}

void ProcflowRunner::absorb(const std::vector<std::string>& lines) const {
  std::lock_guard lock(parsed_mutex_);
  for (; parsed_lines_ < lines.size(); ++parsed_lines_) {
    const auto& line = lines[parsed_lines_];
    if (auto parsed = JsonLine::parse(line)) {
      events_.push_back(std::move(*parsed));
    } else {
      malformed_.push_back(line);
    }
  }
}

std::vector<JsonLine> ProcflowRunner::events() const {
  if (process_) absorb(process_->out().lines());
  std::lock_guard lock(parsed_mutex_);
  return events_;
}

std::vector<std::string> ProcflowRunner::malformed_lines() const {
  if (process_) absorb(process_->out().lines());
  std::lock_guard lock(parsed_mutex_);
  return malformed_;
}

bool ProcflowRunner::wait_for(const EventPredicate& predicate,
                              std::chrono::milliseconds timeout) const {
  if (!process_) return false;
  return process_->out().wait_for(
      [&](const std::vector<std::string>& lines) {
        absorb(lines);
        std::lock_guard lock(parsed_mutex_);
        return predicate(events_);
      },
      timeout);
}

std::optional<ExitStatus> ProcflowRunner::stop(std::chrono::milliseconds timeout) {
  if (!process_) return std::nullopt;
  process_->signal(SIGINT);
  auto status = process_->wait(timeout);
  if (!status) process_->kill_group();
  return status;
}

std::optional<ExitStatus> ProcflowRunner::wait_exit(std::chrono::milliseconds timeout) {
  if (!process_) return std::nullopt;
  return process_->wait(timeout);
}

void ProcflowRunner::kill() {
  if (process_) process_->kill_group();
}

std::string ProcflowRunner::stderr_text() const {
  return process_ ? process_->err().text() : "";
}

bool ProcflowRunner::wait_for_log(const std::string& text,
                                  std::chrono::milliseconds timeout) const {
  if (!process_) return false;
  return process_->err().wait_for(
      [&](const std::vector<std::string>& lines) {
        for (const auto& line : lines) {
          if (line.find(text) != std::string::npos) return true;
        }
        return false;
      },
      timeout);
}

std::string ProcflowRunner::describe() const {
  if (!process_) return "procflow was not started: " + join(argv_, " ") + "\n";
  return process_->describe();
}

}  // namespace procflow_it
