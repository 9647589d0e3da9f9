#!/usr/bin/env python3
"""tests/probe/tools/record-b.py -- record what real servers answer to the
requests of the binary probes B (postgresql, mysql, amqp, clickhouse_native),
as replay cases under tests/probe/cases/<probe>/<case>/ (format: replay.h).

It speaks exactly the requests the C probes send, in the same order, and
writes each answer as N.resp (N.eof when the server then closed). It never
writes expect.json: that is reviewed by hand. Loopback only.

  record-b.py pg   ADDR CASE_DIR [--no-login]
  record-b.py my   ADDR CASE_DIR [--no-login]
  record-b.py amqp ADDR CASE_DIR
  record-b.py ch   ADDR CASE_DIR [--ping]
  record-b.py raw  ADDR PORT CASE_DIR HEX   (one request, one answer: negative cases)

Servers: tests/probe/tools/servers-b.sh.
"""
import ipaddress
import os
import socket
import struct
import sys
import time

IDLE = 0.6  # seconds of silence that end an answer


def check_loopback(addr):
    if not ipaddress.ip_address(addr).is_loopback:
        sys.exit("record-b: loopback addresses only")


class Rec:
    def __init__(self, addr, port, outdir):
        check_loopback(addr)
        self.addr, self.port, self.outdir = addr, port, outdir
        self.n = 0
        self.sock = None
        os.makedirs(outdir, exist_ok=True)
        for f in os.listdir(outdir):
            if f.endswith(".resp") or f.endswith(".eof"):
                os.unlink(os.path.join(outdir, f))

    def connect(self):
        if self.sock:
            self.sock.close()
        self.sock = socket.create_connection((self.addr, self.port), timeout=5)

    def read(self, until=None, idle=IDLE):
        """Read one answer: until(data) says it is complete, or silence, or EOF."""
        data, eof = b"", False
        self.sock.settimeout(idle)
        deadline = time.time() + 10
        while time.time() < deadline:
            if until and until(data):
                break
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                eof = True
                break
            data += chunk
        return data, eof

    def save(self, data, eof):
        self.n += 1
        with open(os.path.join(self.outdir, "%d.resp" % self.n), "wb") as f:
            f.write(data)
        if eof:
            open(os.path.join(self.outdir, "%d.eof" % self.n), "w").close()
        print("  %d.resp %d bytes%s" % (self.n, len(data), " +eof" if eof else ""))
        return data

    def xchg(self, req, until=None):
        if req:
            self.sock.sendall(req)
        data, eof = self.read(until)
        return self.save(data, eof)


# ---- PostgreSQL (must match src/probe/postgresql.c) ----
PG_QUERIES = [
    "SELECT datname, CASE WHEN has_database_privilege(datname, 'CONNECT') THEN "
    "pg_database_size(datname) END FROM pg_database WHERE NOT datistemplate ORDER BY 1",
    "SELECT count(*), coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint FROM pg_class c "
    "WHERE c.relkind = 'r' AND c.relnamespace NOT IN (SELECT oid FROM pg_namespace "
    "WHERE nspname IN ('pg_catalog', 'information_schema'))",
    "SELECT n.nspname, c.relname, greatest(c.reltuples, 0)::bigint FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND "
    "n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2 LIMIT 100",
    "SELECT DISTINCT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND a.attnum > 0 "
    "AND NOT a.attisdropped AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "ORDER BY 1 LIMIT 200",
]


def pg_msgs(data):
    out, i = [], 0
    while i + 5 <= len(data):
        t, ln = data[i:i + 1], struct.unpack(">I", data[i + 1:i + 5])[0]
        if i + 1 + ln > len(data):
            break
        out.append((t, data[i + 5:i + 1 + ln]))
        i += 1 + ln
    return out


def pg_until_ready(data):
    m = pg_msgs(data)
    return any(t == b"Z" for t, _ in m) or any(t == b"E" for t, _ in m) or any(
        t == b"R" and b[:4] != b"\0\0\0\0" for t, b in m)


def pg_startup():
    body = struct.pack(">I", 196608)
    for k, v in (("user", "postgres"), ("database", "postgres"), ("application_name", "ajar")):
        body += k.encode() + b"\0" + v.encode() + b"\0"
    body += b"\0"
    return struct.pack(">I", len(body) + 4) + body


def record_pg(addr, outdir, no_login):
    r = Rec(addr, 5432, outdir)
    r.connect()
    ans = r.xchg(struct.pack(">II", 8, 80877103), until=lambda d: len(d) >= 1)
    if ans[:1] not in (b"S", b"N") or no_login:
        return
    if ans[:1] == b"S":
        r.connect()  # the probe reconnects in plain text
        ans = r.xchg(pg_startup(), until=pg_until_ready)
    else:
        ans = r.xchg(pg_startup(), until=pg_until_ready)
    if not any(t == b"R" and b[:4] == b"\0\0\0\0" for t, b in pg_msgs(ans)):
        return
    for q in PG_QUERIES:
        qb = q.encode() + b"\0"
        r.xchg(b"Q" + struct.pack(">I", len(qb) + 4) + qb,
               until=lambda d: any(t == b"Z" for t, _ in pg_msgs(d)))
    r.sock.sendall(b"X\0\0\0\4")


# ---- MySQL / MariaDB (must match src/probe/mysql.c) ----
MY_SYS = "('mysql', 'information_schema', 'performance_schema', 'sys')"
MY_QUERIES = [
    "SELECT s.schema_name, COUNT(t.table_name), SUM(t.table_rows), "
    "SUM(t.data_length + t.index_length) FROM information_schema.schemata s "
    "LEFT JOIN information_schema.tables t ON t.table_schema = s.schema_name "
    "AND t.table_type = 'BASE TABLE' WHERE s.schema_name NOT IN " + MY_SYS +
    " GROUP BY s.schema_name ORDER BY 1",
    "SELECT table_schema, table_name, table_rows FROM information_schema.tables "
    "WHERE table_type = 'BASE TABLE' AND table_schema NOT IN " + MY_SYS +
    " ORDER BY 1, 2 LIMIT 100",
    "SELECT DISTINCT column_name FROM information_schema.columns WHERE table_schema NOT IN " +
    MY_SYS + " ORDER BY 1 LIMIT 200",
]

MY_CAPS = 0x1 | 0x4 | 0x200 | 0x2000 | 0x8000 | 0x80000  # must match mysql.c


def my_packets(data):
    out, i = [], 0
    while i + 4 <= len(data):
        ln = data[i] | data[i + 1] << 8 | data[i + 2] << 16
        if i + 4 + ln > len(data):
            break
        out.append((data[i + 3], data[i + 4:i + 4 + ln]))
        i += 4 + ln
    return out


def my_resultset_done(data):
    """A text resultset (column defs, EOF, rows, EOF) or a lone OK/ERR."""
    p = my_packets(data)
    if not p:
        return False
    first = p[0][1]
    if first[:1] in (b"\x00", b"\xff"):
        return True
    eofs = sum(1 for _, b in p if b[:1] == b"\xfe" and len(b) < 9)
    return eofs >= 2 or any(b[:1] == b"\xff" for _, b in p[1:])


def record_my(addr, outdir, no_login):
    r = Rec(addr, 3306, outdir)
    r.connect()
    g = r.xchg(None, until=lambda d: len(my_packets(d)) >= 1)
    p = my_packets(g)
    if not p or p[0][1][:1] != b"\x0a" or no_login:
        return
    body = p[0][1]
    ver_end = body.index(b"\0", 1)
    caps_lo = struct.unpack("<H", body[ver_end + 1 + 4 + 8 + 1:ver_end + 1 + 4 + 8 + 3])[0]
    caps_hi = struct.unpack("<H", body[ver_end + 1 + 4 + 8 + 6:ver_end + 1 + 4 + 8 + 8])[0]
    caps = (caps_lo | caps_hi << 16) & MY_CAPS
    resp = struct.pack("<IIB", caps, 1 << 24, 45) + b"\0" * 23 + b"root\0"
    resp += b"\0"  # empty auth response (1-byte length with SECURE_CONNECTION)
    if caps & 0x80000:
        resp += b"mysql_native_password\0"
    seq = 1
    ans = r.xchg(struct.pack("<I", len(resp))[:3] + bytes([seq]) + resp,
                 until=lambda d: len(my_packets(d)) >= 1)
    pk = my_packets(ans)
    while pk and pk[0][1][:1] == b"\xfe":  # AuthSwitchRequest: answer empty
        seq = pk[0][0] + 1
        ans = r.xchg(b"\0\0\0" + bytes([seq]), until=lambda d: len(my_packets(d)) >= 1)
        pk = my_packets(ans)
    if not pk or pk[0][1][:1] != b"\x00":
        return
    for q in MY_QUERIES:
        qb = b"\x03" + q.encode()
        r.xchg(struct.pack("<I", len(qb))[:3] + b"\0" + qb, until=my_resultset_done)
    r.sock.sendall(b"\x01\0\0\0\x01")


# ---- AMQP 0-9-1 ----
def record_amqp(addr, outdir):
    r = Rec(addr, 5672, outdir)
    r.connect()

    def frame_done(d):
        if d[:4] == b"AMQP":
            return len(d) >= 8
        return len(d) >= 7 and len(d) >= 8 + struct.unpack(">I", d[3:7])[0]
    r.xchg(b"AMQP\0\0\x09\x01", until=frame_done)


# ---- ClickHouse native ----
def varuint(v):
    out = b""
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def chstr(s):
    return varuint(len(s)) + s.encode()


CH_REVISION = 54401  # must match clickhouse_native.c


def record_ch(addr, outdir, ping):
    r = Rec(addr, 9000, outdir)
    r.connect()
    if ping:
        r.xchg(b"\x04")
        return
    hello = varuint(0) + chstr("ajar") + varuint(1) + varuint(0) + varuint(CH_REVISION)
    hello += chstr("default") + chstr("default") + chstr("")
    r.xchg(hello)


def record_raw(addr, port, outdir, hexreq):
    r = Rec(addr, int(port), outdir)
    r.connect()
    r.xchg(bytes.fromhex(hexreq))


def main():
    a = sys.argv[1:]
    if len(a) < 3:
        sys.exit(__doc__)
    kind = a[0]
    if kind == "pg":
        record_pg(a[1], a[2], "--no-login" in a)
    elif kind == "my":
        record_my(a[1], a[2], "--no-login" in a)
    elif kind == "amqp":
        record_amqp(a[1], a[2])
    elif kind == "ch":
        record_ch(a[1], a[2], "--ping" in a)
    elif kind == "raw":
        record_raw(a[1], a[2], a[3], a[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
