#include "proto/credential_redactor.h"

#include <algorithm>
#include <array>

#include "proto/text_lines.h"

namespace procflow {

namespace {

// Longest unterminated line kept to be joined with the next message.
constexpr size_t partial_cap = 1024;

constexpr std::array<std::string_view, 4> secret_headers = {"authorization", "proxy-authorization",
                                                            "cookie", "set-cookie"};

size_t skip_spaces(std::string_view line, size_t pos) {
  while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
  return pos;
}

size_t token_end(std::string_view line, size_t pos) {
  while (pos < line.size() && line[pos] != ' ' && line[pos] != '\t') ++pos;
  return pos;
}

// Header `Name: value` with a secret name: the value.
void header_rule(std::string_view line, std::vector<std::pair<size_t, size_t>>& out) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return;
  std::string_view name = line.substr(0, colon);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  for (std::string_view secret : secret_headers) {
    if (text::iequals(name, secret)) {
      size_t value = skip_spaces(line, colon + 1);
      if (value < line.size()) out.emplace_back(value, line.size());
      return;
    }
  }
}

// scheme://user:password@host anywhere in the line: the password.
void url_rule(std::string_view line, bool terminated, std::vector<std::pair<size_t, size_t>>& out) {
  size_t search = 0;
  while (true) {
    size_t marker = line.find("://", search);
    if (marker == std::string_view::npos) return;
    size_t userinfo = marker + 3;
    size_t colon = std::string_view::npos;
    size_t pos = userinfo;
    for (; pos < line.size(); ++pos) {
      char c = line[pos];
      if (c == '@' || c == '/' || c == '?' || c == '#' || c == ' ' || c == '\t' || c == '"' ||
          c == '\'' || c == '<' || c == '>')
        break;
      if (c == ':' && colon == std::string_view::npos) colon = pos;
    }
    if (colon != std::string_view::npos) {
      if (pos < line.size() && line[pos] == '@') {
        if (pos > colon + 1) out.emplace_back(colon + 1, pos);
      } else if (pos == line.size() && !terminated && pos > colon + 1) {
        // The message stops inside what may be a password: hide it now, the
        // next message decides (a port number is redacted too, needlessly).
        out.emplace_back(colon + 1, pos);
      }
    }
    search = pos > marker + 3 ? pos : marker + 3;
  }
}

}  // namespace

CredentialRedactor::CredentialRedactor(bool enabled) : enabled_(enabled) {}

CredentialRedactor::LineEffect CredentialRedactor::evaluate(std::string_view line, bool terminated,
                                                            bool from_initiator, bool in_exchange,
                                                            std::vector<Range>& ranges) const {
  LineEffect effect;
  if (from_initiator && in_exchange) {
    // A SASL response (or a literal's bytes): all of it is the credential.
    if (!line.empty()) ranges.push_back({0, line.size()});
    return effect;
  }
  if (!from_initiator && in_exchange) {
    bool continuation =
        text::istarts_with(line, "334") || line == "+" || text::istarts_with(line, "+ ");
    if (continuation) {
      effect.continues_exchange = true;
    } else if (terminated || line.size() >= 4) {
      effect.ends_exchange = true;  // too short and unterminated: no verdict yet
    }
  }

  std::vector<std::pair<size_t, size_t>> found;
  header_rule(line, found);
  url_rule(line, terminated, found);

  // Commands: the first tokens decide (IMAP's come after a tag).
  size_t first_begin = skip_spaces(line, 0);
  size_t first_end = token_end(line, first_begin);
  size_t second_begin = skip_spaces(line, first_end);
  size_t second_end = token_end(line, second_begin);
  size_t third_begin = skip_spaces(line, second_end);
  size_t third_end = token_end(line, third_begin);
  size_t fourth_begin = skip_spaces(line, third_end);
  std::string_view first = line.substr(first_begin, first_end - first_begin);
  std::string_view second = line.substr(second_begin, second_end - second_begin);
  bool first_complete = first_end < line.size();  // a space follows it

  if (first_complete && text::iequals(first, "PASS")) {
    if (second_begin < line.size()) found.emplace_back(second_begin, line.size());
  } else if (first_complete && text::iequals(first, "APOP")) {
    if (third_begin < line.size()) found.emplace_back(third_begin, line.size());
  } else if (text::iequals(first, "AUTH") && (first_complete || terminated)) {
    if (third_begin < line.size()) found.emplace_back(third_begin, line.size());
    effect.starts_exchange = from_initiator;
  } else if (text::iequals(second, "AUTHENTICATE") && (second_end < line.size() || terminated)) {
    if (fourth_begin < line.size()) found.emplace_back(fourth_begin, line.size());
    effect.starts_exchange = from_initiator;
  } else if (text::iequals(second, "LOGIN") && second_end < line.size()) {
    size_t user_end = third_end;
    if (third_begin < line.size() && line[third_begin] == '"') {
      // A quoted user may contain spaces; find its closing quote.
      size_t pos = third_begin + 1;
      while (pos < line.size() && line[pos] != '"') pos += line[pos] == '\\' ? 2 : 1;
      user_end = pos < line.size() ? pos + 1 : line.size();
    }
    if (third_begin < line.size() && line[third_begin] == '{') {
      found.emplace_back(third_begin, line.size());  // a literal user: hide it all
    } else {
      size_t password = skip_spaces(line, user_end);
      if (password < line.size()) found.emplace_back(password, line.size());
    }
    // A literal (user or password) follows on the next line.
    if (!line.empty() && line.back() == '}') effect.starts_exchange = from_initiator;
  }

  for (auto [begin, end] : found) ranges.push_back({begin, end});
  return effect;
}

void CredentialRedactor::emit(std::string& out, std::string_view line, std::vector<Range>& ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](const Range& a, const Range& b) { return a.begin < b.begin; });
  size_t pos = 0;
  for (size_t i = 0; i < ranges.size();) {
    size_t begin = ranges[i].begin, end = ranges[i].end;
    for (++i; i < ranges.size() && ranges[i].begin <= end; ++i) end = std::max(end, ranges[i].end);
    begin = std::max(begin, pos);
    end = std::min(end, line.size());
    if (begin >= end) continue;
    out.append(line.substr(pos, begin - pos));
    out.append(redaction_marker);
    ++redactions_;
    pos = end;
  }
  out.append(line.substr(pos));
}

std::string CredentialRedactor::redact(std::span<const uint8_t> bytes, bool from_initiator) {
  std::string_view data = text::as_chars(bytes);
  if (!enabled_) return std::string(data);
  Direction& direction = directions_[from_initiator ? 0 : 1];
  std::string out;
  out.reserve(data.size() + 16);

  size_t pos = 0;
  bool first_line = true;
  while (pos < data.size()) {
    size_t newline = data.find('\n', pos);
    bool terminated = newline != std::string_view::npos;
    size_t line_end = terminated ? newline : data.size();
    size_t text_end = line_end;
    // A CR is never part of a credential; an unterminated line may end in one too.
    if (text_end > pos && data[text_end - 1] == '\r') --text_end;
    std::string_view line = data.substr(pos, text_end - pos);

    ranges_.clear();
    bool starts = false, continues = false, ends = false;
    auto note = [&](const LineEffect& effect) {
      starts |= effect.starts_exchange;
      continues |= effect.continues_exchange;
      ends |= effect.ends_exchange;
    };

    bool joined_open = false;
    if (first_line && direction.partial_length > 0) {
      if (direction.partial_length <= partial_cap) {
        // Judge the line as the continuation of the last message's tail.
        joined_.assign(direction.partial);
        joined_.append(line);
        if (terminated && !joined_.empty() && joined_.back() == '\r') joined_.pop_back();
        size_t offset = direction.partial.size();
        joined_ranges_.clear();
        note(evaluate(joined_, terminated, from_initiator, in_exchange_, joined_ranges_));
        for (const Range& range : joined_ranges_) {
          if (range.end <= offset) continue;
          ranges_.push_back(
              {std::max(range.begin, offset) - offset, std::min(range.end - offset, line.size())});
          if (range.end >= joined_.size()) joined_open = true;
        }
      } else if (direction.partial_open) {
        ranges_.push_back({0, line.size()});  // too long to join: keep hiding to its end
        joined_open = true;
      }
    }
    // ...and on its own, in case it starts a new turn instead.
    size_t own = ranges_.size();
    note(evaluate(line, terminated, from_initiator, in_exchange_, ranges_));
    bool own_open = false;
    for (size_t i = own; i < ranges_.size(); ++i)
      if (ranges_[i].end >= line.size()) own_open = true;

    // Both readings must agree that the exchange is over; either may start it.
    if (starts)
      in_exchange_ = true;
    else if (ends && !continues)
      in_exchange_ = false;

    emit(out, line, ranges_);
    out.append(data.substr(text_end, (terminated ? newline + 1 : data.size()) - text_end));

    if (!terminated) {
      // Keep the tail for the next message of this direction.
      bool continues_partial = first_line && direction.partial_length > 0;
      if (continues_partial) {
        if (direction.partial.size() < partial_cap)
          direction.partial.append(line.substr(0, partial_cap - direction.partial.size()));
        direction.partial_length += line.size();
        direction.partial_open = joined_open || own_open;
      } else {
        direction.partial.assign(line.substr(0, partial_cap));
        direction.partial_length = line.size();
        direction.partial_open = own_open;
      }
    } else if (first_line) {
      direction.partial.clear();
      direction.partial_length = 0;
      direction.partial_open = false;
    }
    pos = terminated ? newline + 1 : data.size();
    first_line = false;
  }
  return out;
}

}  // namespace procflow
