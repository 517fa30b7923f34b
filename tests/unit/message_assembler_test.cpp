// How captured chunks become messages: a turn is whole when its side speaks
// again in a new turn, when the other side speaks, when it fills the budget,
// when it goes quiet, or when the flow ends.
#include "flow/message_assembler.h"

#include <gtest/gtest.h>

#include <string>

namespace procflow {
namespace {

constexpr auto out = MessageDirection::out;
constexpr auto in = MessageDirection::in;

class MessageAssemblerTest : public ::testing::Test {
 protected:
  void add(MessageDirection d, uint16_t turn, bool start, const std::string& text, uint64_t at_ns,
           bool cut = false, std::optional<uint64_t> end = std::nullopt) {
    assembler_.add(ChunkView{.direction = d,
                             .turn = turn,
                             .turn_start = start,
                             .cut = cut,
                             .ktime_ns = at_ns,
                             .stream_end = end,
                             .bytes = {reinterpret_cast<const uint8_t*>(text.data()), text.size()}},
                   done_);
  }
  std::string text(size_t i) const { return {done_.at(i).bytes.begin(), done_.at(i).bytes.end()}; }

  MessageAssembler assembler_{16};
  std::vector<AssembledMessage> done_;
};

TEST_F(MessageAssemblerTest, ARequestInTwoPacketsIsOneMessageCompletedByTheResponse) {
  add(out, 0, true, "GET / ", 100);
  add(out, 0, false, "HTTP/1.1", 200);
  EXPECT_TRUE(done_.empty());
  add(in, 0, true, "HTTP/1.1 200", 300);
  ASSERT_EQ(done_.size(), 1u);
  EXPECT_EQ(text(0), "GET / HTTP/1.1");
  EXPECT_EQ(done_[0].direction, out);
  EXPECT_EQ(done_[0].first_ns, 100u);
  EXPECT_FALSE(done_[0].truncated);
  assembler_.flush(done_);
  ASSERT_EQ(done_.size(), 2u);
  EXPECT_EQ(text(1), "HTTP/1.1 200");
  EXPECT_EQ(done_[1].direction, in);
}

TEST_F(MessageAssemblerTest, ATurnIsCutAtTheBudgetAndCompletedAtOnce) {
  add(out, 0, true, "0123456789", 1);
  add(out, 0, false, "abcdefghij", 2);
  ASSERT_EQ(done_.size(), 1u);
  EXPECT_EQ(text(0), "0123456789abcdef");
  EXPECT_TRUE(done_[0].truncated);
}

TEST_F(MessageAssemblerTest, ACutPacketMarksItsMessageTruncated) {
  add(in, 3, true, "HTTP/1.1 200 OK", 1, /*cut=*/true);
  assembler_.flush(done_);
  ASSERT_EQ(done_.size(), 1u);
  EXPECT_TRUE(done_[0].truncated);
}

TEST_F(MessageAssemblerTest, ANewTurnOfTheSameSideCompletesTheLastOne) {
  add(out, 0, true, "query one", 1);
  add(out, 1, true, "query two", 2);
  ASSERT_EQ(done_.size(), 1u);
  EXPECT_EQ(text(0), "query one");
  // Same turn number but a turn start (each DNS message is its own turn).
  add(out, 1, true, "query three", 3);
  ASSERT_EQ(done_.size(), 2u);
  EXPECT_EQ(text(1), "query two");
}

TEST_F(MessageAssemblerTest, AQuietTurnIsCompletedByTheIdleFlush) {
  add(out, 0, true, "SSH-2.0-x", 1'000);
  assembler_.flush_idle(1'500, 1'000, done_);
  EXPECT_TRUE(done_.empty());
  assembler_.flush_idle(2'000, 1'000, done_);
  ASSERT_EQ(done_.size(), 1u);
  EXPECT_FALSE(assembler_.pending());
}

TEST_F(MessageAssemblerTest, FlushEmitsTheOlderTurnFirst) {
  add(in, 0, true, "220 ready", 50);
  assembler_.flush(done_);
  add(out, 0, true, "EHLO", 60);
  EXPECT_EQ(done_.size(), 1u);
  assembler_.flush(done_);
  ASSERT_EQ(done_.size(), 2u);
  EXPECT_EQ(text(0), "220 ready");
  EXPECT_EQ(text(1), "EHLO");
}

TEST_F(MessageAssemblerTest, StreamEndIsTheLargestOfItsChunks) {
  add(out, 0, true, "abc", 1, false, 103);
  add(out, 0, false, "def", 2, false, 1500);
  assembler_.flush(done_);
  ASSERT_EQ(done_.size(), 1u);
  EXPECT_EQ(done_[0].stream_end, 1500u);
}

}  // namespace
}  // namespace procflow
