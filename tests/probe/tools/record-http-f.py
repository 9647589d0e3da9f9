#!/usr/bin/env python3
"""tests/probe/tools/record-http-f.py -- record what a real HTTP server answers to the requests
of a signature, byte for byte, as a replay case (tests/probe/cases/SERVICE/CASE/N.resp).

It sends exactly the request ajar's dispatcher writes (src/probe/http.c: request line, Host,
User-Agent, Accept, Connection: keep-alive), the given paths in order on one connection
(reconnecting when the server closes), and writes each raw answer as N.resp. It never writes
expect.json (that is reviewed by hand, with "_requests" listing the same lines). Loopback only.

  record-http-f.py ADDR PORT CASE_DIR PATH...

Used for the s3rver cases (tests/probe/cases/s3/s3rver-*): see tests/lab/real/services.sh
(start_s3rver/ready_s3rver) for how that server is started and seeded. Standard library only.
"""
import ipaddress
import os
import socket
import sys


def read_answer(sock, buf):
    """One HTTP/1.x answer from sock (buf: bytes already read). Returns (answer, rest, closed)."""
    def fill():
        d = sock.recv(65536)
        return d
    while b"\r\n\r\n" not in buf:
        d = fill()
        if not d:
            return buf, b"", True
        buf += d
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    hdr = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(b":")
        hdr[k.strip().lower()] = v.strip()
    body = rest
    closed = False
    if b"content-length" in hdr:
        n = int(hdr[b"content-length"])
        while len(body) < n:
            d = fill()
            if not d:
                closed = True
                break
            body += d
        return head + b"\r\n\r\n" + body[:n], body[n:], closed
    if hdr.get(b"transfer-encoding", b"").lower() == b"chunked":
        while not body.endswith(b"\r\n0\r\n\r\n") and not body.startswith(b"0\r\n\r\n"):
            d = fill()
            if not d:
                closed = True
                break
            body += d
        return head + b"\r\n\r\n" + body, b"", closed
    while True:  # until the server closes
        d = fill()
        if not d:
            return head + b"\r\n\r\n" + body, b"", True
        body += d


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    addr, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if not ipaddress.ip_address(addr).is_loopback:
        sys.exit("record-http-f: loopback addresses only")
    os.makedirs(out, exist_ok=True)
    hostport = addr if port == 80 else "%s:%d" % (addr, port)
    sock, buf = None, b""
    for i, path in enumerate(sys.argv[4:], 1):
        if sock is None:
            sock = socket.create_connection((addr, port), timeout=10)
            buf = b""
        req = ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: ajar/0.1 (+metadata-only exposure scanner)\r\n"
               "Accept: */*\r\nConnection: keep-alive\r\n\r\n" % (path, hostport)).encode()
        sock.sendall(req)
        ans, buf, closed = read_answer(sock, buf)
        with open(os.path.join(out, "%d.resp" % i), "wb") as f:
            f.write(ans)
        print("%d.resp: GET %s -> %s" % (i, path, ans.split(b"\r\n", 1)[0].decode(errors="replace")))
        if closed or b"\r\nconnection: close" in ans.split(b"\r\n\r\n", 1)[0].lower():
            sock.close()
            sock = None
    if sock:
        sock.close()


if __name__ == "__main__":
    main()
