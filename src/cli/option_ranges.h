// The documented range of every numeric command-line option, in one place: the validators
// enforce these bounds, the help text prints them, and the README lists them.
#pragma once

#include "cli/numeric_option.h"

namespace procflow::option_ranges {

// `trace --duration`: at least two turns of the 50 ms event loop (less could not be honoured);
// at most a year, far beyond any tracing session, and 3.2e16 ns, so adding it to a boot-clock
// timestamp cannot overflow uint64.
inline constexpr RealRange kTraceDuration{0.1, 365 * 86400.0, "seconds"};

// `--udp-idle-timeout` (trace, and replay in capture time): at least 0.1 s, below which a
// request and its answer would be split into two flows on any network slower than a LAN; at
// most a day: an idle flow keeps its slot in the 65 536-entry UDP flow map that long, and past
// a day nobody would call the next datagram the same conversation. 8.64e13 ns fits uint64.
inline constexpr RealRange kUdpIdleTimeout{0.1, 86400.0, "seconds"};

// `trace --dns-answer-window`: how long after its query a DNS answer may still name addresses.
// At least 0.1 s (a resolver on the LAN answers in milliseconds); at most a minute, far past any
// resolver's own give-up time (glibc: 5 s x 2 tries), so a stale answer cannot be replayed later.
inline constexpr RealRange kDnsAnswerWindow{0.1, 60.0, "seconds"};

// `trace --reverse-dns-rate`: from one PTR query every 10 s to 1000 a second; more would flood
// a shared resolver from a passive sensor, and with at most 256 queries outstanding it would
// mostly turn into queue drops anyway.
inline constexpr RealRange kReverseDnsRate{0.1, 1000.0, "queries per second"};

// `trace --pid`: the kernel hands out pids from 1 to below pid_max, whose largest setting is
// PID_MAX_LIMIT = 4194304 on 64-bit machines. 0 is no process.
inline constexpr WholeRange kPid{1, 4'194'303, "a pid"};

// `trace --ring-buffer-kib`: the kernel's ring buffer, in KiB (rounded up to a power of two, as
// the kernel requires). 64 KiB holds a few hundred records, enough only for an idle host (and
// for tests that provoke losses); 1 GiB is far past what any host needs at a 50 ms drain.
inline constexpr WholeRange kRingBufferKib{64, 1 << 20, "a size in KiB"};
// Entries of the kernel's flow maps (TCP: flows, and TC's per-connection
// counters; UDP: udp_flows), sized before load.
inline constexpr WholeRange kMaxFlows{1024, 1u << 22, "a number of flows"};

// `trace --output-buffer-kib`: events waiting for a slow reader of stdout, in KiB; beyond it
// new events are dropped (and counted). 64 KiB is a few dozen events; 4 GiB would be memory a
// stuck reader should not be able to take.
inline constexpr WholeRange kOutputBufferKib{64, 4 << 20, "a size in KiB"};

// `trace --report-interval`, `report_interval:` in the config: how often a long-lived flow
// reports its period. At least a second (each report asks the kernel for a snapshot of every
// open flow); at most a week. 0 (the default for trace) turns it off.
inline constexpr RealRange kReportInterval{1.0, 7 * 86400.0, "seconds"};

// `--content-bytes`, `content.bytes`: bytes of each turn captured per direction. 0 turns content
// capture off; 16 KiB covers any request head and TLS hello, and each turn's bytes travel
// through the ring in 512-byte records.
inline constexpr WholeRange kContentBytes{0, 16384, "bytes (0: off)"};

// `--max-turns`, `content.max_turns`: turns per direction and flow with `--messages all`: at
// least one; 1000 is far past any conversation worth a message each, and bounds one flow's share.
inline constexpr WholeRange kMaxTurns{1, 1000, "turns"};

// `content.turns_per_second`: turns captured per second on each CPU, the kernel's global bound.
// At least 1; 1 000 000 is more than any ring buffer drains of 512-byte records.
inline constexpr WholeRange kTurnsPerSecond{1, 1'000'000, "turns per second"};

// `--port` (trace, replay): 0 is no port a flow is reported with.
inline constexpr WholeRange kPort{1, 65'535, "a port"};

// `top --refresh`: how often the picture is redrawn. At least the tracer's loop turn (50 ms)
// times four, below which a redraw would cost more than it shows; at most a minute, the
// history a row keeps.
inline constexpr RealRange kTopRefresh{0.2, 60.0, "seconds"};

}  // namespace procflow::option_ranges
