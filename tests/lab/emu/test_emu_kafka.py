#!/usr/bin/env python3
# Tests of the EMULATED Kafka brokers (tests/lab/emu/emu_kafka.py), on their own.
#
#   python3 tests/lab/emu/test_emu_kafka.py [-v] [--no-scan]
#
# Starts only the kafka family (emulab.py serve --family kafka, addresses 127.0.50.1-6) in a
# temporary lab dir, so it runs beside a lab that is already up. Checks with a small Kafka client
# that every answer is the recorded body under the request's correlation id, that the SASL
# listeners close on Metadata and that anything unrecorded closes the connection, checks the
# manifest entries (keys, addresses, TLS facts), then -- when build/ajar exists -- scans the six
# instances and compares each record with its manifest entry. Stops the emulator and prints
# "N passed, N failed" alone on the last line (exit status 1 if anything failed).

import json
import os
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, HERE)
import emu_kafka as ek  # noqa: E402
import emulab  # noqa: E402

PASSED = FAILED = 0
VERBOSE = "-v" in sys.argv


def check(cond, what):
    global PASSED, FAILED
    if cond:
        PASSED += 1
        if VERBOSE:
            print("ok   " + what)
    else:
        FAILED += 1
        print("FAIL " + what)
    return cond


def request(key, version, cid, body=b"", flex=False):
    hdr = struct.pack(">hhih", key, version, cid, 4) + b"ajar" + (b"\x00" if flex else b"")
    return struct.pack(">i", len(hdr) + len(body)) + hdr + body


APIV4 = request(18, 4, 101, b"\x05ajar\x040.1\x00", flex=True)
APIV3 = request(18, 3, 102, b"\x05ajar\x040.1\x00", flex=True)
APIV0 = request(18, 0, 103)
META8 = request(3, 8, 104, b"\xff\xff\xff\xff\x00\x00\x00")
FETCH = request(1, 11, 105, b"\x00" * 32)


class Conn:
    def __init__(self, addr, port, tls=False):
        self.s = socket.create_connection((addr, port), timeout=5)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            self.s = ctx.wrap_socket(self.s)

    def _read(self, n):
        buf = b""
        while len(buf) < n:
            try:
                c = self.s.recv(n - len(buf))
            except (socket.timeout, ConnectionResetError, ssl.SSLError):
                return None
            if not c:
                return None
            buf += c
        return buf

    def ask(self, req):
        """(correlation id, body) of the answer, or None when the broker closed."""
        self.s.sendall(req)
        h = self._read(8)
        if h is None:
            return None
        size, cid = struct.unpack(">ii", h)
        body = self._read(size - 4)
        return None if body is None else (cid, body)

    def close(self):
        self.s.close()


def frame_body(rel):
    return ek.hexfile(rel)[8:]


def wait_up(deadline=20.0):
    t0 = time.time()
    while time.time() - t0 < deadline:
        ok = 0
        for a, p in ek.listeners():
            try:
                socket.create_connection((a, p), timeout=0.3).close()
                ok += 1
            except OSError:
                pass
        if ok == len(ek.listeners()):
            return True
        time.sleep(0.1)
    return False


def check_wire():
    r26_35 = frame_body("2.6/02_apiversions_v4_unsupported_response.hex")
    r26_v3 = frame_body("2.6/04_apiversions_v3_response.hex")
    r26_md = frame_body("2.6/08_metadata_v8_response_all_topics.hex")
    for addr, port, tls in (("127.0.50.1", 9092, False), ("127.0.50.5", 9093, True)):
        tag = "%s:%d" % (addr, port)
        c = Conn(addr, port, tls)
        check(c.ask(APIV4) == (101, r26_35), tag + ": ApiVersions v4 -> recorded 35, id rewritten")
        check(c.ask(APIV3) == (102, r26_v3), tag + ": ApiVersions v3 -> recorded table")
        check(c.ask(META8) == (104, r26_md), tag + ": Metadata v8 -> recorded answer")
        check(c.ask(FETCH) is None, tag + ": Fetch -> closed (never recorded, never served)")
        c.close()
        c = Conn(addr, port, tls)
        check(c.ask(APIV0) is None, tag + ": ApiVersions v0 -> closed (no 2.6 recording)")
        c.close()
    c = Conn("127.0.50.2", 9092)
    check(c.ask(APIV3) == (102, r26_v3), "2.6 sasl: ApiVersions answered")
    check(c.ask(META8) is None, "2.6 sasl: Metadata -> closed")
    c.close()
    c = Conn("127.0.50.3", 9092)
    r40 = ek.hexfile("4.0/apiversions_v4_response_with_features.hex")
    check(c.ask(APIV4) == (101, r40[4:]), "4.0 sasl: ApiVersions v4 -> recorded features answer")
    check(struct.unpack(">i", r40[:4])[0] == 1, "4.0 source: correlation id 1 then the body")
    check(c.ask(META8) is None, "4.0 sasl: Metadata -> closed")
    c.close()
    c = Conn("127.0.50.4", 9092)
    check(c.ask(APIV4) == (101, ek.hexfile("0.10.2.1/apiversions_unsupported_version_response.body.hex")),
          "0.10.2: ApiVersions v4 -> recorded empty 35")
    check(c.ask(APIV0) == (103, ek.hexfile("0.10.2/apiversions_v0_response.body.hex")),
          "0.10.2: ApiVersions v0 -> recorded table")
    check(c.ask(request(3, 2, 106, b"\xff\xff\xff\xff")) is None, "0.10.2 sasl: Metadata v2 -> closed")
    c.close()
    s = socket.create_connection(("127.0.50.1", 9092), timeout=3)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    try:
        got = s.recv(100)
    except OSError:
        got = b""
    check(got == b"", "GET / -> closed without a byte (a 1.2 GB size)")
    s.close()


def check_manifest(lab):
    m = ek.manifest(lab, emulab.cert_facts)
    keys = {"id", "address", "port", "transport", "service", "product", "version", "auth", "tls", "data", "via",
            "kind", "notes"}
    check(len(m) == len(ek.INSTANCES), "manifest: one entry per instance")
    for e in m:
        o = [int(x) for x in e["address"].split(".")]
        check(set(e) == keys, "%s: manifest keys" % e["id"])
        check(o[:3] == [127, 0, 50] and 1 <= o[3] <= 40, "%s: address in 127.0.50.1-40" % e["id"])
        check(e["kind"] == "emulated" and e["service"] == "kafka", "%s: kind, service" % e["id"])
    tls = [e for e in m if e["tls"]]
    if check(len(tls) == 1, "manifest: one TLS instance"):
        pem = ssl.get_server_certificate(("127.0.50.5", 9093))
        import hashlib
        check(hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest() == tls[0]["tls"]["sha256"],
              "TLS instance serves the manifest's certificate")
    return m


def check_scan(m):
    ajar = os.path.join(ROOT, "build", "ajar")
    if "--no-scan" in sys.argv or not os.path.exists(ajar):
        print("(scan skipped: no build/ajar)")
        return
    p = subprocess.run([ajar, "scan", "127.0.50.1-127.0.50.6", "-p", "9092,9093,19092", "--no-db", "-q"],
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, "ajar scan rc 0 (%s)" % p.stderr.strip()[-300:])
    recs = {}
    for ln in p.stdout.splitlines():
        try:
            r = json.loads(ln)
        except ValueError:
            continue
        recs[(r["ip"], r["port"])] = r
    for e in m:
        r = recs.get((e["address"], e["port"]))
        tag = "scan %s" % e["id"]
        if not check(r is not None, tag + ": found"):
            continue
        for k in ("service", "product", "version", "auth"):
            check(r.get(k) == e[k], "%s: %s %r == %r" % (tag, k, r.get(k), e[k]))
        if e["data"] is not None:
            d = r.get("data") or {}
            check(d.get("collections") == e["data"]["collections"], tag + ": collections")
        check((r.get("tls") is not None) == (e["tls"] is not None), tag + ": tls present as in the manifest")
        if VERBOSE:
            print(json.dumps(r)[:400])
    check(all(k in recs for k in [(e["address"], e["port"]) for e in m]), "scan: every instance reported")


def main():
    lab = tempfile.mkdtemp(prefix="emu-kafka-test-")
    logf = open(os.path.join(lab, "emu-kafka.log"), "w")
    proc = subprocess.Popen([sys.executable, os.path.join(HERE, "emulab.py"), "serve", "--family", "kafka",
                             "--lab-dir", lab], stdout=logf, stderr=subprocess.STDOUT)
    try:
        if not check(wait_up(), "kafka emulator listeners up"):
            return 1
        check_wire()
        m = check_manifest(lab)
        check_scan(m)
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    print("%d passed, %d failed" % (PASSED, FAILED))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
