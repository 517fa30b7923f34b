// A flow's conversation without nDPI: messages in order, named by the first
// protocol anything recognised, at most one per direction with
// --messages first.
#include "flow/flow_conversation.h"

#include <gtest/gtest.h>

#include <string>

namespace procflow {
namespace {

class FlowConversationTest : public ::testing::Test {
 protected:
  void say(FlowConversation& c, bool from_client, uint16_t turn, const std::string& text,
           uint64_t at_ns) {
    PayloadChunk chunk;
    chunk.src = *IpAddress::parse(from_client ? "10.0.0.2" : "10.0.0.1");
    chunk.dst = *IpAddress::parse(from_client ? "10.0.0.1" : "10.0.0.2");
    chunk.sport = from_client ? 40000 : 25;
    chunk.dport = from_client ? 25 : 40000;
    chunk.turn = turn;
    chunk.turn_start = true;
    chunk.ktime_ns = at_ns;
    chunk.wire_len = static_cast<uint32_t>(text.size());
    chunk.bytes = {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
    c.add_wire(chunk, from_client ? MessageDirection::out : MessageDirection::in, out_);
  }
  ConversationSettings settings_;
  std::vector<FlowMessage> out_;
};

TEST_F(FlowConversationTest, AGreetingWaitsForTheProtocolsNameAndKeepsItsPlace) {
  settings_.options.messages = MessagesMode::all;
  FlowConversation c(settings_, /*local_initiated=*/true);
  say(c, false, 0, "220 mail.test ready\r\n", 1'000);
  say(c, true, 0, "EHLO client.test\r\n", 2'000);
  EXPECT_TRUE(out_.empty()) << "\"220 host\" alone could be SMTP or FTP";
  say(c, false, 1, "250 mail.test\r\n", 3'000);
  ASSERT_EQ(out_.size(), 2u);
  EXPECT_EQ(out_[0].direction, MessageDirection::in);
  EXPECT_EQ(out_[0].facts.proto_info, "replies=220");
  EXPECT_EQ(out_[0].application_protocol, "SMTP");
  EXPECT_EQ(out_[1].facts.proto_info, "commands=EHLO");
  EXPECT_EQ(out_[1].application_protocol, "SMTP");
  c.finish(out_);
  ASSERT_EQ(out_.size(), 3u);
  EXPECT_EQ(out_[2].application_protocol, "SMTP");
  EXPECT_EQ(c.application_protocol(), "SMTP");
}

TEST_F(FlowConversationTest, AnUnnamedMessageGoesOutAfterASecondOrAtTheEnd) {
  FlowConversation c(settings_, true);
  say(c, true, 0, "\x01\x02 binary", 1'000);
  c.flush_idle(500'000'000, out_);
  EXPECT_TRUE(out_.empty()) << "the turn is complete, the name may still come";
  c.flush_idle(1'001'000'000, out_);
  ASSERT_EQ(out_.size(), 1u);
  EXPECT_EQ(out_[0].application_protocol, "");
  EXPECT_EQ(out_[0].facts.content, "\\x01\\x02 binary");
}

TEST_F(FlowConversationTest, FirstModeGivesOneMessagePerDirection) {
  FlowConversation c(settings_, true);
  say(c, true, 0, "GET /a HTTP/1.1\r\nHost: a.test\r\n\r\n", 1'000);
  say(c, false, 0, "HTTP/1.1 200 OK\r\n\r\n", 2'000);
  say(c, true, 1, "GET /b HTTP/1.1\r\nHost: a.test\r\n\r\n", 3'000);
  say(c, false, 1, "HTTP/1.1 404 Not Found\r\n\r\n", 4'000);
  c.finish(out_);
  ASSERT_EQ(out_.size(), 2u);
  EXPECT_EQ(out_[0].facts.proto_info, "method=GET; target=/a; version=HTTP/1.1; host=a.test");
  EXPECT_EQ(out_[0].facts.server_name, "a.test");
  EXPECT_EQ(out_[1].facts.proto_info, "version=HTTP/1.1; status=200; reason=OK");
  EXPECT_EQ(out_[1].application_protocol, "HTTP");
}

}  // namespace
}  // namespace procflow
