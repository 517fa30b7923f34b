// Replaces credentials in captured bytes with "[redacted]" before anything
// else sees them: `content`, and the text decoders behind proto_info.
//
// One object per flow: some credentials are only recognisable from earlier
// messages of the same flow (an SMTP AUTH LOGIN sends the user and the
// password base64-encoded on later lines, each after a server "334"), and a
// line can be split between two messages of one direction.
//
// Rules (keywords case-insensitive; lines end in LF or CRLF):
//  - header lines `Authorization:`, `Proxy-Authorization:`, `Cookie:`,
//    `Set-Cookie:`: the whole value;
//  - `scheme://user:PASSWORD@host` anywhere in a line: the password (the
//    user stays);
//  - `PASS x` (FTP, POP3): everything after PASS;
//  - `APOP user digest` (POP3): the digest;
//  - `tag LOGIN user password` (IMAP): everything after the user (a quoted or
//    atom user is kept; a literal `{n}` user is redacted with the rest);
//  - `AUTH mech [initial]` (SMTP, POP3) and `tag AUTHENTICATE mech [initial]`
//    (IMAP): the initial response; then a SASL exchange is in progress and
//    every following line of the initiator is redacted whole until the
//    responder answers with something other than a continuation (`334` for
//    SMTP, `+` / `+ ...` for POP3 and IMAP). An IMAP LOGIN that ends in a
//    literal `{n}` starts the same state, so the literal's bytes are hidden.
//
// Split lines: the unterminated end of a message (up to 1 KiB of it) is kept
// and the next message of the same direction is judged both as its
// continuation and on its own; the union of both verdicts is redacted. That
// covers a keyword, a header name or a URL split anywhere, whether or not the
// next message really continues the line. An unterminated line that may be
// a URL password is redacted to its end. Limits: a credential line whose
// unterminated part is longer than 1 KiB is only continued if its rule
// already reached the end of the line; HTTP header folding (obsolete), bodies
// (form posts, JSON tokens), other mechanisms and protocols (e.g. binary
// ones) are not recognised.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace procflow {

inline constexpr std::string_view redaction_marker = "[redacted]";

class CredentialRedactor {
 public:
  // Disabled: redact() returns the bytes unchanged (lab use; see docs/events.md).
  explicit CredentialRedactor(bool enabled);

  // The message's bytes with every credential replaced by "[redacted]".
  // from_initiator: sent by the side that opened the connection.
  std::string redact(std::span<const uint8_t> bytes, bool from_initiator);

  // How many "[redacted]" markers were written so far.
  uint64_t redactions() const { return redactions_; }

 private:
  struct Range {
    size_t begin, end;
  };
  // What a line means for the SASL exchange state.
  struct LineEffect {
    bool starts_exchange = false;
    bool continues_exchange = false;  // responder: a continuation request
    bool ends_exchange = false;       // responder: a final answer
  };
  struct Direction {
    std::string partial;        // first bytes of the unterminated last line
    size_t partial_length = 0;  // that line's full length so far
    bool partial_open = false;  // its redaction ran to its end
  };

  LineEffect evaluate(std::string_view line, bool terminated, bool from_initiator, bool in_exchange,
                      std::vector<Range>& ranges) const;
  void emit(std::string& out, std::string_view line, std::vector<Range>& ranges);

  bool enabled_;
  bool in_exchange_ = false;
  Direction directions_[2];
  uint64_t redactions_ = 0;
  std::vector<Range> ranges_, joined_ranges_;  // scratch, reused per line
  std::string joined_;
};

}  // namespace procflow
