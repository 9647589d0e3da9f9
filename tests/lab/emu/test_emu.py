#!/usr/bin/env python3
# Tests of the EMULATED Elasticsearch / Kibana / MongoDB lab (tests/lab/emu).
#
#   python3 tests/lab/emu/test_emu.py
#
# Starts the emulators in a temporary lab dir with emulab.py up, checks every instance
# against its manifest entry with curl and with small Python clients (HTTP keep-alive,
# console proxy to the ES behind each Kibana, 401s, OP_MSG and OP_QUERY round trips, TLS
# certificate facts), stops them with emulab.py down, and prints "N passed, N failed"
# alone on the last line (exit status 1 if anything failed).

import hashlib
import http.client
import json
import os
import re
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
from urllib.parse import quote

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import emu_bson as bson  # noqa: E402

EMULAB = os.path.join(HERE, "emulab.py")
PASSED = 0
FAILED = 0
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


# ------------------------------------------------------------------ HTTP helpers

def curl(url, *extra):
    """(status, headers list, body bytes) via the curl CLI."""
    p = subprocess.run(["curl", "-sk", "-D", "-", "--max-time", "10", *extra, url], capture_output=True)
    raw = p.stdout
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines or not lines[0].startswith("HTTP/"):
        return 0, [], b""
    status = int(lines[0].split()[1])
    hdrs = [tuple(x.split(": ", 1)) for x in lines[1:] if ": " in x]
    return status, hdrs, body


def hget(hdrs, name):
    return [v for k, v in hdrs if k.lower() == name.lower()]


class Http:
    """Keep-alive client on one connection (plain or TLS without verification)."""

    def __init__(self, addr, port, tls=False):
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            self.c = http.client.HTTPSConnection(addr, port, timeout=10, context=ctx)
        else:
            self.c = http.client.HTTPConnection(addr, port, timeout=10)

    def req(self, method, path, headers=None):
        self.c.request(method, path, headers=headers or {})
        r = self.c.getresponse()
        body = r.read()
        return r.status, r.getheaders(), body

    def close(self):
        self.c.close()


# ------------------------------------------------------------------ Mongo helpers

class MongoClient:
    def __init__(self, addr, port, tls=False):
        self.s = socket.create_connection((addr, port), timeout=5)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            self.s = ctx.wrap_socket(self.s)
        self.rid = 0

    def _recv(self):
        hdr = self._read(16)
        if hdr is None:
            return None
        ln, rid, rto, op = struct.unpack("<iiii", hdr)
        return op, rto, self._read(ln - 16)

    def _read(self, n):
        buf = b""
        while len(buf) < n:
            try:
                c = self.s.recv(n - len(buf))
            except (socket.timeout, ConnectionResetError):
                return None
            if not c:
                return None
            buf += c
        return buf

    def op_query(self, ns, doc):
        self.rid += 1
        body = struct.pack("<i", 0) + ns.encode() + b"\x00" + struct.pack("<ii", 0, -1) + bson.encode(doc)
        self.s.sendall(struct.pack("<iiii", 16 + len(body), self.rid, 0, 2004) + body)
        r = self._recv()
        if r is None:
            return None
        op, rto, b = r
        assert op == 1 and rto == self.rid
        flags, cursor, start, n = struct.unpack_from("<iqii", b, 0)
        docs, j = [], 20
        for _ in range(n):
            d, j = bson.decode(b, j)
            docs.append(d)
        return flags, docs

    def cmd_query(self, db, doc):
        r = self.op_query(db + ".$cmd", doc)
        return None if r is None else r[1][0]

    def op_msg(self, db, doc):
        self.rid += 1
        doc = dict(doc)
        doc["$db"] = db
        body = struct.pack("<I", 0) + b"\x00" + bson.encode(doc)
        self.s.sendall(struct.pack("<iiii", 16 + len(body), self.rid, 0, 2013) + body)
        r = self._recv()
        if r is None:
            return None
        op, rto, b = r
        assert op == 2013 and rto == self.rid
        assert b[4] == 0
        d, _ = bson.decode(b, 5)
        return d

    def close(self):
        self.s.close()


# ------------------------------------------------------------------ checks

def es_gen(e):
    v = e["version"]
    if e["product"] == "OpenSearch":
        return "os"
    return int(v.split(".")[0]), int(v.split(".")[1])


def check_es(e):
    tag = e["id"]
    a, p = e["address"], e["port"]
    base = "http://%s:%d" % (a, p)
    st, hd, body = curl(base + "/")
    g = es_gen(e)
    if e["auth"] == "required":
        check(st == 401, "%s: GET / is 401 (got %s)" % (tag, st))
        www = hget(hd, "WWW-Authenticate")
        check(len(www) >= 1, "%s: WWW-Authenticate present" % tag)
        txt = body.decode()
        if g == "os":
            check(www == ['Basic realm="OpenSearch Security"'] and txt == "Unauthorized", "%s: OpenSearch 401" % tag)
        elif g[0] <= 2:
            check('realm="shield"' in www[0] and "AuthenticationException[Missing authentication token]" in txt,
                  "%s: Shield-era 401" % tag)
        else:
            j = json.loads(body)
            reason = j["error"]["reason"]
            check(j["status"] == 401 and j["error"]["type"] == "security_exception", "%s: 401 body shape" % tag)
            want = "missing authentication token" if g[0] in (5, 6) else "missing authentication credentials"
            check(reason == want + " for REST request [/]", "%s: 401 wording %r" % (tag, reason))
            if g[0] >= 8:
                check(www == ['Basic realm="security" charset="UTF-8"', "ApiKey"], "%s: 8.x Basic+ApiKey" % tag)
            else:
                check(www == ['Basic realm="security" charset="UTF-8"'], "%s: single WWW-Authenticate" % tag)
        st, hd, body = curl(base + "/_cat/indices?format=json&bytes=b")
        check(st == 401, "%s: _cat/indices 401" % tag)
        if g != "os" and g[0] >= 5:
            check("[/_cat/indices?format=json&bytes=b]" in body.decode(), "%s: reason names the path" % tag)
        check(not hget(hd, "X-elastic-product"), "%s: no X-elastic-product on 401" % tag)
        return
    check(st == 200, "%s: GET / 200" % tag)
    root = json.loads(body)
    check(root["version"]["number"] == e["version"], "%s: version %s" % (tag, root["version"]["number"]))
    if e["product"] == "OpenSearch":
        check(root["tagline"] == "The OpenSearch Project: https://opensearch.org/", "%s: OpenSearch tagline" % tag)
        if e["version"] == "7.10.2":
            check("distribution" not in root["version"], "%s: compat mode has no distribution" % tag)
        else:
            check(root["version"].get("distribution") == "opensearch", "%s: distribution opensearch" % tag)
        check(not hget(hd, "X-elastic-product"), "%s: no X-elastic-product" % tag)
    else:
        check(root["tagline"] == "You Know, for Search", "%s: tagline" % tag)
        check(("status" in root) == (g[0] == 1), "%s: top-level status only on 1.x" % tag)
        check(bool(hget(hd, "X-elastic-product")) == (g >= (7, 14)), "%s: X-elastic-product iff 7.14+" % tag)
        w = hget(hd, "Warning")
        check(bool(w) == ((7, 13) <= g < (8, 0)), "%s: Warning 299 iff 7.13-7.17" % tag)
        if w:
            check(w[0].startswith("299 Elasticsearch-%s-" % e["version"]) and "security features are not enabled"
                  in w[0], "%s: Warning text" % tag)
    ct = hget(hd, "content-type")[0]
    check(ct == ("application/json" if g != "os" and g[0] >= 8 else "application/json; charset=UTF-8"),
          "%s: content-type %r" % (tag, ct))
    check(body.endswith(b"}\n") and b'" : ' in body, "%s: GET / pretty with trailing LF" % tag)
    # keep-alive client: cat indices, mapping, health, HEAD, unknown path on one connection
    c = Http(a, p)
    st, hd2, b2 = c.req("GET", "/_cat/indices?format=json&bytes=b")
    rows = json.loads(b2)
    check(st == 200 and all(all(isinstance(v, str) for v in r.values()) for r in rows),
          "%s: _cat/indices JSON string-valued" % tag)
    d = e["data"]
    check(len(rows) == d["collections"], "%s: collections %d" % (tag, len(rows)))
    check(sum(int(r["docs.count"]) for r in rows) == d["records"], "%s: records" % tag)
    check(sum(int(r["store.size"]) for r in rows) == d["bytes"], "%s: bytes" % tag)
    check([r["index"] for r in rows] == d["names"], "%s: names" % tag)
    if g != "os" and g[0] >= 5 or g == "os":
        check("uuid" in rows[0] and "status" in rows[0], "%s: uuid+status columns" % tag)
    st, _, b3 = c.req("GET", "/_mapping")
    m = json.loads(b3)
    fields = set()

    def walk(props, pre=""):
        for k, v in props.items():
            if "properties" in v:
                walk(v["properties"], pre + k + ".")
            else:
                fields.add(pre + k)
    typed = g != "os" and g[0] <= 6
    for ix, v in m.items():
        mp = v["mappings"]
        if typed:
            check(len(mp) == 1 and "properties" in list(mp.values())[0], "%s: typed mapping for %s" % (tag, ix))
            walk(list(mp.values())[0]["properties"])
        else:
            check("properties" in mp, "%s: typeless mapping for %s" % (tag, ix))
            walk(mp["properties"])
    check(fields == set(d["fields"]), "%s: mapping fields == manifest fields" % tag)
    st, _, b4 = c.req("GET", "/_all/_mapping")
    check(json.loads(b4) == m, "%s: /_all/_mapping same" % tag)
    st, _, b5 = c.req("GET", "/_cluster/health")
    h = json.loads(b5)
    check(st == 200 and h["status"] in ("green", "yellow") and "number_of_nodes" in h, "%s: cluster health" % tag)
    st, hh, b6 = c.req("HEAD", "/")
    check(st == 200 and b6 == b"" and dict((k.lower(), v) for k, v in hh).get("content-length") == str(len(body)),
          "%s: HEAD / headers, no body" % tag)
    st, _, _ = c.req("GET", "/_search")
    check(400 <= st < 500, "%s: _search refused (%d)" % (tag, st))
    st, _, _ = c.req("GET", "/")
    check(st == 200, "%s: keep-alive still serving" % tag)
    c.close()
    if g != "os" and g[0] == 1:
        st, hd, txt = curl(base + "/_cat/indices?bytes=b")
        lines = txt.decode().strip().split("\n")
        check(st == 200 and hget(hd, "Content-Type")[0].startswith("text/plain"), "%s: text cat" % tag)
        cols = [ln.split() for ln in lines]
        check(len(cols) == d["collections"] and all(len(x) == 9 for x in cols), "%s: text cat 9 columns" % tag)
        check(sum(int(x[7]) for x in cols) == d["bytes"] and sum(int(x[5]) for x in cols) == d["records"],
              "%s: text cat sums" % tag)


def check_kibana(k, by_id):
    tag = k["id"]
    tls = k["transport"] == "tls"
    base = "%s://%s:%d" % ("https" if tls else "http", k["address"], k["port"])
    es = [e for e in by_id.values() if e["service"] == "elasticsearch" and e["address"] == k["via"]["address"]][0]
    check(k["data"] == es["data"], "%s: data = data of the ES behind" % tag)
    v = k["version"]
    major = int(v.split(".")[0])
    st, hd, body = curl(base + "/api/status")
    if tls:
        facts = k["tls"]
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with socket.create_connection((k["address"], k["port"]), timeout=5) as s:
            with ctx.wrap_socket(s) as ts:
                der = ts.getpeercert(binary_form=True)
        check(hashlib.sha256(der).hexdigest() == facts["sha256"], "%s: cert sha256 matches manifest" % tag)
        check(facts["subject_cn"] == "es-cn-shanghai.kibana.example" and facts["self_signed"] and
              facts["not_before"] == "2017-01-01T00:00:00Z" and facts["not_after"] == "2018-01-01T00:00:00Z" and
              facts["key"] == "rsa-2048", "%s: cert facts %r" % (tag, facts))
    if k["auth"] == "required":
        if v.startswith("4.1"):
            check(st == 401 and hget(hd, "WWW-Authenticate") == ['Basic realm="undefined"'] and
                  not [h for h, _ in hd if h.lower().startswith("kbn-")], "%s: 4.1 Express 401" % tag)
            st, hd, body = curl(base + "/")
            check(st == 401 and body == b"401 Unauthorized", "%s: 4.1 body" % tag)
        elif major >= 7:
            check(st == 401 and json.loads(body) == {"statusCode": 401, "error": "Unauthorized",
                                                     "message": "Unauthorized"}, "%s: /api/status 401" % tag)
            st, hd, _ = curl(base + "/")
            check(st == 302 and hget(hd, "location") == ["/login?next=%2F"], "%s: / -> /login" % tag)
            check(bool(hget(hd, "kbn-license-sig")) and bool(hget(hd, "kbn-name")), "%s: kbn headers" % tag)
        else:
            check(st == 302 and hget(hd, "location") == ["/login?next=%2Fapi%2Fstatus"],
                  "%s: /api/status -> 302 /login" % tag)
            check(bool(hget(hd, "kbn-xpack-sig")), "%s: kbn-xpack-sig" % tag)
            check(bool(hget(hd, "kbn-version")) == (v < "6.4"), "%s: kbn-version iff <=6.3" % tag)
        if not v.startswith("4."):
            st, _, _ = curl(base + "/api/console/proxy?path=%2F&method=GET", "-X", "POST", "-H", "kbn-xsrf: 1")
            check(st in (302, 401), "%s: console proxy needs login (%d)" % (tag, st))
        return
    check(st == 200, "%s: /api/status 200" % tag)
    s = json.loads(body)
    if major < 6:
        check(s["version"] == v and "buildNum" in s, "%s: 4.x/5.x status version string" % tag)
    else:
        check(s["version"]["number"] == v, "%s: status version.number" % tag)
        key = "level" if major >= 8 else "state"
        check(key in s["status"]["overall"], "%s: status.overall.%s" % (tag, key))
    check(hget(hd, "kbn-name") != [], "%s: kbn-name" % tag)
    check(hget(hd, "kbn-version") == ([v] if major < 6 or v < "6.4" else []), "%s: kbn-version iff <=6.3" % tag)
    if major >= 7:
        check(len(hget(hd, "kbn-license-sig")[0]) == 64, "%s: kbn-license-sig" % tag)
    # console proxy (python keep-alive client)
    c = Http(k["address"], k["port"], tls=tls)
    if major == 4:
        st, _, b = c.req("GET", "/elasticsearch/_cat/indices?format=json&bytes=b")
        st2, _, broot = c.req("GET", "/elasticsearch/")
        st3, _, _ = c.req("GET", "/elasticsearch/_search")
    else:
        st0, _, b0 = c.req("POST", "/api/console/proxy?path=%s&method=GET" % quote("/_cat/indices", safe=""))
        check(st0 == 400 and b"kbn-xsrf" in b0, "%s: proxy without kbn-xsrf -> 400" % tag)
        x = {"kbn-xsrf": "true"}
        st, _, b = c.req("POST", "/api/console/proxy?path=%s&method=GET" %
                         quote("/_cat/indices?format=json&bytes=b", safe=""), x)
        st2, _, broot = c.req("POST", "/api/console/proxy?path=%2F&method=GET", x)
        st3, _, _ = c.req("POST", "/api/console/proxy?path=%2Fcustomers%2F_doc%2F1&method=PUT", x)
        st4, _, b4 = c.req("POST", "/api/console/proxy?path=%2F_mapping&method=GET", x)
        check(st4 == 200 and len(json.loads(b4)) == es["data"]["collections"], "%s: proxied _mapping" % tag)
    rows = json.loads(b)
    check(st == 200 and len(rows) == es["data"]["collections"] and
          sum(int(r["docs.count"]) for r in rows) == es["data"]["records"] and
          sum(int(r["store.size"]) for r in rows) == es["data"]["bytes"], "%s: proxied _cat/indices == ES behind" % tag)
    check(st2 == 200 and json.loads(broot)["version"]["number"] == es["version"], "%s: proxied GET /" % tag)
    check(st3 == 400, "%s: proxy refuses non-read (%d)" % (tag, st3))
    c.close()


def check_mongo(m):
    tag = m["id"]
    a, p = m["address"], m["port"]
    ver = m["version"]
    vt = tuple(int(x) for x in ver.split("-")[0].split(".")[:2])
    legacy = vt < (3, 6)
    tls = m.get("transport") == "tls"
    st, hd, body = curl("%s://%s:%d/" % ("https" if tls else "http", a, p), "--http1.0", "-k")
    check(st == 200 and b"It looks like you are trying to access MongoDB over HTTP on the native driver port." in body,
          "%s: HTTP on native port" % tag)
    if tls:
        try:
            plain = MongoClient(a, p)
            check(plain.cmd_query("admin", {"isMaster": 1}) is None, "%s: no answer in plain" % tag)
        except OSError:
            check(True, "%s: no answer in plain" % tag)
    c = MongoClient(a, p, tls)
    im = c.cmd_query("admin", {"isMaster": 1})
    check(im is not None and im.get("ismaster") is True and im["ok"] == 1.0, "%s: OP_QUERY isMaster" % tag)
    wire = {(2, 6): 2, (3, 2): 4, (3, 6): 6, (4, 4): 9, (6, 0): 17}[vt]
    check(im["maxWireVersion"] == wire, "%s: maxWireVersion %d" % (tag, im["maxWireVersion"]))
    bi = c.cmd_query("admin", {"buildinfo": 1}) if vt < (5, 1) else None
    if bi is not None:
        check(bi.get("version") == ver, "%s: OP_QUERY buildinfo version" % tag)
    if legacy:
        ld = c.cmd_query("admin", {"listDatabases": 1.0})
    else:
        if vt >= (5, 1):
            r = c.cmd_query("admin", {"listDatabases": 1})
            check(r["ok"] == 0 and r["code"] == 352, "%s: 6.0 refuses OP_QUERY listDatabases" % tag)
        c.close()
        c = MongoClient(a, p)
        h = c.op_msg("admin", {"hello": 1})
        if vt >= (4, 4):
            check(h["ok"] == 1.0 and h["isWritablePrimary"] is True, "%s: OP_MSG hello" % tag)
        else:
            check(h["ok"] == 0.0 and h["code"] == 59, "%s: hello unknown before 4.4" % tag)
        bi = c.op_msg("admin", {"buildInfo": 1})
        check(bi["version"] == ver and bi["ok"] == 1.0, "%s: OP_MSG buildInfo %s" % (tag, bi.get("version")))
        ld = c.op_msg("admin", {"listDatabases": 1.0})
    d = m["data"]
    if m["auth"] == "required":
        check(ld["ok"] == 0 and ld["code"] == 13, "%s: listDatabases code 13" % tag)
        if vt >= (4, 0):
            check(ld["errmsg"] == "command listDatabases requires authentication" and
                  ld["codeName"] == "Unauthorized", "%s: 4.x+ wording" % tag)
        else:
            want = "not authorized on admin to execute command { listDatabases: 1.0%s }" % (
                ', $db: "admin"' if not legacy else "")
            check(ld["errmsg"] == want, "%s: 3.x wording %r" % (tag, ld["errmsg"]))
            check(("codeName" in ld) == (vt >= (3, 4)), "%s: codeName iff 3.4+" % tag)
        run = c.cmd_query if legacy else c.op_msg
        r = run("crm", {"collStats": "customers"})
        check(r["ok"] == 0 and r["code"] == 13, "%s: collStats code 13" % tag)
        c.close()
        return
    check(ld["ok"] == 1.0, "%s: listDatabases ok" % tag)
    dbs = [x["name"] for x in ld["databases"]]
    check(len(dbs) == d["databases"], "%s: databases %d" % (tag, len(dbs)))
    check(int(sum(float(x["sizeOnDisk"]) for x in ld["databases"])) == d["bytes"] == int(float(ld["totalSize"])),
          "%s: bytes == sum sizeOnDisk == totalSize" % tag)
    names, recs = [], 0
    run = c.cmd_query if legacy else c.op_msg
    for db in dbs:
        if vt < (3, 0):
            r = c.op_query(db + ".system.namespaces", {})
            colls = [x["name"].split(".", 1)[1] for x in r[1] if "$" not in x["name"] and
                     not x["name"].endswith(".system.indexes")]
        else:
            r = run(db, {"listCollections": 1})
            check(r["ok"] == 1.0 and r["cursor"]["id"] == 0, "%s: listCollections %s" % (tag, db))
            colls = [x["name"] for x in r["cursor"]["firstBatch"]]
            if vt >= (3, 4):
                check(all(x.get("type") == "collection" for x in r["cursor"]["firstBatch"]),
                      "%s: listCollections type" % tag)
        for cn in colls:
            names.append("%s.%s" % (db, cn))
            cs = run(db, {"collStats": cn})
            check(cs["ok"] == 1.0 and "storageSize" in cs and "size" in cs, "%s: collStats %s.%s" % (tag, db, cn))
            recs += cs["count"]
            if vt >= (3, 6):
                ag = run(db, {"aggregate": cn, "pipeline": [{"$collStats": {"storageStats": {}}}], "cursor": {}})
                ss = ag["cursor"]["firstBatch"][0]["storageStats"]
                check(ss["count"] == cs["count"] and ss["size"] == cs["size"], "%s: $collStats %s.%s" % (tag, db, cn))
    check(sorted(names) == sorted(d["names"]) and len(names) == d["collections"], "%s: collections/names" % tag)
    check(recs == d["records"], "%s: records %d" % (tag, recs))
    bad = run("crm", {"find": "customers"})
    check(bad["ok"] == 0, "%s: find refused" % tag)
    if legacy:
        c.close()
        c = MongoClient(a, p)
        r = c.op_msg("admin", {"isMaster": 1})
        check(r is None, "%s: legacy server hangs up on OP_MSG" % tag)
    else:
        r = c.cmd_query("admin", {"isMaster": 1}) if vt >= (5, 1) else None
        if r is not None:
            check(r["ok"] == 1.0, "%s: 6.0 still answers OP_QUERY isMaster" % tag)
    c.close()


# ------------------------------------------------------------------ Bolt and RethinkDB (emu_graph)

def _conn(e):
    s = socket.create_connection((e["address"], e["port"]), timeout=5)
    if e["transport"] == "tls":
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s)
    return s


def _recv_all(s, n):
    buf = b""
    while len(buf) < n:
        d = s.recv(n - len(buf))
        if not d:
            break
        buf += d
    return buf


def check_bolt(e):
    """Handshake (5.8-5.0, 4.4-4.1, 3, 1), then the scheme-none login; the answer says the auth."""
    s = _conn(e)
    s.sendall(bytes.fromhex("6060b017 00080805 00030404 00000003 00000001".replace(" ", "")))
    v = _recv_all(s, 4)
    if e["auth"] == "unknown":
        check(v == b"\0\0\0\0" and s.recv(16) == b"", "%s: no common Bolt version, close" % e["id"])
        s.close()
        return
    check(len(v) == 4 and v[:2] == b"\0\0", "%s: Bolt version %r" % (e["id"], v))
    major, minor = v[3], v[2]

    def pstr(x):
        return bytes([0x80 | len(x)]) + x.encode() if len(x) < 16 else b"\xd0" + bytes([len(x)]) + x.encode()

    def msg(body):
        return struct.pack(">H", len(body)) + body + b"\0\0"

    none = b"\xa1" + pstr("scheme") + pstr("none")
    if major <= 2:
        out = msg(b"\xb2\x01" + pstr("ajar-test/1") + none)
    elif major == 5 and minor >= 1:
        out = msg(b"\xb1\x01\xa1" + pstr("user_agent") + pstr("ajar-test/1")) + msg(b"\xb1\x6a" + none)
    else:
        out = msg(b"\xb1\x01\xa2" + pstr("user_agent") + pstr("ajar-test/1") + pstr("scheme") + pstr("none"))
    s.sendall(out)
    time.sleep(0.3)
    s.settimeout(1)
    got = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            got += d
    except OSError:
        pass
    s.close()
    if e["version"]:
        check(("Neo4j/" + e["version"]).encode() in got, "%s: server names Neo4j/%s" % (e["id"], e["version"]))
    if e["auth"] == "none":
        check(b"\xb1\x7f" not in got and got.endswith(b"\xb1\x70\xa0\x00\x00") or
              (major < 5 or minor == 0) and got[2:4] == b"\xb1\x70", "%s: login SUCCESS" % e["id"])
    else:
        check(b"Neo.ClientError.Security.Unauthorized" in got, "%s: login FAILURE Unauthorized" % e["id"])


def check_rethinkdb(e):
    """V1_0 magic: version message (2.3) or the ERROR line (older); then the empty admin login."""
    import base64 as b64
    import hmac as hm
    s = _conn(e)
    s.sendall(bytes.fromhex("c3bdc234"))
    first = b""
    while not first.endswith(b"\0"):
        d = s.recv(1)
        if not d:
            break
        first += d
    if e["version"] is None:
        check(first.startswith(b"ERROR: Received an unsupported protocol version"), "%s: old-server ERROR" % e["id"])
        s.close()
        s = _conn(e)
        s.sendall(bytes.fromhex("202d0c40 00000000 c770697e".replace(" ", "")))
        got = s.recv(4096)
        s.close()
        if e["auth"] == "none":
            check(got == b"SUCCESS\0", "%s: V0_4 empty key SUCCESS" % e["id"])
        else:
            check(got.startswith(b"ERROR: Incorrect authorization key."), "%s: V0_4 key refused" % e["id"])
        return
    m = json.loads(first[:-1])
    check(m.get("server_version") == e["version"] and m.get("success") is True, "%s: version message" % e["id"])
    cnonce = "ajarTestNonce0123456789"
    s.sendall(json.dumps({"protocol_version": 0, "authentication_method": "SCRAM-SHA-256",
                          "authentication": "n,,n=admin,r=" + cnonce}).encode() + b"\0")

    def read_msg():
        buf = b""
        while not buf.endswith(b"\0"):
            d = s.recv(1)
            if not d:
                break
            buf += d
        return json.loads(buf[:-1])

    sf = read_msg()["authentication"]
    attrs = dict(x.split("=", 1) for x in sf.split(","))
    check(attrs["r"].startswith(cnonce), "%s: server nonce extends ours" % e["id"])
    salted = hashlib.pbkdf2_hmac("sha256", b"", b64.b64decode(attrs["s"]), int(attrs["i"]))
    ckey = hm.new(salted, b"Client Key", hashlib.sha256).digest()
    without = "c=biws,r=" + attrs["r"]
    auth = ",".join(["n=admin,r=" + cnonce, sf, without]).encode()
    csig = hm.new(hashlib.sha256(ckey).digest(), auth, hashlib.sha256).digest()
    proof = b64.b64encode(bytes(a ^ b for a, b in zip(ckey, csig))).decode()
    s.sendall(json.dumps({"authentication": without + ",p=" + proof}).encode() + b"\0")
    fin = read_msg()
    s.close()
    if e["auth"] == "none":
        skey = hm.new(salted, b"Server Key", hashlib.sha256).digest()
        want = "v=" + b64.b64encode(hm.new(skey, auth, hashlib.sha256).digest()).decode()
        check(fin.get("success") is True and fin.get("authentication") == want, "%s: empty admin password, "
              "server signature verifies" % e["id"])
    else:
        check(fin.get("success") is False and fin.get("error_code") == 12, "%s: wrong password (12)" % e["id"])


def check_kafka(e):
    """An emulated Kafka broker (emu_kafka.py) answers ApiVersions v4 under our correlation id
    (tests/lab/emu/test_emu_kafka.py checks every recorded answer)."""
    s = socket.create_connection((e["address"], e["port"]), timeout=5)
    if e["transport"] == "tls":
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s = ctx.wrap_socket(s)
    hdr = struct.pack(">hhih", 18, 4, 4242, 4) + b"ajar\x00" + b"\x05ajar\x040.1\x00"
    s.sendall(struct.pack(">i", len(hdr)) + hdr)
    got = b""
    while len(got) < 10:
        c = s.recv(4096)
        if not c:
            break
        got += c
    s.close()
    check(len(got) >= 10 and struct.unpack(">i", got[4:8])[0] == 4242 and got[8:10] in (b"\x00\x00", b"\x00\x23"),
          "%s: ApiVersions answered under our correlation id" % e["id"])
def check_mssql(e):
    """PRELOGIN answered with the recorded bytes; the TLS handshake inside PRELOGIN packets where the
    answer asks for it; the empty sa login answered with LOGINACK (open) or ERROR 18456 (locked)."""
    import ssl
    import struct
    import emu_mssql
    tag = e["id"]
    inst = [i for i in emu_mssql.INSTANCES if i["id"] == tag][0]
    want = emu_mssql.load_hex(inst["prelogin"])
    s = socket.create_connection((e["address"], e["port"]), timeout=5)
    try:
        pre = bytes.fromhex("1201002f00000100" "00001a0006" "0100200001" "0200210001" "0300220004"
                            "0400260001" "ff" "000000000000" "00" "00" "00000000" "00")
        s.sendall(pre)
        conn = emu_mssql.Conn(s)
        t, status, payload = conn.packet()
        check(struct.pack(">BBH", t, status, len(payload) + 8) + want[4:8] + payload == want,
              "%s: PRELOGIN answer is the recorded one" % tag)
        obj = None
        if e["tls"]:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
            obj = ctx.wrap_bio(inc, out)
            while True:
                try:
                    obj.do_handshake()
                    done = True
                except ssl.SSLWantReadError:
                    done = False
                fl = out.read()
                if fl:
                    s.sendall(emu_mssql.tds_packets(0x12, fl))
                if done:
                    break
                t, status, payload = conn.packet()
                inc.write(payload)
            check(True, "%s: TLS handshake inside PRELOGIN packets" % tag)
            conn.tls = (obj, inc, out)
            conn.tls_read = conn.tls_write = True
        strs = ["ajar", "sa", "", "ajar", "", None, "ajar", "", ""]
        fixed = bytearray(94)
        data = b""
        for k, v in enumerate(strs):
            if v is not None:
                struct.pack_into("<HH", fixed, 36 + 4 * k, 94 + len(data), len(v))
                data += v.encode("utf-16-le")
        struct.pack_into("<IIII", fixed, 0, 94 + len(data), 0x74000004, 4096, 0)
        conn.send(emu_mssql.tds_packets(0x10, bytes(fixed) + data))
        if "ENCRYPT_OFF" in e["notes"]:
            conn.tls_read = conn.tls_write = False
        t, _payload = conn.message()
        if e["auth"] == "none":
            check(b"\xad\x36\x00" in _payload, "%s: the empty sa login gets a LOGINACK" % tag)
        else:
            check(_payload[:1] == b"\xaa" and _payload[3:7] == struct.pack("<I", 18456),
                  "%s: the empty sa login gets ERROR 18456" % tag)
    finally:
        s.close()


def main():
    lab = tempfile.mkdtemp(prefix="emulab-test-")
    mf = os.path.join(lab, "manifest.emu.json")
    t0 = time.time()
    p = subprocess.run([sys.executable, EMULAB, "up", "--lab-dir", lab, "--manifest-out", mf],
                       capture_output=True, text=True)
    dt = time.time() - t0
    print(p.stdout.strip())
    if not check(p.returncode == 0, "emulab up rc 0 (%s)" % p.stderr.strip()[-500:]):
        print("%d passed, %d failed" % (PASSED, FAILED))
        return 1
    check(dt < 10, "up took %.1fs (< 10s)" % dt)
    try:
        entries = json.load(open(mf))
        check(isinstance(entries, list) and len(entries) > 40, "manifest is an array of %d" % len(entries))
        keys = {"id", "address", "port", "transport", "service", "product", "version", "auth", "tls", "data", "via",
                "kind", "notes"}
        ids = set()
        for e in entries:
            check(set(e) == keys, "%s: manifest keys" % e["id"])
            check(e["kind"] == "emulated", "%s: kind emulated" % e["id"])
            o = [int(x) for x in e["address"].split(".")]
            # the emulation plan: 127.0.20-39 (Elasticsearch, Kibana, MongoDB), 127.0.50-69 (plugins:
            # emu_kafka 50, emu_mssql 51, emu_graph 52, emu_cases' rows 53-69)
            ok = o[0] == 127 and o[1] == 0 and (20 <= o[2] <= 39 or 50 <= o[2] <= 69)
            check(ok, "%s: address in the emulation plan (127.0.20-39, 127.0.50-69)" % e["id"])
            check(e["id"] not in ids, "%s: unique id" % e["id"])
            ids.add(e["id"])
        for fam in ("es", "kibana", "mongodb"):
            check(os.path.exists(os.path.join(lab, "pids", "emu-%s.pid" % fam)), "pid file emu-%s.pid" % fam)
        by_id = {e["id"]: e for e in entries}
        for e in entries:
            try:
                if e["service"] == "elasticsearch":
                    check_es(e)
                elif e["service"] == "kibana":
                    check_kibana(e, by_id)
                elif e["service"] == "kafka":
                    check_kafka(e)
                elif e["service"] == "mssql":
                    check_mssql(e)
                elif e["service"] == "neo4j-bolt":
                    check_bolt(e)
                elif e["service"] == "rethinkdb":
                    check_rethinkdb(e)
                elif e["service"] == "mongodb":
                    check_mongo(e)
                else:  # a recorded case served by emu_cases.py: it accepts a connection
                    socket.create_connection((e["address"], e["port"]), timeout=5).close()
                    check(True, "%s: accepts a connection" % e["id"])
            except Exception as ex:  # one broken instance must not hide the others
                check(False, "%s: exception %r" % (e["id"], ex))
        sh = [e for e in entries if e["id"].startswith("kibana-shanghai")]
        check(len(sh) == 3 and len({e["tls"]["sha256"] for e in sh}) == 1, "shanghai: 3 hosts share one cert")
        check(all(e["data"]["records"] > 100_000_000 and e["data"]["bytes"] > 1024 ** 4 and
                  "contact_for_data" in e["data"]["names"] for e in sh), "shanghai: huge person data + ransom note")
        # idempotent up: a second up replaces the first
        p2 = subprocess.run([sys.executable, EMULAB, "up", "--lab-dir", lab, "--manifest-out", mf],
                            capture_output=True, text=True)
        check(p2.returncode == 0, "second up (idempotent) rc 0 %s" % p2.stderr[-300:])
    finally:
        pids = []
        for fn in os.listdir(os.path.join(lab, "pids")):
            try:
                pids.append(int(open(os.path.join(lab, "pids", fn)).read()))
            except (OSError, ValueError):
                pass
        d = subprocess.run([sys.executable, EMULAB, "down", "--lab-dir", lab], capture_output=True, text=True)
        check(d.returncode == 0, "emulab down rc 0")
        time.sleep(0.2)
        alive = [pid for pid in pids if os.path.exists("/proc/%d" % pid) and
                 open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[0] != "Z"]
        check(not alive, "down killed the emulator pids %r" % alive)
        try:
            socket.create_connection(("127.0.20.5", 9200), timeout=0.5).close()
            check(False, "listener closed after down")
        except OSError:
            check(True, "listener closed after down")
        d2 = subprocess.run([sys.executable, EMULAB, "down", "--lab-dir", lab], capture_output=True, text=True)
        check(d2.returncode == 0, "second down (idempotent) rc 0")
    print("%d passed, %d failed" % (PASSED, FAILED))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
