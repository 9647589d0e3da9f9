#!/usr/bin/env python3
# tests/probe/tools/mongodb-fixtures-a.py -- build the MongoDB probe's replay cases
# (tests/probe/cases/mongodb/<case>/N.resp) as wire bytes: BSON-encoded replies wrapped
# in OP_MSG (2013) or OP_REPLY (1), answering the probe's requests in order.
#
#   python3 tests/probe/tools/mongodb-fixtures-a.py [FIXTURES_DIR]   (default ../shared/fixtures)
#
# MongoDB cannot run here, so the reply documents come from the REAL recorded JSON in
# /work/shared/fixtures/mongodb (see its SOURCES.md), converted from extended JSON; where no
# recording exists the document is INVENTED from the MongoDB manual's shapes and marked so
# below and in tests/probe/cases/mongodb/README.md. Turn N answers the probe's request N, so
# responseTo = N (the probe numbers its requests 1, 2, ... across connections).
# expect.json files are written by hand. Standard library only.

import base64
import json
import os
import re
import struct
import sys

ROOT = os.path.dirname(os.path.abspath(__file__)) + "/../../.."
FIX = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "fixtures")
OUT = os.path.join(ROOT, "tests", "probe", "cases", "mongodb")


class Int64(int):
    pass


class Raw:
    def __init__(self, t, b):
        self.t, self.b = t, b


def ext_hook(o):
    if "$numberLong" in o and len(o) == 1:
        return Int64(int(o["$numberLong"]))
    if "$numberDouble" in o and len(o) == 1:
        return float(o["$numberDouble"])
    if "$oid" in o and len(o) == 1:
        return Raw(0x07, bytes.fromhex(o["$oid"]))
    if "$date" in o and len(o) == 1:
        v = o["$date"]
        return Raw(0x09, struct.pack("<q", int(v) if not isinstance(v, str) else 0))
    if "$timestamp" in o and len(o) == 1:
        return Raw(0x11, struct.pack("<II", o["$timestamp"]["i"], o["$timestamp"]["t"]))
    if "$binary" in o and len(o) == 1:
        b = base64.b64decode(o["$binary"]["base64"])
        return Raw(0x05, struct.pack("<i", len(b)) + bytes([int(o["$binary"]["subType"], 16)]) + b)
    return o


def load(rel):
    with open(os.path.join(FIX, "mongodb", rel)) as f:
        return json.load(f, object_hook=ext_hook)


def load_mongosh(rel):
    """mongosh rendering (single quotes, bare keys) -> dict; enough for buildinfo.mongosh.txt."""
    with open(os.path.join(FIX, "mongodb", rel)) as f:
        t = f.read()
    t = re.sub(r"(?m)(^\s*|\{\s*)([A-Za-z_$][\w$]*):", r'\1"\2":', t)
    t = t.replace("'", '"')
    return json.loads(t, object_hook=ext_hook)


def cstr(s):
    return s.encode() + b"\0"


def element(k, v):
    if isinstance(v, bool):
        return b"\x08" + cstr(k) + (b"\x01" if v else b"\x00")
    if isinstance(v, Int64):
        return b"\x12" + cstr(k) + struct.pack("<q", v)
    if isinstance(v, int):
        if -2**31 <= v < 2**31:
            return b"\x10" + cstr(k) + struct.pack("<i", v)
        return b"\x12" + cstr(k) + struct.pack("<q", v)
    if isinstance(v, float):
        return b"\x01" + cstr(k) + struct.pack("<d", v)
    if isinstance(v, str):
        b = v.encode()
        return b"\x02" + cstr(k) + struct.pack("<i", len(b) + 1) + b + b"\0"
    if isinstance(v, dict):
        return b"\x03" + cstr(k) + doc(v)
    if isinstance(v, list):
        return b"\x04" + cstr(k) + doc({str(i): x for i, x in enumerate(v)})
    if v is None:
        return b"\x0a" + cstr(k)
    if isinstance(v, Raw):
        return bytes([v.t]) + cstr(k) + v.b
    raise TypeError(type(v))


def doc(d):
    body = b"".join(element(k, v) for k, v in d.items())
    return struct.pack("<i", len(body) + 5) + body + b"\0"


def server_ok(d):
    """The server sends ok as a double; the JSON renderings print 1 / 0."""
    d = dict(d)
    if "ok" in d and isinstance(d["ok"], int) and not isinstance(d["ok"], bool):
        d["ok"] = float(d["ok"])
    return d


def op_msg(reqid, d):
    body = struct.pack("<I", 0) + b"\x00" + doc(server_ok(d))
    return struct.pack("<iiii", 16 + len(body), 1000 + reqid, reqid, 2013) + body


def op_reply(reqid, d):
    body = struct.pack("<iqii", 8, 0, 0, 1) + doc(server_ok(d))   # flags: AwaitCapable
    return struct.pack("<iiii", 16 + len(body), 1000 + reqid, reqid, 1) + body


def write_case(name, turns, readme):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.endswith(".resp") or f.endswith(".eof"):
            os.unlink(os.path.join(d, f))
    for i, t in enumerate(turns, 1):
        kind = t[0]
        if kind == "msg":
            data = op_msg(i, t[1])
        elif kind == "reply":
            data = op_reply(i, t[1])
        elif kind == "raw":
            data = t[1]
        elif kind == "eof":
            data = b""
        with open(os.path.join(d, "%d.resp" % i), "wb") as f:
            f.write(data)
        if kind == "eof" or (len(t) > 2 and t[2] == "eof"):
            open(os.path.join(d, "%d.eof" % i), "w").close()
    with open(os.path.join(d, "SOURCE"), "w") as f:
        f.write(readme.strip() + "\n")


def err(msg, code, name):
    return {"ok": 0, "errmsg": msg, "code": code, "codeName": name}


def main():
    hello_sa = load("spec-sdam/hello_standalone.json")
    hello_rs8 = load("8.0-rs/hello_rs_primary.json")
    ism_26 = load("2.6.10/ismaster_rs_primary.json")
    ism_legacy = load("spec-sdam/ismaster_legacy_standalone.json")
    bi_26 = load("2.6.11-enterprise/buildinfo.json")
    bi_32 = load("3.2.0-rc2-enterprise/buildinfo.json")
    bi_60 = load_mongosh("6.0.6-windows/buildinfo.mongosh.txt")
    ld_32 = load("docs-3.2/listdatabases.json")
    ld_5x = load("docs-5.x-8.0/listdatabases.json")
    un_36 = load("3.6.4/listdatabases_unauth.json")
    un_4x = load("4.x/listdatabases_unauth.json")
    with open(os.path.join(FIX, "mongodb/any-3.x-8.x/http_on_native_port.http.txt"), "rb") as f:
        http_text = f.read()
    # the .http.txt keeps LF line ends; the wire has CRLF in the head
    head, _, body = http_text.partition(b"\n\n")
    http_wire = head.replace(b"\n", b"\r\n") + b"\r\n\r\n" + body

    def cursor(ns, batch):
        return {"cursor": {"id": Int64(0), "ns": ns, "firstBatch": batch}, "ok": 1}

    # INVENTED shapes (MongoDB manual): listCollections cursor, collStats, $collStats
    write_case("open-6.0-collstats", [
        ("msg", hello_sa),
        ("msg", bi_60),
        ("msg", ld_5x),
        ("msg", cursor("test.$cmd.listCollections", [
            {"name": "customers", "type": "collection"},
            {"name": "orders", "type": "collection"},
            {"name": "recent_orders", "type": "view"}])),
        ("msg", {"ns": "test.customers", "size": 5120, "count": 40, "avgObjSize": 128,
                 "storageSize": 20480, "nindexes": 1, "ok": 1}),
        ("msg", {"ns": "test.orders", "size": 7680, "count": 60, "avgObjSize": 128,
                 "storageSize": 24576, "nindexes": 1, "ok": 1}),
    ], """hello: spec-sdam/hello_standalone.json; buildInfo: 6.0.6-windows/buildinfo.mongosh.txt
(converted); listDatabases: docs-5.x-8.0/listdatabases.json; listCollections and collStats: INVENTED
(manual shapes).""")

    write_case("auth-8.0-rs", [
        ("msg", hello_rs8),
        ("msg", err("command buildInfo requires authentication", 13, "Unauthorized")),
        ("msg", un_4x),
    ], """hello: 8.0-rs/hello_rs_primary.json; buildInfo refusal: INVENTED by analogy with the 4.x
listDatabases wording (whether buildInfo answers unauthenticated was not verified); listDatabases:
4.x/listdatabases_unauth.json.""")

    ism_36 = dict(ism_legacy)
    ism_36["maxWireVersion"] = 6
    write_case("auth-3.6-ismaster", [
        ("msg", err("no such command: 'hello'", 59, "CommandNotFound")),
        ("msg", ism_36),
        ("msg", {"version": "3.6.4", "versionArray": [3, 6, 4, 0], "ok": 1}),
        ("msg", un_36),
    ], """hello refused (INVENTED CommandNotFound, as 3.6 answers unknown commands); isMaster:
spec-sdam/ismaster_legacy_standalone.json with maxWireVersion 6 (3.6); buildInfo: INVENTED minimal;
listDatabases: 3.6.4/listdatabases_unauth.json.""")

    write_case("legacy-2.6-enterprise", [
        ("eof",),
        ("reply", ism_26),
        ("reply", bi_26),
        ("reply", ld_32),
    ], """OP_MSG unanswered (a 2.6 server closes on an unknown opcode); then OP_QUERY/OP_REPLY:
isMaster 2.6.10/ismaster_rs_primary.json (localTime string kept as in the recording),
buildInfo 2.6.11-enterprise/buildinfo.json, listDatabases docs-3.2/listdatabases.json.
maxWireVersion 2: no listCollections.""")

    ism_32 = dict(ism_legacy)
    ism_32["maxWireVersion"] = 4
    write_case("legacy-3.2-collstats", [
        ("eof",),
        ("reply", ism_32),
        ("reply", bi_32),
        ("reply", ld_32),
        ("reply", cursor("test.$cmd.listCollections", [
            {"name": "person_info", "options": {}},
            {"name": "system.indexes", "options": {}}])),
        ("reply", {"ns": "test.person_info", "count": 50, "size": 6400, "avgObjSize": 128,
                   "storageSize": 16384, "numExtents": 1, "nindexes": 1, "ok": 1}),
    ], """OP_MSG unanswered; OP_QUERY/OP_REPLY: isMaster spec-sdam/ismaster_legacy_standalone.json
with maxWireVersion 4 (3.2); buildInfo 3.2.0-rc2-enterprise/buildinfo.json; listDatabases
docs-3.2/listdatabases.json; listCollections and collStats INVENTED (3.2 shapes: no type field).""")

    bi_80 = {"version": "8.0.4", "gitVersion": "bc35ab4305d9920d9d0491c1c9ef9b72383d31f9",
             "modules": [], "allocator": "tcmalloc", "javascriptEngine": "mozjs",
             "sysInfo": "deprecated", "versionArray": [8, 0, 4, 0], "bits": 64, "debug": False,
             "maxBsonObjectSize": 16777216, "storageEngines": ["devnull", "wiredTiger"], "ok": 1}
    write_case("aggregate-collstats-8.0", [
        ("msg", hello_rs8),
        ("msg", bi_80),
        ("msg", ld_5x),
        ("msg", cursor("test.$cmd.listCollections", [{"name": "events", "type": "collection"}])),
        ("msg", err("no such command: 'collStats'", 59, "CommandNotFound")),
        ("msg", cursor("test.events", [{"ns": "test.events", "host": "db01:27017",
                                        "localTime": Raw(0x09, struct.pack("<q", 1765902294043)),
                                        "storageStats": {"size": 2048, "count": 12, "avgObjSize": 170,
                                                         "storageSize": 16384, "nindexes": 1}}])),
    ], """hello 8.0-rs/hello_rs_primary.json; buildInfo 8.0: INVENTED (6.0 shape, synthetic
gitVersion); listDatabases docs-5.x-8.0/listdatabases.json; listCollections INVENTED; collStats
refused as CommandNotFound: INVENTED (collStats is deprecated since 6.2, this exercises the
$collStats path); aggregate $collStats reply INVENTED (manual shape).""")

    write_case("ferretdb", [
        ("msg", hello_sa),
        ("msg", {"version": "7.0.77", "gitVersion": "0000000000000000000000000000000000000000",
                 "modules": [], "sysInfo": "deprecated", "versionArray": [7, 0, 77, 0],
                 "bits": 64, "debug": False, "maxBsonObjectSize": 16777216,
                 "ferretdbVersion": "v1.24.0", "ok": 1}),
        ("msg", {"databases": [], "totalSize": 0, "totalSizeMb": 0, "ok": 1}),
    ], """hello spec-sdam/hello_standalone.json; buildInfo INVENTED around the documented
"ferretdbVersion" key; listDatabases INVENTED (empty).""")

    write_case("cosmosdb", [
        ("msg", {"ismaster": True, "maxBsonObjectSize": 16777216, "maxMessageSizeBytes": 48000000,
                 "maxWriteBatchSize": 1000, "localTime": Raw(0x09, struct.pack("<q", 0)),
                 "maxWireVersion": 6, "minWireVersion": 0, "setName": "globaldb", "ok": 1}),
        ("msg", {"version": "3.6.0", "versionArray": [3, 6, 0, 0], "bits": 64, "debug": False,
                 "_t": "BuildInfoResponse", "javascriptEngine": "Chakra",
                 "maxBsonObjectSize": 524288, "ok": 1}),
        ("msg", un_4x),
    ], """Azure Cosmos DB look-alike: hello and buildInfo INVENTED from the facts in
mongodb/notes.md (_t BuildInfoResponse, javascriptEngine Chakra, maxBsonObjectSize 524288) and
setName "globaldb"; listDatabases refusal 4.x/listdatabases_unauth.json.""")

    write_case("http-on-native-port", [("raw", http_wire, "eof")],
               """any-3.x-8.x/http_on_native_port.http.txt, head lines with CRLF as on the wire.""")

    write_case("not-mongodb-http", [("raw", b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n"
                                            b"Content-Length: 0\r\nConnection: close\r\n\r\n", "eof")],
               """Negative: an HTTP server's answer to the binary hello.""")

    wrong = bytearray(op_msg(1, hello_sa))
    wrong[8:12] = struct.pack("<i", 77)
    write_case("not-mongodb-wrong-responseto", [("raw", bytes(wrong))],
               """Negative: a well-formed OP_MSG that answers a request we never sent.""")

    write_case("not-mongodb-silent", [("eof",), ("eof",)],
               """Negative: closed without a word on both connections (OP_MSG, then OP_QUERY).""")

    write_case("not-mongodb-redis", [("raw", b"-ERR unknown command '\\x15', with args beginning with: \r\n", "eof")],
               """Negative: Redis's answer to the bytes of an OP_MSG.""")


if __name__ == "__main__":
    main()
