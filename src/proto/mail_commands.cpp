#include "proto/mail_commands.h"

#include <vector>

#include "proto/proto_info_text.h"
#include "proto/text_lines.h"

namespace procflow {

namespace {

constexpr size_t max_items = 32;

// Commands that start a line (SMTP RFC 5321, FTP RFC 959 and extensions,
// POP3 RFC 1939/2449).
constexpr std::string_view line_verbs[] = {
    "HELO",     "EHLO", "MAIL", "RCPT", "DATA", "RSET", "VRFY", "EXPN", "HELP", "NOOP", "QUIT",
    "STARTTLS", "AUTH", "BDAT", "ETRN", "USER", "PASS", "ACCT", "CWD",  "CDUP", "SMNT", "REIN",
    "PORT",     "PASV", "TYPE", "STRU", "MODE", "RETR", "STOR", "STOU", "APPE", "ALLO", "REST",
    "RNFR",     "RNTO", "ABOR", "DELE", "RMD",  "MKD",  "PWD",  "LIST", "NLST", "SITE", "SYST",
    "STAT",     "FEAT", "OPTS", "EPSV", "EPRT", "MDTM", "SIZE", "MLSD", "MLST", "PBSZ", "PROT",
    "CCC",      "LANG", "APOP", "TOP",  "UIDL", "CAPA", "STLS", "XPWD", "XCWD", "XMKD", "XRMD",
    "LPRT",     "LPSV", "ADAT", "CONF", "ENC",  "MIC",  "HOST", "CLNT", "AVBL", "DONE"};

// IMAP commands (RFC 9051 and common extensions), after the tag.
constexpr std::string_view imap_verbs[] = {
    "CAPABILITY", "NOOP",   "LOGOUT",   "STARTTLS", "AUTHENTICATE", "LOGIN",       "SELECT",
    "EXAMINE",    "CREATE", "DELETE",   "RENAME",   "SUBSCRIBE",    "UNSUBSCRIBE", "LIST",
    "LSUB",       "STATUS", "APPEND",   "CHECK",    "CLOSE",        "EXPUNGE",     "SEARCH",
    "FETCH",      "STORE",  "COPY",     "MOVE",     "UID",          "IDLE",        "ENABLE",
    "NAMESPACE",  "ID",     "UNSELECT", "GETQUOTA", "GETQUOTAROOT"};

template <size_t N>
std::string_view find_verb(const std::string_view (&verbs)[N], std::string_view token) {
  for (std::string_view verb : verbs)
    if (text::iequals(verb, token)) return verb;
  return {};
}

// IMAP tags: any ATOM-CHAR except '+' (RFC 9051); kept stricter here.
bool is_tag(std::string_view token) {
  if (token.empty() || token.size() > 32) return false;
  for (char c : token)
    if (!(text::is_alpha(c) || text::is_digit(c) || c == '.' || c == '-' || c == '_')) return false;
  return true;
}

bool is_word(std::string_view token) {
  if (token.empty() || token.size() > 16) return false;
  for (char c : token)
    if (!text::is_alpha(c)) return false;
  return true;
}

std::string upper(std::string_view token) {
  std::string out(token);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  return out;
}

// The verb of a client line, "" when it is none. imap: whether it was tagged.
std::string_view client_verb(std::string_view line, bool* imap = nullptr) {
  std::string_view rest = line;
  std::string_view first = text::next_token(rest);
  std::string_view verb = find_verb(line_verbs, first);
  if (!verb.empty()) return verb;
  std::string_view second = text::next_token(rest);
  if (!is_tag(first)) return {};
  verb = find_verb(imap_verbs, second);
  if (!verb.empty() && imap) *imap = true;
  return verb;
}

// The reply item of a server line, "" when it is none (or a continuation line
// of a multi-line SMTP/FTP reply).
std::string server_reply(std::string_view line) {
  if (line.size() >= 3 && text::is_digit(line[0]) && text::is_digit(line[1]) &&
      text::is_digit(line[2]) && (line.size() == 3 || line[3] == ' '))
    return std::string(line.substr(0, 3));
  std::string_view rest = line;
  std::string_view first = text::next_token(rest);
  if (first == "+OK" || first == "-ERR") return std::string(first);
  if (first == "+") return "+";
  std::string_view second = text::next_token(rest);
  if (first == "*") {
    // "* 3 EXISTS": the keyword follows the number.
    bool numeric = !second.empty();
    for (char c : second) numeric = numeric && text::is_digit(c);
    if (numeric) second = text::next_token(rest);
    return is_word(second) ? "*" + upper(second) : std::string();
  }
  if (is_tag(first) &&
      (text::iequals(second, "OK") || text::iequals(second, "NO") || text::iequals(second, "BAD")))
    return upper(second);
  return {};
}

bool is_multiline_continuation(std::string_view line) {
  return line.size() >= 4 && text::is_digit(line[0]) && text::is_digit(line[1]) &&
         text::is_digit(line[2]) && line[3] == '-';
}

bool contains_word(std::string_view line, std::string_view word) {
  for (size_t i = 0; i + word.size() <= line.size(); ++i)
    if (text::iequals(line.substr(i, word.size()), word)) return true;
  return false;
}

}  // namespace

std::optional<std::string> mail_commands_proto_info(std::string_view data, bool from_client,
                                                    bool strict) {
  std::vector<std::string> items;
  text::LineCursor lines(data);
  text::Line line;
  bool first_line = true, in_data_body = false;
  while (items.size() < max_items && lines.next(line)) {
    if (line.text.empty() && !line.terminated) break;
    std::string item;
    if (from_client) {
      if (in_data_body) {
        if (line.text == ".") in_data_body = false;
        continue;
      }
      item = client_verb(line.text);
      if (item == "DATA") in_data_body = true;
    } else if (!is_multiline_continuation(line.text)) {
      item = server_reply(line.text);
    } else {
      first_line = false;  // a reply's first line: recognised
      continue;
    }
    if (item.empty() && first_line && strict) return std::nullopt;
    first_line = false;
    if (!item.empty()) items.push_back(std::move(item));
  }
  if (items.empty()) return std::nullopt;
  ProtoInfoText info;
  info.add_list(from_client ? "commands" : "replies", items);
  return info.take();
}

std::string guess_mail_protocol(std::string_view data, bool from_client) {
  text::LineCursor lines(data);
  text::Line line;
  if (!lines.next(line)) return {};
  if (from_client) {
    bool imap = false;
    std::string_view verb = client_verb(line.text, &imap);
    if (verb.empty()) return {};
    if (imap) return "IMAP";
    for (std::string_view smtp : {"HELO", "EHLO", "MAIL", "RCPT"})
      if (verb == smtp) return "SMTP";
    for (std::string_view pop3 : {"APOP", "UIDL", "CAPA", "STLS", "TOP"})
      if (verb == pop3) return "POP3";
    for (std::string_view ftp : {"FEAT", "SYST", "PASV", "EPSV", "PORT", "EPRT", "CWD", "PWD"})
      if (verb == ftp) return "FTP";
    return {};
  }
  std::string_view text_line = line.text;
  if (text::istarts_with(text_line, "+OK")) return "POP3";
  if (text::istarts_with(text_line, "* OK") || text::istarts_with(text_line, "* PREAUTH"))
    return "IMAP";
  if (text::istarts_with(text_line, "220")) {
    if (contains_word(text_line, "SMTP")) return "SMTP";
    if (contains_word(text_line, "FTP")) return "FTP";
  }
  return {};
}

}  // namespace procflow
