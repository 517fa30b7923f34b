#!/usr/bin/python3
"""The guest half of tests/vm/run-service-vm.sh: procflow's .deb under real systemd.

Runs as a oneshot unit (service-check.service) once the guest reached
multi-user.target. It installs the package with dpkg, drives the service with
systemctl and checks what it did against what this script itself did on
loopback: which processes exchanged how many bytes on which ports.

Prints one "@@CHECK <name> PASS|FAIL <detail>" line per check and, last,
"@@DONE rc=N uptime=S failed=a,b,..." (rc 0: every check passed); the unit then powers
the guest off. On a failure the service's journal and the event file follow,
prefixed "@@JOURNAL" and "@@FLOWS". The host reads all of it from the console.
"""
import glob
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

CONFIG = "/etc/procflow/procflow.yaml"
FLOWS = "/var/log/procflow/flows.json"
# Three loopback servers: PORT_KEPT passes every filter; PORT_FIRST_EXCLUDED is
# excluded by the first config and let through after the reload;
# PORT_LATER_EXCLUDED the other way round.
PORT_KEPT, PORT_FIRST_EXCLUDED, PORT_LATER_EXCLUDED = 7002, 7999, 7001
CLIENT_SENDS, SERVER_SENDS = 1000, 3000
# procflow names a process by /proc/PID/exe: python3 is a symbolic link to
# the versioned interpreter.
IMAGE_PATH = os.path.realpath(sys.executable)
EXE = os.path.basename(IMAGE_PATH)
EVENT_WAIT = 30  # seconds; a TCP end comes >= 250 ms after the close


def own_cgroup_id():
    """This unit's cgroup v2 id: the inode of its cgroup directory. The
    clients, its children, are in the same cgroup."""
    with open("/proc/self/cgroup") as f:
        path = next(line for line in f if line.startswith("0::")).strip()[3:]
    return os.stat(f"/sys/fs/cgroup{path}").st_ino


CGROUP_ID = own_cgroup_id()

failed = []


def check(name, ok, detail=""):
    print(f"@@CHECK {name} {'PASS' if ok else 'FAIL'} {detail}".rstrip(), flush=True)
    if not ok:
        failed.append(name)
    return ok


def run(*cmd, timeout=180):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def unit_props(*names):
    out = run("systemctl", "show", "procflow", "-p", ",".join(names)).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def journal():
    return run("journalctl", "-u", "procflow", "--no-pager", "-o", "cat").stdout


def write_config(excluded_port):
    # report_interval 0: only real ends, so each flow has exactly one start
    # and one end however slowly the emulated guest runs.
    with open(CONFIG, "w") as f:
        f.write(f"""# written by tests/vm/service-check.py
outputs:
  - uri: file:{FLOWS}
    schema: car
    format: json
filter:
  exclude: {{port: [{excluded_port}]}}
report_interval: 0
log: {{level: info, target: stderr}}
""")


def events():
    try:
        with open(FLOWS) as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


class Server:
    """127.0.0.1:PORT in this process: reads what the client sends, answers
    SERVER_SENDS bytes, waits for the client to close, closes."""

    def __init__(self, port):
        self.listener = socket.create_server(("127.0.0.1", port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            conn, _ = self.listener.accept()
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    @staticmethod
    def _serve(conn):
        with conn:
            got = 0
            while got < CLIENT_SENDS:
                data = conn.recv(CLIENT_SENDS - got)
                if not data:
                    return
                got += len(data)
            conn.sendall(b"s" * SERVER_SENDS)
            while conn.recv(4096):
                pass


# The client is a process of its own, so its flow and the server's have
# different pids. It prints its local port, exchanges the bytes, and closes at
# once or, with "hold", when its stdin closes.
CLIENT = """
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
print(s.getsockname()[1], flush=True)
s.sendall(b"c" * int(sys.argv[2]))
want, got = int(sys.argv[3]), 0
while got < want:
    data = s.recv(want - got)
    if not data:
        sys.exit("the server closed early")
    got += len(data)
print("exchanged", flush=True)
if sys.argv[4] == "hold":
    sys.stdin.readline()
s.close()
"""


class Client:
    def __init__(self, port, hold=False):
        self.port = port
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CLIENT, str(port), str(CLIENT_SENDS), str(SERVER_SENDS),
             "hold" if hold else "close"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.pid = self.proc.pid
        self.local_port = int(self.proc.stdout.readline())
        if self.proc.stdout.readline().strip() != "exchanged":
            raise RuntimeError(f"client to {port} did not exchange its bytes")
        if not hold:
            self.finish()

    def finish(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)

    def events(self, all_events):
        # Both flows of one loopback connection: src is the connecting side.
        return [e for e in all_events
                if e.get("src_port") == self.local_port and e.get("dest_port") == self.port]


def wait_for(predicate, seconds=EVENT_WAIT):
    deadline = time.monotonic() + seconds
    while True:
        evs = events()
        if predicate(evs) or time.monotonic() > deadline:
            return evs
        time.sleep(0.2)


def count(evs, client, action):
    return sum(1 for e in client.events(evs) if e.get("action") == action)


def exchange_problems(client, evs, end_reason, ends=True):
    """What differs from the client's flow and the server's (this process) as
    they really were: one start and one end each, exact process fields and bytes."""
    problems = []
    mine = client.events(evs)
    # The client is this process's child; the server's accepted socket
    # belongs to this process, a child of systemd.
    sides = (("client", client.pid, os.getpid(), CLIENT_SENDS, SERVER_SENDS),
             ("server", os.getpid(), os.getppid(), SERVER_SENDS, CLIENT_SENDS))
    for role, pid, ppid, out_bytes, in_bytes in sides:
        for action in ("start", "end") if ends else ("start",):
            got = [e for e in mine if e.get("pid") == pid and e.get("action") == action]
            if len(got) != 1:
                problems.append(f"{role}: {len(got)} {action} events with pid {pid}, want 1")
                continue
            e = got[0]
            want = {"ppid": ppid, "exe": EXE, "image_path": IMAGE_PATH, "uid": 0,
                    "user": "root", "transport_protocol": "TCP"}
            if action == "end":
                want.update(out_bytes=out_bytes, in_bytes=in_bytes, end_reason=end_reason)
            for key, value in want.items():
                if e.get(key) != value:
                    problems.append(f"{role} {action}: {key}={e.get(key)!r}, want {value!r}")
            # Both sides' cgroup is this unit's: the server's listener
            # predates procflow, so its owner (and the accepted flow's until
            # accept) is described from /proc, cgroup id included.
            if e.get("cgroup_id") != CGROUP_ID:
                problems.append(f"{role} {action}: cgroup_id={e.get('cgroup_id')!r}, "
                                f"want {CGROUP_ID}")
    others = [e for e in mine if e.get("pid") not in (client.pid, os.getpid())]
    if others:
        problems.append(f"{len(others)} events of other pids")
    return problems


def tc_state():
    """What is attached to lo: TC filters (clsact) and, where this bpftool
    knows them, tc and tcx programs (Debian 12's bpftool 7.1 lists no tcx)."""
    filters = {d: run("tc", "filter", "show", "dev", "lo", d).stdout.strip()
               for d in ("ingress", "egress")}
    net = run("bpftool", "net", "show", "dev", "lo").stdout
    tc_lines = [line.strip() for line in net.splitlines()
                if line.strip().startswith(("lo(", "lo "))]
    return filters, tc_lines


def procflow_programs():
    """The BPF programs loaded on the machine that are procflow's (pf_*)."""
    out = run("bpftool", "prog", "show").stdout
    return sorted(set(re.findall(r"\bname (pf_\w+)", out)))


def uptime():
    with open("/proc/uptime") as f:
        return f.read().split()[0]


def main():
    print(f"@@START kernel={os.uname().release} uptime={uptime()}", flush=True)
    debs = sorted(glob.glob("/root/procflow_*.deb"))
    if not check("deb-present", len(debs) == 1, " ".join(debs)):
        return
    r = run("dpkg", "-i", debs[0])
    status = run("dpkg-query", "-W", "-f=${Status} ${Version}", "procflow").stdout
    if not check("dpkg-install", r.returncode == 0 and status.startswith("install ok installed"),
                 status if r.returncode == 0 else f"dpkg -i: {r.returncode} {r.stderr.strip()}"):
        return
    props = unit_props("Type", "FragmentPath", "UnitFileState")
    check("unit-installed", props.get("Type") == "notify",
          f"Type={props.get('Type')} {props.get('FragmentPath')} {props.get('UnitFileState')}")

    for port in (PORT_KEPT, PORT_FIRST_EXCLUDED, PORT_LATER_EXCLUDED):
        Server(port)  # its accept thread keeps it
    write_config(PORT_FIRST_EXCLUDED)

    # Type=notify: `systemctl start` returns only after READY=1, which procflow
    # sends once its programs are attached; STATUS= is only ever set by it.
    t0 = time.monotonic()
    r = run("systemctl", "start", "procflow")
    took = time.monotonic() - t0
    if not check("start", r.returncode == 0, f"{took:.1f}s {r.stderr.strip()}"):
        return
    props = unit_props("ActiveState", "SubState", "StatusText", "MainPID")
    is_active = run("systemctl", "is-active", "procflow").stdout.strip()
    check("active-running", is_active == "active" and props.get("SubState") == "running",
          f"is-active={is_active} SubState={props.get('SubState')}")
    check("notify-status", props.get("StatusText", "").startswith("tracing"),
          f"StatusText={props.get('StatusText')!r}")
    main_pid = props.get("MainPID")
    started = [line for line in journal().splitlines() if "tracing started" in line]
    plan = started[-1] if started else "unknown"
    print(f"@@PLAN {plan}", flush=True)
    tcx = "packets=tcx" in plan

    # A flow on a port the first config excludes, then one on a kept port:
    # once the second's ends are written, the first would have been too.
    excluded = Client(PORT_FIRST_EXCLUDED)
    kept = Client(PORT_LATER_EXCLUDED)
    evs = wait_for(lambda evs: count(evs, kept, "end") >= 2)
    problems = exchange_problems(kept, evs, "close")
    check("flow-in-file", not problems, "; ".join(problems) or
          f"port {kept.port}: client pid {kept.pid}, server pid {os.getpid()}, "
          f"image_path {IMAGE_PATH}, {CLIENT_SENDS}/{SERVER_SENDS} bytes, end_reason close")
    n = len(excluded.events(evs))
    check("filter-excludes", n == 0, f"port {excluded.port}: {n} events")

    # Reload: the port excluded changes. ExecReload only sends SIGHUP, so wait
    # for procflow's own "reloaded" line before the next flows.
    reloads_before = journal().count("reloaded:")
    write_config(PORT_LATER_EXCLUDED)
    r = run("systemctl", "reload", "procflow")
    deadline = time.monotonic() + EVENT_WAIT
    while journal().count("reloaded:") <= reloads_before and time.monotonic() < deadline:
        time.sleep(0.2)
    lines = [line for line in journal().splitlines() if "reload" in line]
    props = unit_props("ActiveState", "MainPID")
    check("reload", r.returncode == 0 and journal().count("reloaded:") > reloads_before
          and props.get("ActiveState") == "active" and props.get("MainPID") == main_pid,
          f"rc={r.returncode} MainPID {main_pid}->{props.get('MainPID')} journal: "
          f"{lines[-1] if lines else 'no reload line'}")

    now_excluded = Client(PORT_LATER_EXCLUDED)
    now_kept = Client(PORT_FIRST_EXCLUDED)
    evs = wait_for(lambda evs: count(evs, now_kept, "end") >= 2)
    problems = exchange_problems(now_kept, evs, "close")
    check("reload-includes", not problems,
          "; ".join(problems) or f"port {now_kept.port} reported after the reload")
    n = len(now_excluded.events(evs))
    check("reload-excludes", n == 0, f"port {now_excluded.port}: {n} events after the reload")

    # The hardening is in force: in the service's mount namespace the file
    # system is read-only (ProtectSystem=strict) but for the directories the
    # unit names: its logs and /run/procflow.
    try:
        with open(f"/proc/{main_pid}/mountinfo") as f:
            mounts = {fields[4]: fields[5].split(",")[0]
                      for fields in (line.split() for line in f)}
    except OSError as e:
        mounts = {"error": str(e)}
    want = {"/": "ro", "/usr/lib/modules": "ro", "/home": "ro", "/sys/fs/bpf": "ro",
            "/var/log/procflow": "rw", "/run/procflow": "rw"}
    wrong = {k: mounts.get(k) for k, v in want.items() if mounts.get(k) != v}
    check("hardening", not wrong,
          f"mount options in the service's namespace: want {want}, wrong {wrong}"
          if wrong else f"read-only but for /var/log/procflow, /run/procflow (and /run, /tmp)")

    # A crash: SIGKILL leaves procflow no chance to detach. systemd restarts
    # it (Restart=on-failure); the new one must remove the TC filters the dead
    # one left, which it finds recorded in /run/procflow (the unit's
    # RuntimeDirectory, kept across restarts).
    old_ids = attached_program_ids()
    record = f"/run/procflow/tc-{main_pid}"
    run("systemctl", "kill", "--kill-who=main", "--signal=SIGKILL", "procflow")
    deadline = time.monotonic() + 5
    while unit_props("MainPID").get("MainPID") == main_pid and time.monotonic() < deadline:
        time.sleep(0.1)
    recorded = os.path.exists(record)
    # RestartSec=5, then a whole start (under TCG emulation on a busy host
    # that has taken over 40 s).
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        props = unit_props("ActiveState", "MainPID", "NRestarts")
        if props.get("ActiveState") == "active" and props.get("MainPID") not in ("0", main_pid):
            break
        time.sleep(0.2)
    new_ids = attached_program_ids()
    stale = sorted(old_ids & new_ids)
    # With clsact (no tcx) the dead one's filters stay until removed, and the
    # record is what finds them; with tcx the kernel detaches them itself.
    check("crash-restart", props.get("ActiveState") == "active"
          and props.get("MainPID") not in ("0", main_pid) and not stale
          and (tcx or (recorded and bool(old_ids))) and bool(new_ids),
          f"{props.get('ActiveState')} NRestarts={props.get('NRestarts')} "
          f"MainPID {main_pid}->{props.get('MainPID')} "
          f"record {record} {'written' if recorded else 'missing'}; programs on lo "
          f"before {sorted(old_ids)}, after {sorted(new_ids)}, stale {stale}")

    # Stop with a connection open: its flows must end with tracer_stop.
    held = Client(PORT_KEPT, hold=True)
    evs = wait_for(lambda evs: count(evs, held, "start") >= 2)
    problems = exchange_problems(held, evs, None, ends=False)
    check("open-flow-started", not problems, "; ".join(problems) or f"port {held.port}")
    # Whether the check below can fail: procflow's packet programs are
    # loaded and, where the tools show it, attached to lo.
    filters, tc_lines = tc_state()
    programs = procflow_programs()
    on_lo = " ".join(list(filters.values()) + tc_lines)
    check("tc-attached", {"pf_tc_ingress", "pf_tc_egress"} <= set(programs)
          and (tcx or "pf_tc_ingress" in on_lo and "pf_tc_egress" in on_lo),
          f"{len(programs)} pf_* programs loaded; on lo: {' | '.join(tc_lines) or 'tcx'}")

    t0 = time.monotonic()
    r = run("systemctl", "stop", "procflow")
    took = time.monotonic() - t0
    props = unit_props("ActiveState", "Result", "ExecMainStatus", "ExecMainCode")
    is_active = run("systemctl", "is-active", "procflow").stdout.strip()
    check("stop", r.returncode == 0 and is_active == "inactive" and props.get("Result") == "success",
          f"{took:.1f}s is-active={is_active} Result={props.get('Result')} "
          f"ExecMainStatus={props.get('ExecMainStatus')}")
    evs = events()  # procflow has exited: everything it wrote is there
    problems = exchange_problems(held, evs, "tracer_stop")
    check("stop-ends-open-flows", not problems,
          "; ".join(problems) or f"port {held.port}: both ends tracer_stop with exact bytes")
    held.finish()

    filters, tc_lines = tc_state()
    left = [f"{d}: {text}" for d, text in filters.items() if text] + tc_lines
    # Nothing else in the guest makes a clsact qdisc: one left would be
    # procflow's (it removes the qdiscs it created).
    qdiscs = run("tc", "qdisc", "show", "dev", "lo").stdout.strip()
    if "clsact" in qdiscs:
        left.append(f"qdisc: {qdiscs}")
    check("tc-clean", not left,
          "; ".join(left) or "no TC filter, no clsact qdisc, no tc/tcx program on lo")
    # A program stays loaded while anything holds it: a filter, a link, a pin.
    # The kernel frees a released one after an RCU grace period: allow a moment.
    deadline = time.monotonic() + 10
    while (programs := procflow_programs()) and time.monotonic() < deadline:
        time.sleep(0.2)
    check("bpf-clean", not programs, " ".join(programs) or "no pf_* program loaded")


def attached_program_ids():
    """Ids of the BPF programs attached to lo: TC filters (clsact) and tc/tcx
    links as bpftool lists them."""
    filters, tc_lines = tc_state()
    text = " ".join(list(filters.values()) + tc_lines)
    return {int(n) for n in re.findall(r"\bid (\d+)", text)}


def dump_for_failures():
    for line in run("journalctl", "-u", "procflow", "--no-pager", "-o", "short-monotonic")\
            .stdout.splitlines()[-60:]:
        print(f"@@JOURNAL {line}", flush=True)
    for e in events()[-40:]:
        print(f"@@FLOWS {json.dumps(e)}", flush=True)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a crash of the check is a failure, with its reason
        check("check-script", False, f"{type(e).__name__}: {e}")
    if failed:
        dump_for_failures()
    print(f"@@DONE rc={1 if failed else 0} uptime={uptime()} failed={','.join(failed)}",
          flush=True)
