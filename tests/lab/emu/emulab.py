#!/usr/bin/env python3
# EMULATED Elasticsearch, Kibana and MongoDB for ajar's lab - entry point.
#
#   python3 tests/lab/emu/emulab.py up   --lab-dir DIR [--manifest-out FILE] [--fixtures DIR]
#   python3 tests/lab/emu/emulab.py down --lab-dir DIR
#   python3 tests/lab/emu/emulab.py manifest [--lab-dir DIR]        (print the manifest only)
#   python3 tests/lab/emu/emulab.py serve --family es|kibana|mongodb --lab-dir DIR   (internal)
#
# 'up' stops any earlier emulators of DIR, starts three background processes (one per
# family, each serving all its listeners with a thread per connection, capped), writes
# DIR/pids/emu-{es,kibana,mongodb}.pid, waits (at most 20 s) until every listener accepts,
# and writes a JSON array of manifest entries (default DIR/manifest.emu.json).
# Logs go to DIR/logs/emu-<family>.log. 'down' kills the pids of DIR/pids/emu-*.pid.
#
# The emulators are built from recorded real responses (recorded/, copied from
# /work/shared/fixtures; see recorded/SOURCE.md and the header of each emu_*.py).
# Every manifest entry says "kind":"emulated". Python 3 standard library only.
# The Shanghai case needs DIR/certs/shanghai.crt + shanghai.key; if absent they are
# generated here with the openssl CLI (CN es-cn-shanghai.kibana.example,
# SAN *.kibana.example, valid 2017-01-01..2018-01-01, RSA 2048, self-signed).

import argparse
import hashlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import catalog  # noqa: E402
import emu_core  # noqa: E402

START_TIMEOUT = 20.0


def plugins():
    """Emulator modules that plug in with listeners(), serve(srv, lab), manifest(lab, cert_facts):
    every emu_*.py holding a line 'PLUGIN = True' (emu_cases.py serves the recorded probe cases
    listed in cases.d/*.tsv; binary protocols bring their own module). Sorted by name."""
    import glob
    out = []
    for path in sorted(glob.glob(os.path.join(HERE, "emu_*.py"))):
        with open(path) as f:
            if "\nPLUGIN = True" in f.read():
                out.append(os.path.basename(path)[4:-3])
    return tuple(out)


FAMILIES = ("es", "kibana", "mongodb") + plugins()


def plugin(fam):
    import importlib
    return importlib.import_module("emu_" + fam)


# ------------------------------------------------------------------ certificate

def ensure_shanghai_cert(lab):
    d = os.path.join(lab, "certs")
    crt, key = os.path.join(d, "shanghai.crt"), os.path.join(d, "shanghai.key")
    if os.path.exists(crt) and os.path.exists(key):
        return crt, key
    os.makedirs(d, exist_ok=True)
    with tempfile.TemporaryDirectory() as t:
        cfg = os.path.join(t, "ca.cnf")
        with open(cfg, "w") as f:
            f.write("""[ ca ]
default_ca = CA_default
[ CA_default ]
dir = {t}
database = {t}/index.txt
new_certs_dir = {t}
serial = {t}/serial
default_md = sha256
policy = policy_any
unique_subject = no
[ policy_any ]
commonName = supplied
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = es-cn-shanghai.kibana.example
[ ext ]
subjectAltName = DNS:*.kibana.example
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
""".format(t=t))
        open(os.path.join(t, "index.txt"), "w").close()
        with open(os.path.join(t, "serial"), "w") as f:
            f.write("5A17C0DE01\n")
        tkey = os.path.join(t, "k.pem")
        csr = os.path.join(t, "r.csr")
        tcrt = os.path.join(t, "c.pem")
        q = dict(stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
        subprocess.run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", tkey, "-out", csr,
                        "-config", cfg], **q)
        subprocess.run(["openssl", "ca", "-batch", "-config", cfg, "-selfsign", "-keyfile", tkey, "-in", csr,
                        "-out", tcrt, "-startdate", "20170101000000Z", "-enddate", "20180101000000Z",
                        "-extensions", "ext", "-notext"], **q)
        with open(tkey, "rb") as f:
            kb = f.read()
        with open(tcrt, "rb") as f:
            cb = f.read()
    with open(key, "wb") as f:
        f.write(kb)
    os.chmod(key, 0o600)
    with open(crt, "wb") as f:
        f.write(cb)
    return crt, key


def ensure_mongo_cert(lab):
    """The TLS MongoDB's own certificate: self-signed, CN mongodb-tls.lab.example (made once per lab)."""
    d = os.path.join(lab, "certs")
    os.makedirs(d, exist_ok=True)
    crt, key = os.path.join(d, "emu-mongodb-tls.crt"), os.path.join(d, "emu-mongodb-tls.key")
    if not (os.path.exists(crt) and os.path.exists(key)):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                        "-days", "825", "-subj", "/O=Ajar Lab emulation/CN=mongodb-tls.lab.example",
                        "-addext", "subjectAltName=DNS:mongodb-tls.lab.example,IP:127.0.27.1"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
        os.chmod(key, 0o600)
    return crt, key


def _openssl_date(s):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.strptime(s.replace("  ", " ").strip(), "%b %d %H:%M:%S %Y GMT"))


def cert_facts(crt):
    """TLS facts read from the certificate file itself (openssl CLI; DER hash via the ssl module)."""
    with open(crt) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    out = subprocess.run(["openssl", "x509", "-in", crt, "-noout", "-subject", "-issuer", "-startdate", "-enddate",
                          "-nameopt", "RFC2253", "-text"], capture_output=True, text=True, check=True).stdout
    facts = {"sha256": hashlib.sha256(der).hexdigest()}
    subj = iss = ""
    for ln in out.splitlines():
        if ln.startswith("subject="):
            subj = ln[len("subject="):].strip()
        elif ln.startswith("issuer="):
            iss = ln[len("issuer="):].strip()
        elif ln.startswith("notBefore="):
            facts["not_before"] = _openssl_date(ln.split("=", 1)[1])
        elif ln.startswith("notAfter="):
            facts["not_after"] = _openssl_date(ln.split("=", 1)[1])

    def cn(dn):
        for part in dn.split(","):
            if part.strip().startswith("CN="):
                return part.strip()[3:]
        return ""
    facts = {"sha256": facts["sha256"], "subject_cn": cn(subj), "issuer_cn": cn(iss),
             "not_before": facts.get("not_before"), "not_after": facts.get("not_after"),
             "self_signed": subj == iss, "key": "unknown"}
    import re
    m = re.search(r"Public Key Algorithm: (\S+)", out)
    b = re.search(r"Public-Key: \((\d+) bit\)", out)
    if m and b:
        alg = {"rsaEncryption": "rsa", "id-ecPublicKey": "ec", "ED25519": "ed25519"}.get(m.group(1), m.group(1))
        facts["key"] = "%s-%s" % (alg, b.group(1))
    return facts


# ------------------------------------------------------------------ manifest

def manifest(lab):
    import emu_es
    import emu_mongo
    entries = []
    root_notes = "recorded responses: fixtures/%s; see tests/lab/emu/emu_es.py header"
    for e in catalog.ES:
        d = emu_es.data_summary(e)
        note = root_notes % e["root"]
        if e["gen"] == "oscompat":
            note += "; OpenSearch 2.6.0 with compatibility.override_main_response_version (reports 7.10.2)"
        if e["auth"]:
            note += "; security on: every request answers 401 (no credentials accepted)"
        if e.get("notes"):
            note += "; " + e["notes"]
        entries.append({"id": e["id"], "address": e["address"], "port": e["port"], "transport": "plain",
                        "service": "elasticsearch", "product": e["product"], "version": e["version"],
                        "auth": "required" if e["auth"] else "none", "tls": None, "data": d, "via": None,
                        "kind": "emulated", "notes": note})
    tls_facts = None
    for k in catalog.KIBANA:
        es = catalog.by_id(k["via"])
        tls = None
        if k["tls"]:
            if tls_facts is None:
                crt, _ = ensure_shanghai_cert(lab)
                tls_facts = cert_facts(crt)
            tls = tls_facts
        note = "recorded responses: fixtures/kibana/* per generation (see tests/lab/emu/emu_kibana.py header)"
        note += "; console proxy forwards GET read paths to %s:%d" % (es["address"], es["port"])
        if k["login"]:
            note += "; login required (302 to /login, 401 on /api/* for 7.x+)"
        if k.get("notes"):
            note += "; " + k["notes"]
        entries.append({"id": k["id"], "address": k["address"], "port": k["port"],
                        "transport": "tls" if k["tls"] else "plain", "service": "kibana", "product": "Kibana",
                        "version": k["version"], "auth": "required" if k["login"] else "none", "tls": tls,
                        "data": emu_es.data_summary(es),
                        "via": {"address": es["address"], "port": es["port"], "service": "elasticsearch"},
                        "kind": "emulated", "notes": note})
    for m in catalog.MONGO:
        note = "recorded responses: fixtures/mongodb/* (see tests/lab/emu/emu_mongo.py header); wire: %s" % (
            "OP_QUERY/OP_REPLY only" if m["proto"] == "legacy" else "OP_MSG (+OP_QUERY handshake)")
        if m["buildinfo"]:
            note += "; buildInfo from fixtures/%s" % m["buildinfo"].replace("buildinfo.json", "buildinfo*")
        if m["auth"]:
            note += "; auth required: code 13 Unauthorized for listDatabases etc."
        tls = None
        if m.get("tls"):
            tls = cert_facts(ensure_mongo_cert(lab)[0])
            note += "; TLS only (requireTLS), its own self-signed certificate"
        entries.append({"id": m["id"], "address": m["address"], "port": m["port"],
                        "transport": "tls" if tls else "plain",
                        "service": "mongodb", "product": "MongoDB", "version": m["version"],
                        "auth": "required" if m["auth"] else "none", "tls": tls, "data": emu_mongo.data_summary(m),
                        "via": None, "kind": "emulated", "notes": note})
    for fam in plugins():  # emu_cases.py, emu_kafka.py, ...: their own manifest entries
        entries += plugin(fam).manifest(lab, cert_facts)
    return entries


def listeners(family):
    if family == "es":
        return [(e["address"], e["port"]) for e in catalog.ES]
    if family == "kibana":
        return [(k["address"], k["port"]) for k in catalog.KIBANA]
    if family == "mongodb":
        return [(m["address"], m["port"]) for m in catalog.MONGO]
    return plugin(family).listeners()


# ------------------------------------------------------------------ serve (child)

def serve(family, lab):
    srv = emu_core.Server()
    if family == "es":
        from emu_es import ES
        for e in catalog.ES:
            srv.listen(e["address"], e["port"], emu_core.http_handler(ES(e)), name=e["id"])
    elif family == "kibana":
        from emu_kibana import Kibana
        ctx = None
        for k in catalog.KIBANA:
            tls = None
            if k["tls"]:
                if ctx is None:
                    crt, key = ensure_shanghai_cert(lab)
                    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                    ctx.load_cert_chain(crt, key)
                tls = ctx
            srv.listen(k["address"], k["port"], emu_core.http_handler(Kibana(k, catalog.by_id(k["via"]))),
                       tls_ctx=tls, name=k["id"])
    elif family != "mongodb":
        plugin(family).serve(srv, lab)
    else:
        from emu_mongo import Mongo
        for m in catalog.MONGO:
            tls = None
            if m.get("tls"):
                crt, key = ensure_mongo_cert(lab)
                tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                tls.load_cert_chain(crt, key)
            srv.listen(m["address"], m["port"], Mongo(m).handle, tls_ctx=tls, name=m["id"])
    emu_core.log("emu-%s: %d listeners up" % (family, len(srv.socks)))
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    srv.serve_forever()


# ------------------------------------------------------------------ up / down

def _pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read().rsplit(")", 1)[1].split()[0]
        return st != "Z"
    except OSError:
        return False


def _is_ours(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            cl = f.read().split(b"\0")
        return any(a.endswith(b"emulab.py") for a in cl) and b"serve" in cl
    except OSError:
        return False


def down(lab):
    pdir = os.path.join(lab, "pids")
    if not os.path.isdir(pdir):
        return 0
    for fn in sorted(os.listdir(pdir)):
        if not (fn.startswith("emu-") and fn.endswith(".pid")):
            continue
        path = os.path.join(pdir, fn)
        try:
            pid = int(open(path).read().strip())
        except (OSError, ValueError):
            os.unlink(path)
            continue
        if _pid_alive(pid) and _is_ours(pid):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            deadline = time.time() + 3
            while time.time() < deadline and _pid_alive(pid):
                time.sleep(0.05)
            if _pid_alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        try:
            os.unlink(path)
        except OSError:
            pass
    return 0


def _accepts(addr, port):
    try:
        with socket.create_connection((addr, port), timeout=0.5):
            return True
    except OSError:
        return False


def up(lab, manifest_out):
    lab = os.path.abspath(lab)
    down(lab)
    os.makedirs(os.path.join(lab, "pids"), exist_ok=True)
    logdir = os.path.join(lab, "logs")
    os.makedirs(logdir, exist_ok=True)
    ensure_shanghai_cert(lab)
    procs = {}
    for fam in FAMILIES:
        log = open(os.path.join(logdir, "emu-%s.log" % fam), "ab")
        env = dict(os.environ)
        p = subprocess.Popen([sys.executable, os.path.abspath(__file__), "serve", "--family", fam, "--lab-dir", lab],
                             stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                             close_fds=True, env=env)
        log.close()
        procs[fam] = p
        with open(os.path.join(lab, "pids", "emu-%s.pid" % fam), "w") as f:
            f.write("%d\n" % p.pid)
    pending = {fam: listeners(fam) for fam in FAMILIES}
    deadline = time.time() + START_TIMEOUT
    while any(pending.values()) and time.time() < deadline:
        for fam in FAMILIES:
            if procs[fam].poll() is not None:
                sys.stderr.write("emulab: emu-%s exited (rc %s); log %s/emu-%s.log:\n" %
                                 (fam, procs[fam].returncode, logdir, fam))
                sys.stderr.write(open(os.path.join(logdir, "emu-%s.log" % fam)).read()[-2000:])
                down(lab)
                return 1
            pending[fam] = [a for a in pending[fam] if not _accepts(*a)]
        if any(pending.values()):
            time.sleep(0.1)
    if any(pending.values()):
        sys.stderr.write("emulab: listeners not accepting after %.0fs: %r\n" % (START_TIMEOUT, pending))
        down(lab)
        return 1
    entries = manifest(lab)
    out = manifest_out or os.path.join(lab, "manifest.emu.json")
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(entries, f, indent=1)
        f.write("\n")
    os.replace(tmp, out)
    n = sum(len(v) for v in (listeners(f) for f in FAMILIES))
    print("emulab: %d emulated listeners up (%s); manifest %s" % (
        n, ", ".join("%d %s" % (len(listeners(f)), f) for f in FAMILIES), out))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("cmd", choices=["up", "down", "serve", "manifest"])
    ap.add_argument("--lab-dir", default=None)
    ap.add_argument("--manifest-out", default=None)
    ap.add_argument("--fixtures", default=None,
                    help="read recorded responses from this fixtures folder first (default: tests/lab/emu/recorded)")
    ap.add_argument("--family", choices=FAMILIES)
    a = ap.parse_args(argv)
    if a.fixtures:
        os.environ["EMU_FIXTURES"] = os.path.abspath(a.fixtures)
    if a.cmd == "manifest":
        lab = a.lab_dir or tempfile.mkdtemp(prefix="emulab-")
        json.dump(manifest(lab), sys.stdout, indent=1)
        print()
        return 0
    if not a.lab_dir:
        ap.error("--lab-dir is required")
    if a.cmd == "up":
        return up(a.lab_dir, a.manifest_out)
    if a.cmd == "down":
        return down(os.path.abspath(a.lab_dir))
    if a.cmd == "serve":
        serve(a.family, os.path.abspath(a.lab_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
