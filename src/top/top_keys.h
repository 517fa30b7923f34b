// What the person at `procflow top` has asked for so far (grouping, sort,
// filter, the expanded group, pause, help) and what each key changes. Pure:
// keys are ncurses key codes, but nothing here touches the terminal, so the
// help screen and the tests can both be checked against this one table.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "top/top_rows.h"

namespace procflow {

struct ViewState {
  TopQuery query;
  std::string selected;  // key of the selected group ("" : the first row)
  std::string expanded;  // key of the group whose flows are listed ("" : none)
  size_t selected_row = 0;
  bool paused = false;  // the screen keeps its picture; events are still counted
  bool help = false;
  bool editing_filter = false;  // keys go to the filter until Enter or Esc
  std::string filter_before_edit;
  bool quit = false;
};

enum class KeyEffect {
  none,    // not a key of ours
  redraw,  // the view changed: draw now
};

// Applies one key. `row_keys` are the keys of the rows on screen, in order
// (what the selection moves through); `page` is how many rows fit.
KeyEffect handle_key(ViewState& state, int key, const std::vector<std::string>& row_keys,
                     size_t page);

// The help screen's lines: each key and what it does.
const std::vector<std::pair<std::string_view, std::string_view>>& key_help();

}  // namespace procflow
