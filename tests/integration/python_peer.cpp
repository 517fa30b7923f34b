// Python peers; see python_peer.h.
#include "python_peer.h"

#include <filesystem>

#include "json_line.h"

namespace procflow_it {

std::string python_image_path() {
  std::error_code ec;
  auto resolved = std::filesystem::canonical(kSystemPython, ec);
  return ec ? std::string() : resolved.string();
}

std::string python_exe() {
  return std::filesystem::path(python_image_path()).filename().string();
}

std::string peer_script(const std::string& name) {
  return std::string(PROCFLOW_SOURCE_DIR) + "/tests/integration/peers/" + name;
}

PythonPeer::PythonPeer(const std::string& script, std::vector<std::string> args) {
  std::vector<std::string> argv = {kSystemPython, peer_script(script)};
  argv.insert(argv.end(), args.begin(), args.end());
  process_ = std::make_unique<SpawnedProcess>(argv);
}

PythonPeer::~PythonPeer() {
  process_->kill_group();
}

::testing::AssertionResult PythonPeer::wait_ready(std::chrono::milliseconds timeout) {
  auto ready = [](const std::vector<std::string>& lines) { return !lines.empty(); };
  if (!process_->out().wait_for(ready, timeout)) {
    process_->wait(0ms);
    return ::testing::AssertionFailure() << "no ready line:\n" << process_->describe();
  }
  auto line = JsonLine::parse(process_->out().lines().front());
  if (!line || line->boolean("ready") != true || line->integer("pid") != process_->pid()) {
    return ::testing::AssertionFailure() << "unexpected first line:\n" << process_->describe();
  }
  return ::testing::AssertionSuccess();
}

}  // namespace procflow_it
