#!/usr/bin/env python3
"""Compares the containerised tracer's events with what the peer containers did.

    check_events.py EVENTS.json TRUTH_DIR

TRUTH_DIR (written by run.sh) holds each peer's own report (JSON lines: its ports, the
bytes and datagrams it sent and received, in-container pids), the host pid of each
container's first process (podman's pidfiles), each container's id (podman inspect) and
the host pids and executables of the TCP server's workers (the host's /proc). Every flow
of the exchange must appear exactly once as a start and once as an end, from both
sockets, with the host pid, the pid in the container, the container id and runtime, exe,
image_path, uid, user, the node name and exact byte counts; the held connection must end
with end_reason tracer_stop.
"""

import json
import os
import sys

BIN = "/usr/local/bin/"
PEER_UID, PEER_USER = 4242, "pfpeer"  # the peer image's own passwd (Containerfile.peers)
NODE_NAME = [None]  # PROCFLOW_NODE_NAME given to the tracer container (ports.json)
failures = []


def expect_equal(what, actual, expected):
    if actual != expected:
        failures.append(f"{what}: got {actual!r}, expected {expected!r}")


def json_lines(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip().startswith("{")]


class Truth:
    def __init__(self, directory):
        self.dir = directory
        self.ports = self.one("ports.json")

    def path(self, name):
        return os.path.join(self.dir, name)

    def lines(self, name):
        return json_lines(self.path(name))

    def one(self, name, **match):
        found = [line for line in self.lines(name) if all(line.get(k) == v for k, v in match.items())]
        if len(found) != 1:
            raise SystemExit(f"check_events: {name}: {len(found)} lines match {match}, expected 1")
        return found[0]

    def host_pid(self, container):
        with open(self.path(f"{container}.pid"), encoding="utf-8") as f:
            return int(f.read().strip())

    def container_id(self, container):
        with open(self.path(f"{container}.id"), encoding="utf-8") as f:
            return f.read().strip()

    def owner(self, container, program, ns_pid):
        """A container's first process: (host pid, image path, container id, its own pid)."""
        return (self.host_pid(container), BIN + program, self.container_id(container), ns_pid)

    def worker(self, ns_pid):
        """The TCP server worker with in-container pid ns_pid, as an owner."""
        (worker,) = [w for w in self.lines("tcp-workers.json") if w["ns_pid"] == ns_pid]
        return worker["host_pid"], worker["exe"], self.container_id("tcp-server"), ns_pid


def check_flow(events, name, proto, src_port, dest_port, initiated, owner, counts, end_reason,
               src_ip="127.0.0.1"):
    """One socket's flow: its start and end events and what they must say.

    owner: (host pid, image path, container id, pid in the container);
    counts: {"in_bytes": .., "out_bytes": .., ...};
    src_ip None: absent (a UDP client on the wildcard address has no single address)."""
    mine = [e for e in events
            if e.get("transport_protocol") == proto and e.get("src_port") == src_port
            and e.get("dest_port") == dest_port and e.get("initiated") == initiated]
    by_action = {action: [e for e in mine if e.get("action") == action] for action in ("start", "end")}
    for action, found in by_action.items():
        if len(found) != 1:
            failures.append(f"{name}: {len(found)} {action} events, expected 1")
    if any(len(found) != 1 for found in by_action.values()):
        return
    pid, image_path, container_id, container_pid = owner
    for action, (event,) in by_action.items():
        what = f"{name} {action}"
        expect_equal(f"{what} src_ip", event.get("src_ip"), src_ip)
        expect_equal(f"{what} dest_ip", event.get("dest_ip"), "127.0.0.1")
        expect_equal(f"{what} pid (host)", event.get("pid"), pid)
        expect_equal(f"{what} image_path", event.get("image_path"), image_path)
        expect_equal(f"{what} exe", event.get("exe"), os.path.basename(image_path))
        expect_equal(f"{what} uid", event.get("uid"), PEER_UID)
        expect_equal(f"{what} user", event.get("user"), PEER_USER)
        expect_equal(f"{what} container_id", event.get("container_id"), container_id)
        expect_equal(f"{what} container_runtime", event.get("container_runtime"), "podman")
        expect_equal(f"{what} container_pid", event.get("container_pid"), container_pid)
        expect_equal(f"{what} hostname (the downward API's node name)", event.get("hostname"), NODE_NAME[0])
    end = by_action["end"][0]
    for field, value in counts.items():
        expect_equal(f"{name} end {field}", end.get(field), value)
    expect_equal(f"{name} end end_reason", end.get("end_reason"), end_reason)


def main():
    events = json_lines(sys.argv[1])
    truth = Truth(sys.argv[2])
    tcp_port, udp_port = truth.ports["tcp_port"], truth.ports["udp_port"]
    NODE_NAME[0] = truth.ports["node_name"]

    # TCP: the client's socket and the server worker's, one connection.
    client = truth.one("tcp-client.json")
    served = truth.one("tcp-server.log", peer_port=client["local_port"], received=client["sent"])
    check_flow(events, "TCP client", "TCP", client["local_port"], tcp_port, True,
               truth.owner("tcp-client", "tcp_client", client["pid"]),
               {"out_bytes": client["sent"], "in_bytes": client["received"]}, "close")
    check_flow(events, "TCP server", "TCP", client["local_port"], tcp_port, False,
               truth.worker(served["worker_pid"]),
               {"out_bytes": served["sent"], "in_bytes": served["received"]}, "close")
    expect_equal("TCP bytes the client received (its report) and the server sent (its report)",
                 client["received"], served["sent"])

    # UDP: the client's socket and the server's, one exchange of three datagrams each way.
    udp_client = truth.one("udp-client.json", peer_port=udp_port)
    udp_server = truth.one("udp-server.log", peer_port=udp_client["local_port"])
    # The client's socket is unconnected and unbound, on the wildcard address: its own flow
    # has no src_ip (docs/events.md); the server's socket sees the client's address.
    client_ip = None if udp_client["local_ip"] in ("0.0.0.0", "::") else udp_client["local_ip"]
    for name, report, container, initiated, src_ip in (
            ("UDP client", udp_client, "udp-client", True, client_ip),
            ("UDP server", udp_server, "udp-server", False, udp_server["peer"])):
        check_flow(events, name, "UDP", udp_client["local_port"], udp_port, initiated,
                   truth.owner(container, "udp_peer", report["pid"]),
                   {"out_bytes": report["sent"], "in_bytes": report["received"],
                    "packet_count": report["datagrams_sent"] + report["datagrams_received"]}, "close",
                   src_ip)

    # The connection open when the tracer stopped: both sockets end with tracer_stop.
    held = truth.one("held-client.json", holding=True)
    accepted = truth.one("tcp-server.log", accepted=True, peer_port=held["local_port"])
    check_flow(events, "held TCP client", "TCP", held["local_port"], tcp_port, True,
               truth.owner("held-client", "tcp_client", held["pid"]),
               {"out_bytes": held["sent"], "in_bytes": 0}, "tracer_stop")
    check_flow(events, "held TCP server", "TCP", held["local_port"], tcp_port, False,
               truth.worker(accepted["worker_pid"]),
               {"out_bytes": 0, "in_bytes": held["sent"]}, "tracer_stop")

    for failure in failures:
        print(f"check_events: {failure}", file=sys.stderr)
    if failures:
        return 1
    print(f"check_events: the 12 events of 6 flows match the peers' reports ({len(events)} events in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
