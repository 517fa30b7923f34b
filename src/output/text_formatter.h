// The human-readable output of `procflow trace --format text`: one aligned line per event, for a
// person watching a terminal. Machines read the JSON lines instead; this format may change.
#pragma once

#include <string>

#include "procflow/flow_event.h"

namespace procflow {

// Appends one line (ending in '\n') describing `e`, in fixed columns, e.g.
//
//   TIME          ACTION  PID/EXE                  PROTO  SOURCE                   DESTINATION
//   05:10:11.123Z start   1234/curl                TCP    10.0.0.54:50438       -> example.com:443
//       dir=out dest_ip=93.184.216.34
//   05:10:11.123Z end     1234/curl                TCP    10.0.0.54:50438       -> example.com:443
//       in=12.8KiB out=1.3KiB  pkts=9      dur=1.234s   reason=close       flags=SYN,ACK,PSH,FIN
//
// (details folded here; each event is one line). Times are UTC with a trailing 'Z', the same clock
// as the JSON "timestamp", so a line on screen can be found in a JSON log or a capture without
// converting time zones, and the output does not depend on the host's TZ. A known FQDN replaces the
// IP in its endpoint column (the IP then follows at the end as src_ip=/dest_ip=). Byte counts are
// shown in binary units (the JSON carries exact values).
//
// Columns start at fixed display offsets; a value wider than its column (a long IPv6 address,
// a long name) pushes the rest of the line right by what it overflows, and later columns
// realign as soon as there is room. Control characters, C1 controls, bidi overrides and invalid
// UTF-8 in names are shown as '?', so hostile process names cannot move the cursor or break the
// line.
//
// With `colour`, ANSI colours (zero width: the columns stay where they are): the action by what
// happened (start green, message cyan, end blue, an end by reset or loss red, interval reports
// dim) and the arrow by the local socket's side (yellow: it connected out; magenta: it accepted
// the connection), as is msg=out|in.
void append_text_line(const FlowEvent& e, std::string& out, bool colour);
// Without colour (a file, a pipe): what the benchmarks and the other outputs call.
inline void append_text_line(const FlowEvent& e, std::string& out) {
  append_text_line(e, out, false);
}

// The column titles for append_text_line(), aligned with it; ends in '\n'.
std::string text_header();

// 999B, 9.9KiB, 12.8KiB, 123KiB, 1.2MiB...: at most 7 characters, three significant digits,
// rounded down so it never overstates.
void append_bytes(std::string& out, uint64_t v);

// "05:10:11.123Z": the time column of a line (UTC time of day, milliseconds).
void append_time_of_day(std::string& out, uint64_t unix_us);

}  // namespace procflow
