#!/usr/bin/env python3
"""bench/identify_score.py -- helper of bench/identify.sh.

  identify_score.py targets MANIFEST DIR
      writes DIR/pairs.txt (one address:port per manifest instance, ajar's
      -iL) and DIR/groups.txt ("PORTS ADDR ADDR ..." per distinct port list,
      one nmap run each), so both tools get exactly the same pairs.

  identify_score.py score --manifest M --ajar A.jsonl [--ajar ...]
                          --nmap LABEL=DIR [--nmap LABEL=DIR ...]
                          --time LABEL=SECONDS ... --table FILE --summary FILE
      scores every manifest instance for every tool (product, version, auth)
      and writes the per-instance table and the summary. The rules are in
      docs/bench-identify.md; they are written once here for both tools.

Python 3 standard library only.
"""
import argparse
import glob
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

# ---------------------------------------------------------------------------
# What nmap may call each manifest product.  Case-insensitive.
#   sv:    accepted values of nmap's -sV "product" field (nmap-service-probes
#          vocabulary: "Redis key-value store", "PostgreSQL DB", ...)
#   sv_if: product accepted only when the -sV version string contains the
#          given word (MariaDB answers the MySQL probe: "MySQL" with version
#          "5.5.5-10.11.19-MariaDB-...")
#   name:  regex on the service *name* when an NSE version script or a probe
#          (method="probed") set it but left product empty
#          (mqtt-subscribe names the port "mosquitto version 2.0.11")
#   title: regex searched in http-title's output (dashboards behind a generic
#          web server); group 1, when present, is the version
# ajar is held to the manifest's own spelling (case-insensitive equality).
# ---------------------------------------------------------------------------
NMAP_PRODUCTS = {
    "Redis": {"sv": ["Redis key-value store", "Redis"]},
    "Memcached": {"sv": ["Memcached"]},
    "PostgreSQL": {"sv": ["PostgreSQL DB", "PostgreSQL"]},
    "MariaDB": {"sv": ["MariaDB"], "sv_if": {"MySQL": "MariaDB"}},
    "etcd": {"sv": ["etcd", "CoreOS etcd"]},
    "Mosquitto": {"sv": ["Mosquitto", "Eclipse Mosquitto", "Mosquitto MQTT broker"],
                  "name": [r"^mosquitto\b"]},
    "InfluxDB": {"sv": ["InfluxDB", "InfluxDB http admin"]},
    "ClickHouse": {"sv": ["ClickHouse DBMS", "ClickHouse"]},
    "Prometheus": {"sv": ["Prometheus"], "title": [r"\bPrometheus\b"]},
    "RabbitMQ": {"sv": ["RabbitMQ"], "title": [r"\bRabbitMQ\b"]},
    "ZooKeeper": {"sv": ["Zookeeper", "Apache ZooKeeper", "ZooKeeper"]},
    "PouchDB Server": {"sv": ["PouchDB", "PouchDB Server"], "title": [r"\bPouchDB\b"]},
    "redis-commander": {"sv": ["redis-commander", "Redis Commander"],
                        "title": [r"\bRedis Commander\b"]},
    "phpMyAdmin": {"sv": ["phpMyAdmin"], "title": [r"\bphpMyAdmin(?:\s+v?(\d[\w.~+-]*))?"]},
    "Adminer": {"sv": ["Adminer"], "title": [r"\bAdminer(?:\s+v?(\d[\w.~+-]*))?"]},
    "Elasticsearch": {"sv": ["Elasticsearch REST API", "Elasticsearch"]},
    "OpenSearch": {"sv": ["OpenSearch", "OpenSearch REST API"]},
    "Kibana": {"sv": ["Elasticsearch Kibana", "Kibana"], "title": [r"\bKibana\b"]},
    "MongoDB": {"sv": ["MongoDB"]},
    "nginx": {"sv": ["nginx"]},
}


def version_ok(reported, truth, nmap=False):
    """Exact, or the truth followed by a non-digit, non-dot suffix
    ("10.11.19-MariaDB-0+deb12u1", "5.2.1deb1+deb12u1" for 10.11.19, 5.2.1).
    MariaDB's fixed "5.5.5-" replication prefix is dropped first."""
    if not reported or not truth:
        return False
    r = reported.strip()
    if r.startswith("5.5.5-") and "mariadb" in r.lower():
        r = r[len("5.5.5-"):]
    if r == truth:
        return True
    if r.startswith(truth):
        nxt = r[len(truth)]
        return not (nxt.isdigit() or nxt == ".")
    return False


# ---------------------------------------------------------------- targets --
def cmd_targets(manifest, outdir):
    m = json.load(open(manifest))
    by = {}
    order = []
    with open(os.path.join(outdir, "pairs.txt"), "w") as f:
        for i in m["instances"]:
            f.write("%s:%d\n" % (i["address"], i["port"]))
            if i["address"] not in by:
                by[i["address"]] = set()
                order.append(i["address"])
            by[i["address"]].add(i["port"])
    groups = {}
    for a in order:
        key = ",".join(str(p) for p in sorted(by[a]))
        groups.setdefault(key, []).append(a)
    with open(os.path.join(outdir, "groups.txt"), "w") as f:
        for k in sorted(groups, key=lambda s: [int(x) for x in s.split(",")]):
            f.write("%s %s\n" % (k, " ".join(groups[k])))
    print("%d instances, %d addresses, %d nmap port groups"
          % (len(m["instances"]), len(order), len(groups)))


# ------------------------------------------------------------------- ajar --
def load_ajar(path):
    recs = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            recs.setdefault((r["ip"], r["port"]), []).append(r)
    return recs


def ajar_read(recs, inst):
    """The record of the manifest's (address, port): the one not reached
    through a console (via == null); a console's store comes second."""
    rs = recs.get((inst["address"], inst["port"]), [])
    if not rs:
        return None
    own = [r for r in rs if not r.get("via")]
    r = (own or rs)[0]
    return {"product": r.get("product"), "version": r.get("version"),
            "auth": r.get("auth") or "unknown", "service": r.get("service")}


def auth_ok(got, inst):
    """A static web page (the TLS cases, service http) has nothing to log in to:
    docs/record.md defines auth "unknown" for it, which the manifest writes "none"
    (the lab's look-alike traps: null). Each counts as right, for every tool alike."""
    if inst["service"] == "http" and inst["auth"] in ("none", None):
        return got in ("none", "unknown")
    return got == inst["auth"]


def ajar_score(read, inst):
    if read is None:
        return {"product": False, "version": None, "auth": False, "read": None}
    p = (read["product"] or "").lower() == (inst["product"] or "").lower()
    return {"product": p, "version": version_scored(read["version"], inst),
            "auth": auth_ok(read["auth"], inst), "read": read}


def version_scored(reported, inst):
    """None = not scored; else True/False. Scored where the manifest has a
    version and (the tool states one, or the instance is open)."""
    truth = inst.get("version")
    if not truth:
        return None
    if not reported and inst["auth"] != "none":
        return None
    return version_ok(reported, truth)


# ------------------------------------------------------------------- nmap --
def load_nmap(directory):
    ports = {}
    for f in sorted(glob.glob(os.path.join(directory, "*.xml"))):
        try:
            root = ET.parse(f).getroot()
        except ET.ParseError as e:
            print("identify_score: %s: %s" % (f, e), file=sys.stderr)
            continue
        for h in root.iter("host"):
            addr = None
            for a in h.findall("address"):
                if a.get("addrtype") == "ipv4":
                    addr = a.get("addr")
            for p in h.iter("port"):
                ports[(addr, int(p.get("portid")))] = p
    return ports


def nmap_scripts(p):
    return {s.get("id"): s.get("output") or "" for s in p.findall("script")}


def nmap_read(ports, inst):
    p = ports.get((inst["address"], inst["port"]))
    if p is None:
        return None
    st = p.find("state").get("state")
    s = p.find("service")
    sv = {k: (s.get(k) if s is not None else None) or ""
          for k in ("name", "product", "version", "extrainfo", "tunnel", "method")}
    scripts = nmap_scripts(p)
    return {"state": st, "sv": sv, "scripts": scripts,
            "auth": nmap_auth(scripts)}


def nmap_auth(sc):
    """What nmap's scripts prove; anything else is 'unknown'."""
    o = sc.get("redis-info")
    if o is not None:
        if re.search(r"NOAUTH|Authentication required", o, re.I):
            return "required"
        if re.search(r"Version:", o):
            return "none"
    o = sc.get("memcached-info")
    if o is not None:
        if re.search(r"Authentication:\s*yes", o, re.I):
            return "required"
        if re.search(r"Process ID|Uptime", o):
            return "none"
    o = sc.get("mysql-empty-password")
    if o is not None and re.search(r"has empty password", o):
        return "none"
    o = sc.get("mongodb-databases")
    if o is not None:
        if re.search(r"code = 13\b|not authorized|requires authentication", o, re.I):
            return "required"
        if re.search(r"\bname = ", o):
            return "none"
    o = sc.get("couchdb-databases")
    if o is not None:
        if re.search(r"\b1 = ", o):
            return "none"
        if re.search(r"401|unauthori[sz]ed|authentication required", o, re.I):
            return "required"
    o = sc.get("mqtt-subscribe")
    if o is not None:
        if re.search(r"Not Authorized|Bad username or password", o, re.I):
            return "required"
        if re.search(r"Topics and their most recent payloads", o):
            return "none"
    return "unknown"


def nmap_score(read, inst):
    """Product: the -sV product, a probed service name, or http-title, as the
    mapping above allows. Version: the one given with the accepted product;
    else -sV's version field."""
    if read is None or read["state"] != "open":
        return {"product": False, "version": None, "auth": False,
                "read": read, "shown": ("(%s)" % read["state"]) if read else "(absent)",
                "version_shown": None}
    sv = read["sv"]
    acc = NMAP_PRODUCTS.get(inst["product"], {})
    hit = None  # (shown product, version)
    prod = sv["product"]
    if prod:
        if prod.lower() in [x.lower() for x in acc.get("sv", [])]:
            hit = (prod, sv["version"])
        for sp, word in acc.get("sv_if", {}).items():
            if prod.lower() == sp.lower() and word.lower() in sv["version"].lower():
                hit = (prod, sv["version"])
    if hit is None and not prod and sv["method"] == "probed":
        for rx in acc.get("name", []):
            if re.search(rx, sv["name"], re.I):
                mv = re.search(r"(\d+(?:\.\d+)+[\w.~+-]*)", sv["name"])
                hit = (sv["name"], sv["version"] or (mv.group(1) if mv else ""))
    title = read["scripts"].get("http-title")
    if hit is None and title:
        for rx in acc.get("title", []):
            mt = re.search(rx, title, re.I)
            if mt:
                v = mt.group(1) if mt.groups() and mt.group(1) else ""
                hit = ("title:" + title.strip().splitlines()[0][:40], v)
    if hit:
        shown, ver = hit[0], hit[1]
        pok = True
    else:
        shown = prod or (sv["name"] + ("?" if sv["method"] != "probed" else ""))
        ver = sv["version"]
        pok = False
    return {"product": pok, "version": version_scored(ver, inst), "auth":
            auth_ok(read["auth"], inst), "read": read, "shown": shown,
            "version_shown": ver or None}


# ------------------------------------------------------------------ score --
def mark(v):
    return "." if v is None else ("+" if v else "-")


def cell(product, version, auth, s):
    return "%s %s %s [P%s V%s A%s]" % (product or "null", version or "null", auth,
                                       mark(s["product"]), mark(s["version"]),
                                       mark(s["auth"]))


def tally(scores, insts, pick=None):
    n = {"product": [0, 0], "version": [0, 0], "auth": [0, 0]}
    for s, inst in zip(scores, insts):
        if pick and not pick(inst):
            continue
        for k in n:
            if s[k] is None:
                continue
            n[k][1] += 1
            n[k][0] += 1 if s[k] else 0
    return n


def fmt(t):
    x, y = t
    return "%d/%d (%s)" % (x, y, ("%.0f%%" % (100.0 * x / y)) if y else "-")


def cmd_score(a):
    m = json.load(open(a.manifest))
    insts = m["instances"]
    times = {}
    for t in a.time:
        k, v = t.split("=", 1)
        times[k] = v
    tools = []  # (label, scores, cells)
    ajar_runs = [load_ajar(p) for p in a.ajar]
    # every ajar run is scored; the table shows the first, the summary flags
    # any disagreement between runs
    runs_scores = []
    for recs in ajar_runs:
        runs_scores.append([ajar_score(ajar_read(recs, i), i) for i in insts])
    sc = runs_scores[0]
    cells = []
    for s in sc:
        r = s["read"]
        cells.append(cell(r["product"], r["version"], r["auth"], s) if r else
                     "(no record) [P- V. A-]")
    tools.append(("ajar", sc, cells))
    unstable = []
    for k, rs in enumerate(runs_scores[1:], 2):
        for i, (x, y) in enumerate(zip(sc, rs)):
            if (x["product"], x["version"], x["auth"]) != (y["product"], y["version"], y["auth"]):
                unstable.append("%s (run 1 vs run %d)" % (insts[i]["id"], k))
    for spec in a.nmap:
        label, d = spec.split("=", 1)
        ports = load_nmap(d)
        sc = [nmap_score(nmap_read(ports, i), i) for i in insts]
        cells = [cell(s["shown"], s["version_shown"], s["read"]["auth"] if s["read"] else "unknown", s)
                 for s in sc]
        tools.append((label, sc, cells))

    # ---- table ----
    with open(a.table, "w") as f:
        f.write("# bench/identify.sh per-instance table: truth, then each tool as\n"
                "# 'product version auth [P V A]' with + correct, - wrong, . not scored\n"
                "# (version: scored where the manifest has one and the tool states one\n"
                "# or the instance is open). nmap's auth = what its scripts prove.\n\n")
        for i, inst in enumerate(insts):
            f.write("%s  %s:%d  (%s)\n" % (inst["id"], inst["address"], inst["port"], inst["kind"]))
            f.write("    %-10s %s %s %s\n" % ("truth", inst["product"], inst["version"] or "null",
                                              inst["auth"]))
            for label, sc, cells in tools:
                f.write("    %-10s %s\n" % (label, cells[i]))
        f.write("\n")

    # ---- summary ----
    out = []
    out.append("instances: %d (%d real, %d emulated); same address:port pairs for every tool"
               % (len(insts), sum(1 for i in insts if i["kind"] == "real"),
                  sum(1 for i in insts if i["kind"] != "real")))
    out.append("")
    out.append("wall time (s):")
    for k, v in times.items():
        out.append("  %-24s %s" % (k, v))
    aj = times.get("ajar")
    if aj:
        for k, v in times.items():
            if k != "ajar" and not k.startswith("ajar"):
                try:
                    out.append("  ratio %s / ajar: %.0fx" % (k, float(v) / float(aj)))
                except ValueError:
                    pass
    out.append("")
    for title, pick in (("all instances", None),
                        ("real servers only", lambda i: i["kind"] == "real"),
                        ("emulated only", lambda i: i["kind"] != "real")):
        out.append("accuracy, %s:" % title)
        out.append("  %-12s %-16s %-16s %-16s" % ("tool", "product", "version", "auth"))
        for label, sc, _ in tools:
            n = tally(sc, insts, pick)
            out.append("  %-12s %-16s %-16s %-16s" % (label, fmt(n["product"]),
                                                      fmt(n["version"]), fmt(n["auth"])))
        out.append("")
    if unstable:
        out.append("ajar runs disagree on: " + ", ".join(unstable))
        out.append("")
    out.append("where ajar is wrong (truth -> ajar):")
    any_wrong = False
    label, sc, _ = tools[0]
    for inst, s in zip(insts, sc):
        what = [k for k in ("product", "version", "auth") if s[k] is False]
        if not what:
            continue
        any_wrong = True
        r = s["read"] or {"product": None, "version": None, "auth": "unknown"}
        parts = []
        for k in what:
            parts.append("%s %s -> %s" % (k, inst[k], r[k]))
        out.append("  %-32s %s" % (inst["id"], "; ".join(parts)))
    if not any_wrong:
        out.append("  none")
    text = "\n".join(out) + "\n"
    with open(a.summary, "w") as f:
        f.write(text)
    sys.stdout.write(text)
    if a.json:
        res = {"times": times, "tools": {}}
        for label, sc, _ in tools:
            res["tools"][label] = {t: tally(sc, insts, p) for t, p in
                                   (("all", None), ("real", lambda i: i["kind"] == "real"),
                                    ("emulated", lambda i: i["kind"] != "real"))}
            res["tools"][label]["per_instance"] = {
                inst["id"]: {k: s[k] for k in ("product", "version", "auth")}
                for inst, s in zip(insts, sc)}
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("targets")
    t.add_argument("manifest")
    t.add_argument("dir")
    s = sub.add_parser("score")
    s.add_argument("--manifest", required=True)
    s.add_argument("--ajar", action="append", required=True)
    s.add_argument("--nmap", action="append", default=[])
    s.add_argument("--time", action="append", default=[])
    s.add_argument("--table", required=True)
    s.add_argument("--summary", required=True)
    s.add_argument("--json")
    a = ap.parse_args()
    if a.cmd == "targets":
        cmd_targets(a.manifest, a.dir)
    else:
        cmd_score(a)


if __name__ == "__main__":
    main()
