#!/usr/bin/python3
"""Compare what ajar found in the lab with the lab's manifest of the truth.

usage: lab_check.py MANIFEST FINDINGS.jsonl [--schema docs/record.schema.json]

For every manifest instance the record at its address and port must name
the right service, product, version and authentication state; TLS entries
must carry the right certificate facts; where data is readable without
credentials the counts must match (within a small tolerance where the
manifest counts system databases the product itself hides). A console that
proxies to a store (Kibana, redis-commander, phpMyAdmin) must yield the
store's finding with `via` pointing at the console. Nothing may be reported
at an address and port the manifest does not hold. Every line must validate
against the record's JSON Schema.

Prints one line per failed check (and per passed one with -v), then
"N passed, N failed" alone on the last line.
"""
import json
import sys

args = [a for a in sys.argv[1:] if not a.startswith("-")]
verbose = "-v" in sys.argv
schema_path = "docs/record.schema.json"
if "--schema" in sys.argv:
    schema_path = sys.argv[sys.argv.index("--schema") + 1]
    args.remove(schema_path)
manifest = json.load(open(args[0]))["instances"]
records = [json.loads(l) for l in open(args[1]) if l.strip()]

npass = nfail = 0


def check(ok, what):
    global npass, nfail
    if ok:
        npass += 1
        if verbose:
            print("ok  ", what)
    else:
        nfail += 1
        print("FAIL", what)


# services the manifest names differently from ajar's records
ALIASES = {"clickhouse-native": {"clickhouse-native", "clickhouse"}}


# consoles whose pages carry no version
NO_VERSION = {"redis-commander"}
# counts the manifest holds that no metadata request can give: InfluxDB points
# (only a query over the data counts them); the native ClickHouse port (ajar reads
# the catalog over the HTTP port of the same server)
# MQTT retained-message counts ($SYS/broker/retained messages/count is only
# published every sys_interval, not retained: a scan would have to wait for it)
NO_DATA = {("mqtt", "records"), ("influxdb", "records"), ("clickhouse-native", "records"),
           ("clickhouse-native", "collections"), ("clickhouse-native", "databases")}


# per-instance limits, with the reason (said in docs/probes-binary-a.md)
INSTANCE_NO_DATA = {
    # MongoDB 2.6 has no listCollections: collection names (and so their counts)
    # are only in the system.namespaces collection, which ajar does not query
    "mongodb-2.6-open": {"records", "collections"},
}


def same_service(m, r):
    return r.get("service") in ALIASES.get(m, {m})


# 1. schema
try:
    import jsonschema

    schema = json.load(open(schema_path))
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    for r in records:
        errs = list(validator.iter_errors(r))
        if errs:
            bad += 1
            print("FAIL schema", r.get("ip"), r.get("port"), r.get("service"), errs[0].message[:200])
    check(bad == 0, "%d records valid against %s" % (len(records), schema_path))
except ImportError:
    check(False, "python3-jsonschema is installed (needed to validate records)")

direct = {}
via = {}
for r in records:
    key = (r["ip"], r["port"])
    if r.get("via"):
        via.setdefault(key, []).append(r)
    else:
        direct.setdefault(key, []).append(r)


def near(got, want):
    if want is None:
        return True
    if got is None:
        return False
    if want == got:
        return True
    # counts the manifest takes from a server's own totals can include what the
    # product hides from clients (MongoDB's admin/local/config): 1% or 1
    return abs(got - want) <= max(1, 0.01 * want)


def user_collections(names):
    # MongoDB names are "db.collection"; admin/local/config and system.* are the server's own
    n = 0
    for x in names:
        db, _, coll = x.partition(".")
        if coll and db not in ("admin", "local", "config") and not coll.startswith("system."):
            n += 1
    return n


def check_data(m, r, label):
    md = dict(m.get("data") or {})
    if m["service"] == "mongodb" and md.get("names"):
        md["collections"] = user_collections(md["names"])
    rd = r.get("data") or {}
    for k in ("records", "collections", "databases"):
        if (m["service"], k) in NO_DATA or k in INSTANCE_NO_DATA.get(m["id"], ()):
            continue
        if k in md and md[k]:
            check(near(rd.get(k), md[k]), "%s %s: %s=%s (manifest %s)" % (m["id"], label, k, rd.get(k), md[k]))
    if "bytes" in md and md["bytes"] and m["service"] in ("elasticsearch", "kibana"):
        check(near(rd.get("bytes"), md["bytes"]), "%s %s: bytes=%s (manifest %s)" % (m["id"], label, rd.get("bytes"), md["bytes"]))


man_keys = set()
for m in manifest:
    key = (m["address"], m["port"])
    man_keys.add(key)
    cands = [r for r in direct.get(key, []) if same_service(m["service"], r)]
    check(len(cands) == 1, "%s: one %s record at %s:%d (got %s)" % (
        m["id"], m["service"], m["address"], m["port"],
        [r.get("service") for r in direct.get(key, [])]))
    if not cands:
        continue
    r = cands[0]
    # a locked MQTT broker says only "not authorized": no product name to read
    # a generic web server (a look-alike trap) may name itself in Server: (nginx); the case
    # expects no product of ours
    if m["service"] == "http" and not m["product"]:
        pass
    elif not (m["auth"] == "required" and m["service"] in ("mqtt",)):
      check((r.get("product") or "").lower() == (m["product"] or "").lower(),
            "%s: product %r (manifest %r)" % (m["id"], r.get("product"), m["product"]))
    if m.get("version"):
        # A locked server often shows no version before login (a 401, NOAUTH, a
        # SCRAM challenge): then none is fine, but a version reported must be exact.
        # Open ones must show it, except consoles that never print theirs.
        if r.get("version") is not None or (m["auth"] == "none" and m["service"] not in NO_VERSION):
            check(r.get("version") == m["version"],
                  "%s: version %r (manifest %r)" % (m["id"], r.get("version"), m["version"]))
    want_auth = m["auth"]
    got_auth = r.get("auth")
    if m["service"] == "http":
        # a static page: nothing to log in to; a 401 (a trap's realm): required
        ok = got_auth == want_auth if want_auth == "required" else got_auth in ("none", "unknown")
    else:
        ok = got_auth == want_auth
    check(ok, "%s: auth %r (manifest %r)" % (m["id"], got_auth, want_auth))
    mt = m.get("tls")
    if mt:
        rt = r.get("tls") or {}
        for k in ("sha256", "subject_cn", "issuer_cn", "not_before", "not_after", "self_signed", "key"):
            if k in mt and mt[k] is not None:
                check(rt.get(k) == mt[k], "%s: tls.%s %r (manifest %r)" % (m["id"], k, rt.get(k), mt[k]))
    else:
        check(not r.get("tls"), "%s: no TLS (got %s)" % (m["id"], (r.get("tls") or {}).get("version")))
    if want_auth == "none":
        mv = m.get("via")
        if mv and m["service"] == "phpmyadmin":
            # phpMyAdmin's page names the databases behind it, not a store record of its own
            det = r.get("details") or {}
            check(det.get("proxies_to") == mv["service"], "%s: proxies_to %r" % (m["id"], det.get("proxies_to")))
            check_data(m, r, "data")
        elif mv and m["service"] in ("kibana", "redis-commander"):
            # the store behind the console, reached through it
            vs = [v for v in via.get(key, []) if v["via"]["service"] == m["service"]]
            vs += [v for vk, vl in via.items() for v in vl
                   if v["via"]["ip"] == m["address"] and v["via"]["port"] == m["port"] and vk != key]
            stores = [v for v in vs if v.get("service") == mv["service"]]
            check(len(stores) >= 1, "%s: the %s behind it, reached through it (via)" % (m["id"], mv["service"]))
            if stores and m["service"] == "kibana":
                check_data(m, stores[0], "via-" + mv["service"])
        else:
            check_data(m, r, "data")

# 2. nothing outside the manifest
for key, rs in list(direct.items()) + list(via.items()):
    for r in rs:
        if r.get("via"):
            ok = key in man_keys or (r["via"]["ip"], r["via"]["port"]) in man_keys
        else:
            ok = key in man_keys
        check(ok, "record %s:%d %s is in the manifest" % (key[0], key[1], r.get("service")))

print("%d passed, %d failed" % (npass, nfail))
sys.exit(1 if nfail else 0)
