#!/usr/bin/env python3
"""tests/tools/hold_es.py -- a holding Elasticsearch emulation for tests/integration/lean.sh.

EMULATION from recorded responses (tests/fixtures/recorded/SOURCES.md): GET / answers
elasticsearch/7.10.2/root.json, GET /_cat/indices?format=json&bytes=b the vendor docs'
elasticsearch/docs-5.x-7.x/cat_indices.json, GET /_mapping elasticsearch/7.8.0/mapping.json,
each with the content-type Elasticsearch sends (application/json; charset=UTF-8); anything
else 404. Keep-alive HTTP/1.1.

It listens on --n ports from --base on --addr (loopback only) and holds every answer to GET /
until --hold connections have asked for it (or 20 s passed), so that a client's connections
are all in flight at once. On SIGUSR1 (and at exit) it writes to --report how many GET /
answers were released together at the moment the hold ended.
"""
import argparse
import os
import selectors
import signal
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", required=True)
    ap.add_argument("--base", type=int, required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--hold", type=int, required=True)
    ap.add_argument("--fixtures", required=True)
    ap.add_argument("--ready", required=True)
    ap.add_argument("--report", required=True)
    a = ap.parse_args()
    if not a.addr.startswith("127."):
        sys.exit("loopback addresses only")

    def body(rel):
        with open(os.path.join(a.fixtures, rel), "rb") as f:
            return f.read()

    bodies = {
        b"/": body("elasticsearch/7.10.2/root.json"),
        b"/_cat/indices?format=json&bytes=b": body("elasticsearch/docs-5.x-7.x/cat_indices.json"),
        b"/_mapping": body("elasticsearch/7.8.0/mapping.json"),
    }

    def answer(path):
        b = bodies.get(path)
        if b is None:
            b = b'{"error":"no handler found"}'
            return b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json; charset=UTF-8\r\ncontent-length: %d\r\n\r\n%s" % (len(b), b)
        return b"HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=UTF-8\r\ncontent-length: %d\r\n\r\n%s" % (len(b), b)

    sel = selectors.DefaultSelector()
    for i in range(a.n):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((a.addr, a.base + i))
        ls.listen(64)
        ls.setblocking(False)
        sel.register(ls, selectors.EVENT_READ, None)
    open(a.ready, "w").close()

    held = []  # connections waiting for their GET / answer
    released = [0]
    state = {"holding": True, "t0": None}

    def report(*_):
        with open(a.report, "w") as f:
            f.write("%d\n" % released[0])

    signal.signal(signal.SIGUSR1, report)
    signal.signal(signal.SIGTERM, lambda *_: (report(), sys.exit(0)))

    def send(c, data):
        try:
            c.setblocking(True)
            c.sendall(data)
            c.setblocking(False)
        except OSError:
            pass

    def release():
        state["holding"] = False
        released[0] = len(held)
        for c, path in held:
            send(c, answer(path))
        held.clear()

    bufs = {}
    while True:
        timeout = None
        if state["holding"] and state["t0"] is not None:
            timeout = max(0.0, state["t0"] + 20 - time.time())
        for key, _ in sel.select(timeout):
            if key.data is None:
                try:
                    c, _ = key.fileobj.accept()
                except OSError:
                    continue
                c.setblocking(False)
                bufs[c] = b""
                sel.register(c, selectors.EVENT_READ, "c")
                if state["t0"] is None:
                    state["t0"] = time.time()
                continue
            c = key.fileobj
            try:
                d = c.recv(65536)
            except OSError:
                d = b""
            if not d:
                sel.unregister(c)
                bufs.pop(c, None)
                c.close()
                continue
            bufs[c] += d
            while b"\r\n\r\n" in bufs[c]:
                head, rest = bufs[c].split(b"\r\n\r\n", 1)
                bufs[c] = rest
                parts = head.split(b"\r\n", 1)[0].split(b" ")
                path = parts[1] if len(parts) > 1 else b"/"
                if path == b"/" and state["holding"]:
                    held.append((c, path))
                    if len(held) >= a.hold:
                        release()
                else:
                    send(c, answer(path))
        if state["holding"] and state["t0"] is not None and time.time() >= state["t0"] + 20:
            release()


if __name__ == "__main__":
    main()
