// A terminal a test can type into and read back: a detached tmux session on a
// tmux server of its own (-L: never the user's, no config file), running one
// shell command. The destructor kills that server and whatever still runs in it.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace procflow_it {

class TmuxSession {
 public:
  // Starts `command` (run by sh) in a width x height window; started() tells
  // whether tmux came up.
  TmuxSession(const std::string& name, int width, int height, const std::string& command);
  ~TmuxSession();
  TmuxSession(const TmuxSession&) = delete;
  TmuxSession& operator=(const TmuxSession&) = delete;

  bool started() const { return started_; }
  // The visible screen, one string per line (capture-pane -p).
  std::vector<std::string> screen() const;
  std::string screen_text() const;
  // tmux key names ("Enter", "Escape", "q"), one key each.
  void send_keys(const std::vector<std::string>& keys) const;
  // Characters typed as they are (send-keys -l).
  void type(const std::string& text) const;
  void resize(int width, int height) const;
  // Whether the command still runs (the session exists).
  bool alive() const;
  // Polls the screen until `predicate` holds; false after `timeout`.
  bool wait_for(const std::function<bool(const std::string&)>& predicate,
                std::chrono::milliseconds timeout) const;
  bool wait_for_text(const std::string& text, std::chrono::milliseconds timeout) const;

 private:
  std::vector<std::string> tmux(std::vector<std::string> args) const;
  std::string socket_;
  std::string name_;
  bool started_ = false;
};

}  // namespace procflow_it
