#!/usr/bin/env python3
# Record what a real non-Kafka server answers to ajar's first Kafka request (the look-alike
# traps tests/probe/cases/kafka/not-kafka-*).
#
#   tests/probe/tools/record-kafka-traps.py ADDRESS PORT CASE_DIR
#
# Sends, to a loopback address only, the exact bytes src/probe/kafka.c sends first (ApiVersions
# v4, correlation id 1, client id "ajar") and writes what comes back to CASE_DIR/1.resp, and
# CASE_DIR/1.eof when the server closed the connection (else it stops after 3 s of silence).
# The server is whatever the caller started there (nginx, redis-server, memcached from Debian).

import ipaddress
import os
import socket
import sys

# size 25 | api key 18, version 4, correlation id 1, client id "ajar", no tags |
# client_software_name "ajar", client_software_version "0.1", no tags
APIVERSIONS_V4 = bytes.fromhex("00000019" "0012" "0004" "00000001" "0004") + b"ajar" + \
    b"\x00" + b"\x05ajar" + b"\x040.1" + b"\x00"


def main():
    if len(sys.argv) != 4:
        raise SystemExit("usage: record-kafka-traps.py ADDRESS PORT CASE_DIR")
    addr, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if not ipaddress.ip_address(addr).is_loopback:
        raise SystemExit("loopback addresses only")
    os.makedirs(out, exist_ok=True)
    s = socket.create_connection((addr, port), timeout=3)
    s.sendall(APIVERSIONS_V4)
    got, closed = b"", False
    try:
        while len(got) < 65536:
            b = s.recv(65536)
            if not b:
                closed = True
                break
            got += b
    except socket.timeout:
        pass
    s.close()
    with open(os.path.join(out, "1.resp"), "wb") as f:
        f.write(got)
    eof = os.path.join(out, "1.eof")
    if closed:
        open(eof, "w").close()
    elif os.path.exists(eof):
        os.unlink(eof)
    print("%s:%d -> %d bytes%s" % (addr, port, len(got), ", then closed" if closed else ""))


if __name__ == "__main__":
    main()
