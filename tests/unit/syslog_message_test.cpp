// Tests RFC 5424 formatting and RFC 6587 octet counting of syslog messages.
#include "output/syslog_message.h"

#include <gtest/gtest.h>

namespace procflow {
namespace {

using namespace std::chrono;

// 2026-11-28T06:24:17.132530Z
const system_clock::time_point kWhen{microseconds(1'795'847'057'132'530)};

TEST(SyslogMessageTest, HeaderFieldsInRfc5424Order) {
  SyslogHeader h;
  h.facility = 16;  // local0
  h.severity = 6;   // info
  h.hostname = "sensor-1.example.org";
  h.procid = "4242";
  EXPECT_EQ(format_syslog_message(h, kWhen, R"({"object":"flow"})"),
            R"(<134>1 2026-11-28T06:24:17.132530Z sensor-1.example.org procflow 4242 flow - )"
            R"({"object":"flow"})");
}

TEST(SyslogMessageTest, EmptyFieldsAreNilAndStrangeCharactersReplaced) {
  SyslogHeader h;  // user.info
  h.hostname = "";
  h.app_name = "proc flow";
  h.procid = "";
  h.msgid = std::string(40, 'm');
  EXPECT_EQ(format_syslog_message(h, kWhen, ""),
            "<14>1 2026-11-28T06:24:17.132530Z - proc_flow - " + std::string(32, 'm') + " -");
}

TEST(SyslogMessageTest, FacilityAndSeverityByNameOrNumber) {
  EXPECT_EQ(syslog_facility("local7"), 23);
  EXPECT_EQ(syslog_facility("daemon"), 3);
  EXPECT_EQ(syslog_facility("23"), 23);
  EXPECT_EQ(syslog_facility("24"), std::nullopt);
  EXPECT_EQ(syslog_facility("local8"), std::nullopt);
  EXPECT_EQ(syslog_severity("notice"), 5);
  EXPECT_EQ(syslog_severity("7"), 7);
  EXPECT_EQ(syslog_severity("8"), std::nullopt);
  EXPECT_EQ(syslog_severity(""), std::nullopt);
}

TEST(SyslogMessageTest, OctetCountingCountsBytesNotCharacters) {
  std::string out;
  append_octet_counted(out, "<14>1 - - - - - é");  // é is two bytes
  append_octet_counted(out, "x");
  EXPECT_EQ(out, "18 <14>1 - - - - - é1 x");
}

}  // namespace
}  // namespace procflow
