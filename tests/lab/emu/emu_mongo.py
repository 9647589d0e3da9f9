# EMULATED MongoDB (NOT the real product) for ajar's lab: OP_MSG (3.6+) and legacy
# OP_QUERY/OP_REPLY (2.6, 3.2) wire protocol, metadata commands only.
#
# Follows these recorded responses (copies under recorded/, originals in
# /work/shared/fixtures/mongodb, provenance in recorded/SOURCE.md):
#   2.6.11-enterprise/buildinfo.json, 3.2.0-rc2-enterprise/buildinfo.json  buildInfo, verbatim values
#   6.0.6-windows/buildinfo.mongosh.txt  buildInfo 6.0.6 (converted to recorded/.../buildinfo.json)
#   2.6.10/ismaster_rs_primary.json, spec-sdam/hello_standalone.json, 8.0-rs/hello_rs_primary.json
#                                        isMaster/hello field sets and order (standalone variant)
#   3.6.4/listdatabases_unauth.json      3.x errmsg 'not authorized on admin to execute command {...}'
#   4.x/listdatabases_unauth.json        4.x+ errmsg 'command listDatabases requires authentication'
#   docs-3.2/listdatabases.json, docs-5.x-8.0/listdatabases.json   listDatabases shape/types
#   any-3.x-8.x/http_on_native_port.http.txt   reply to an HTTP request, sent verbatim
#
# INVENTED where no capture exists (marked in code): buildInfo for 3.6.4 and 4.4.29 (3.2/6.0
# shape, synthetic gitVersion), listCollections/collStats/$collStats replies (shapes from the
# MongoDB manual as remembered), error texts for unknown commands, the 6.0 refusal of OP_QUERY
# commands (code 352), and 2.6/3.2 without codeName (added in 3.4). Whether a real auth-enabled
# server answers buildInfo unauthenticated was not verified (mongodb/notes.md); here it does.
# No documents exist: queries on collections are refused; only names/counts/sizes are served.

import datetime
import json
import math
import struct

import emu_bson as bson
from emu_bson import Int64, ObjectId, Binary
from emu_core import load_recorded

OP_REPLY, OP_QUERY, OP_MSG = 1, 2004, 2013
MAX_MSG = 1024 * 1024
NO_AUTH_CMDS = {"hello", "ismaster", "buildinfo", "ping", "saslstart", "saslcontinue", "authenticate",
                "getnonce", "logout", "whatsmyuri", "endsessions", "getlasterror"}
HANDSHAKE = {"hello", "ismaster"}
HOSTNAME = "db01"


def _buildinfo(m):
    if m["buildinfo"]:
        o = json.loads(load_recorded(m["buildinfo"]))
    else:   # INVENTED: 3.2/6.0 shape with this version's numbers, synthetic gitVersion
        import hashlib
        parts = [int(x) for x in m["version"].split(".")]
        o = {"version": m["version"], "gitVersion": hashlib.sha1(m["version"].encode()).hexdigest(),
             "modules": [], "allocator": "tcmalloc", "javascriptEngine": "mozjs", "sysInfo": "deprecated",
             "versionArray": parts + [0],
             "openssl": {"running": "OpenSSL 1.1.1f  31 Mar 2020", "compiled": "OpenSSL 1.1.1f  31 Mar 2020"},
             "buildEnvironment": {"distmod": "ubuntu2004" if m["vt"] >= (4, 4) else "ubuntu1604",
                                  "distarch": "x86_64", "cc": "/opt/mongodbtoolchain/v3/bin/gcc: gcc (GCC) 8.5.0",
                                  "target_arch": "x86_64", "target_os": "linux"},
             "bits": 64, "debug": False, "maxBsonObjectSize": 16777216,
             "storageEngines": ["devnull", "ephemeralForTest", "wiredTiger"], "ok": 1}
    if o.get("ok") == 1:
        o["ok"] = 1.0
    return o


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


class Mongo:
    def __init__(self, m):
        self.m = m
        self.vt = m["vt"]
        self.legacy = m["proto"] == "legacy"
        self.buildinfo = _buildinfo(m)
        self.conn_counter = 0
        self.process_id = ObjectId(bytes.fromhex("6541%08x" % (hash(m["id"]) & 0xffffffff) + "0" * 12)[:12])
        self.http_reply = load_recorded("mongodb/any-3.x-8.x/http_on_native_port.http.txt", True)

    # ------------------------------------------------------------------ sizes
    def mmap(self):
        return self.vt <= (3, 2)

    def db_size(self, colls):
        raw = sum(c["storageSize"] + c["totalIndexSize"] for c in colls)
        if self.mmap():  # MMAPv1 preallocates: 64MB .0 + 16MB .ns -> 80MB minimum (docs-3.2 example)
            unit = 16 * 1024 * 1024
            return float(max(83886080, int(math.ceil(raw / unit)) * unit))
        return Int64(raw) if self.vt >= (4, 4) else float(raw)

    def total_size(self):
        return sum(float(self.db_size(c)) for c in self.m["dbs"].values())

    # ------------------------------------------------------------------ errors
    def err(self, msg, code, code_name=None, extra=None):
        d = {"ok": 0.0, "errmsg": msg, "code": code}
        if code_name and self.vt >= (3, 4):
            d["codeName"] = code_name
        if extra:
            d.update(extra)
        return d

    def unauthorized(self, name, cmd, db):
        if self.vt >= (4, 0):   # 4.x/listdatabases_unauth.json wording
            return self.err("command %s requires authentication" % name, 13, "Unauthorized")
        # 3.6.4/listdatabases_unauth.json wording (2.6/3.2 same text, no codeName)
        return self.err("not authorized on %s to execute command %s" % (db, bson.shell_repr(cmd)), 13,
                        "Unauthorized")

    def no_such(self, name, cmd):
        if self.vt <= (3, 2):
            return self.err("no such cmd: %s" % name, 59, extra={"bad cmd": cmd})
        if self.vt < (4, 2):
            return self.err("no such command: '%s', bad cmd: '%s'" % (name, bson.shell_repr(cmd)), 59,
                            "CommandNotFound")
        return self.err("no such command: '%s'" % name, 59, "CommandNotFound")

    # ------------------------------------------------------------------ commands
    def hello(self, cmd, legacy_name):
        d = {}
        if cmd.get("helloOk") and self.vt >= (4, 4):
            d["helloOk"] = True
        if legacy_name:
            d["ismaster"] = True
        else:
            d["isWritablePrimary"] = True
        if self.vt >= (4, 4):
            d["topologyVersion"] = {"processId": self.process_id, "counter": Int64(0)}
        d["maxBsonObjectSize"] = 16777216
        d["maxMessageSizeBytes"] = 48000000
        d["maxWriteBatchSize"] = 100000 if self.vt >= (3, 6) else 1000
        d["localTime"] = _now()
        if self.vt >= (3, 6):
            d["logicalSessionTimeoutMinutes"] = 30
        if self.vt >= (4, 2):
            d["connectionId"] = self.conn_counter
        d["minWireVersion"] = 0
        d["maxWireVersion"] = self.m["maxWire"]
        if self.vt >= (3, 4):
            d["readOnly"] = False
        d["ok"] = 1.0
        return d

    def list_databases(self, cmd):
        dbs = []
        for name, colls in sorted(self.m["dbs"].items()):
            dbs.append({"name": name, "sizeOnDisk": self.db_size(colls), "empty": not colls})
        if cmd.get("nameOnly"):
            dbs = [{"name": d["name"]} for d in dbs]
        d = {"databases": dbs}
        total = self.total_size()
        d["totalSize"] = Int64(int(total)) if self.vt >= (4, 4) else total
        if self.vt >= (3, 2):
            d["totalSizeMb"] = Int64(int(total) // (1024 * 1024)) if self.vt >= (4, 4) else int(total) // (1024 * 1024)
        d["ok"] = 1.0
        return d

    def list_collections(self, cmd, db):
        if self.vt < (3, 0):
            return self.no_such("listCollections", cmd)
        colls = self.m["dbs"].get(db, [])
        flt = cmd.get("filter") or {}
        batch = []
        for c in colls:
            if isinstance(flt.get("name"), str) and flt["name"] != c["name"]:
                continue
            if cmd.get("nameOnly") and self.vt >= (4, 0):
                batch.append({"name": c["name"], "type": "collection"})
                continue
            e = {"name": c["name"]}
            if self.vt >= (3, 4):
                e["type"] = "collection"
            e["options"] = {}
            if self.vt >= (3, 4):
                info = {"readOnly": False}
                if self.vt >= (3, 6):
                    import hashlib
                    info["uuid"] = Binary(hashlib.md5((db + c["name"]).encode()).digest(), 4)
                e["info"] = info
                ix = {"v": 2, "key": {"_id": 1}, "name": "_id_"}
                if self.vt < (4, 4):
                    ix["ns"] = "%s.%s" % (db, c["name"])
                e["idIndex"] = ix
            batch.append(e)
        return {"cursor": {"id": Int64(0), "ns": "%s.$cmd.listCollections" % db, "firstBatch": batch}, "ok": 1.0}

    def _find_coll(self, db, name):
        for c in self.m["dbs"].get(db, []):
            if c["name"] == name:
                return c
        return None

    def _index_sizes(self, c):
        sizes = {"_id_": 4096 + c["count"] // 100 * 64}
        for i in range(1, c["nindexes"]):
            sizes["idx_%d" % i] = (c["totalIndexSize"] - sizes["_id_"]) // max(1, c["nindexes"] - 1)
        return sizes

    def storage_stats(self, db, c):
        d = {"ns": "%s.%s" % (db, c["name"]), "size": c["size"], "count": c["count"]}
        if c["count"]:
            d["avgObjSize"] = c["avgObjSize"]
        d["storageSize"] = c["storageSize"]
        if self.vt >= (4, 4):
            d["freeStorageSize"] = 4096
        d["capped"] = False
        d["nindexes"] = c["nindexes"]
        if self.vt >= (4, 4):
            d["indexBuilds"] = []
        d["totalIndexSize"] = c["totalIndexSize"]
        if self.vt >= (4, 4):
            d["totalSize"] = c["storageSize"] + c["totalIndexSize"]
        d["indexSizes"] = self._index_sizes(c)
        if self.vt >= (3, 4):
            d["scaleFactor"] = 1
        return d

    def coll_stats(self, cmd, db, name):
        c = self._find_coll(db, name) if isinstance(name, str) else None
        if c is None:
            if self.vt <= (3, 2):
                return self.err("ns not found", 26)
            return self.err("Collection [%s.%s] not found." % (db, name), 26, "NamespaceNotFound")
        if self.mmap():   # MMAPv1-era collStats (2.6/3.2)
            d = {"ns": "%s.%s" % (db, name), "count": c["count"], "size": c["size"]}
            if c["count"]:
                d["avgObjSize"] = c["avgObjSize"]
            d.update({"numExtents": 1 + c["storageSize"] // (512 * 1024 * 1024), "storageSize": c["storageSize"],
                      "lastExtentSize": min(c["storageSize"], 2146426864), "paddingFactor": 1.0,
                      "paddingFactorNote": "paddingFactor is unused and unmaintained in 3.0. It remains hard coded to 1.0 for compatibility only.",
                      "userFlags": 1, "capped": False, "nindexes": c["nindexes"],
                      "totalIndexSize": c["totalIndexSize"], "indexSizes": self._index_sizes(c), "ok": 1.0})
            if self.vt < (3, 0):
                del d["paddingFactorNote"]
                del d["capped"]
                d["systemFlags"] = 1
            return d
        d = self.storage_stats(db, c)
        d["ok"] = 1.0
        return d

    def aggregate(self, cmd, db):
        coll = cmd.get("aggregate")
        pipe = cmd.get("pipeline") or []
        if not isinstance(pipe, list) or len(pipe) != 1 or not isinstance(pipe[0], dict) or \
                list(pipe[0].keys()) != ["$collStats"]:
            return self.err("emulated MongoDB: only a single $collStats stage is served", 2, "BadValue")
        if self.vt < (3, 4):
            if self.vt < (3, 0):
                return self.err("exception: Unrecognized pipeline stage name: '$collStats'", 16436)
            return self.err("Unrecognized pipeline stage name: '$collStats'", 16436)
        c = self._find_coll(db, coll) if isinstance(coll, str) else None
        ns = "%s.%s" % (db, coll)
        opts = pipe[0]["$collStats"] if isinstance(pipe[0]["$collStats"], dict) else {}
        batch = []
        if c is not None:
            e = {"ns": ns, "host": "%s:27017" % HOSTNAME, "localTime": _now()}
            if "storageStats" in opts and self.vt >= (3, 6):
                e["storageStats"] = self.storage_stats(db, c)
                del e["storageStats"]["ns"]
            if "count" in opts and self.vt >= (3, 6):
                e["count"] = c["count"]
            batch.append(e)
        return {"cursor": {"firstBatch": batch, "id": Int64(0), "ns": ns}, "ok": 1.0}

    def run(self, cmd, db, via_query=False):
        if not cmd:
            return self.err("no command", 59, "CommandNotFound")
        name = next(iter(cmd))
        lname = name.lower()
        if via_query and self.vt >= (5, 1) and lname not in HANDSHAKE:
            # 5.1+ refuse OP_QUERY commands other than the handshake
            return self.err("Unsupported OP_QUERY command: %s. The client driver may require an upgrade. For more "
                            "details see https://dochub.mongodb.org/core/legacy-opcode-removal" % name, 352,
                            "UnsupportedOpQueryCommand")
        known = {"hello": self.vt >= (4, 4), "ismaster": True, "buildinfo": True, "ping": True,
                 "listdatabases": True, "listcollections": self.vt >= (3, 0), "collstats": True,
                 "aggregate": True, "saslstart": True, "saslcontinue": True, "authenticate": True,
                 "getnonce": True, "whatsmyuri": True, "endsessions": self.vt >= (3, 6), "logout": True,
                 "getlasterror": True}
        exact = {"hello", "isMaster", "ismaster", "buildInfo", "buildinfo", "ping", "listDatabases",
                 "listCollections", "collStats", "aggregate", "saslStart", "saslContinue", "authenticate",
                 "getnonce", "whatsmyuri", "endSessions", "logout", "getLastError", "getlasterror"}
        if name not in exact or not known.get(lname):
            return self.no_such(name, cmd)
        if self.m["auth"] and lname not in NO_AUTH_CMDS:
            return self.unauthorized(name, cmd, db)
        if lname in ("saslstart", "saslcontinue", "authenticate"):
            return self.err("Authentication failed.", 18, "AuthenticationFailed")
        if lname == "getnonce":
            return {"nonce": "2375531c32080ae8", "ok": 1.0}
        if lname == "hello":
            return self.hello(cmd, False)
        if lname == "ismaster":
            return self.hello(cmd, True)
        if lname == "buildinfo":
            return self.buildinfo
        if lname in ("ping", "endsessions", "logout"):
            return {"ok": 1.0}
        if lname == "whatsmyuri":
            return {"you": "127.0.0.1:50000", "ok": 1.0}
        if lname == "getlasterror":
            return {"connectionId": self.conn_counter, "n": 0, "syncMillis": 0, "writtenTo": None, "err": None,
                    "ok": 1.0}
        if db != "admin" and lname == "listdatabases":
            return self.err("listDatabases may only be run against the admin database.", 13, "Unauthorized")
        if lname == "listdatabases":
            return self.list_databases(cmd)
        if lname == "listcollections":
            return self.list_collections(cmd, db)
        if lname == "collstats":
            return self.coll_stats(cmd, db, cmd[name])
        if lname == "aggregate":
            return self.aggregate(cmd, db)
        return self.no_such(name, cmd)

    # ------------------------------------------------------------------ wire
    def namespaces(self, db):
        """2.6/3.2 MMAPv1: OP_QUERY on <db>.system.namespaces lists collections (metadata)."""
        docs = []
        for c in self.m["dbs"].get(db, []):
            docs.append({"name": "%s.%s" % (db, c["name"])})
            docs.append({"name": "%s.%s.$_id_" % (db, c["name"])})
        if docs:
            docs.append({"name": "%s.system.indexes" % db})
        return docs

    def handle(self, c, peer):
        self.conn_counter += 1
        buf = b""
        while True:
            while len(buf) < 16:
                chunk = c.recv(65536)
                if not chunk:
                    return
                buf += chunk
                if buf[:4] in (b"GET ", b"POST", b"HEAD", b"PUT ", b"OPTI", b"DELE", b"PATC", b"CONN"):
                    c.sendall(self.http_reply)
                    return
            length, req_id, _resp_to, op = struct.unpack_from("<iiii", buf, 0)
            if length < 16 or length > MAX_MSG:
                return
            while len(buf) < length:
                chunk = c.recv(65536)
                if not chunk:
                    return
                buf += chunk
            msg, buf = buf[:length], buf[length:]
            if op == OP_QUERY:
                out = self.on_query(msg, req_id)
            elif op == OP_MSG and not self.legacy:
                out = self.on_msg(msg, req_id)
            else:
                return   # unknown/unsupported opcode (legacy servers do not know OP_MSG): hang up
            if out is None:
                return
            c.sendall(out)

    def _reply(self, req_id, docs, flags=8):
        body = struct.pack("<iqii", flags, 0, 0, len(docs)) + b"".join(bson.encode(d) for d in docs)
        return struct.pack("<iiii", 16 + len(body), self.next_id(), req_id, OP_REPLY) + body

    def next_id(self):
        self._rid = getattr(self, "_rid", 1000) + 1
        return self._rid

    def on_query(self, msg, req_id):
        try:
            (flags,) = struct.unpack_from("<i", msg, 16)
            ns, j = bson._read_cstring(msg, 20)
            skip, nret = struct.unpack_from("<ii", msg, j)
            q, _ = bson.decode(msg, j + 8)
        except ValueError:
            return None
        db, _, coll = ns.partition(".")
        if coll == "$cmd":
            cmd = q
            if len(q) and next(iter(q)) in ("$query", "query") and isinstance(next(iter(q.values())), dict):
                cmd = next(iter(q.values()))
            return self._reply(req_id, [self.run(cmd, db, via_query=True)])
        if coll == "system.namespaces" and self.vt < (3, 6):
            if self.m["auth"]:
                return self._reply(req_id, [{"$err": "not authorized for query on %s" % ns, "code": 13}], flags=2 | 8)
            return self._reply(req_id, self.namespaces(db))
        if self.vt >= (5, 1):
            return self._reply(req_id, [{"$err": "Unsupported OP_QUERY command: find. The client driver may "
                                                 "require an upgrade.", "code": 352}], flags=2 | 8)
        if self.m["auth"]:
            return self._reply(req_id, [{"$err": "not authorized for query on %s" % ns, "code": 13}], flags=2 | 8)
        return self._reply(req_id, [{"$err": "emulated MongoDB: documents are not served", "code": 2}], flags=2 | 8)

    def on_msg(self, msg, req_id):
        try:
            (flags,) = struct.unpack_from("<I", msg, 16)
            end = len(msg) - (4 if flags & 1 else 0)
            j = 20
            body = None
            seqs = {}
            while j < end:
                kind = msg[j]
                j += 1
                if kind == 0:
                    body, j = bson.decode(msg, j)
                elif kind == 1:
                    (size,) = struct.unpack_from("<i", msg, j)
                    ident, k = bson._read_cstring(msg, j + 4)
                    docs = []
                    while k < j + size:
                        d, k = bson.decode(msg, k)
                        docs.append(d)
                    seqs[ident] = docs
                    j += size
                else:
                    return None
        except (ValueError, struct.error, IndexError):
            return None
        if body is None:
            return None
        body.update(seqs)
        db = body.get("$db")
        if not isinstance(db, str):
            reply = self.err("OP_MSG requests require a $db argument", 40571, "Location40571")
        else:
            reply = self.run(body, db)
        payload = struct.pack("<I", 0) + b"\x00" + bson.encode(reply)
        if flags & 2:   # moreToCome from client: no reply expected
            return b""
        return struct.pack("<iiii", 16 + len(payload), self.next_id(), req_id, OP_MSG) + payload


def data_summary(m):
    """Manifest 'data' of a MongoDB instance: what listDatabases/listCollections/collStats report."""
    mg = Mongo.__new__(Mongo)
    mg.m, mg.vt = m, m["vt"]
    names, recs, ncoll = [], 0, 0
    for db, colls in sorted(m["dbs"].items()):
        for c in colls:
            names.append("%s.%s" % (db, c["name"]))
            recs += c["count"]
            ncoll += 1
    return {"databases": len(m["dbs"]), "collections": ncoll, "records": recs, "bytes": int(mg.total_size()),
            "names": names, "fields": []}
