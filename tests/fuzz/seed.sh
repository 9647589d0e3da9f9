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
#   es_common      the Elasticsearch, Kibana and CouchDB responses, parsed
#                  and as raw bodies.
#   bson           the BSON documents inside the MongoDB fixtures' replies.
#   cert           tests/unit/certs/*.pem, and each leaf in DER.
#   target         target lists written here (syntax of docs/targets.md).
#   ranges         the recorded range files (tests/fixtures/recorded/attr), whole and cut.
#   mmdb           MaxMind DB files of every layout, by tests/tools/make-mmdb.pl.
#   pii_words      data/pii-terms.tsv whole and in parts, and broken rows.
# Files are named by their content hash, as libFuzzer names what it adds.
set -euo pipefail
cd "$(dirname "$0")/../.."
export AJAR_FIXTURES=${AJAR_FIXTURES:-$(cd .. && pwd)/shared/fixtures}
python3 - "$@" <<'EOF'
import base64, hashlib, os, re, struct, sys

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
EOF
