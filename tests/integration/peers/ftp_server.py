#!/usr/bin/python3
"""An FTP server with one user for the message tests (Debian's
python3-pyftpdlib), single-process, so the server side of every control
connection has this pid. Only the control connection matters: the tests
log in and quit.

    ftp_server.py IP PORT USER PASSWORD HOME

Prints {"ready":true,"pid":..} once listening. Runs until killed.
"""

import json
import logging
import os
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer


def main():
    ip, port, user, password, home = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    logging.basicConfig(stream=sys.stderr, level=logging.INFO)
    authorizer = DummyAuthorizer()
    authorizer.add_user(user, password, home, perm="elr")
    handler = FTPHandler
    handler.authorizer = authorizer
    # A fixed greeting: the server's first turn does not depend on the version.
    handler.banner = "procflow-test FTP ready."
    server = FTPServer((ip, port), handler)
    print(json.dumps({"ready": True, "pid": os.getpid()}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
