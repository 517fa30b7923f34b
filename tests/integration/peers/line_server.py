#!/usr/bin/python3
"""A minimal POP3 or IMAP server for the message tests. Debian's POP3/IMAP
servers (dovecot, courier) are system services with mail stores and users of
their own; the tests only need the login dialogue on the wire, so this
script speaks just that: the greeting, USER/PASS/QUIT (POP3) or
LOGIN/LOGOUT (IMAP), accepting only the given user and password.

    line_server.py pop3|imap IP PORT USER PASSWORD

Prints {"ready":true,"pid":..} once listening; serves connections one after
the other in this process. Runs until killed.
"""

import json
import os
import socket
import sys


def pop3(conn, user, password):
    conn.sendall(b"+OK procflow-test POP3 ready\r\n")
    given_user = None
    for line in conn.makefile("rb"):
        words = line.decode("latin-1").rstrip("\r\n").split(" ")
        verb = words[0].upper()
        if verb == "USER":
            given_user = words[1] if len(words) > 1 else ""
            conn.sendall(b"+OK send PASS\r\n")
        elif verb == "PASS":
            ok = given_user == user and len(words) > 1 and words[1] == password
            conn.sendall(b"+OK logged in\r\n" if ok else b"-ERR invalid login\r\n")
        elif verb == "QUIT":
            conn.sendall(b"+OK bye\r\n")
            return
        else:
            conn.sendall(b"-ERR unknown command\r\n")


def imap(conn, user, password):
    conn.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] procflow-test IMAP ready\r\n")
    for line in conn.makefile("rb"):
        words = line.decode("latin-1").rstrip("\r\n").split(" ")
        tag, verb = words[0], (words[1].upper() if len(words) > 1 else "")
        if verb == "LOGIN":
            ok = words[2:4] == [user, password]
            reply = "%s OK LOGIN completed\r\n" if ok else "%s NO LOGIN failed\r\n"
            conn.sendall((reply % tag).encode())
        elif verb == "LOGOUT":
            conn.sendall(("* BYE logging out\r\n%s OK LOGOUT completed\r\n" % tag).encode())
            return
        else:
            conn.sendall(("%s BAD unknown command\r\n" % tag).encode())


def main():
    kind, ip, port, user, password = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
    serve = {"pop3": pop3, "imap": imap}[kind]
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((ip, port))
        listener.listen(8)
        print(json.dumps({"ready": True, "pid": os.getpid()}), flush=True)
        while True:
            conn, _ = listener.accept()
            with conn:
                try:
                    serve(conn, user, password)
                except OSError as e:
                    print("connection failed: %s" % e, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
