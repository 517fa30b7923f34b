#!/usr/bin/env bash
# Seed corpora for the proto fuzz targets (src/proto), all made here, nothing
# downloaded: protocol messages written out below, and real TLS hellos from
# Python's ssl module (OpenSSL) over memory BIOs with a throwaway certificate
# (also as the CRYPTO frame of a decrypted QUIC Initial).
#   fuzz/make_proto_corpus.sh OUT_DIR
# makes OUT_DIR/{http,tls,mail,redactor,inspector}/; seeds are named by their
# SHA-1, so reruns add nothing.
set -euo pipefail
out=${1:?usage: make_proto_corpus.sh OUT_DIR}
for d in http tls mail redactor inspector; do mkdir -p "$out/$d"; done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

seed() {  # seed DIR: stdin becomes one seed file
  cat >"$tmp/seed"
  cp "$tmp/seed" "$out/$1/$(sha1sum "$tmp/seed" | cut -d' ' -f1)"
}
# A flow for the redactor and inspector targets (framing in
# proto_fuzz_messages.h): the optional first byte, then each argument "c:TEXT"
# (sent by the initiator) or "s:TEXT" with its 2-byte header.
flow() {
  printf '%b' "$1"
  shift
  for m in "$@"; do
    local who=${m%%:*} text=${m#*:} bit=0
    [ "$who" = c ] && bit=1
    local length; length=$(printf '%b' "$text" | wc -c)
    printf "\\x$(printf %02x $(((length >> 8) << 1 | bit)))\\x$(printf %02x $((length & 255)))"
    printf '%b' "$text"
  done
}

http_request='GET /index.html?q=1 HTTP/1.1\r\nHost: www.example.test\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\nAuthorization: Basic YWxpY2U6aHVudGVyMg==\r\nCookie: sid=1\r\n\r\n'
http_response='HTTP/1.1 200 OK\r\nServer: nginx\r\nSet-Cookie: sid=1; HttpOnly\r\nContent-Length: 2\r\n\r\nhi'
printf '%b' "$http_request" | seed http
printf '%b' "$http_response" | seed http
printf '%b' 'POST http://u:p@proxy.test:3128/x HTTP/1.0\nHost: proxy.test:3128\n\n' | seed http
printf '%b' 'HTTP/1.0 404 Not Found\r\n\r\n' | seed http

smtp_server='220 mx.test ESMTP Postfix\r\n'
printf '%b' "$smtp_server" | seed mail
printf '%b' 'EHLO c.test\r\nMAIL FROM:<a@c.test>\r\nRCPT TO:<b@mx.test>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n' | seed mail
printf '%b' '250-mx.test\r\n250-SIZE 10240000\r\n250 AUTH LOGIN PLAIN\r\n' | seed mail
printf '%b' '* OK [CAPABILITY IMAP4rev1] ready\r\n* 3 EXISTS\r\na1 OK done\r\n+ go\r\n' | seed mail
printf '%b' 'a1 LOGIN alice hunter2\r\na2 SELECT INBOX\r\na3 UID FETCH 1:* (FLAGS)\r\n' | seed mail
printf '%b' '+OK POP3 ready\r\n-ERR no\r\n' | seed mail
printf '%b' 'USER alice\r\nPASS hunter2\r\nSTAT\r\nRETR 1\r\nQUIT\r\n' | seed mail
printf '%b' '220 (vsFTPd 3.0.3)\r\n331 Please specify the password.\r\n' | seed mail
printf '%b' 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n' | seed mail
printf '%b' 'www.Example.test.:8080' | seed mail

# TLS: a ClientHello (SNI, ALPN, TLS 1.3) and the server's first flight, then
# a TLS 1.2-only pair, from Python's ssl over memory BIOs.
if command -v python3 >/dev/null && command -v openssl >/dev/null; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=server.test \
    -days 1 -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
  python3 - "$tmp" <<'PY'
import ssl, sys
d = sys.argv[1]
def exchange(name, tls12):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    c.set_alpn_protocols(["h2", "http/1.1"])
    if tls12:
        c.maximum_version = ssl.TLSVersion.TLSv1_2
    s = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    s.load_cert_chain(d + "/cert.pem", d + "/key.pem")
    s.set_alpn_protocols(["h2"])
    ci, co, si, so = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    client = c.wrap_bio(ci, co, server_hostname="www.example.test")
    server = s.wrap_bio(si, so, server_side=True)
    try: client.do_handshake()
    except ssl.SSLWantReadError: pass
    hello = co.read()
    si.write(hello)
    try: server.do_handshake()
    except ssl.SSLWantReadError: pass
    open(f"{d}/{name}-client", "wb").write(hello)
    # The hello as a QUIC Initial's CRYPTO frame (without its record header),
    # for the decrypted-frames path; then PADDING.
    body = hello[5:]
    frame = b"\x06\x40\x00" + bytes([0x40 | len(body) >> 8, len(body) & 0xFF]) + body
    open(f"{d}/{name}-frames", "wb").write(frame + b"\x00" * 32)
    open(f"{d}/{name}-server", "wb").write(so.read())
exchange("tls13", False)
exchange("tls12", True)
PY
  for f in "$tmp"/tls1*-client "$tmp"/tls1*-server "$tmp"/tls1*-frames; do seed tls <"$f"; done
fi

# Flows: the first byte of an inspector seed picks the application protocol
# (see flow_message_inspector_fuzz.cpp: 0 none, 1 HTTP, 2 TLS, 5 SMTP, 6 IMAP, 7 POP3).
for who in redactor inspector; do
  case $who in redactor) p0='' p1='' p5='' p6='' p7='' ;; *) p0='\x00' p1='\x01' p5='\x05' p6='\x06' p7='\x07' ;; esac
  flow "$p1" "c:$http_request" "s:$http_response" | seed $who
  flow "$p5" "s:$smtp_server" 'c:EHLO c.test\r\n' 'c:AUTH LOGIN\r\n' 's:334 VXNlcm5hbWU6\r\n' \
    'c:YWxpY2U=\r\n' 's:334 UGFzc3dvcmQ6\r\n' 'c:aHVudGVyMg==\r\n' 's:235 ok\r\n' 'c:QUIT\r\n' | seed $who
  flow "$p6" 's:* OK ready\r\n' 'c:a1 LOGIN alice {7}\r\n' 's:+ go\r\n' 'c:hunter2\r\n' 's:a1 OK\r\n' | seed $who
  flow "$p7" 's:+OK\r\n' 'c:AUTH PLAIN\r\n' 's:+ \r\n' 'c:AGFsaWNlAGh1bnRlcjI=\r\n' 's:+OK\r\n' | seed $who
  flow "$p0" 'c:USER alice\r\nPA' 'c:SS hunter2\r\n' 'c:GET http://bob:hun' 'c:ter2@h/ HTTP/1.1\r\n' | seed $who
done
if [ -e "$tmp/tls13-client" ]; then
  { printf '\x02'; printf '\x00'; cat "$tmp/tls13-client"; } | seed inspector
fi
echo "make_proto_corpus.sh: $(find "$out" -type f | wc -l) seeds in $out"
