#!/bin/bash
# tests/probe/tools/record-search.sh -- how the Chroma fixtures of the search and vector
# family (tests/probe/cases/chroma/open-1.0, empty-1.0) were recorded from a REAL server.
#
# Chroma 1.x is a Rust server; the npm package chromadb-js-bindings-linux-x64-gnu ships it as a
# Node.js native module (its `cli(["chroma","run",...])` is the `chroma run` command). Version
# 1.0.1 of that package is the newest whose module loads with Debian 12's glibc (2.36; 1.0.9 and
# later need 2.39); it serves Chroma 1.0.0. The package goes into a work folder with a private
# npm cache.
#
# The server runs inside a network namespace of its own (unshare -n: only a loopback device,
# nothing reaches or leaves the machine), listens on 127.0.56.1:8000, gets a little test data as
# the lab operator (two collections, five records with 3-dimension embeddings, sent with the
# server's own HTTP API), and then answers EXACTLY the requests ajar's chroma signature sends
# (same request line and headers as src/probe/http.c writes). Each raw answer is written byte
# for byte to tests/probe/cases/chroma/<case>/N.resp; the server is stopped by pid.
#
#   bash tests/probe/tools/record-search.sh [chroma] [fastapi]   (as root; both when none named)
# Needs build/ajar (make all) for the fastapi part, node+npm, python3-fastapi, python3-uvicorn.
set -u
PARTS=" ${*:-chroma fastapi} "
want() { [[ $PARTS == *" $1 "* ]]; }
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
CASES=$ROOT/tests/probe/cases
W=${W:-$(mktemp -d /tmp/record-search.XXXXXX)}
mkdir -p "$W"
MOD=$W/node_modules/chromadb-js-bindings-linux-x64-gnu
if [ ! -d "$MOD" ]; then
  (cd "$W" && npm init -y >/dev/null && npm install --no-audit --no-fund --cache "$W/npm-cache" \
    chromadb-js-bindings-linux-x64-gnu@1.0.1 >/dev/null) || { echo "npm install failed" >&2; exit 1; }
fi

cat >"$W/rec.py" <<'PY'
import json, socket, sys, time, os
host, port = "127.0.56.1", 8000

def raw(method, path, body=None):
    req = ("%s %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: ajar/0.1 (+metadata-only exposure scanner)\r\n"
           "Accept: */*\r\nConnection: keep-alive\r\n" % (method, path, host, port))
    if body is not None:
        b = json.dumps(body).encode()
        req += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(b)
    else:
        b = b""
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(req.encode() + b"\r\n" + b)
    data = b""
    while b"\r\n\r\n" not in data:
        c = s.recv(65536)
        if not c: break
        data += c
    he = data.index(b"\r\n\r\n") + 4
    clen = 0
    for l in data[:he].decode("latin1").lower().split("\r\n"):
        if l.startswith("content-length:"): clen = int(l.split(":", 1)[1])
    while len(data) < he + clen:
        c = s.recv(65536)
        if not c: break
        data += c
    s.close()
    return data[:he + clen]

def body(a):
    return json.loads(a.split(b"\r\n\r\n", 1)[1])

def wait():
    for _ in range(200):
        try:
            raw("GET", "/api/v2/heartbeat"); return
        except OSError:
            time.sleep(0.1)
    sys.exit("chroma did not come up")

DB = "/api/v2/tenants/default_tenant/databases/default_database"

def record(case):
    d = os.path.join(sys.argv[1], case)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.endswith(".resp"): os.remove(os.path.join(d, f))
    paths = ["/", "/api/v2/heartbeat", "/api/v2/version", "/api/v2/tenants/default_tenant/databases",
             DB + "/collections"]
    n = 0
    for p in paths:
        a = raw("GET", p)
        n += 1
        open(os.path.join(d, "%d.resp" % n), "wb").write(a)
        print("  %s/%d.resp GET %s -> %s" % (case, n, p, a.split(b"\r\n", 1)[0].decode()), file=sys.stderr)
    for c in body(a)[:16]:
        p = DB + "/collections/%s/count" % c["id"]
        a = raw("GET", p)
        n += 1
        open(os.path.join(d, "%d.resp" % n), "wb").write(a)
        print("  %s/%d.resp GET %s -> %s" % (case, n, p, a.split(b"\r\n", 1)[0].decode()), file=sys.stderr)

if __name__ != "__main__":
    pass
else:
  wait()
  record("empty-1.0")
  # the lab operator's test data (never something ajar sends)
  for name, docs in (("support_tickets", 3), ("kb_articles", 2)):
      c = body(raw("POST", DB + "/collections", {"name": name}))
      ids = ["%s-%d" % (name, i) for i in range(docs)]
      raw("POST", DB + "/collections/%s/add" % c["id"],
          {"ids": ids, "embeddings": [[0.1 * i, 0.2, 0.3] for i in range(docs)],
           "documents": ["test record %d" % i for i in range(docs)]})
  time.sleep(1)
  record("open-1.0")
PY

cat >"$W/inside.sh" <<EOF2
ip link set lo up
node -e 'require("$MOD").cli(["chroma","run","--path","$W/data","--host","127.0.56.1","--port","8000"])' >"$W/chroma.log" 2>&1 &
P=\$!
python3 "$W/rec.py" "$CASES/chroma"; rc=\$?
kill \$P; wait \$P 2>/dev/null
exit \$rc
EOF2
rm -rf "$W/data"
want chroma && unshare -n bash "$W/inside.sh"

# ---- the look-alike: a FastAPI application (Debian's python3-fastapi and python3-uvicorn) on
# port 8000, Chroma's port. Its 404 {"detail":"Not Found"} (Starlette's) must not be taken for
# Chroma (0.x Chroma is itself FastAPI). ajar runs against it inside the same namespace; the
# paths it asked (uvicorn's access log) are then recorded one by one into
# tests/probe/cases/chroma/not-fastapi/.
cat >"$W/app.py" <<'PY'
from fastapi import FastAPI
app = FastAPI()

@app.get("/items/{item_id}")
def item(item_id: int):
    return {"item_id": item_id}
PY
cat >"$W/rec_fastapi.py" <<'PY'
import os, re, sys
sys.path.insert(0, os.path.dirname(__file__))
import rec
rec.host, rec.port = "127.0.56.2", 8000
d = os.path.join(sys.argv[1], "not-fastapi")
os.makedirs(d, exist_ok=True)
for f in os.listdir(d):
    if f.endswith(".resp"): os.remove(os.path.join(d, f))
paths = re.findall(r'"GET (\S+) HTTP/1.1" \d+', open(sys.argv[2]).read())
for n, p in enumerate(paths, 1):
    a = rec.raw("GET", p)
    open(os.path.join(d, "%d.resp" % n), "wb").write(a)
    print("  not-fastapi/%d.resp GET %s -> %s" % (n, p, a.split(b"\r\n", 1)[0].decode()), file=sys.stderr)
PY
cat >"$W/inside2.sh" <<EOF2
ip link set lo up
(cd "$W" && exec /usr/bin/python3 -m uvicorn app:app --host 127.0.56.2 --port 8000 >"$W/uvicorn.log" 2>&1) &
P=\$!
for i in \$(seq 100); do (exec 3<>/dev/tcp/127.0.56.2/8000) 2>/dev/null && break; sleep 0.1; done
"$ROOT/build/ajar" scan 127.0.56.2 -p 8000 --no-db >"$W/ajar.jsonl" 2>"$W/ajar.err"
cp "$W/uvicorn.log" "$W/uvicorn.first.log"
python3 "$W/rec_fastapi.py" "$CASES/chroma" "$W/uvicorn.first.log"; rc=\$?
kill \$P; wait \$P 2>/dev/null
exit \$rc
EOF2
want fastapi && unshare -n bash "$W/inside2.sh"
