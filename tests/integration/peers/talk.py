#!/usr/bin/python3
"""A scripted client for the message tests: it sends exactly the bytes the
test wrote and records exactly the bytes it received, turn by turn, so the
test can compute every `content` procflow must report.

    talk.py tcp|udp HOST PORT SCRIPT_JSON

SCRIPT_JSON is a list of steps, run in order:
    {"send": "<latin-1 text>"}   write these bytes (one sendall; UDP: one datagram)
    {"recv_line": "<prefix>"}    read until a line starting with prefix ("" = any line) ends
    {"recv_http": true}          read one HTTP/1.x response (headers + Content-Length body)
    {"recv_datagram": true}      UDP: receive one datagram
    {"recv_any": true}           read until at least one byte arrived

A receive step never returns before its bytes are complete, so the peer has
finished its turn before the next send: turns on the wire are the script's.
At the end it closes the socket and prints one JSON line:
    {"pid":..,"local_ip":..,"local_port":..,
     "turns":[{"dir":"out"|"in","hex":".."},..]}
consecutive steps of one direction make one turn. On failure:
    {"pid":..,"error":".."} and exit 1.
"""

import json
import os
import socket
import sys

TIMEOUT_S = 10


class Transcript:
    def __init__(self):
        self.turns = []

    def add(self, direction, data):
        if not data:
            return
        if self.turns and self.turns[-1][0] == direction:
            self.turns[-1][1].extend(data)
        else:
            self.turns.append((direction, bytearray(data)))


class Reader:
    """Buffered reads that record every byte as received."""

    def __init__(self, sock, transcript):
        self.sock = sock
        self.transcript = transcript
        self.buffer = bytearray()

    def fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError("peer closed before the turn was complete")
        self.transcript.add("in", chunk)
        self.buffer.extend(chunk)

    def line(self):
        while b"\n" not in self.buffer:
            self.fill()
        end = self.buffer.index(b"\n") + 1
        line = bytes(self.buffer[:end])
        del self.buffer[:end]
        return line

    def exactly(self, count):
        while len(self.buffer) < count:
            self.fill()
        data = bytes(self.buffer[:count])
        del self.buffer[:count]
        return data


def recv_line(reader, prefix):
    # A reply may be several lines (SMTP "250-..."): read until the line that
    # starts with the prefix, or any line when the prefix is empty.
    wanted = prefix.encode("latin-1")
    while True:
        line = reader.line()
        if line.startswith(wanted):
            return


def recv_http(reader):
    length = 0
    while True:
        line = reader.line()
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    reader.exactly(length)


def run(transport, host, port, steps):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    kind = socket.SOCK_STREAM if transport == "tcp" else socket.SOCK_DGRAM
    transcript = Transcript()
    with socket.socket(family, kind) as sock:
        sock.settimeout(TIMEOUT_S)
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.connect((host, port))
        local = sock.getsockname()
        reader = Reader(sock, transcript)
        for step in steps:
            if "send" in step:
                data = step["send"].encode("latin-1")
                sock.sendall(data)
                transcript.add("out", data)
            elif "recv_line" in step:
                recv_line(reader, step["recv_line"])
            elif "recv_http" in step:
                recv_http(reader)
            elif "recv_datagram" in step:
                transcript.add("in", sock.recv(65536))
            elif "recv_any" in step:
                if not reader.buffer:
                    reader.fill()
                reader.buffer.clear()
            else:
                raise ValueError("unknown step %r" % step)
    return {
        "pid": os.getpid(),
        "local_ip": local[0],
        "local_port": local[1],
        "turns": [{"dir": d, "hex": bytes(b).hex()} for d, b in transcript.turns],
    }


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("tcp", "udp"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        result = run(sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4]))
    except Exception as e:  # one line the test can show, whatever went wrong
        print(json.dumps({"pid": os.getpid(), "error": "%s: %s" % (type(e).__name__, e)}))
        return 1
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
