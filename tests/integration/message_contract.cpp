// The message contract's checks; see message_contract.h.
#include "message_contract.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <set>

namespace procflow_it {

std::string escaped_content(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c >= 0x20 && c <= 0x7e) {
          out += static_cast<char>(c);
        } else {
          char hex[5];
          std::snprintf(hex, sizeof(hex), "\\x%02x", c);
          out += hex;
        }
    }
  }
  return out;
}

std::map<std::string, std::string> parse_proto_info(const std::string& text) {
  std::map<std::string, std::string> pairs;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find("; ", start);
    std::string pair = text.substr(start, end == std::string::npos ? end : end - start);
    size_t eq = pair.find('=');
    if (eq != std::string::npos) pairs[pair.substr(0, eq)] = pair.substr(eq + 1);
    if (end == std::string::npos) break;
    start = end + 2;
  }
  return pairs;
}

std::vector<ExpectedMessage> expected_messages(const Transcript& transcript, Side side,
                                               Messages messages, const ProtoInfoOf& proto_info,
                                               const SecretOf& secret) {
  std::vector<ExpectedMessage> expected;
  std::set<TurnFrom> seen;
  int64_t sent = 0, received = 0;  // by this side, through the current turn
  for (size_t i = 0; i < transcript.turns.size(); ++i) {
    const Turn& turn = transcript.turns[i];
    const bool sent_by_this_side = (turn.from == TurnFrom::client) == (side == Side::client);
    (sent_by_this_side ? sent : received) += static_cast<int64_t>(turn.bytes.size());
    if (messages == Messages::first && !seen.insert(turn.from).second) continue;
    ExpectedMessage m;
    m.out_bytes = sent;
    m.in_bytes = received;
    m.direction = sent_by_this_side ? "out" : "in";
    m.bytes = turn.bytes;
    m.proto_info = proto_info(turn, i);
    if (secret) m.secret_at = secret(turn, i);
    expected.push_back(std::move(m));
  }
  return expected;
}

namespace {

void expect_content(const JsonLine& event, const ExpectedMessage& want, const MessageCheck& check) {
  const std::string captured = want.bytes.substr(0, static_cast<size_t>(check.content_bytes));
  if (captured.size() < want.bytes.size()) {
    EXPECT_EQ(event.boolean("content_truncated"), true) << event.raw();
  } else {
    EXPECT_FALSE(event.has("content_truncated")) << "the whole turn was captured: " << event.raw();
  }
  auto content = event.str("content");
  ASSERT_TRUE(content) << "no content: " << event.raw();
  if (!check.redaction || !want.secret_at || *want.secret_at >= captured.size()) {
    EXPECT_EQ(*content, escaped_content(captured)) << event.raw();
    return;
  }
  const std::string clear = escaped_content(captured.substr(0, *want.secret_at));
  EXPECT_EQ(content->substr(0, clear.size()), clear)
      << "the bytes before the credential: " << event.raw();
  EXPECT_NE(content->find(kRedacted), std::string::npos) << event.raw();
}

// TCP only; exact when the whole turn was captured (a cut turn counts only
// the packets whose bytes were copied). A side that has received or sent
// nothing yet may have no count at all.
void expect_counts(const JsonLine& event, const ExpectedMessage& want, const MessageCheck& check) {
  if (check.selector.transport.value_or("TCP") != "TCP") return;
  // The counts are the wire's payload: plaintext turns do not add up to them.
  if (want.content_source != "wire") return;
  if (static_cast<int64_t>(want.bytes.size()) > check.content_bytes) return;
  for (auto [key, count] :
       {std::pair{"out_bytes", want.out_bytes}, std::pair{"in_bytes", want.in_bytes}}) {
    if (count == 0 && !event.has(key)) continue;
    EXPECT_EQ(event.integer(key), count) << key << " so far: " << event.raw();
  }
}

}  // namespace

void expect_messages(const Flow& flow, const MessageCheck& check,
                     const std::vector<ExpectedMessage>& expected) {
  SCOPED_TRACE(check.selector.describe());
  // The flow itself first (what the harness alone decides): one start, one
  // end, with the endpoints and the process of this side.
  ASSERT_EQ(flow.starts.size(), 1u) << "exactly one start event expected";
  ASSERT_EQ(flow.ends.size(), 1u) << "exactly one end event expected";
  expect_endpoints(*flow.end(), check.selector);
  auto check_process = [&check](const JsonLine& event) {
    if (check.process_check)
      check.process_check(event);
    else
      expect_process(event, check.process, Presence::required);
  };
  check_process(*flow.end());
  std::vector<JsonLine> messages;
  for (const JsonLine& event : flow.messages) {
    if (!check.only_source || event.str("content_source") == check.only_source) {
      messages.push_back(event);
    }
  }
  // In the order their bytes were sent (timestamp: the first byte's): a turn
  // cut by the budget may go out before an earlier turn that ends only when
  // the other side speaks, so output order is not turn order.
  std::stable_sort(messages.begin(), messages.end(), [](const JsonLine& a, const JsonLine& b) {
    return parse_rfc3339_us(a.str("timestamp").value_or("")).value_or(0) <
           parse_rfc3339_us(b.str("timestamp").value_or("")).value_or(0);
  });
  // PF_IT_SHOW_MESSAGES=1: print them even when they pass, to read what procflow said.
  if (const char* show = std::getenv("PF_IT_SHOW_MESSAGES"); show && std::string(show) == "1") {
    std::cout << check.selector.describe() << ":\n" << dump(messages);
  }
  ASSERT_EQ(messages.size(), expected.size()) << "message events of this flow:\n"
                                              << dump(flow.messages);
  const JsonLine& end = *flow.end();
  EXPECT_EQ(end.str("application_protocol"), check.application_protocol) << end.raw();
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE("message " + std::to_string(i));
    const JsonLine& event = messages[i];
    const ExpectedMessage& want = expected[i];
    expect_endpoints(event, check.selector);
    check_process(event);
    EXPECT_EQ(event.boolean("initiated"), check.selector.initiated) << event.raw();
    EXPECT_EQ(event.str("community_id"), end.str("community_id")) << event.raw();
    EXPECT_EQ(event.str("message_direction"), want.direction) << event.raw();
    EXPECT_EQ(event.str("content_source"), want.content_source) << event.raw();
    EXPECT_EQ(event.str("application_protocol"), check.application_protocol) << event.raw();
    expect_content(event, want, check);
    auto info = parse_proto_info(event.str("proto_info").value_or(""));
    for (const auto& [key, value] : want.proto_info) {
      auto found = info.find(key);
      if (found == info.end()) {
        ADD_FAILURE() << "proto_info lacks " << key << "=" << value << ": " << event.raw();
      } else {
        EXPECT_EQ(found->second, value) << "proto_info " << key << ": " << event.raw();
      }
    }
    expect_counts(event, want, check);
    // Its first byte's time: before the flow's end and, for the connecting
    // side, after its start (a server's request may arrive before accept()).
    auto at = parse_rfc3339_us(event.str("timestamp").value_or(""));
    auto start_time = parse_rfc3339_us(end.str("start_time").value_or(""));
    auto end_time = parse_rfc3339_us(end.str("end_time").value_or(""));
    EXPECT_TRUE(at) << "timestamp: " << event.raw();
    if (at && end_time) {
      EXPECT_LE(*at, *end_time) << event.raw();
    }
    if (at && start_time && check.selector.initiated == true) {
      EXPECT_LE(*start_time, *at) << event.raw();
    }
  }
}

void expect_named_by_message(const Flow& flow, const std::string& fqdn, const std::string& source) {
  ASSERT_TRUE(flow.end()) << "no end event";
  const JsonLine& end = *flow.end();
  EXPECT_EQ(end.str("dest_fqdn"), fqdn) << end.raw();
  EXPECT_EQ(end.str("dest_fqdn_source"), source) << end.raw();
  for (const JsonLine& event : flow.messages) {
    EXPECT_EQ(event.str("dest_fqdn"), fqdn) << event.raw();
    EXPECT_EQ(event.str("dest_fqdn_source"), source) << event.raw();
  }
}

std::vector<std::string> lines_with_secrets(const std::vector<std::string>& lines,
                                            const std::vector<std::string>& secrets) {
  std::vector<std::string> found;
  for (const auto& line : lines) {
    for (const auto& secret : secrets) {
      if (line.find(secret) != std::string::npos) found.push_back(secret + " -> " + line);
    }
  }
  return found;
}

std::string base64(const std::string& bytes) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += alphabet[(n >> s) & 63];
  }
  if (i + 1 == bytes.size()) {
    uint32_t n = uint8_t(bytes[i]) << 16;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

}  // namespace procflow_it
