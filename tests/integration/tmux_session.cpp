#include "tmux_session.h"

#include <thread>

#include "spawned_process.h"

namespace procflow_it {

std::vector<std::string> TmuxSession::tmux(std::vector<std::string> args) const {
  std::vector<std::string> argv = {"tmux", "-L", socket_, "-f", "/dev/null"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

TmuxSession::TmuxSession(const std::string& name, int width, int height, const std::string& command)
    : socket_("pf-it-" + name), name_(name) {
  run_command(tmux({"kill-server"}));  // a crashed run's server, if any
  started_ = run_command(tmux({"new-session", "-d", "-s", name_, "-x", std::to_string(width), "-y",
                               std::to_string(height), command}))
                 .ok();
}

TmuxSession::~TmuxSession() {
  run_command(tmux({"kill-server"}));
}

std::vector<std::string> TmuxSession::screen() const {
  const CommandResult r = run_command(tmux({"capture-pane", "-p", "-t", name_}));
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < r.out.size()) {
    size_t end = r.out.find('\n', start);
    if (end == std::string::npos) end = r.out.size();
    lines.push_back(r.out.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::string TmuxSession::screen_text() const {
  std::string text;
  for (const std::string& line : screen()) text += line + "\n";
  return text;
}

void TmuxSession::send_keys(const std::vector<std::string>& keys) const {
  std::vector<std::string> args = {"send-keys", "-t", name_};
  args.insert(args.end(), keys.begin(), keys.end());
  run_command(tmux(args));
}

void TmuxSession::type(const std::string& text) const {
  run_command(tmux({"send-keys", "-t", name_, "-l", text}));
}

void TmuxSession::resize(int width, int height) const {
  run_command(tmux(
      {"resize-window", "-t", name_, "-x", std::to_string(width), "-y", std::to_string(height)}));
}

bool TmuxSession::alive() const {
  return run_command(tmux({"has-session", "-t", name_})).ok();
}

bool TmuxSession::wait_for(const std::function<bool(const std::string&)>& predicate,
                           std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (predicate(screen_text())) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(100ms);
  }
}

bool TmuxSession::wait_for_text(const std::string& text, std::chrono::milliseconds timeout) const {
  return wait_for([&](const std::string& s) { return s.find(text) != std::string::npos; }, timeout);
}

}  // namespace procflow_it
