#!/usr/bin/env python3
"""A misbehaving DNS server on loopback for the --rdns tests (UDP only).

usage: dns_responder.py --mode drop|many|badlabels --log FILE ADDR:PORT
  drop       reads every query and never answers (a resolver that hangs)
  many       answers with a pile of PTR records: an overlong name (> 253
             bytes), an address as a name, an upper-case name and its
             duplicate, then more good names than ajar keeps
  badlabels  answers with names whose labels are not host names ('!', a
             leading '-', a NUL byte) among good ones
Answers are NOERROR, in one datagram of at most 512 bytes.
Logs one line per query ("QNAME QTYPE") to FILE; writes "ready" to stdout
once it listens. Loopback addresses only. Runs until killed.
"""
import argparse, ipaddress, socket, struct, sys

ap = argparse.ArgumentParser()
ap.add_argument("--mode", choices=["drop", "many", "badlabels"], required=True)
ap.add_argument("--log", required=True)
ap.add_argument("addr")
a = ap.parse_args()
host, port = a.addr.rsplit(":", 1)
host = host.strip("[]")
if not ipaddress.ip_address(host).is_loopback:
    sys.exit(f"dns_responder.py: {host} is not a loopback address")
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((host, int(port)))
log = open(a.log, "a", buffering=1)


def enc(labels):
    out = b""
    for l in labels:
        out += bytes([len(l)]) + l
    return out + b"\0"


def name(text):
    return enc([l.encode() for l in text.split(".") if l])


GOOD = [name(f"n{i}.ex") for i in range(1, 13)]
MANY = [
    enc([b"x" * 63] * 4),                      # 255 bytes: overlong
    name("10.0.0.1"),                          # an address, not a name
    name("UPPER.Example.TEST"),
    name("upper.example.test"),                # the same, once normalised
] + GOOD
BADLABELS = [
    name("bad!label.example.test"),
    name("-lead.example.test"),
    enc([b"nul\0byte", b"example", b"test"]),
] + GOOD


def answer(q):
    if len(q) < 12:
        return None
    qid, flags, qd = struct.unpack(">HHH", q[:6])
    i = 12
    labels = []
    while i < len(q) and q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode(errors="replace"))
        i += 1 + q[i]
    i += 1
    if i + 4 > len(q):
        return None
    qtype = struct.unpack(">H", q[i:i + 2])[0]
    log.write(f"{'.'.join(labels)} {qtype}\n")
    if a.mode == "drop":
        return None
    question = q[12:i + 4]
    rrs = []
    size = 12 + len(question)
    for rd in MANY if a.mode == "many" else BADLABELS:
        rr = b"\xc0\x0c" + struct.pack(">HHIH", 12, 1, 60, len(rd)) + rd
        if size + len(rr) > 512:
            break
        rrs.append(rr)
        size += len(rr)
    hdr = struct.pack(">HHHHHH", qid, 0x8180, 1, len(rrs), 0, 0)
    return hdr + question + b"".join(rrs)


print("ready", flush=True)
while True:
    q, peer = s.recvfrom(4096)
    r = answer(q)
    if r:
        s.sendto(r, peer)
