// The scripted client of the message suites (peers/talk.py): the test writes
// every byte the client sends, and gets back every byte it received, turn by
// turn. A turn is what one side sends before the other side sends; the
// script waits for each reply to be complete before it sends again, so the
// turns on the wire are exactly the transcript's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spawned_process.h"

namespace procflow_it {

// Seen from the client: out = the client sent it, in = the server did.
enum class TurnFrom { client, server };

struct Turn {
  TurnFrom from;
  std::string bytes;
};

// What talk.py reports.
struct Transcript {
  int64_t pid = -1;
  std::string local_ip;
  int64_t local_port = 0;
  std::vector<Turn> turns;
};

// A script for talk.py, built step by step.
class TalkScript {
 public:
  TalkScript& send(const std::string& bytes);
  // Reads until a line starting with `prefix` ends ("" = the next line).
  TalkScript& recv_line(const std::string& prefix = "");
  // Reads one HTTP/1.x response (headers and its Content-Length body).
  TalkScript& recv_http();
  TalkScript& recv_datagram();
  // Reads whatever comes next (at least one byte).
  TalkScript& recv_any();

  std::string json() const;

 private:
  std::vector<std::string> steps_;
};

// argv of `python3 talk.py tcp|udp HOST PORT SCRIPT`.
std::vector<std::string> talk_argv(const std::string& transport, const std::string& host, int port,
                                   const TalkScript& script);

// Parses the finished client's line; nullopt (and the reason in `error`) if
// it failed.
std::optional<Transcript> transcript_of(const SpawnedProcess& client, std::string* error);

// A JSON string literal of latin-1 bytes.
std::string json_quote(const std::string& bytes);

}  // namespace procflow_it
