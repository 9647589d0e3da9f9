#!/usr/bin/env python3
"""Plain TCP listeners on loopback for the engine's integration tests.

usage: listeners.py --log FILE [--banner TEXT] ADDR:PORT ...
Listens on every ADDR:PORT (loopback addresses only: anything else is
refused), logs one line "ADDR:PORT PEER" per accepted connection to FILE,
optionally sends a banner, and closes. Writes "ready" to stdout once every
socket listens. Runs until killed.
"""
import argparse, ipaddress, selectors, socket, sys

ap = argparse.ArgumentParser()
ap.add_argument("--log", required=True)
ap.add_argument("--banner", default="")
ap.add_argument("addrs", nargs="+")
a = ap.parse_args()
sel = selectors.DefaultSelector()
for spec in a.addrs:
    host, port = spec.rsplit(":", 1)
    host = host.strip("[]")
    if not ipaddress.ip_address(host).is_loopback:
        sys.exit(f"listeners.py: {host} is not a loopback address")
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(port)))
    s.listen(128)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, spec)
log = open(a.log, "a", buffering=1)
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        try:
            c, peer = key.fileobj.accept()
        except OSError:
            continue
        log.write(f"{key.data} {peer[0]}\n")
        if a.banner:
            try:
                c.send(a.banner.encode())
            except OSError:
                pass
        c.close()
