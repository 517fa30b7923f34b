// `procflow top`'s keys: each does what the help screen says.
#include <curses.h>
#include <gtest/gtest.h>

#include "top/top_keys.h"

namespace procflow {
namespace {

const std::vector<std::string> kRows = {"a", "b", "c", "d"};

KeyEffect press(ViewState& s, int key) {
  return handle_key(s, key, kRows, 2);
}

void type(ViewState& s, std::string_view text) {
  for (char c : text) press(s, c);
}

TEST(TopKeys, NumbersSortByTheirColumnAndAgainReverse) {
  ViewState s;
  press(s, '2');
  EXPECT_EQ(s.query.sort, Column::open);
  EXPECT_TRUE(s.query.descending);
  press(s, '2');
  EXPECT_FALSE(s.query.descending);
  press(s, '1');
  EXPECT_EQ(s.query.sort, Column::name);
  EXPECT_FALSE(s.query.descending);  // names A to Z first
  press(s, '>');
  EXPECT_EQ(s.query.sort, Column::open);
  press(s, '<');
  press(s, '<');
  EXPECT_EQ(s.query.sort, Column::out_total);  // wraps around
  press(s, 'r');
  EXPECT_FALSE(s.query.descending);
  press(s, '3');
  EXPECT_EQ(s.query.sort, Column::flows);
  EXPECT_EQ(press(s, '9'), KeyEffect::none);
}

TEST(TopKeys, GroupingCyclesAndForgetsTheSelection) {
  ViewState s;
  s.expanded = "a";
  s.selected = "a";
  press(s, 'g');
  EXPECT_EQ(s.query.grouping, Grouping::remote);
  EXPECT_TRUE(s.expanded.empty());
  press(s, '\t');
  EXPECT_EQ(s.query.grouping, Grouping::protocol);
  press(s, 'g');
  EXPECT_EQ(s.query.grouping, Grouping::process);
}

TEST(TopKeys, SlashEditsTheFilterUntilEnterOrEsc) {
  ViewState s;
  press(s, '/');
  EXPECT_TRUE(s.editing_filter);
  type(s, "curlq");  // q is text while editing, not quit
  EXPECT_FALSE(s.quit);
  press(s, KEY_BACKSPACE);
  EXPECT_EQ(s.query.filter, "curl");
  press(s, '\n');
  EXPECT_FALSE(s.editing_filter);
  EXPECT_EQ(s.query.filter, "curl");
  press(s, '/');
  type(s, "x");
  press(s, 27);  // Esc: the filter as it was
  EXPECT_EQ(s.query.filter, "curl");
  press(s, 27);  // Esc outside the editor: the filter goes
  EXPECT_TRUE(s.query.filter.empty());
}

TEST(TopKeys, EnterExpandsTheSelectedGroupAndArrowsMove) {
  ViewState s;
  press(s, KEY_DOWN);
  EXPECT_EQ(s.selected, "b");
  press(s, '\n');
  EXPECT_EQ(s.expanded, "b");
  press(s, KEY_ENTER);
  EXPECT_TRUE(s.expanded.empty());
  press(s, KEY_NPAGE);
  EXPECT_EQ(s.selected, "d");
  press(s, KEY_DOWN);  // stays on the last row
  EXPECT_EQ(s.selected, "d");
  press(s, KEY_HOME);
  EXPECT_EQ(s.selected, "a");
  press(s, 'j');
  press(s, '\n');
  press(s, 27);  // Esc closes the expanded group first
  EXPECT_TRUE(s.expanded.empty());
}

TEST(TopKeys, PauseHelpAndQuit) {
  ViewState s;
  press(s, ' ');
  EXPECT_TRUE(s.paused);
  press(s, 'p');
  EXPECT_FALSE(s.paused);
  press(s, '?');
  EXPECT_TRUE(s.help);
  press(s, 'x');  // any key closes the help
  EXPECT_FALSE(s.help);
  EXPECT_FALSE(s.quit);
  press(s, 'h');
  EXPECT_TRUE(s.help);
  EXPECT_EQ(press(s, KEY_RESIZE), KeyEffect::redraw);
  EXPECT_TRUE(s.help);  // a resize keeps it open
  press(s, 'q');
  EXPECT_TRUE(s.quit);
}

TEST(TopKeys, HelpNamesEveryKey) {
  std::string all;
  for (const auto& [keys, what] : key_help()) all += std::string(keys) + " ";
  for (const char* key : {"1-8", "< >", "r", "g", "/", "Esc", "Enter", "Space", "?", "q"})
    EXPECT_NE(all.find(key), std::string::npos) << key;
}

}  // namespace
}  // namespace procflow
