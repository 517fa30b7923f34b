#!/usr/bin/env python3
"""The arithmetic of bench/overhead.sh, which gathers the raw numbers into files.

  overhead_report.py count procflow|tcplife OUTPUT SERVER_IP PORTS_FILE
      prints "expected reported": sockets the runs of one tracer instance made (2 per
      connection, client and server; PORTS_FILE has a "connections port" line per run) and how
      many of them the tracer's OUTPUT reported as ended.
  overhead_report.py report WORK CONNS PARALLEL BULK_CONNS BULK_MIB
      prints the tables and the verdicts against the targets (docs/performance.md).
"""
import glob
import json
import os
import re
import statistics
import sys
from collections import defaultdict

CONFIGS = ("untraced", "procflow", "tcplife")
TRACERS = ("procflow", "tcplife")

# The targets of issue 8 on this machine.
THROUGHPUT_COST_MAX = 0.5  # procflow's throughput cost / tcplife's
CPU_PER_CONN_MAX = 1 / 3  # procflow's host CPU per connection / tcplife's
NS_PER_SOCKET_EVENT_MAX = 1000  # each BPF program, per run
# A program that runs less often than this per connection of the workload does not run for it.
RARE_RUNS_PER_CONN = 0.1
# The workload holds at most a few dozen TCP sockets open; more than this are other jobs'.
MANY_OPEN_SOCKETS = 1000

# procflow programs that run for process events (and the start-up walk), not socket events.
NOT_SOCKET_EVENTS = re.compile(r"^pf_(exec|fork|exit)_|^pf_(snapshot|iter_tcp)$")


def read_ports(path):
    expected, ports = 0, set()
    for line in open(path):
        conns, port = line.split()
        expected += 2 * int(conns)
        ports.add(port)
    return expected, ports


def count_procflow(output, server, ports):
    """TCP `end` events of sockets whose responder is the run's server (src_* is the initiator,
    so both the client's and the server's socket have dest = server)."""
    n = 0
    for line in open(output, errors="replace"):
        if '"action":"end"' not in line:
            continue
        e = json.loads(line)
        if e.get("transport_protocol") != "TCP":
            continue
        if (e.get("dest_ip") == server and str(e.get("dest_port")) in ports) or (
            e.get("src_ip") == server and str(e.get("src_port")) in ports
        ):
            n += 1
    return n


def count_tcplife(output, server, ports):
    """tcplife lines (one per closed socket: PID COMM LADDR LPORT RADDR RPORT ...) with the
    server's address and port on either side. COMM may hold spaces, so look for the pair
    anywhere in the line."""
    n = 0
    for line in open(output, errors="replace"):
        f = line.split()
        if any(f[i] == server and f[i + 1] in ports for i in range(len(f) - 1)):
            n += 1
    return n


def count(tracer, output, server, ports_file):
    expected, ports = read_ports(ports_file)
    counter = count_procflow if tracer == "procflow" else count_tcplife
    print(expected, counter(output, server, ports))


# ---- report ------------------------------------------------------------------------------------


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def fmt_range(xs, spec):
    return f"{min(xs):{spec}}-{max(xs):{spec}}" if len(xs) > 1 else ""


class Results:
    def __init__(self, work):
        # (path, config, workload) -> round -> [(elapsed, conns, bytes, cpu)]
        self.runs = defaultdict(lambda: defaultdict(list))
        for line in open(f"{work}/results"):
            rnd, path, config, workload, el, conns, nbytes, cpu = line.split()
            self.runs[path, config, workload][int(rnd)].append(
                (float(el), int(conns), int(nbytes), float(cpu))
            )
        self.tracer_cpu = defaultdict(dict)  # (path, config, workload) -> round -> s
        for line in open(f"{work}/tracer_cpu"):
            rnd, path, config, workload, s = line.split()
            self.tracer_cpu[path, config, workload][int(rnd)] = float(s)
        self.rss = defaultdict(list)  # (path, config) -> [kB]
        for line in open(f"{work}/rss"):
            _, path, config, kb = line.split()
            self.rss[path, config].append(int(kb))
        self.complete = defaultdict(lambda: [0, 0])  # (path, config) -> [expected, reported]
        self.incomplete = []  # (round, path, config, expected, reported) of each short instance
        for line in open(f"{work}/complete"):
            rnd, path, config, expected, reported = line.split()
            self.complete[path, config][0] += int(expected)
            self.complete[path, config][1] += int(reported)
            if reported != expected:
                self.incomplete.append((int(rnd), path, config, int(expected), int(reported)))
        self.failed = {}
        for line in open(f"{work}/failed"):
            path, config, reason = line.rstrip("\n").split(" ", 2)
            self.failed[path, config] = reason
        # (round, path, config, count, names) for each configuration run with other tracers on.
        self.foreign = []
        for line in open(f"{work}/foreign"):
            rnd, path, config, n, names = line.split()
            if int(n):
                self.foreign.append((int(rnd), path, config, int(n), names))
        # 1-minute load average before each configuration run.
        self.load = [float(x) for x in open(f"{work}/load").read().split()]
        # (round, path, config, sockets) where other jobs held many TCP sockets open.
        self.busy_sockets = []
        for line in open(f"{work}/tcp_alloc"):
            rnd, path, config, n = line.split()
            if int(n) > MANY_OPEN_SOCKETS:
                self.busy_sockets.append((int(rnd), path, config, int(n)))
        self.paths = sorted({p for p, _, _ in self.runs}, key=lambda p: p != "lo")

    def rounds(self, path, config, workload):
        return sorted(self.runs[path, config, workload])

    def rate(self, path, config, workload, rnd):
        """Median over a round's runs: connections/s (short) or MB/s (bulk)."""
        runs = self.runs[path, config, workload][rnd]
        if workload == "short":
            return med([c / el for el, c, _, _ in runs])
        return med([b / 1e6 / el for el, _, b, _ in runs])

    def best_ratio(self, path, config, workload):
        """Fastest run against fastest untraced run, all rounds: other jobs on a shared machine
        only ever slow a run down, so the fastest runs are the least disturbed."""
        def best(c):
            rs = [r for rnd in self.runs[path, c, workload].values() for r in rnd]
            if workload == "short":
                return max(conns / el for el, conns, _, _ in rs)
            return max(b / 1e6 / el for el, _, b, _ in rs)
        return best(config) / best("untraced")

    def workload_cpu(self, path, config, workload, rnd):
        return med([cpu for _, _, _, cpu in self.runs[path, config, workload][rnd]])

    def per_round(self, path, config, workload):
        """Per round, paired with the untraced runs of the same round (so that a slow phase of
        the shared machine hits both sides): throughput ratio, tracer CPU and host CPU added,
        per connection (short, in µs) or per GB (bulk, in ms)."""
        out = []
        for rnd in self.rounds(path, config, workload):
            if rnd not in self.runs[path, "untraced", workload]:
                continue
            runs = self.runs[path, config, workload][rnd]
            units = sum(c for _, c, _, _ in runs) if workload == "short" else \
                sum(b for _, _, b, _ in runs) / 1e9
            per_run_units = units / len(runs)
            scale = 1e6 if workload == "short" else 1e3
            ratio = self.rate(path, config, workload, rnd) / self.rate(
                path, "untraced", workload, rnd)
            tracer = self.tracer_cpu[path, config, workload].get(rnd, 0.0) / units * scale
            added = (self.workload_cpu(path, config, workload, rnd)
                     - self.workload_cpu(path, "untraced", workload, rnd)) / per_run_units * scale
            out.append((ratio, tracer, added + tracer))
        return out


def workload_table(res, path, workload, conns, parallel, bulk_conns, bulk_mib, summary):
    if workload == "short":
        title = f"short connections: {conns} per run, {parallel} at a time, 100 B each way"
        unit, cpu_unit = "conn/s", "us/conn"
    else:
        title = f"bulk: {bulk_conns} connections at once, {bulk_mib} MiB each"
        unit, cpu_unit = "MB/s", "ms/GB"
    nrounds = len(res.rounds(path, "untraced", workload))
    print(f"\n== {path}: {title} (median of {nrounds} rounds) ==")
    print(f"{'config':<9} {unit:>8} {'ratio':>6} {'(range)':>11} {'cost':>6} {'best':>6} "
          f"{'tracer_' + cpu_unit:>15} {'host_' + cpu_unit:>13} {'(range)':>11}")
    for config in CONFIGS:
        if (path, config) in res.failed:
            print(f"{config:<9} not measured: {res.failed[path, config]}")
            continue
        rounds = res.rounds(path, config, workload)
        rate = med([res.rate(path, config, workload, r) for r in rounds])
        if config == "untraced":
            print(f"{config:<9} {rate:>8.0f}")
            continue
        pr = res.per_round(path, config, workload)
        ratios, tracer, host = [x[0] for x in pr], [x[1] for x in pr], [x[2] for x in pr]
        cost, best_cost = 1 - med(ratios), 1 - res.best_ratio(path, config, workload)
        summary[path, workload, config] = (cost, med(tracer), med(host), best_cost)
        print(f"{config:<9} {rate:>8.0f} {med(ratios):>6.3f} {fmt_range(ratios, '.2f'):>11} "
              f"{cost * 100:>5.1f}% {best_cost * 100:>5.1f}% {med(tracer):>15.2f} "
              f"{med(host):>13.2f} {fmt_range(host, '.1f'):>11}")


def bpf_rounds(work, path, tracer):
    """Per round: {program name: (runs, ns)} of the statistics run."""
    def load(f):
        out = {}
        for line in open(f):
            pid, name, cnt, ns = line.split()
            out[pid] = (name, int(cnt), int(ns))
        return out

    rounds = []
    for after_file in sorted(glob.glob(f"{work}/progs.{path}.{tracer}.*.after")):
        before, after = load(after_file[: -len("after")] + "before"), load(after_file)
        progs = defaultdict(lambda: [0, 0])
        for pid, (name, cnt, ns) in after.items():
            _, cnt0, ns0 = before.get(pid, (name, 0, 0))
            progs[name][0] += cnt - cnt0
            progs[name][1] += ns - ns0
        rounds.append(progs)
    return rounds


def bpf_table(work, path, tracer, conns):
    rounds = bpf_rounds(work, path, tracer)
    if not rounds:
        return None, None
    print(f"\n{tracer} BPF programs on {path}: one extra short run of {conns} connections per "
          f"round with kernel.bpf_stats_enabled=1; medians of {len(rounds)} rounds")
    print(f"{'program':<22} {'runs/conn':>9} {'ns/run':>7} {'(range)':>13} {'ns/conn':>8}  "
          f"target (<= {NS_PER_SOCKET_EVENT_MAX} ns per socket event)")
    names = sorted({n for r in rounds for n in r})
    worst, idle = (0, ""), []
    for name in names:
        runs = [r[name][0] for r in rounds if r.get(name, (0, 0))[0] > 0]
        if not runs:
            idle.append(name)
            continue
        per_run = [r[name][1] / r[name][0] for r in rounds if r.get(name, (0, 0))[0] > 0]
        per_conn = [r.get(name, (0, 0))[1] / conns for r in rounds]
        if NOT_SOCKET_EVENTS.match(name):
            verdict_text = "- (process events, not per socket)"
        elif med(runs) < RARE_RUNS_PER_CONN * conns:
            # Other processes' sockets, a few runs: too few for a figure to hold against the target.
            verdict_text = "- (not this workload's; few runs)"
        else:
            verdict_text = "met" if med(per_run) <= NS_PER_SOCKET_EVENT_MAX else "MISSED"
            worst = max(worst, (med(per_run), name))
        print(f"{name:<22} {med(runs) / conns:>9.2f} {med(per_run):>7.0f} "
              f"{fmt_range(per_run, '.0f'):>13} {med(per_conn):>8.0f}  {verdict_text}")
    totals = [sum(ns for _, ns in r.values()) / conns for r in rounds]
    print(f"{'total':<22} {'':>9} {'':>7} {fmt_range(totals, '.0f'):>13} {med(totals):>8.0f}  "
          "ns of BPF per connection")
    if idle:
        print(f"not run: {' '.join(idle)}")
    return worst, med(totals) / 1000


def verdict(ratio, limit):
    if ratio != ratio:  # nan
        return "n/a"
    if ratio <= limit:
        return "met"
    return f"MISSED by {(ratio / limit - 1) * 100:.0f}%"


def targets(res, summary, worst, bpf_us):
    print("\ntargets (procflow against tcplife, medians):")
    for path in res.paths:
        for workload in ("short", "bulk"):
            p, t = summary.get((path, workload, "procflow")), summary.get((path, workload, "tcplife"))
            if not p or not t:
                continue
            what = "conn/s" if workload == "short" else "MB/s"
            for label, i in (("median", 0), ("best", 3)):
                head = (f"  {path:<4} {workload:<5} throughput cost ({what}, {label}): "
                        f"procflow {p[i] * 100:.1f}%, tcplife {t[i] * 100:.1f}%")
                if t[i] > 0:
                    r = p[i] / t[i]
                    print(f"{head} -> {r:.2f} x tcplife's (target <= {THROUGHPUT_COST_MAX}): "
                          f"{verdict(r, THROUGHPUT_COST_MAX)}")
                else:
                    print(f"{head}: tcplife's cost is not measurable here, no ratio")
            unit = "us/conn" if workload == "short" else "ms/GB"
            if workload == "short" and t[2] > 0:
                r = p[2] / t[2]
                print(f"  {path:<4} {workload:<5} host CPU added: procflow {p[2]:.1f} {unit}, "
                      f"tcplife {t[2]:.1f} -> {r:.2f} x tcplife's (target <= "
                      f"{CPU_PER_CONN_MAX:.2f}): {verdict(r, CPU_PER_CONN_MAX)}")
                r = p[1] / t[1] if t[1] > 0 else float("nan")
                print(f"  {path:<4} {workload:<5} tracer process CPU: procflow {p[1]:.1f} ms per "
                      f"1000 connections, tcplife {t[1]:.1f} -> {r:.2f} x tcplife's")
                pb, tb = bpf_us.get((path, "procflow")), bpf_us.get((path, "tcplife"))
                if pb is not None and tb is not None:
                    pd, td = pb + p[1], tb + t[1]
                    r = pd / td
                    print(f"  {path:<4} {workload:<5} BPF + tracer process CPU: procflow {pd:.1f} "
                          f"us/conn, tcplife {td:.1f} -> {r:.2f} x tcplife's (target <= "
                          f"{CPU_PER_CONN_MAX:.2f}): {verdict(r, CPU_PER_CONN_MAX)}")
        expected, reported = res.complete.get((path, "procflow"), (0, 0))
        if expected:
            pct = reported / expected * 100
            print(f"  {path:<4} completeness: procflow reported {reported} of {expected} sockets "
                  f"= {pct:.2f}% (target 100%): {'met' if reported == expected else 'MISSED'}")
        w = worst.get((path, "procflow"))
        if w and w[1]:
            print(f"  {path:<4} slowest procflow program per socket event: {w[1]} {w[0]:.0f} ns "
                  f"(target <= {NS_PER_SOCKET_EVENT_MAX}): "
                  f"{verdict(w[0], NS_PER_SOCKET_EVENT_MAX)}")


def report(work, conns, parallel, bulk_conns, bulk_mib):
    conns, parallel, bulk_conns, bulk_mib = map(int, (conns, parallel, bulk_conns, bulk_mib))
    res = Results(work)
    summary, worst = {}, {}
    for path in res.paths:
        for workload in ("short", "bulk"):
            workload_table(res, path, workload, conns, parallel, bulk_conns, bulk_mib, summary)
        print(f"\n{'tracer':<9} {'peak RSS (VmHWM)':>17} {'completeness (sockets reported)':>34}")
        for config in TRACERS:
            if (path, config) in res.failed:
                continue
            expected, reported = res.complete[path, config]
            pct = f"{reported / expected * 100:.2f}%" if expected else "-"
            print(f"{config:<9} {max(res.rss[path, config], default=0) / 1024:>14.1f} MB "
                  f"{pct:>9} ({reported} of {expected})")
    print("""
ratio: traced throughput / untraced, per round (each round's median runs), median over rounds;
  cost = 1 - ratio. Sensitive to other load on a shared machine: see the ranges.
best: cost from the fastest traced run against the fastest untraced run, all rounds.
tracer_*: the tracer process's CPU time (its threads' /proc/PID/task/*/schedstat run time) while
  the workload ran, +1 s settle.
host_*: CPU added by tracing = the workload's CPU increase over untraced (BPF programs run in the
  context of the task that triggers them, so the in-kernel cost lands there) + tracer_*.
completeness: sockets the tracer reported as ended / sockets made (2 per connection), every run
  of every round, the BPF statistics runs included.""")
    for rnd, path, config, expected, reported in sorted(res.incomplete):
        print(f"incomplete: {path} round {rnd} {config}: {reported} of {expected} sockets "
              f"({expected - reported} missing); for procflow see its exit report below")
    if res.busy_sockets:
        where = ", ".join(f"{p}/{c} in round {r} ({n})" for r, p, c, n in res.busy_sockets)
        print(f"\nWARNING: other jobs held many TCP sockets open before {len(res.busy_sockets)} "
              f"configuration runs: {where}. They take room in the tracers' flow maps (a full "
              "map leaves new sockets untracked) and work from every tracer.")
    if res.load:
        print(f"\nload average (1 min) before each configuration run: median {med(res.load):.2f}, "
              f"range {min(res.load):.2f}-{max(res.load):.2f}, on {os.cpu_count()} CPUs. Figures "
              "taken under load move more from run to run; compare the ranges.")
    if res.foreign:
        names = sorted({n for f in res.foreign for n in f[4].split(",")})
        where = ", ".join(f"{p}/{c} in round {r}" for r, p, c, _, _ in res.foreign)
        print(f"\nWARNING: other tracers' BPF programs were loaded during {len(res.foreign)} "
              f"configuration runs ({where}): {' '.join(names)[:300]}. They ran on every "
              "connection of those runs, the untraced ones included: the figures are skewed.")
    bpf_us = {}
    for path in res.paths:
        for tracer in TRACERS:
            worst[path, tracer], bpf_us[path, tracer] = bpf_table(work, path, tracer, conns)
    targets(res, summary, worst, bpf_us)


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "count":
        count(*sys.argv[2:])
    elif len(sys.argv) == 7 and sys.argv[1] == "report":
        report(*sys.argv[2:])
    else:
        sys.exit(__doc__)
