// The terminal side of `procflow top`: ncurses set up and torn down (RAII:
// the terminal is restored however the command ends), keys read without
// waiting, and the picture drawn from the model and the view state. Drawing
// is ncurses' own diff against the last screen, so a refresh costs a few
// bytes over SSH.
#pragma once

#include <curses.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "top/flow_aggregator.h"
#include "top/top_keys.h"

namespace procflow {

class TopScreen {
 public:
  // False with `error` when standard input and output are not a terminal.
  static bool check_terminal(std::string* error);
  // nullptr with `error` when there is no terminal to draw on.
  static std::unique_ptr<TopScreen> open(std::string* error);
  ~TopScreen();
  TopScreen(const TopScreen&) = delete;
  TopScreen& operator=(const TopScreen&) = delete;

  // The next key, or ERR when none is waiting.
  int read_key();
  // Draws the picture at `now_s` (UNIX seconds); `status` is the last
  // line's message when there is one (a warning), else the key hints show.
  void draw(const FlowAggregator& model, ViewState& state, uint64_t now_s,
            const std::string& status);
  // The keys of the rows last drawn, in order, and how many rows fit.
  const std::vector<std::string>& row_keys() const { return row_keys_; }
  size_t page() const { return page_; }
  bool utf8() const { return utf8_; }

 private:
  TopScreen(bool utf8, SCREEN* terminal) : utf8_(utf8), terminal_(terminal) {}
  bool utf8_;
  SCREEN* terminal_;
  bool colour_ = false;
  std::vector<std::string> row_keys_;
  size_t page_ = 1;
};

}  // namespace procflow
