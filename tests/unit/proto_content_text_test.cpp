#include <gtest/gtest.h>

#include <vector>

#include "proto/content_text.h"
#include "proto/proto_info_text.h"
#include "proto_test_bytes.h"

namespace procflow {
namespace {

using test::bytes_of;

TEST(ProtoContentText, EscapingTable) {
  struct Case {
    std::string_view in, out;
  };
  const Case cases[] = {
      {"GET / HTTP/1.1", "GET / HTTP/1.1"},
      {"a\\b", "a\\\\b"},
      {"\r\n\t", "\\r\\n\\t"},
      {std::string_view("\x00\x01\x1f", 3), "\\x00\\x01\\x1f"},
      {"\x7f\x80\xff", "\\x7f\\x80\\xff"},
      {" ~", " ~"},
      {"\"'{}", "\"'{}"},
      {"\\x41", "\\\\x41"},  // a literal backslash-x stays distinguishable from an escape
      {"", ""},
  };
  for (const Case& c : cases) EXPECT_EQ(content_text(bytes_of(c.in)), c.out) << c.in;
}

TEST(ProtoContentText, EveryByteValue) {
  std::vector<uint8_t> all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<uint8_t>(b));
  std::string text = content_text(all);
  // 95 printable bytes minus the backslash as themselves, 2 for the backslash
  // and each of \r \n \t, 4 for the other 158.
  EXPECT_EQ(text.size(), 94u + 2 * 4 + 4 * 158);
  for (char c : text) EXPECT_TRUE(c >= 0x20 && c <= 0x7e);
}

TEST(ProtoContentText, AppendsToExistingText) {
  std::string out = "prefix:";
  append_content_text(out, bytes_of("a\nb"));
  EXPECT_EQ(out, "prefix:a\\nb");
}

TEST(ProtoInfoText, SeparatorsAreEscapedAndValuesCapped) {
  ProtoInfoText info;
  info.add("a", "x; b=y");
  info.add("empty", "");
  info.add_list("list", {"h2", "a,b", "c;d"});
  info.add("long", std::string(300, 'z'));
  EXPECT_EQ(info.take(), "a=x\\x3b b=y; list=h2,a\\x2cb,c\\x3bd; long=" + std::string(256, 'z'));
}

}  // namespace
}  // namespace procflow
