#!/usr/bin/python3
"""An SMTP server with AUTH LOGIN and AUTH PLAIN for the message tests
(Debian's python3-aiosmtpd), in this one process, so the server side of every
connection has this pid. AUTH is offered without TLS: the credentials must
cross the wire in the clear for the redaction test to mean anything.

    smtp_server.py IP PORT USER PASSWORD

Prints {"ready":true,"pid":..} once listening; every accepted AUTH and
message is logged on stderr. Runs until killed.
"""

import asyncio
import json
import os
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def main():
    ip, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        print("auth %s %s" % (mechanism, "ok" if ok else "rejected"), file=sys.stderr, flush=True)
        return AuthResult(success=ok)

    class Sink:
        async def handle_DATA(self, server, session, envelope):
            print("message from %s" % envelope.mail_from, file=sys.stderr, flush=True)
            return "250 OK"

    def factory():
        # A fixed hostname: the greeting and EHLO reply do not depend on the machine.
        return SMTP(Sink(), hostname="mail.test", ident="procflow-test", authenticator=authenticator,
                    auth_require_tls=False)

    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(factory, host=ip, port=port))
    print(json.dumps({"ready": True, "pid": os.getpid()}), flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    main()
