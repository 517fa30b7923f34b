// One text names where events go, the same on the command line
// (`--output URI`, repeatable) and in the service config:
//   -  or  stdout           standard output
//   file:PATH               JSON/text lines appended to PATH (reopened on SIGHUP)
// Further schemes (syslog, ClickHouse) are added here as their sinks land.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "output/sink.h"

namespace procflow {

// The sink URI names, or nullptr with `error` saying what is wrong and what
// is accepted.
std::unique_ptr<Sink> open_sink(std::string_view uri, std::string* error);

// True for the URI of standard output (a tracer whose stdout reader went
// away stops; a broken file or server does not stop it).
bool is_stdout_uri(std::string_view uri);

}  // namespace procflow
