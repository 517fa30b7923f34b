#include "top/top_keys.h"

#include <curses.h>

#include <algorithm>

namespace procflow {
namespace {

constexpr int kEscape = 27;
constexpr int kCtrlU = 21;

bool is_enter(int key) {
  return key == '\n' || key == '\r' || key == KEY_ENTER;
}
bool is_backspace(int key) {
  return key == KEY_BACKSPACE || key == 127 || key == 8;
}

KeyEffect edit_filter(ViewState& s, int key) {
  if (is_enter(key)) {
    s.editing_filter = false;
  } else if (key == kEscape) {  // back to the filter before the edit
    s.query.filter = s.filter_before_edit;
    s.editing_filter = false;
  } else if (is_backspace(key)) {
    if (!s.query.filter.empty()) s.query.filter.pop_back();
  } else if (key == kCtrlU) {
    s.query.filter.clear();
  } else if (key >= 0x20 && key < 0x7f) {  // the filter is ASCII: names, addresses, ports
    s.query.filter += static_cast<char>(key);
  } else {
    return KeyEffect::none;
  }
  return KeyEffect::redraw;
}

void sort_by(ViewState& s, Column c) {
  if (s.query.sort == c) {
    s.query.descending = !s.query.descending;
  } else {
    s.query.sort = c;
    s.query.descending = c != Column::name;  // names A to Z, numbers largest first
  }
}

void move_selection(ViewState& s, const std::vector<std::string>& rows, long delta) {
  if (rows.empty()) return;
  const long last = static_cast<long>(rows.size()) - 1;
  const long row = std::clamp(static_cast<long>(s.selected_row) + delta, 0L, last);
  s.selected_row = static_cast<size_t>(row);
  s.selected = rows[s.selected_row];
}

}  // namespace

KeyEffect handle_key(ViewState& s, int key, const std::vector<std::string>& rows, size_t page) {
  if (s.editing_filter) return edit_filter(s, key);
  if (s.help && key != KEY_RESIZE) {  // any key closes the help, q quits
    s.help = false;
    if (key == 'q' || key == 'Q') s.quit = true;
    return KeyEffect::redraw;
  }
  const long page_rows = static_cast<long>(std::max<size_t>(page, 1));
  switch (key) {
    case 'q':
    case 'Q':
      s.quit = true;
      break;
    case '?':
    case 'h':
      s.help = true;
      break;
    case ' ':
    case 'p':
      s.paused = !s.paused;
      break;
    case 'g':
    case '\t':
      s.query.grouping = Grouping((static_cast<size_t>(s.query.grouping) + 1) % kGroupings);
      s.selected.clear();
      s.expanded.clear();
      s.selected_row = 0;
      break;
    case '/':
      s.editing_filter = true;
      s.filter_before_edit = s.query.filter;
      break;
    case kEscape:  // out of the expanded group, then the filter goes
      if (!s.expanded.empty())
        s.expanded.clear();
      else
        s.query.filter.clear();
      break;
    case '<':
    case KEY_LEFT:
      sort_by(s, Column((static_cast<size_t>(s.query.sort) + kColumns - 1) % kColumns));
      break;
    case '>':
    case KEY_RIGHT:
      sort_by(s, Column((static_cast<size_t>(s.query.sort) + 1) % kColumns));
      break;
    case 'r':
      s.query.descending = !s.query.descending;
      break;
    case KEY_UP:
    case 'k':
      move_selection(s, rows, -1);
      break;
    case KEY_DOWN:
    case 'j':
      move_selection(s, rows, 1);
      break;
    case KEY_PPAGE:
      move_selection(s, rows, -page_rows);
      break;
    case KEY_NPAGE:
      move_selection(s, rows, page_rows);
      break;
    case KEY_HOME:
      move_selection(s, rows, -static_cast<long>(rows.size()));
      break;
    case KEY_END:
      move_selection(s, rows, static_cast<long>(rows.size()));
      break;
    case KEY_RESIZE:
      break;
    default:
      if (is_enter(key)) {
        if (rows.empty()) break;
        const std::string& row = rows[std::min(s.selected_row, rows.size() - 1)];
        s.expanded = s.expanded == row ? "" : row;
        s.selected = row;
        break;
      }
      if (key >= '1' && key < '1' + static_cast<int>(kColumns)) {
        sort_by(s, Column(key - '1'));
        break;
      }
      return KeyEffect::none;
  }
  return KeyEffect::redraw;
}

const std::vector<std::pair<std::string_view, std::string_view>>& key_help() {
  static const std::vector<std::pair<std::string_view, std::string_view>> help = {
      {"1-8", "sort by column 1-8 (NAME OPEN FLOWS CONN/S IN/S OUT/S IN OUT); again: reverse"},
      {"< >", "sort by the column to the left / right"},
      {"r", "reverse the sort order"},
      {"g Tab", "group by process, remote endpoint, protocol (in turn)"},
      {"/", "filter: type a part of an exe, name, address or port; Enter keeps it, Esc drops"},
      {"Esc", "close the expanded group, else clear the filter"},
      {"Up Down", "select a row (also j k, PgUp PgDn, Home End)"},
      {"Enter", "expand the selected group into its flows; again: close"},
      {"Space p", "pause the picture (counting goes on); again: resume"},
      {"? h", "this help; any key closes it"},
      {"q", "quit"},
  };
  return help;
}

}  // namespace procflow
