# EMULATED services for ajar's lab, served straight from recorded probe cases.
#
# A probe case (tests/probe/cases/SERVICE/CASE/) is a recorded exchange: the answers a real
# server gave (N.resp, or N.head + N.body) and expect.json, whose "_requests" lists the request
# lines ajar sent. This module serves such a case on a loopback address, so every emulated
# product of the lab is exactly a recorded case, with the provenance its case folder and
# tests/fixtures/recorded/SOURCES.md give -- nothing is written from memory here.
#
# The instances are rows of cases.d/*.tsv (one file per family, so families do not collide):
#
#   id  address  port  transport  case  [notes...]
#
#   transport  plain | tls (a self-signed certificate made once per lab)
#   case       SERVICE/CASE under tests/probe/cases
#
# How a case is served:
#   - HTTP (the case's "_requests" are request lines): each request line gets the answer
#     recorded for it (the answer with the same index); a line asked again gets the next
#     recorded answer for it, the last one repeated. A HEAD gets the head only. Any request the
#     recording does not hold gets a plain "404 page not found" (what a Go or Jetty server says
#     to an unknown path, and what ajar's dispatcher sees from most products on a path they do
#     not have). Keep-alive as the client asks; "Connection: close" in a recorded head closes.
#   - Server-first (conn has "emu=first"): answer 1 at connect, then the next answer for each
#     chunk the client sends, EOF where an N.eof file says so.
#   - Sequential (otherwise, binary protocols): the next answer for each chunk the client sends.
#
# The manifest entry of each row comes from the case's expect.json (service, product, version,
# auth, data, via): what ajar must find there.
#
# Python 3 standard library only.

import glob
import json
import os
import re
import socket
import ssl
import subprocess

import emu_core

PLUGIN = True

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
CASES = os.path.join(ROOT, "tests", "probe", "cases")
# EMU_CASES_DIR: another folder of tables (tests that plant their own instances)
TABLES = os.environ.get("EMU_CASES_DIR") or os.path.join(HERE, "cases.d")

NOT_FOUND = (b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n"
             b"X-Content-Type-Options: nosniff\r\nContent-Length: 19\r\n\r\n404 page not found\n")

_LINE = re.compile(r"^[A-Z]{3,7} \S+ HTTP/1\.[01]\r?\n?$")


def rows():
    """Every row of cases.d/*.tsv as a dict, in file then line order."""
    out = []
    for path in sorted(glob.glob(os.path.join(TABLES, "*.tsv"))):
        with open(path) as f:
            for n, ln in enumerate(f, 1):
                ln = ln.rstrip("\n")
                if not ln.strip() or ln.lstrip().startswith("#"):
                    continue
                p = ln.split("\t")
                if len(p) < 5:
                    raise SystemExit("%s:%d: want id, address, port, transport, case" % (path, n))
                emu_core.check_loopback(p[1])
                if p[3] not in ("plain", "tls"):
                    raise SystemExit("%s:%d: transport is plain or tls" % (path, n))
                out.append({"id": p[0], "address": p[1], "port": int(p[2]), "tls": p[3] == "tls",
                            "case": p[4], "notes": " ".join(p[5:]), "table": os.path.basename(path)})
    return out


def _slurp(path):
    with open(path, "rb") as f:
        return f.read()


def load_case(case):
    """(answers, eofs, expect, conn) of tests/probe/cases/CASE, assembled as tests/probe/replay.c
    does: N.resp whole, or N.head (CRLF lines, Content-Length added when absent) + N.body."""
    d = os.path.join(CASES, case)
    answers, eofs = [], []
    i = 1
    while True:
        resp, head = os.path.join(d, "%d.resp" % i), os.path.join(d, "%d.head" % i)
        if os.path.exists(resp):
            a = _slurp(resp)
        elif os.path.exists(head):
            h = _slurp(head)
            body = b""
            src = os.path.join(d, "%d.body.src" % i)
            if os.path.exists(os.path.join(d, "%d.body" % i)):
                body = _slurp(os.path.join(d, "%d.body" % i))
            elif os.path.exists(src):  # a body kept in the shared fixtures, as replay.c reads it
                fx = os.environ.get("AJAR_FIXTURES") or os.path.join(ROOT, "..", "shared", "fixtures")
                body = _slurp(os.path.join(fx, open(src).read().strip()))
            lines = [ln.rstrip(b"\r") for ln in h.split(b"\n") if ln.rstrip(b"\r")]
            if not any(ln.lower().startswith((b"content-length:", b"transfer-encoding:")) for ln in lines):
                lines.append(b"Content-Length: %d" % len(body))
            a = b"\r\n".join(lines) + b"\r\n\r\n" + body
        else:
            break
        answers.append(a)
        eofs.append(os.path.exists(os.path.join(d, "%d.eof" % i)))
        i += 1
    with open(os.path.join(d, "expect.json")) as f:
        expect = json.load(f)
    conn = {}
    if os.path.exists(os.path.join(d, "conn")):
        for ln in open(os.path.join(d, "conn")):
            k, _, v = ln.strip().partition("=")
            if k:
                conn[k] = v
    if not answers:
        raise SystemExit("emu_cases: %s holds no answers" % case)
    return answers, eofs, expect, conn


def is_http(expect):
    reqs = expect.get("_requests") or []
    return bool(reqs) and all(isinstance(r, str) and _LINE.match(r) for r in reqs)


def _head_only(a):
    return a.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"


class HttpCase:
    def __init__(self, answers, expect):
        self.routes = {}
        for i, line in enumerate(expect.get("_requests") or []):
            if i < len(answers):
                self.routes.setdefault(line.strip(), []).append(answers[i])

    def handle(self, c, peer):
        buf = b""
        asked = {}
        while True:
            req, buf = emu_core._read_request(c, buf)
            if req is None:
                return
            key = "%s %s %s" % (req.method, req.target, req.version)
            alt = "GET %s %s" % (req.target, req.version)
            lst = self.routes.get(key) or (self.routes.get(alt) if req.method == "HEAD" else None)
            if lst:
                k = asked.get(key, 0)
                asked[key] = k + 1
                a = lst[min(k, len(lst) - 1)]
            else:
                a = NOT_FOUND
            c.sendall(_head_only(a) if req.method == "HEAD" else a)
            head = a.split(b"\r\n\r\n", 1)[0].lower()
            if b"\r\nconnection: close" in head or (req.header("connection") or "").lower() == "close":
                return


class SeqCase:
    def __init__(self, answers, eofs, first):
        self.answers, self.eofs, self.first = answers, eofs, first

    def handle(self, c, peer):
        i = 0
        if self.first:
            c.sendall(self.answers[0])
            if self.eofs[0]:
                return
            i = 1
        while i < len(self.answers):
            data = c.recv(65536)
            if not data:
                return
            c.sendall(self.answers[i])
            if self.eofs[i]:
                return
            i += 1
        while c.recv(65536):
            pass


def handler(row):
    answers, eofs, expect, conn = load_case(row["case"])
    if is_http(expect):
        return HttpCase(answers, expect).handle
    return SeqCase(answers, eofs, conn.get("emu") == "first").handle


def ensure_cert(lab):
    d = os.path.join(lab, "certs")
    os.makedirs(d, exist_ok=True)
    crt, key = os.path.join(d, "emu-cases.crt"), os.path.join(d, "emu-cases.key")
    if not (os.path.exists(crt) and os.path.exists(key)):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                        "-days", "825", "-subj", "/O=Ajar Lab emulation/CN=emu-cases.lab.example"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
        os.chmod(key, 0o600)
    return crt, key


# ---- the plugin interface emulab.py uses

def listeners():
    return [(r["address"], r["port"]) for r in rows()]


def serve(srv, lab):
    ctx = None
    for r in rows():
        tls = None
        if r["tls"]:
            if ctx is None:
                crt, key = ensure_cert(lab)
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(crt, key)
            tls = ctx
        srv.listen(r["address"], r["port"], handler(r), tls_ctx=tls, name=r["id"])


def manifest(lab, cert_facts):
    out = []
    for r in rows():
        _, _, e, _ = load_case(r["case"])
        tls = cert_facts(ensure_cert(lab)[0]) if r["tls"] else None
        note = "recorded case tests/probe/cases/%s (sources: its README / tests/fixtures/recorded/SOURCES.md)" % r["case"]
        if r["notes"]:
            note += "; " + r["notes"]
        out.append({"id": r["id"], "address": r["address"], "port": r["port"],
                    "transport": "tls" if r["tls"] else "plain", "service": e.get("service"),
                    "product": e.get("product"), "version": e.get("version"), "auth": e.get("auth"),
                    "tls": tls, "data": e.get("data"), "via": e.get("via"), "kind": "emulated",
                    "notes": note})
    return out


if __name__ == "__main__":
    for r in rows():
        print("%s %s:%d %s" % (r["id"], r["address"], r["port"], r["case"]))
