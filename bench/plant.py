#!/usr/bin/env python3
"""Plant N TCP listeners at pseudo-random (address, port) pairs of a loopback
CIDR, for the discovery benchmarks. Writes the planted pairs to OUT (one
"ip:port" per line), prints "ready", then serves (accept and close) forever.
Refuses anything outside 127.0.0.0/8. Run it inside the benchmark's own
network namespace.

usage: plant.py CIDR PORTS N SEED OUT      (PORTS: "6379,9200" or "1-1000")
"""
import ipaddress, random, selectors, socket, sys

cidr, ports_s, n, seed, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
net = ipaddress.ip_network(cidr)
if not net.subnet_of(ipaddress.ip_network("127.0.0.0/8")):
    sys.exit("plant.py: loopback only")
ports = []
for part in ports_s.split(","):
    if "-" in part:
        a, b = part.split("-")
        ports += range(int(a), int(b) + 1)
    else:
        ports.append(int(part))
rng = random.Random(seed)
hosts = list(range(1, net.num_addresses - 1))
pairs = set()
while len(pairs) < n:
    pairs.add((str(net.network_address + rng.choice(hosts)), rng.choice(ports)))
sel = selectors.DefaultSelector()
with open(out, "w") as f:
    for ip, port in sorted(pairs):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((ip, port))
        s.listen(1024)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        f.write(f"{ip}:{port}\n")
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        try:
            c, _ = key.fileobj.accept()
            c.close()
        except OSError:
            pass
