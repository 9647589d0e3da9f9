#!/usr/bin/env python3
"""A Redis on loopback that answers INFO openly or asks for a password.

usage: fake_redis.py MODE_FILE ADDR:PORT

MODE_FILE holds "open" (INFO answered: no authentication, a keyspace of 5
keys) or "auth" (-NOAUTH), read at each connection, so a test can make the
service worse between two scans. Loopback only. Writes "ready" once listening.
"""
import ipaddress, socket, sys, threading

mode_file, addr = sys.argv[1], sys.argv[2]
INFO = b"# Server\r\nredis_version:7.0.15\r\n\r\n# Keyspace\r\ndb0:keys=5,expires=0,avg_ttl=0\r\n"


def serve(c):
    try:
        data = b""
        while b"INFO\r\n" not in data:
            d = c.recv(4096)
            if not d:
                break
            data += d
        if open(mode_file).read().strip() == "auth":
            c.sendall(b"-NOAUTH Authentication required.\r\n")
        else:
            c.sendall(b"$%d\r\n%s\r\n" % (len(INFO), INFO))
    except OSError:
        pass
    c.close()


h, p = addr.rsplit(":", 1)
if not ipaddress.ip_address(h).is_loopback:
    sys.exit(f"fake_redis.py: {h} is not a loopback address")
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((h, int(p)))
s.listen(16)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
