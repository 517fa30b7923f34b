// `trace --format text --color`: colours by action and direction that take no
// columns, and when colour is wanted at all.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

#include <regex>

#include "cli/output_options.h"
#include "output/text_formatter.h"

namespace procflow {
namespace {

FlowEvent event(FlowAction action, EndReason reason = EndReason::none) {
  FlowEvent e;
  e.action = action;
  e.timestamp_us = 1795842611123456;
  e.pid = 7;
  e.exe = "curl";
  e.src_ip = *IpAddress::parse("10.0.0.1");
  e.src_port = 40000;
  e.dest_ip = *IpAddress::parse("10.0.0.2");
  e.dest_port = 443;
  e.initiated = true;
  e.end_reason = reason;
  if (action == FlowAction::end) e.in_bytes = e.out_bytes = 10;
  return e;
}

std::string coloured(const FlowEvent& e) {
  std::string out;
  append_text_line(e, out, true);
  return out;
}

std::string plain(const FlowEvent& e) {
  std::string out;
  append_text_line(e, out);
  return out;
}

std::string without_sgr(const std::string& s) {
  return std::regex_replace(s, std::regex("\x1b\\[[0-9;]*m"), "");
}

TEST(TextColour, ColoursTakeNoColumns) {
  for (const FlowEvent& e : {event(FlowAction::start), event(FlowAction::end, EndReason::close),
                             event(FlowAction::end, EndReason::reset)}) {
    const std::string line = coloured(e);
    EXPECT_NE(line, plain(e));
    EXPECT_EQ(without_sgr(line), plain(e));
  }
}

TEST(TextColour, ActionAndDirectionHaveTheirColours) {
  EXPECT_NE(coloured(event(FlowAction::start)).find("\x1b[32mstart\x1b[0m"), std::string::npos);
  EXPECT_NE(coloured(event(FlowAction::end, EndReason::close)).find("\x1b[34mend\x1b[0m"),
            std::string::npos);
  EXPECT_NE(coloured(event(FlowAction::end, EndReason::reset)).find("\x1b[31mend\x1b[0m"),
            std::string::npos);
  EXPECT_NE(coloured(event(FlowAction::start)).find("\x1b[33m->\x1b[0m"), std::string::npos);
  FlowEvent accepted = event(FlowAction::start);
  accepted.initiated = false;
  EXPECT_NE(coloured(accepted).find("\x1b[35m->\x1b[0m"), std::string::npos);
  EXPECT_EQ(plain(accepted).find('\x1b'), std::string::npos);
}

TEST(TextColour, AutoMeansATerminalWithoutNoColor) {
  EXPECT_TRUE(colour_wanted("auto", true, nullptr));
  EXPECT_TRUE(colour_wanted("auto", true, ""));  // set but empty: no opinion
  EXPECT_FALSE(colour_wanted("auto", true, "1"));
  EXPECT_FALSE(colour_wanted("auto", false, nullptr));
  EXPECT_TRUE(colour_wanted("always", false, "1"));
  EXPECT_FALSE(colour_wanted("never", true, nullptr));
}

TEST(TextColour, RoutesGetColourOnlyForText) {
  OutputArgs args;
  args.format = "text";
  args.colour = "always";
  args.outputs = {"-"};
  std::vector<OutputRoute> routes;
  std::string error;
  ASSERT_TRUE(build_output_routes(args, 1 << 20, &routes, &error)) << error;
  EXPECT_TRUE(routes.at(0).format.colour);
  args.format = "json";
  routes.clear();
  ASSERT_TRUE(build_output_routes(args, 1 << 20, &routes, &error)) << error;
  EXPECT_FALSE(routes.at(0).format.colour);
  args.format = "text";
  args.colour = "auto";  // the tests' stdout is no terminal
  routes.clear();
  ASSERT_TRUE(build_output_routes(args, 1 << 20, &routes, &error)) << error;
  EXPECT_EQ(routes.at(0).format.colour,
            colour_wanted("auto", isatty(STDOUT_FILENO), std::getenv("NO_COLOR")));
}

}  // namespace
}  // namespace procflow
