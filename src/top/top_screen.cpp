#include "top/top_screen.h"

#include <curses.h>
#include <langinfo.h>
#include <unistd.h>

#include <algorithm>
#include <clocale>
#include <cstring>
#include <ctime>

#include "top/top_text.h"

namespace procflow {
namespace {

// Widths of the number columns (OPEN ... OUT), each after one space.
constexpr int kNumberWidths[] = {6, 7, 7, 11, 11, 9, 9};
constexpr int kNumbersWidth = 6 + 7 + 7 + 11 + 11 + 9 + 9 + 7;
constexpr int kMinName = 20;
constexpr int kMinSpark = 10;

enum Pair : short { kHeaderPair = 1, kSelectedPair, kOpenPair };

struct Layout {
  int name = kMinName;
  int spark = 0;  // 0: no history column
};

Layout layout_for(int columns) {
  Layout l;
  l.name = std::max(kMinName, columns - kNumbersWidth - 1 - RateHistory::kSeconds);
  l.spark = std::clamp(columns - kNumbersWidth - l.name - 1, 0, RateHistory::kSeconds);
  if (l.spark < kMinSpark) {  // too narrow to be read: the names get the room
    l.name = std::max(kMinName, columns - kNumbersWidth);
    l.spark = 0;
  }
  return l;
}

void put(int y, int x, const std::string& text) {
  mvaddstr(y, x, text.c_str());
}

std::string sort_mark(const ViewState& s, Column c, bool utf8) {
  if (s.query.sort != c) return "";
  if (utf8) return s.query.descending ? "\u25bc" : "\u25b2";
  return s.query.descending ? "v" : "^";
}

std::string header_line(const ViewState& s, const Layout& l, bool utf8) {
  std::string line = fit(std::string(column_title(Column::name)) + sort_mark(s, Column::name, utf8),
                         size_t(l.name));
  for (size_t c = 1; c < kColumns; c++) {
    const std::string title = std::string(column_title(Column(c))) + sort_mark(s, Column(c), utf8);
    line += ' ' + fit(title, size_t(kNumberWidths[c - 1]), true);
  }
  if (l.spark) line += ' ' + fit("LAST MINUTE, IN+OUT", size_t(l.spark));
  return line;
}

std::string row_line(const TopRow& r, const Layout& l, uint64_t now_s, bool utf8) {
  const TopGroup& g = *r.group;
  const std::string cells[] = {std::to_string(g.open),
                               std::to_string(g.connections),
                               per_second_text(r.rates.connections),
                               rate_text(r.rates.in_bytes),
                               rate_text(r.rates.out_bytes),
                               bytes_text(g.in_bytes),
                               bytes_text(g.out_bytes)};
  static_assert(sizeof cells / sizeof cells[0] == std::size(kNumberWidths));
  std::string line = fit(printable(g.label, utf8), size_t(l.name));
  for (size_t c = 0; c < std::size(cells); c++)
    line += ' ' + fit(cells[c], size_t(kNumberWidths[c]), true);
  if (l.spark) line += ' ' + sparkline(rate_series(g, now_s, l.spark), utf8);
  return line;
}

// A flow under its group: where it goes in the name column, its bytes under
// the group's, and after them everything else in full (the name column is
// too narrow for both endpoints).
std::string flow_line(const TopFlow& f, const Layout& l, bool utf8) {
  const std::string name =
      std::string(utf8 ? "  \u2514 " : "  - ") + (f.initiated ? "-> " : "<- ") + f.remote;
  std::string line = fit(printable(name, utf8), size_t(l.name));
  line += ' ' + fit(f.open ? "open" : "ended", size_t(kNumberWidths[0]), true);
  line += ' ' + fit("", size_t(kNumberWidths[1] + kNumberWidths[2] + kNumberWidths[3] +
                               kNumberWidths[4] + 3));
  line += ' ' + fit(bytes_text(f.in_bytes), size_t(kNumberWidths[5]), true);
  line += ' ' + fit(bytes_text(f.out_bytes), size_t(kNumberWidths[6]), true);
  std::string what = f.protocol.empty() ? f.transport : f.transport + " " + f.protocol;
  what += "  " + f.local + (f.initiated ? " -> " : " <- ") + f.remote + "  " + f.process;
  line += ' ' + printable(what, utf8);
  return line;
}

std::string title_line(const FlowAggregator& model, const ViewState& s, uint64_t now_s) {
  std::string line = "procflow top | by " + std::string(to_string(s.query.grouping)) + " | sort " +
                     std::string(column_title(s.query.sort)) +
                     (s.query.descending ? " desc" : " asc");
  if (!s.query.filter.empty()) line += " | filter: " + s.query.filter;
  line += " | " + std::to_string(model.open_flows()) + " flows open";
  char clock[16];
  const time_t t = static_cast<time_t>(now_s);
  tm utc{};
  gmtime_r(&t, &utc);
  strftime(clock, sizeof clock, "%H:%M:%SZ", &utc);
  line += " | " + std::string(clock);
  if (s.paused) line += " | PAUSED";
  return line;
}

void draw_help(int rows, int columns) {
  const auto& help = key_help();
  const int height = static_cast<int>(help.size()) + 4;
  const int width = std::min(columns, 92);
  const int top = std::max(0, (rows - height) / 2), left = std::max(0, (columns - width) / 2);
  for (int y = 0; y < height && top + y < rows; y++)
    put(top + y, left, std::string(size_t(width), ' '));
  put(top + 1, left + 2, fit("procflow top: keys", size_t(width - 4)));
  for (size_t i = 0; i < help.size(); i++)
    put(top + 3 + int(i), left + 2,
        fit(fit(help[i].first, 9) + std::string(help[i].second), size_t(std::max(0, width - 4))));
  // A frame of plain characters: readable on any terminal.
  mvhline(top, left, '-', width);
  mvhline(top + height - 1, left, '-', width);
}

}  // namespace

bool TopScreen::check_terminal(std::string* error) {
  if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) return true;
  *error = "procflow top needs a terminal (procflow trace writes to a pipe or a file)";
  return false;
}

std::unique_ptr<TopScreen> TopScreen::open(std::string* error) {
  if (!check_terminal(error)) return nullptr;
  // The locale decides whether the terminal takes UTF-8 (block sparklines,
  // arrows) or only ASCII.
  std::setlocale(LC_ALL, "");
  const bool utf8 = std::strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
  // newterm, not initscr: an unknown TERM is an error to report, not an exit.
  SCREEN* terminal = newterm(nullptr, stdout, stdin);
  if (!terminal) {
    *error = "cannot drive this terminal (TERM is unset or unknown)";
    return nullptr;
  }
  auto screen = std::unique_ptr<TopScreen>(new TopScreen(utf8, terminal));
  cbreak();  // Ctrl-C still stops tracing (SIGINT), cleanly
  noecho();
  keypad(stdscr, TRUE);
  nodelay(stdscr, TRUE);
  set_escdelay(25);  // Esc alone must not wait a second for a sequence
  curs_set(0);
  if (has_colors()) {
    start_color();
    use_default_colors();
    init_pair(kHeaderPair, COLOR_BLACK, COLOR_CYAN);
    init_pair(kSelectedPair, COLOR_BLACK, COLOR_WHITE);
    init_pair(kOpenPair, COLOR_GREEN, -1);
    screen->colour_ = true;
  }
  return screen;
}

TopScreen::~TopScreen() {
  endwin();
  delscreen(terminal_);
}

int TopScreen::read_key() {
  return getch();
}

void TopScreen::draw(const FlowAggregator& model, ViewState& s, uint64_t now_s,
                     const std::string& status) {
  int rows = 0, columns = 0;
  getmaxyx(stdscr, rows, columns);
  erase();
  const Layout l = layout_for(columns);
  put(0, 0, fit(title_line(model, s, now_s), size_t(columns)));

  const attr_t header = colour_ ? COLOR_PAIR(kHeaderPair) : A_REVERSE;
  attron(header);
  put(1, 0, fit(header_line(s, l, utf8_), size_t(columns)));
  attroff(header);

  // Rates over complete seconds: the current one is still being reported.
  const uint64_t rate_now = now_s ? now_s - 1 : 0;
  const std::vector<TopRow> table = top_rows(model, s.query, rate_now);
  row_keys_.clear();
  for (const TopRow& r : table) row_keys_.push_back(r.key);
  // The selection follows its group when the order changes.
  if (const auto it = std::find(row_keys_.begin(), row_keys_.end(), s.selected);
      it != row_keys_.end())
    s.selected_row = size_t(it - row_keys_.begin());
  else if (!row_keys_.empty())
    s.selected = row_keys_[std::min(s.selected_row, row_keys_.size() - 1)];
  s.selected_row = row_keys_.empty() ? 0 : std::min(s.selected_row, row_keys_.size() - 1);

  const int first_line = 2, last_line = rows - 2;  // the bottom line is the status
  page_ = size_t(std::max(1, last_line - first_line + 1));
  // Scrolled so the selected row is on screen.
  const size_t skip = s.selected_row >= page_ ? s.selected_row - page_ + 1 : 0;
  int y = first_line;
  for (size_t i = skip; i < table.size() && y <= last_line; i++) {
    const bool selected = i == s.selected_row;
    const attr_t attr = selected ? (colour_ ? COLOR_PAIR(kSelectedPair) : A_REVERSE) : A_NORMAL;
    attron(attr);
    put(y++, 0, fit(row_line(table[i], l, rate_now, utf8_), size_t(columns)));
    attroff(attr);
    if (table[i].key != s.expanded) continue;
    for (const TopFlow* f : top_flows(model, s.query, table[i].key)) {
      if (y > last_line) break;
      const attr_t flow_attr = f->open && colour_ ? COLOR_PAIR(kOpenPair) : A_NORMAL;
      attron(flow_attr);
      put(y++, 0, fit(flow_line(*f, l, utf8_), size_t(columns)));
      attroff(flow_attr);
    }
  }
  if (table.empty())
    put(first_line, 0,
        fit(s.query.filter.empty() ? "no flows yet" : "no group matches the filter",
            size_t(columns)));

  std::string bottom;
  if (s.editing_filter)
    bottom = "filter: " + s.query.filter + "_   (Enter keeps it, Esc drops it)";
  else if (!status.empty())
    bottom = status;
  else
    bottom = "q quit  ? help  / filter  g group  1-8 sort  Enter expand  p pause";
  put(rows - 1, 0, fit(printable(bottom, utf8_), size_t(std::max(0, columns - 1))));
  if (s.help) draw_help(rows, columns);
  refresh();
}

}  // namespace procflow
