// The range validators of the numeric command-line options (cli/numeric_option.h) and the
// ranges themselves (cli/option_ranges.h): NaN, infinities, -0, values far out of range, the
// boundaries, and messages a person can read (the range in plain numbers, never CLI11's
// 309-digit rendering of DBL_MAX).
#include "cli/numeric_option.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "cli/non_empty_option.h"
#include "cli/option_ranges.h"

namespace procflow {
namespace {

namespace ranges = option_ranges;

// The validator's verdict on `text`: "" when accepted (then `text` holds what CLI11 converts).
std::string verdict(const CLI::Validator& validator, std::string& text) {
  return validator(text);
}

std::string rejection(const CLI::Validator& validator, std::string text) {
  return verdict(validator, text);
}

std::string accepted_as(const CLI::Validator& validator, std::string text) {
  const std::string error = verdict(validator, text);
  EXPECT_EQ(error, "") << "rejected: " << text;
  return text;
}

TEST(NumericOptionTest, RejectsNanAndInfinities) {
  const CLI::Validator seconds = in_range(ranges::kUdpIdleTimeout);
  for (const char* text : {"nan", "NaN", "-nan", "nan(1)"})
    EXPECT_EQ(rejection(seconds, text),
              std::string(text) + " is not a number: expected seconds between 0.1 and 86400");
  for (const char* text : {"inf", "-inf", "infinity", "+inf", "INF"})
    EXPECT_EQ(rejection(seconds, text),
              std::string(text) + " is out of range: expected seconds between 0.1 and 86400");
}

TEST(NumericOptionTest, RejectsValuesThatOverflowedNanoseconds) {
  const CLI::Validator seconds = in_range(ranges::kUdpIdleTimeout);
  EXPECT_EQ(rejection(seconds, "1e308"),
            "1e308 is out of range: expected seconds between 0.1 and 86400");
  EXPECT_EQ(rejection(seconds, "2e10"),
            "2e10 is out of range: expected seconds between 0.1 and 86400");
  // Beyond what a double holds at all.
  EXPECT_EQ(rejection(seconds, "1e400"),
            "1e400 is out of range: expected seconds between 0.1 and 86400");
}

TEST(NumericOptionTest, RejectsZeroNegativeZeroAndNegatives) {
  const CLI::Validator duration = in_range(ranges::kTraceDuration);
  for (const char* text : {"0", "-0", "-0.0", "0.0", "-1", "1e-400", "0.09999"})
    EXPECT_EQ(rejection(duration, text),
              std::string(text) + " is out of range: expected seconds between 0.1 and 31536000");
}

TEST(NumericOptionTest, AcceptsBothBoundariesAndNothingBeyond) {
  const CLI::Validator duration = in_range(ranges::kTraceDuration);
  EXPECT_EQ(accepted_as(duration, "0.1"), "0.1");
  EXPECT_EQ(accepted_as(duration, "31536000"), "31536000");
  EXPECT_EQ(accepted_as(duration, "3.1536e7"), "31536000");
  EXPECT_NE(rejection(duration, "31536000.000001"), "");
  EXPECT_NE(rejection(duration, "0.0999999999"), "");

  const CLI::Validator rate = in_range(ranges::kReverseDnsRate);
  EXPECT_EQ(accepted_as(rate, "0.1"), "0.1");
  EXPECT_EQ(accepted_as(rate, "1000"), "1000");
  EXPECT_EQ(rejection(rate, "1000.5"),
            "1000.5 is out of range: expected queries per second between 0.1 and 1000");
}

TEST(NumericOptionTest, RealValuesAreRewrittenInPlainDecimal) {
  const CLI::Validator seconds = in_range(ranges::kUdpIdleTimeout);
  EXPECT_EQ(accepted_as(seconds, "60"), "60");
  EXPECT_EQ(accepted_as(seconds, "+60"), "60");
  EXPECT_EQ(accepted_as(seconds, "6e1"), "60");
  EXPECT_EQ(accepted_as(seconds, "060"), "60");
  EXPECT_EQ(accepted_as(seconds, "1.50"), "1.5");
}

TEST(NumericOptionTest, RejectsTextThatIsNoNumber) {
  const CLI::Validator seconds = in_range(ranges::kUdpIdleTimeout);
  for (const char* text : {"abc", "1s", "1,5", " 1", "1 ", "0x10", "--1", "1e", "."})
    EXPECT_EQ(rejection(seconds, text),
              std::string(text) + " is not a number: expected seconds between 0.1 and 86400");
  EXPECT_EQ(rejection(seconds, ""), "empty value: expected seconds between 0.1 and 86400");
}

TEST(NumericOptionTest, WholeNumbersOutsideTheirRange) {
  const CLI::Validator port = in_range(ranges::kPort);
  EXPECT_EQ(rejection(port, "0"), "0 is out of range: expected a port between 1 and 65535");
  EXPECT_EQ(rejection(port, "70000"), "70000 is out of range: expected a port between 1 and 65535");
  EXPECT_EQ(rejection(port, "65536"), "65536 is out of range: expected a port between 1 and 65535");
  EXPECT_EQ(rejection(port, "-1"), "-1 is out of range: expected a port between 1 and 65535");
  EXPECT_EQ(rejection(port, "-0"), "-0 is out of range: expected a port between 1 and 65535");
  // strtoull would read "-18446744073709551615" as 1.
  EXPECT_EQ(rejection(port, "-18446744073709551615"),
            "-18446744073709551615 is out of range: expected a port between 1 and 65535");
  EXPECT_EQ(rejection(port, "18446744073709551616"),
            "18446744073709551616 is out of range: expected a port between 1 and 65535");

  const CLI::Validator pid = in_range(ranges::kPid);
  EXPECT_EQ(rejection(pid, "0"), "0 is out of range: expected a pid between 1 and 4194303");
  EXPECT_EQ(rejection(pid, "4194304"),
            "4194304 is out of range: expected a pid between 1 and 4194303");
}

TEST(NumericOptionTest, WholeNumbersAtTheirBoundaries) {
  const CLI::Validator port = in_range(ranges::kPort);
  EXPECT_EQ(accepted_as(port, "1"), "1");
  EXPECT_EQ(accepted_as(port, "65535"), "65535");
  const CLI::Validator pid = in_range(ranges::kPid);
  EXPECT_EQ(accepted_as(pid, "1"), "1");
  EXPECT_EQ(accepted_as(pid, "4194303"), "4194303");
}

TEST(NumericOptionTest, WholeNumbersAreReadInDecimalOnly) {
  const CLI::Validator port = in_range(ranges::kPort);
  // CLI11 alone reads "010" as octal 8; rewritten, it stays port 10.
  EXPECT_EQ(accepted_as(port, "010"), "10");
  EXPECT_EQ(accepted_as(port, "+443"), "443");
  for (const char* text : {"0x50", "80.0", "8e1", "abc", "80 ", "nan", "inf", "--80"})
    EXPECT_EQ(rejection(port, text),
              std::string(text) + " is not a whole number: expected a port between 1 and 65535");
  EXPECT_EQ(rejection(port, ""), "empty value: expected a port between 1 and 65535");
}

TEST(NumericOptionTest, LongValuesAreShortenedInTheMessage) {
  const std::string huge(300, '9');
  const std::string error = rejection(in_range(ranges::kTraceDuration), huge);
  EXPECT_EQ(error, std::string(32, '9') +
                       "... is out of range: expected seconds between 0.1 and 31536000");
}

TEST(NumericOptionTest, ReadableNumbers) {
  EXPECT_EQ(readable_number(0.1), "0.1");
  EXPECT_EQ(readable_number(86400), "86400");
  EXPECT_EQ(readable_number(365 * 86400.0), "31536000");
  EXPECT_EQ(readable_number(1e308), "1e+308");
  // What CLI11's Range would have printed as 309 digits.
  EXPECT_LT(readable_number(std::numeric_limits<double>::max()).size(), 30u);
}

// Through CLI11 itself: the option's name in front of the message, the value converted as
// checked, and the range in the help text.
struct Parsed {
  std::string error;  // "" when the command line parsed
  double seconds = 60;
  std::vector<uint16_t> ports;
};

Parsed parse(std::vector<std::string> args) {
  Parsed out;
  CLI::App app{"test"};
  app.add_option("--udp-idle-timeout", out.seconds)
      ->type_name("SEC")
      ->transform(in_range(ranges::kUdpIdleTimeout));
  app.add_option("--port", out.ports)
      ->type_name("PORT")
      ->transform(in_range(ranges::kPort))
      ->delimiter(',');
  args.insert(args.begin(), "procflow");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    out.error = e.what();
  }
  return out;
}

TEST(NumericOptionTest, ThroughCli11TheMessageNamesTheOption) {
  EXPECT_EQ(parse({"--udp-idle-timeout", "1e308"}).error,
            "--udp-idle-timeout: 1e308 is out of range: expected seconds between 0.1 and 86400");
  EXPECT_EQ(parse({"--udp-idle-timeout", "nan"}).error,
            "--udp-idle-timeout: nan is not a number: expected seconds between 0.1 and 86400");
  EXPECT_EQ(parse({"--port", "80,70000"}).error,
            "--port: 70000 is out of range: expected a port between 1 and 65535");
  EXPECT_EQ(parse({"--port", ""}).error,
            "--port: empty value: expected a port between 1 and 65535");
}

TEST(NumericOptionTest, ThroughCli11GoodValuesArriveAsChecked) {
  const Parsed p = parse({"--udp-idle-timeout", "0.1", "--port", "010,+443", "--port", "65535"});
  EXPECT_EQ(p.error, "");
  EXPECT_EQ(p.seconds, 0.1);
  EXPECT_EQ(p.ports, (std::vector<uint16_t>{10, 443, 65535}));
}

TEST(NumericOptionTest, HelpShowsTheRange) {
  CLI::App app{"test"};
  double seconds = 60;
  app.add_option("--udp-idle-timeout", seconds)
      ->type_name("SEC")
      ->transform(in_range(ranges::kUdpIdleTimeout));
  EXPECT_NE(app.help().find("--udp-idle-timeout SEC:0.1..86400"), std::string::npos) << app.help();
}

TEST(NonEmptyOptionTest, RejectsOnlyTheEmptyValue) {
  const CLI::Validator interfaces = non_empty("interface names");
  std::string empty;
  EXPECT_EQ(interfaces(empty), "empty value: expected interface names");
  std::string lo = "lo";
  EXPECT_EQ(interfaces(lo), "");
  EXPECT_EQ(lo, "lo");
}

TEST(NonEmptyOptionTest, ThroughCli11) {
  CLI::App app{"test"};
  std::vector<std::string> interfaces;
  app.add_option("--interfaces", interfaces)->check(non_empty("interface names"))->delimiter(',');
  const char* argv[] = {"procflow", "--interfaces", ""};
  try {
    app.parse(3, argv);
    ADD_FAILURE() << "--interfaces '' was accepted";
  } catch (const CLI::ValidationError& e) {
    EXPECT_STREQ(e.what(), "--interfaces: empty value: expected interface names");
  }
}

}  // namespace
}  // namespace procflow
