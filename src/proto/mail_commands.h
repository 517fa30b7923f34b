// The dialogue of the line-based mail and file protocols (SMTP, FTP, POP3,
// IMAP), reduced to what is safe to show: the client's command verbs in order
// and the server's reply codes, never an argument (addresses, file names,
// user names and passwords all live there). IMAP tags are stripped.
//
// Client lines: a known verb of any of the four protocols as the first token
// (or, IMAP, as the second after a tag), uppercased. Lines that are not a
// known verb (message bodies, SASL responses) are skipped; a DATA command's
// body in the same message is skipped up to its "." line. Server lines: an
// SMTP/FTP code once per reply (the last line of a multi-line reply), POP3
// "+OK"/"-ERR", IMAP tagged status ("OK", "NO", "BAD"), untagged responses as
// "*" plus their keyword ("*OK", "*CAPABILITY", "*EXISTS") and "+" for a
// continuation request. At most 32 of each per message.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace procflow {

// commands=EHLO,MAIL,RCPT,DATA,QUIT (client) or replies=220,250 (server).
// strict: the first line must be recognised too (used when guessing the
// protocol from content rather than being told it).
std::optional<std::string> mail_commands_proto_info(std::string_view text, bool from_client,
                                                    bool strict);

// "SMTP", "FTP", "POP3", "IMAP" when the first line says so unambiguously, else "".
std::string guess_mail_protocol(std::string_view text, bool from_client);

}  // namespace procflow
