// The `message` action's contract as the message suites check it, in one
// place so a change of format is one edit: how `content` escapes bytes, how
// `proto_info` reads, which turns of a conversation become message events
// (--messages first|all), what each must carry, and the fixed words
// ("out"/"in", "wire", "[redacted]", nDPI's protocol names).
//
// A turn is what one side sends before the other sends. Both local sockets
// of a connection get their own events: the client sends a request ("out")
// that the server receives ("in").
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "flow_assertions.h"
#include "flow_query.h"
#include "talk_client.h"

namespace procflow_it {

inline constexpr int64_t kDefaultContentBytes = 512;
inline constexpr const char* kRedacted = "[redacted]";
// --messages all emits one message per turn up to a per-flow limit; every
// conversation in these suites stays below this many turns, so all of them
// must be reported.
inline constexpr size_t kTurnsBelowLimit = 12;

// nDPI 4.2's names (ndpi_protocol_ids.h and its name table).
namespace ndpi_name {
inline constexpr const char* http = "HTTP";
inline constexpr const char* tls = "TLS";
inline constexpr const char* dns = "DNS";
inline constexpr const char* ssh = "SSH";
inline constexpr const char* smtp = "SMTP";
inline constexpr const char* ftp = "FTP_CONTROL";
inline constexpr const char* pop3 = "POP3";
inline constexpr const char* imap = "IMAP";
}  // namespace ndpi_name

enum class Messages { first, all };
enum class Side { client, server };

// `content` of these bytes: printable ASCII as is, "\\" doubled, \r \n \t as
// two characters, every other byte \xHH (lowercase hex).
std::string escaped_content(const std::string& bytes);
// "k=v; k=v" -> {k: v}; values as printed (escaped like content, ";" as \x3b).
std::map<std::string, std::string> parse_proto_info(const std::string& text);

struct ExpectedMessage {
  std::string direction;  // "out": the local socket sent the bytes; "in": it received them
  std::string bytes;      // the turn's bytes (content is their first content_bytes, escaped)
  // Keys proto_info must have with exactly these values (others may follow).
  std::map<std::string, std::string> proto_info;
  // Where a credential starts in `bytes` (redaction on): content is exact up
  // to there, then carries kRedacted instead of the secret.
  std::optional<size_t> secret_at;
  std::string content_source = "wire";
  // The flow's payload so far (TCP, from TC's sequence numbers): this turn's
  // sender up to the end of this turn, the other side up to the end of its
  // last turn before it. Each side's own view: out_bytes is what it sent.
  int64_t out_bytes = 0;
  int64_t in_bytes = 0;
};

// What proto_info must say about one turn (index in the transcript).
using ProtoInfoOf = std::function<std::map<std::string, std::string>(const Turn&, size_t)>;
// Where a turn's credential starts, if it has one.
using SecretOf = std::function<std::optional<size_t>(const Turn&, size_t)>;

// The message events one side's flow must have, in order: with `first` the
// first turn of each direction, with `all` every turn.
std::vector<ExpectedMessage> expected_messages(const Transcript& transcript, Side side,
                                               Messages messages, const ProtoInfoOf& proto_info,
                                               const SecretOf& secret = nullptr);

struct MessageCheck {
  FlowSelector selector;
  ExpectedProcess process;
  std::string application_protocol;
  int64_t content_bytes = kDefaultContentBytes;
  bool redaction = true;
  // Checks an event's process fields instead of `process` when set: for a
  // server whose connection moves between processes (sshd's privilege
  // separation).
  std::function<void(const JsonLine&)> process_check{};
  // Only the flow's message events from this source ("wire" or
  // "tls_plaintext") are compared; unset: all of them.
  std::optional<std::string> only_source{};
};

// The flow's message events are exactly `expected` (count, order, content,
// proto_info, direction, source), each with the flow's endpoints, process
// and community_id, and application_protocol on them and on the end event.
void expect_messages(const Flow& flow, const MessageCheck& check,
                     const std::vector<ExpectedMessage>& expected);

// With no DNS answer naming the destination, the name a message revealed
// (source "tls_sni" or "http_host") names it from that message on: the end
// event and every message event (the naming message is the flow's first).
void expect_named_by_message(const Flow& flow, const std::string& fqdn, const std::string& source);

// Every line procflow printed (stdout and stderr) that contains one of
// `secrets`, as "secret -> line"; empty when none does.
std::vector<std::string> lines_with_secrets(const std::vector<std::string>& lines,
                                            const std::vector<std::string>& secrets);

std::string base64(const std::string& bytes);

}  // namespace procflow_it
