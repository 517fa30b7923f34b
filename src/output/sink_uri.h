// One text names where events go, the same on the command line
// (`--output URI`, repeatable) and in the service config:
//   -  or  stdout           standard output
//   file:PATH               JSON/text lines appended to PATH (reopened on SIGHUP)
//     file options: ?max_size_kib=N (1..1073741824): rotate at N KiB, between whole lines
//                   &keep=N (1..1000, 5): rotated files kept, PATH.1 newest
//                   &fsync=never|rotate|batch (never): see FsyncPolicy
//                   (the part before '?' is the path, as written)
//   syslog:[SOCKET]         RFC 5424, one message per event, to the local syslog socket
//                           (/dev/log unless SOCKET is given; datagram, else stream)
//   syslog+udp://HOST:PORT  the same over UDP, one datagram per message
//   syslog+tcp://HOST:PORT  the same over TCP, RFC 6587 octet counting, reconnecting
//     syslog options: ?facility=NAME|0-23 (user) &severity=NAME|0-7 (info)
//                     &hostname=NAME (this host's) &msgid=ID (flow)
//   clickhouse+http://HOST:PORT/?table=NAME
//                           flow events as rows of a ClickHouse table
//                           (deploy/clickhouse/flows.sql), batched HTTP inserts (JSONEachRow),
//                           retried while the server is down
//     clickhouse options: &database=NAME (default) &user=NAME &password=TEXT
//                         &max_rows=N (10000) &max_age_ms=N (1000): a batch goes out at either
//                         &max_buffer_bytes=N (64 MiB): rows beyond it are dropped and counted
//                         &max_backoff_ms=N (5000): the longest wait between retries
// IPv6 hosts in brackets: syslog+udp://[::1]:514. Options are %-decoded.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "output/file_sink_options.h"
#include "output/sink.h"

namespace procflow {

// The sink URI names, or nullptr with `error` saying what is wrong and what
// is accepted.
std::unique_ptr<Sink> open_sink(std::string_view uri, std::string* error);
// The same, with the rotation and fsync of a file output given apart
// (OutputRoute::file, from the config's keys); options in the URI itself are
// read over them. Other sinks ignore `file`.
std::unique_ptr<Sink> open_sink(std::string_view uri, const FileSinkOptions& file,
                                std::string* error);

// What is wrong with a sink URI and its options, found without opening
// anything (no file created, no connection); "" when open_sink would take it
// (it can still fail to open: a file not writable, a socket not there).
std::string sink_uri_problem(std::string_view uri, const FileSinkOptions& file = {});

// True for the URI of standard output (a tracer whose stdout reader went
// away stops; a broken file or server does not stop it).
bool is_stdout_uri(std::string_view uri);

}  // namespace procflow
