# EMULATED Neo4j Bolt and RethinkDB driver ports for ajar's lab, on 127.0.52.1-40.
#
# Both are binary protocols with several request kinds (Bolt: handshake, HELLO/INIT, LOGON,
# GOODBYE; RethinkDB: magic, SCRAM client-first, client-final, or a V0_4 handshake), so this
# plugin answers by what arrives instead of replaying answers in order. Every answer is a
# recorded or documented byte string from tests/fixtures/recorded/{neo4j,rethinkdb}/ (sources:
# tests/fixtures/recorded/SOURCES.md, the files' own '#' headers), read through the .hex files
# as tests/probe/tools/hex2resp.py reads them, with two exceptions that cannot be recorded:
#   - Bolt: which version a server picks from the client's proposals. Each instance supports
#     the versions its product did (3.3.1: Bolt 1; 4.4.11: 4.4-4.0 and 3; 5.12.0: 5.3-5.0 and
#     4.4, as its recorded handshake shows 5.3) and answers with the 4-byte encoding of the
#     highest common one (docs-bolt-spec: 00 00 minor major), or 00 00 00 00 and a close.
#   - RethinkDB 2.3: the SCRAM-SHA-256 server side (RFC 5802 / 7677) must be computed for the
#     nonce the client sends: a random server nonce and salt, i=4096, messages laid out as the
#     server writes them (sorted keys, compact, NUL: spec-assembled/*.hex). The "open"
#     instance's admin password is empty, the "locked" one's a random string nobody knows; a
#     wrong proof gets the recorded-layout "Wrong password" (error_code 12) message.
#
# Instances (the manifest says what ajar must find; "kind": "emulated"):
#   127.0.52.1:7687   Neo4j 3.3.1, Bolt 1, auth disabled
#   127.0.52.2:7687   Neo4j 4.4.11, Bolt 4.4, auth disabled
#   127.0.52.3:7687   Neo4j 4.4.11, Bolt 4.4, authentication enabled (scheme none refused)
#   127.0.52.4:7687   Neo4j 5.12.0, Bolt 5.3, auth disabled
#   127.0.52.5:7687   Neo4j 5.12.0, Bolt 5.3, authentication enabled
#   127.0.52.6:7687   a Bolt server that supports none of the versions ajar proposes (Bolt 2 only)
#   127.0.52.7:7687   Neo4j 5.12.0 open, Bolt inside TLS only (self-signed, made once per lab)
#   127.0.52.11:28015 RethinkDB 2.3.0, admin password empty
#   127.0.52.12:28015 RethinkDB 2.3.0, admin password set
#   127.0.52.13:28015 RethinkDB before 2.3, no auth key
#   127.0.52.14:28015 RethinkDB before 2.3, an auth key set
#
# Python 3 standard library only.

import base64
import hashlib
import hmac
import json
import os
import secrets
import ssl
import struct
import subprocess

PLUGIN = True

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
REC = os.path.join(ROOT, "tests", "fixtures", "recorded")

MAX_MSG = 65536


def rec(rel):
    """The bytes of a recorded .hex fixture ('#' lines are its source)."""
    out = bytearray()
    with open(os.path.join(REC, rel), encoding="utf-8") as f:
        for ln in f:
            if not ln.lstrip().startswith("#"):
                out += bytes.fromhex("".join(ln.split()))
    return bytes(out)


BOLT = [
    {"id": "neo4j-3.3.1-open", "address": "127.0.52.1", "versions": [(1, 0)], "product": "Neo4j",
     "version": "3.3.1", "auth": "none", "hello": "neo4j/3.3.1/bolt_v1_init_success.hex"},
    {"id": "neo4j-4.4.11-open", "address": "127.0.52.2", "versions": [(4, 4), (4, 3), (4, 2), (4, 1), (4, 0), (3, 0)],
     "product": "Neo4j", "version": "4.4.11", "auth": "none", "hello": "neo4j/4.4.11/bolt_hello_success.hex"},
    {"id": "neo4j-4.4.11-auth", "address": "127.0.52.3", "versions": [(4, 4), (4, 3), (4, 2), (4, 1), (4, 0), (3, 0)],
     "product": None, "version": None, "auth": "required", "hello": "neo4j/4.4.11/bolt_hello_success.hex"},
    {"id": "neo4j-5.12.0-open", "address": "127.0.52.4", "versions": [(5, 3), (5, 2), (5, 1), (5, 0), (4, 4)],
     "product": "Neo4j", "version": "5.12.0", "auth": "none", "hello": "neo4j/5.12.0/bolt_hello_success.hex"},
    {"id": "neo4j-5.12.0-auth", "address": "127.0.52.5", "versions": [(5, 3), (5, 2), (5, 1), (5, 0), (4, 4)],
     "product": "Neo4j", "version": "5.12.0", "auth": "required", "hello": "neo4j/5.12.0/bolt_hello_success.hex"},
    {"id": "bolt-no-common-version", "address": "127.0.52.6", "versions": [(2, 0)], "product": None,
     "version": None, "auth": "unknown", "hello": None},
    {"id": "neo4j-5.12.0-open-tls", "address": "127.0.52.7", "versions": [(5, 3), (5, 2), (5, 1), (5, 0), (4, 4)],
     "product": "Neo4j", "version": "5.12.0", "auth": "none", "hello": "neo4j/5.12.0/bolt_hello_success.hex",
     "tls": True},
]
RETHINK = [
    {"id": "rethinkdb-2.3.0-open", "address": "127.0.52.11", "v1": True, "password": "", "auth": "none",
     "version": "2.3.0"},
    {"id": "rethinkdb-2.3.0-auth", "address": "127.0.52.12", "v1": True, "password": None, "auth": "required",
     "version": "2.3.0"},
    {"id": "rethinkdb-pre-2.3-open", "address": "127.0.52.13", "v1": False, "key": "", "auth": "none",
     "version": None},
    {"id": "rethinkdb-pre-2.3-auth", "address": "127.0.52.14", "v1": False, "key": None, "auth": "required",
     "version": None},
]
BOLT_PORT, RETHINK_PORT = 7687, 28015


def recv_exact(c, n):
    buf = b""
    while len(buf) < n:
        d = c.recv(n - len(buf))
        if not d:
            return None
        buf += d
    return buf


# ------------------------------------------------------------------ Bolt

def bolt_messages(c):
    """Yield each message (dechunked) the client sends, until EOF or a message over MAX_MSG."""
    msg = b""
    while True:
        h = recv_exact(c, 2)
        if h is None:
            return
        n = struct.unpack(">H", h)[0]
        if n == 0:
            if msg:
                yield msg
            msg = b""
            continue
        d = recv_exact(c, n)
        if d is None or len(msg) + n > MAX_MSG:
            return
        msg += d


def pick(proposals, supported):
    """The highest supported version any 4-byte proposal (00 range minor major) allows."""
    for p in proposals:
        rng, minor, major = p[1], p[2], p[3]
        for mj, mn in supported:
            if mj == major and minor - rng <= mn <= minor:
                return mj, mn
    return None


class Bolt:
    def __init__(self, inst):
        self.i = inst
        self.failure = rec("neo4j/spec-assembled/bolt_failure_scheme_none.hex")
        self.hello = rec(inst["hello"]) if inst["hello"] else None
        self.logon_ok = rec("neo4j/5.12.0/bolt_logon_success.hex")

    def handle(self, c, peer):
        hs = recv_exact(c, 20)
        if hs is None or hs[:4] != b"\x60\x60\xb0\x17":
            return  # Neo4j closes on a bad preamble
        v = pick([hs[4 + 4 * k:8 + 4 * k] for k in range(4)], self.i["versions"])
        if v is None:
            c.sendall(b"\x00\x00\x00\x00")
            return
        c.sendall(bytes([0, 0, v[1], v[0]]))
        locked = self.i["auth"] == "required"
        two_step = v[0] == 5 and v[1] >= 1
        for m in bolt_messages(c):
            if len(m) < 2 or m[0] & 0xF0 != 0xB0:
                return
            sig = m[1]
            if sig == 0x01:  # INIT / HELLO
                if two_step or not locked:
                    c.sendall(self.hello)
                else:
                    c.sendall(self.failure)
                    return
            elif sig == 0x6A and two_step:  # LOGON
                if locked:
                    c.sendall(self.failure)
                    return
                c.sendall(self.logon_ok)
            else:  # GOODBYE, or anything a login-only client never sends
                return


# ------------------------------------------------------------------ RethinkDB

V1_0, V0_4, JSON_PROTO = 0x34c2bdc3, 0x400c2d20, 0x7e6970c7


def read_cstr(c):
    buf = b""
    while len(buf) < MAX_MSG:
        d = c.recv(1)
        if not d:
            return None
        if d == b"\0":
            return buf
        buf += d
    return None


def datum(obj):
    """A message as RethinkDB writes it: keys sorted, compact, NUL-terminated."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode() + b"\0"


class Rethink:
    def __init__(self, inst):
        self.i = inst
        self.version_msg = rec("rethinkdb/2.3.0/v1_0_handshake_reply.hex")
        self.wrong = rec("rethinkdb/spec-assembled/v1_0_wrong_password.hex")
        self.old = rec("rethinkdb/2.3.0/old_protocol_rejected.hex") + b"\0"
        self.success = rec("rethinkdb/docs-2.3/v0_4_handshake_reply.hex") + b"\0"
        self.badkey = rec("rethinkdb/2.x/v0_4_incorrect_auth_key.hex")
        pw = inst.get("password")
        self.password = pw if pw is not None else secrets.token_urlsafe(18)
        key = inst.get("key")
        self.key = key if key is not None else secrets.token_urlsafe(12)

    def handle(self, c, peer):
        m = recv_exact(c, 4)
        if m is None:
            return
        magic = struct.unpack("<I", m)[0]
        if not self.i["v1"]:
            if magic != V0_4:
                c.sendall(self.old)
                return
            n = recv_exact(c, 4)
            if n is None or struct.unpack("<I", n)[0] > 2048:
                return
            key = recv_exact(c, struct.unpack("<I", n)[0]) if struct.unpack("<I", n)[0] else b""
            proto = recv_exact(c, 4)
            if key is None or proto is None or struct.unpack("<I", proto)[0] != JSON_PROTO:
                return
            c.sendall(self.success if key.decode("latin-1") == self.key else self.badkey)
            if key.decode("latin-1") == self.key:
                while c.recv(65536):  # waits for queries; a login-only client closes
                    pass
            return
        if magic != V1_0:
            c.sendall(self.old)
            return
        c.sendall(self.version_msg)
        first = read_cstr(c)
        try:
            a = json.loads(first.decode())["authentication"]
            gs2, _, bare = a.partition(",,")
            attrs = dict(x.split("=", 1) for x in bare.split(","))
            cnonce = attrs["r"]
        except (AttributeError, ValueError, KeyError, TypeError):
            return
        snonce = cnonce + secrets.token_urlsafe(18)
        salt = secrets.token_bytes(16)
        sfirst = "r=%s,s=%s,i=4096" % (snonce, base64.b64encode(salt).decode())
        c.sendall(datum({"success": True, "authentication": sfirst}))
        final = read_cstr(c)
        try:
            f = json.loads(final.decode())["authentication"]
            without, _, proof = f.rpartition(",p=")
            proof = base64.b64decode(proof)
        except (AttributeError, ValueError, KeyError, TypeError):
            return
        salted = hashlib.pbkdf2_hmac("sha256", self.password.encode(), salt, 4096)
        ckey = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
        stored = hashlib.sha256(ckey).digest()
        auth = ",".join([bare, sfirst, without]).encode()
        csig = hmac.new(stored, auth, hashlib.sha256).digest()
        if without != "c=biws,r=" + snonce or bytes(x ^ y for x, y in zip(proof, csig)) != ckey:
            c.sendall(self.wrong)
            return
        skey = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
        ssig = base64.b64encode(hmac.new(skey, auth, hashlib.sha256).digest()).decode()
        c.sendall(datum({"success": True, "authentication": "v=" + ssig}))
        while c.recv(65536):
            pass


# ------------------------------------------------------------------ the plugin interface

def ensure_cert(lab):
    d = os.path.join(lab, "certs")
    os.makedirs(d, exist_ok=True)
    crt, key = os.path.join(d, "emu-graph.crt"), os.path.join(d, "emu-graph.key")
    if not (os.path.exists(crt) and os.path.exists(key)):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                        "-days", "825", "-subj", "/O=Ajar Lab emulation/CN=neo4j-bolt.lab.example"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
        os.chmod(key, 0o600)
    return crt, key


def listeners():
    return [(b["address"], BOLT_PORT) for b in BOLT] + [(r["address"], RETHINK_PORT) for r in RETHINK]


def serve(srv, lab):
    ctx = None
    for b in BOLT:
        tls = None
        if b.get("tls"):
            if ctx is None:
                crt, key = ensure_cert(lab)
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(crt, key)
            tls = ctx
        srv.listen(b["address"], BOLT_PORT, Bolt(b).handle, tls_ctx=tls, name=b["id"])
    for r in RETHINK:
        srv.listen(r["address"], RETHINK_PORT, Rethink(r).handle, name=r["id"])


def manifest(lab, cert_facts):
    out = []
    for b in BOLT:
        tls = cert_facts(ensure_cert(lab)[0]) if b.get("tls") else None
        out.append({"id": b["id"], "address": b["address"], "port": BOLT_PORT,
                    "transport": "tls" if tls else "plain", "service": "neo4j-bolt", "product": b["product"],
                    "version": b["version"], "auth": b["auth"], "tls": tls, "data": None, "via": None,
                    "kind": "emulated",
                    "notes": "Bolt from tests/fixtures/recorded/neo4j (emu_graph.py; SOURCES.md)"})
    for r in RETHINK:
        out.append({"id": r["id"], "address": r["address"], "port": RETHINK_PORT, "transport": "plain",
                    "service": "rethinkdb", "product": "RethinkDB", "version": r["version"], "auth": r["auth"],
                    "tls": None, "data": None, "via": None, "kind": "emulated",
                    "notes": "RethinkDB from tests/fixtures/recorded/rethinkdb (emu_graph.py; SCRAM computed)"})
    return out


if __name__ == "__main__":
    for a, p in listeners():
        print("%s:%d" % (a, p))
