#!/usr/bin/env python3
"""Record what a real MQTT broker answers to ajar's MQTT probe: CONNECT
(3.1.1, anonymous), then SUBSCRIBE to $SYS/broker/version. Writes 1.resp
(the CONNACK) and 2.resp (SUBACK and the retained version PUBLISH) into
OUTDIR. Loopback only.  usage: record-mqtt-sys.py HOST PORT OUTDIR"""
import ipaddress, socket, sys, time
host, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
assert ipaddress.ip_address(host).is_loopback, "loopback only"
cid = b"ajar-0001"
var = b"\x00\x04MQTT\x04\x02\x00\x0a"
connect = bytes([0x10, len(var) + 2 + len(cid)]) + var + bytes([0, len(cid)]) + cid
topic = b"$SYS/broker/version"
sub = bytes([0x82, 2 + 2 + len(topic) + 1, 0, 1, 0, len(topic)]) + topic + b"\x00"
def read_for(s, secs):
    s.settimeout(0.2); data = b""; end = time.time() + secs
    while time.time() < end:
        try:
            d = s.recv(4096)
        except socket.timeout:
            continue
        if not d: break
        data += d
    return data
s = socket.create_connection((host, port))
s.sendall(connect)
open(out + "/1.resp", "wb").write(read_for(s, 0.5))
s.sendall(sub)
open(out + "/2.resp", "wb").write(read_for(s, 1.0))
s.sendall(b"\xe0\x00")
s.close()
