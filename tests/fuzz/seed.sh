#!/usr/bin/env bash
# tests/fuzz/seed.sh -- build the seed corpora of the fuzz harnesses from the
# fixtures, into tests/fuzz/corpus/<harness>/ (committed; rerun after adding
# fixtures, then minimise with `bash tests/fuzz/run.sh --merge`).
#
#   probe_<name>   every case of tests/probe/cases/<name>/ in the input
#                  format of tests/fuzz/drive.h: the conn file's tls, host,
#                  no_default_accounts and port in the 4-byte header, each
#                  N.resp (or N.head + N.body / N.body.src, assembled as
#                  tests/probe/replay.c does: CRLF headers, Content-Length
#                  added) a segment, N.eof an EOF event after it. Twice:
#                  whole segments, and pseudo-random chunks of up to 64.
#   http_resp      every HTTP response of the fixtures; the keep-alive
#                  sequences of multi-request cases concatenated.
#   sigmatch       every HTTP response of the fixtures, for every signature.
#   sigload        the shipped signature files, and broken variants of each.
#   jsonscan       the JSON bodies of the recorded HTTP answers, and texts at jansson's edges
#   es_common      the Elasticsearch, Kibana and CouchDB responses, parsed
#                  and as raw bodies.
#   bson           the BSON documents inside the MongoDB fixtures' replies.
#   cert           tests/unit/certs/*.pem, and each leaf in DER.
#   target         target lists written here (syntax of docs/targets.md).
#   ranges         the recorded range files (tests/fixtures/recorded/attr), whole and cut.
#   mmdb           MaxMind DB files of every layout, by tests/tools/make-mmdb.pl.
#   pii_words      data/pii-terms.tsv whole and in parts, and broken rows.
#   record         records of tests/golden/report/jsonl.jsonl (one of each shape: marks or
#                  none, TLS, via, attribution, auth), and hand-made ones with hostile marks.
#   netlink        rtnetlink replies laid out as the kernel sends them (a route through a
#                  gateway, a local route, an error, interfaces, a neighbour dump over two
#                  datagrams), for each parser.
#   synrx          TPACKET_V3 blocks holding SYN-ACKs, RSTs and noise, with and without the
#                  harness fixing their acknowledgements.
# Files are named by their content hash, as libFuzzer names what it adds.
set -euo pipefail
cd "$(dirname "$0")/../.."
export AJAR_FIXTURES=${AJAR_FIXTURES:-$(cd .. && pwd)/shared/fixtures}
python3 - "$@" <<'EOF'
import base64, hashlib, json, os, re, struct, sys

CASES = "tests/probe/cases"
OUT = "tests/fuzz/corpus"
FIX = os.environ["AJAR_FIXTURES"]
MAX_FILES, MAX_BYTES, MAX_ONE = 50, 200 * 1024, 48 * 1024
MARK = b"\xffAJ"
HTTP_APPS = set(re.findall(rb"^const struct http_app http_app_([a-z0-9_]+)",
                           b"".join(open(os.path.join("src/probe", f), "rb").read()
                                    for f in os.listdir("src/probe") if f.endswith(".c")), re.M))
HTTP_APPS = {a.decode() for a in HTTP_APPS} | {"http"}
SIGS = sorted(f for f in os.listdir("signatures") if f.endswith(".yaml"))
HTTP_APPS |= {re.search(rb"^service: *([a-z0-9_-]+)", open(os.path.join("signatures", f), "rb").read(),
                        re.M).group(1).decode() for f in SIGS}

def read(p):
    with open(p, "rb") as f:
        return f.read()

def response(d, i):
    """Response i of case d as replay.c assembles it, or None."""
    p = os.path.join(d, f"{i}.resp")
    if os.path.exists(p):
        return read(p)
    p = os.path.join(d, f"{i}.head")
    if not os.path.exists(p):
        return None
    head = read(p)
    if os.path.exists(os.path.join(d, f"{i}.body")):
        body = read(os.path.join(d, f"{i}.body"))
    elif os.path.exists(os.path.join(d, f"{i}.body.src")):
        src = read(os.path.join(d, f"{i}.body.src")).decode().strip()
        body = read(os.path.join(FIX, src))
    else:
        body = b""
    out, has_len = b"", False
    for line in head.split(b"\n"):
        line = line.rstrip(b"\r")
        if not line:
            continue
        low = line.lower()
        if low.startswith(b"content-length:") or low.startswith(b"transfer-encoding:"):
            has_len = True
        out += line + b"\r\n"
    if not has_len:
        out += b"Content-Length: %d\r\n" % len(body)
    return out + b"\r\n" + body

def case(d):
    conn = {}
    p = os.path.join(d, "conn")
    if os.path.exists(p):
        for line in read(p).decode().splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                conn[k.strip()] = v.strip()
    resps = []
    for i in range(1, 17):
        r = response(d, i)
        if r is None:
            break
        resps.append((r, os.path.exists(os.path.join(d, f"{i}.eof"))))
    return conn, resps

class Corpus:
    def __init__(self, name):
        self.dir = os.path.join(OUT, name)
        os.makedirs(self.dir, exist_ok=True)
        for f in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, f))
        self.n = self.bytes = 0
    def add(self, data):
        if len(data) > MAX_ONE or self.n >= MAX_FILES or self.bytes + len(data) > MAX_BYTES:
            return
        path = os.path.join(self.dir, hashlib.sha1(data).hexdigest())
        if os.path.exists(path):
            return
        with open(path, "wb") as f:
            f.write(data)
        self.n += 1
        self.bytes += len(data)

def cases_of(name):
    root = os.path.join(CASES, name)
    if not os.path.isdir(root):
        return []
    return [os.path.join(root, c) for c in sorted(os.listdir(root))
            if os.path.isdir(os.path.join(root, c))]

all_http = []  # (app, [responses])
probes = sorted(d for d in os.listdir(CASES) if os.path.isdir(os.path.join(CASES, d)))
for name in probes:
    c = Corpus("probe_" + name)
    for chunk_mode in (0, 3):
        for d in cases_of(name):
            conn, resps = case(d)
            opt = (1 if conn.get("tls") == "1" else 0) | \
                  (2 if conn.get("no_default_accounts") == "1" else 0) | \
                  (4 if conn.get("host") else 0) | (chunk_mode << 5)
            port = int(conn.get("port", "1"))
            data = bytes([opt, len(d) & 255]) + struct.pack(">H", port)
            for i, (r, eof) in enumerate(resps):
                data += r
                if i + 1 < len(resps) or eof:
                    data += MARK + (b"\x01" if eof else b"\x00")
            c.add(data)
            if name in HTTP_APPS and chunk_mode == 0:
                all_http.append((name, [r for r, _ in resps]))
    print(f"probe_{name}: {c.n} files, {c.bytes} bytes")

c = Corpus("http_resp")
for app, rs in all_http:
    for r in rs:
        c.add(b"\x00\x00" + r)
for app, rs in all_http:
    if len(rs) > 1:
        c.add(b"\x00\x00" + b"".join(rs))
print(f"http_resp: {c.n} files, {c.bytes} bytes")

c = Corpus("sigmatch")
for app, rs in all_http:
    for r in rs:
        c.add(b"\x00" + r)
        c.add(b"\x01" + r)
print(f"sigmatch: {c.n} files, {c.bytes} bytes")

c = Corpus("sigload")
for f in SIGS:
    text = read(os.path.join("signatures", f))
    c.add(text)
    # broken variants: cut short, a bad method, an alias, a deep nest, a bad regex
    c.add(text[: len(text) // 2])
    c.add(text.replace(b"path:", b"method: POST, path:", 1))
    c.add(text + b"\nx: &a [1]\ny: *a\n")
    c.add(text + b"\nidentify: " + b"[" * 40 + b"]" * 40 + b"\n")
    c.add(text.replace(b"score: 9", b"body: '(a+)+$', score: 9", 1))
print(f"sigload: {c.n} files, {c.bytes} bytes")

c = Corpus("es_common")
for app, rs in all_http:
    if app in ("elasticsearch", "kibana", "couchdb"):
        for r in rs:
            c.add(b"\x00\x00" + r)
            body = r.split(b"\r\n\r\n", 1)[-1]
            c.add(b"\x01\x00" + body)
print(f"es_common: {c.n} files, {c.bytes} bytes")

c = Corpus("jsonscan")
# texts at jansson's edges, then the JSON bodies of the recorded HTTP answers
for t in (b'{"a":"\\u0000"}', b'["\\ud83d\\ude00", -0, 1e-400, 9223372036854775807]',
          b'{"k":1,"k":[2]}', b"[" * 2049 + b"]" * 2049, b'[1,2,{"index":"x"', b'"\xc3\xa9"'):
    c.add(b"\x01" + t)
for app, rs in all_http:
    for r in rs:
        body = r.split(b"\r\n\r\n", 1)[-1]
        if body[:1] in (b"{", b"["):
            c.add(b"\x00" + body)
print(f"jsonscan: {c.n} files, {c.bytes} bytes")

c = Corpus("bson")
for d in cases_of("mongodb"):
    _, resps = case(d)
    for r, _ in resps:
        off = 0
        while off + 16 <= len(r):  # walk the messages of the reply
            mlen, _, _, op = struct.unpack_from("<iiii", r, off)
            if mlen < 16 or off + mlen > len(r):
                break
            msg = r[off:off + mlen]
            doc_at = 21 if op == 2013 else 36 if op == 1 else None
            if doc_at is not None and doc_at + 4 <= len(msg):
                dl = struct.unpack_from("<i", msg, doc_at)[0]
                if 5 <= dl <= len(msg) - doc_at:
                    c.add(msg[doc_at:doc_at + dl])
            off += mlen
print(f"bson: {c.n} files, {c.bytes} bytes")

c = Corpus("cert")
certs = "tests/unit/certs"
for i, f in enumerate(sorted(os.listdir(certs))):
    if not f.endswith(".pem"):
        continue
    pem = read(os.path.join(certs, f))
    if b"CERTIFICATE" not in pem:
        continue
    c.add(bytes([i % 8]) + pem)
    m = re.search(rb"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", pem, re.S)
    if m:
        c.add(bytes([(i + 3) % 8]) + base64.b64decode(b"".join(m.group(1).split())))
print(f"cert: {c.n} files, {c.bytes} bytes")

c = Corpus("target")
for t in [
    "\n127.0.0.1\n",
    "80,443,9200-9300\n10.0.0.0/30\n192.0.2.1-192.0.2.9,198.51.100.7:6379\n!192.0.2.5",
    "redis,mongodb,-1024\n2001:db8::/126\n[2001:db8::1]:9200\n",
    "default\n0.0.0.0/0\n!10.0.0.0/8\n!192.168.0.0/16,172.16.0.0/12",
    "-\n203.0.113.0/24\n",
    "60000-\n10.0.0-5\nexample.invalid\n",
    "9200\n# a comment\n  127.0.0.2   # after a target\n::1,::ffff:1.2.3.4\n",
    "6379\n10.0.0.0-10.0.0.9,10.0.0.5-10.0.0.20\n!10.0.0.7-10.0.0.8\n",
    "1-65535\n2001:db8::1-2001:db8::ff\n",
]:
    c.add(t.encode())
print(f"target: {c.n} files, {c.bytes} bytes")

c = Corpus("ranges")
rdir = "tests/fixtures/recorded/attr"
for f in sorted(os.listdir(rdir)):
    d = read(os.path.join(rdir, f))
    c.add(d)
    c.add(d[: len(d) // 2])
for t in [b"10.0.0.0/8\n10.1.0.0/16\n# c\n2001:db8::/32", b"{\"regions\":[]}", b"0.0.0.0/0"]:
    c.add(t)
print(f"ranges: {c.n} files, {c.bytes} bytes")

import subprocess, tempfile
c = Corpus("mmdb")
with tempfile.TemporaryDirectory() as td:
    for layout in ["asn", "dbip-asn", "country", "city", "ipinfo", "ipinfo-lite", "lacking", "foreign"]:
        out = os.path.join(td, layout + ".mmdb")
        subprocess.run(["perl", "tests/tools/make-mmdb.pl", layout, out], check=True)
        c.add(read(out))
print(f"mmdb: {c.n} files, {c.bytes} bytes")

c = Corpus("pii_words")
d = read("data/pii-terms.tsv")
c.add(d)
rows = [r for r in d.split(b"\n") if r and not r.startswith(b"#")]
c.add(b"\n".join(rows[:40]))
c.add(b"\r\n".join(rows[::9]))
for t in [b"term\tfirst name\tname\t-\nstem\taddress\taddress\tveto\ncancel-after\tstatus\tall,-health\t-",
          b"term\tFirst\tname\t-\nterm\ta  b\tname\t-\nterms\tx\tname\t-\nterm\tx\tname,\t-\n",
          b"term\tx\tphone\tveto\nflag-word\tis\tname\t-\nterm\tx\t-all\t-\nterm\tx\tname\t-\textra"]:
    c.add(t)
print(f"pii_words: {c.n} files, {c.bytes} bytes")

c = Corpus("record")
shapes = set()
for line in read("tests/golden/report/jsonl.jsonl").splitlines():
    r = json.loads(line)
    shape = ("marks" in r, len(r.get("marks", [])) > 1, bool(r.get("tls")), r.get("via") is not None,
             "network" in r, r.get("auth"))
    if shape in shapes or len(line) > 6000 or len(shapes) >= 30:
        continue
    shapes.add(shape)
    c.add(line)
for t in [b'{"ip":"127.0.0.1","port":1,"data":{"names":["a","a","b"],"fields":["a"]},"marks":['
          b'{"name":"a","in":"names","personal":["phone","x","phone"],"ransom":true},'
          b'{"name":"a","in":"fields","personal":["email"]},{"name":"b","in":"names"},'
          b'{"name":"zz","in":"names","ransom":true},{"name":"a","in":"tables","ransom":true}]}',
          b'{"ip":"::1","port":65535,"marks":[{"name":"a","in":"names","ransom":true}],"data":null}',
          b'{"ip":"127.0.0.1","port":2,"data":{"items":[{"name":"README","records":1,"bytes":null}],'
          b'"names":["other"]},"marks":{"name":"README"}}']:
    c.add(t)
print(f"record: {c.n} files, {c.bytes} bytes")
c = Corpus("netlink")
def nlmsg(typ, seq, body, flags=0):
    b = struct.pack("=IHHII", 16 + len(body), typ, flags, seq, 0) + body
    return b + b"\0" * (-len(b) % 4)
def rta(typ, val):
    b = struct.pack("=HH", 4 + len(val), typ) + val
    return b + b"\0" * (-len(b) % 4)
ip = lambda a: bytes(int(x) for x in a.split("."))
route = nlmsg(24, 1, struct.pack("=BBBBBBBBI", 2, 32, 0, 0, 254, 0, 0, 1, 0) + rta(15, struct.pack("=I", 254))
              + rta(1, ip("10.9.8.7")) + rta(4, struct.pack("=I", 4)) + rta(5, ip("10.0.0.1"))
              + rta(7, ip("10.0.0.5")))
local = nlmsg(24, 1, struct.pack("=BBBBBBBBI", 2, 32, 0, 0, 255, 0, 254, 2, 0) + rta(1, ip("127.0.0.9"))
              + rta(4, struct.pack("=I", 1)) + rta(7, ip("127.0.0.1")))
err = nlmsg(2, 1, struct.pack("=i", -101) + b"\0" * 16)
link = nlmsg(16, 1, struct.pack("=BBHiII", 0, 0, 1, 4, 0x1043, 0) + rta(3, b"veth0\0")
             + rta(4, struct.pack("=I", 1500)) + rta(1, bytes([2, 0, 0, 0, 0xbe, 0xef])) + rta(2, b"\xff" * 6))
lo = nlmsg(16, 1, struct.pack("=BBHiII", 0, 0, 772, 4, 0x49, 0) + rta(3, b"lo\0") + rta(1, b"\0" * 6))
def neigh(ifindex, dst, state, ll):
    return nlmsg(28, 1, struct.pack("=BBHiHBB", 2, 0, 0, ifindex, state, 0, 1) + rta(1, ip(dst))
                 + (rta(2, ll) if ll else b""), flags=2)
done = nlmsg(3, 1, struct.pack("=i", 0), flags=2)
gw = bytes([2, 0, 0, 0, 0xbe, 0xef])
n1 = neigh(3, "10.0.0.1", 2, bytes(6)) + neigh(4, "10.0.0.2", 4, gw)
n2 = neigh(4, "10.0.0.1", 4, gw) + neigh(4, "10.0.0.3", 0x20, None) + done
for which, dgrams in [(0, [route]), (0, [local]), (0, [err]), (0, [route[:40]]), (1, [link]), (1, [lo]),
                      (1, [err]), (2, [n1, n2]), (2, [n1 + n2]), (2, [neigh(4, "10.0.0.1", 0x80, gw) + done]),
                      (2, [nlmsg(3, 1, struct.pack("=i", -22), flags=2)])]:
    c.add(bytes([which]) + MARK.join(dgrams))
print(f"netlink: {c.n} files, {c.bytes} bytes")

c = Corpus("synrx")
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b + b"\0" * (len(b) % 2)))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
def seg(src, sport, dport, flags, ihl=5):
    tcp = struct.pack("!HHIIBBHHH", sport, dport, 777, 12345, 5 << 4, flags, 65535, 0, 0)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + 20, 1, 0x4000, 64, 6, 0, ip(src), ip("10.0.0.5"))
    hdr += b"\1" * ((ihl - 5) * 4)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + tcp
def block(pkts):
    out, off = bytearray(48), 48
    for i, p in enumerate(pkts):
        frame = bytes([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0xbe, 0xef, 8, 0]) + p
        step = (66 + len(frame) + 15) & ~15
        nxt = step if i + 1 < len(pkts) else 0
        h = struct.pack("=IIIIIIHHIIHH8s", nxt, 0, 0, len(frame), len(frame), 1, 66, 80, 0, 0, 0, 0, b"")
        out += h + bytes(66 - len(h)) + frame + bytes(step - 66 - len(frame))
    struct.pack_into("=IIIIIIQ", out, 0, 3, 0, 1, len(pkts), 48, len(out), 1)
    return bytes(out)
pk = [seg("10.9.8.7", 6379, 61234, 0x12), seg("10.9.8.8", 9200, 64000, 0x14), seg("10.9.8.9", 80, 61000, 0x02),
      seg("10.9.8.7", 5432, 65095, 0x12, ihl=7), seg("10.9.8.1", 22, 60999, 0x12)]
for fix in (0, 1):
    c.add(bytes([fix]) + block(pk))
    c.add(bytes([fix]) + block(pk[:1]))
    c.add(bytes([fix]) + pk[0])
    c.add(bytes([fix]) + pk[1])
print(f"synrx: {c.n} files, {c.bytes} bytes")
EOF
