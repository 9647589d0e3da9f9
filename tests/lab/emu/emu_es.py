# EMULATED Elasticsearch / OpenSearch (NOT the real product) for ajar's lab.
#
# Follows these recorded responses (copies under recorded/, originals in
# /work/shared/fixtures, provenance in recorded/SOURCE.md):
#   GET / bodies, served byte for byte:
#     elasticsearch/1.7.3/root.json, 2.0.0/root.json, 5.4.2/root.json, 5.5.1/root.json,
#     6.8.23/root.json, 7.10.2/root.json, 7.15.1/root.json, 7.17.27/root.json,
#     8.15.0/root.json, opensearch-2.6.0/root.json
#     (5.5.1 for the Shanghai clusters with name/cluster_name/cluster_uuid values replaced;
#      the OpenSearch compatibility-mode root is opensearch-2.6.0 with "distribution" removed
#      and "number" set to 7.10.2, as elasticsearch/notes.md describes)
#   headers: elasticsearch/8.15.0/root.headers.txt (X-elastic-product, content-type without
#     charset on 8.x), elasticsearch/7.17.14/open_index.headers.txt (Warning: 299 text, order)
#   401 bodies: elasticsearch/shield-1.x-2.x-docs/unauth_401.json (1.x/2.x),
#     5.x-xpack/unauth_401.json (5.x/6.x wording), 7.10.2/unauth_401.json (7.x),
#     8.8.1/unauth_401.json (8.x, WWW-Authenticate as two headers: Basic + ApiKey)
#   _cluster/health keys: elasticsearch/6.8.8/cluster_health.json
#   _mapping shape: elasticsearch/7.8.0/mapping.json (7.x+); typed level for 1.x-6.x
#   _cat/indices: docs-1.x-6.x/cat_indices_bytes_b.txt (text form, 1.x columns),
#     docs-5.x-7.x/cat_indices.json, docs-8.x-9.x/cat_indices.json (dataset.size on 8.x),
#     7.15.0/cat_shards.json (compact JSON, all values strings)
#
# INVENTED where no capture exists (documented formats / general knowledge, marked in code):
#   - _cat/indices JSON for 1.x/2.x (columns as the text fixture; 2.x adds status) and for
#     5.x-8.x with uuid (docs-* examples + cat_shards string-valued shape);
#   - OpenSearch security-plugin 401 ('Unauthorized', realm "OpenSearch Security"): no
#     capture in the fixtures (notes.md "Gaps");
#   - Netty3-era header case "Content-Type"/"Content-Length" on 1.x/2.x;
#   - error bodies for unknown paths/indices, _nodes (minimal), ?pretty rendering.
# Security-on instances never authenticate anybody: every request gets the 401.

import base64
import hashlib
import re

from emu_core import Response, compact, jackson_pretty, load_recorded

WARN_299 = ('299 Elasticsearch-%s-%s "Elasticsearch built-in security features are not enabled. '
            'Without authentication, your cluster could be accessible to anyone. See '
            'https://www.elastic.co/guide/en/elasticsearch/reference/%s/security-minimal-setup.html '
            'to enable security."')

GENS = {
    #        netty3 header case, content-type, cat columns, typed mapping, string types
    "1": dict(major=1, netty3=True, ct="application/json; charset=UTF-8", typed=True, strings=True),
    "2": dict(major=2, netty3=True, ct="application/json; charset=UTF-8", typed=True, strings=True),
    "5": dict(major=5, ct="application/json; charset=UTF-8", typed=True),
    "6": dict(major=6, ct="application/json; charset=UTF-8", typed=True, type_name="doc"),
    "7.10": dict(major=7, ct="application/json; charset=UTF-8"),
    "7.15": dict(major=7, ct="application/json; charset=UTF-8", product_hdr=True, warn=True),
    "7.17": dict(major=7, ct="application/json; charset=UTF-8", product_hdr=True, warn=True),
    "8": dict(major=8, ct="application/json", product_hdr=True, dataset=True),
    "os2": dict(major=7, ct="application/json; charset=UTF-8", opensearch=True),
    "oscompat": dict(major=7, ct="application/json; charset=UTF-8", opensearch=True),
}


def index_uuid(name, inst_id):
    return base64.urlsafe_b64encode(hashlib.sha256((inst_id + name).encode()).digest())[:22].decode()


def human_bytes(n):
    """ByteSizeValue.toString(): one decimal, '.0' dropped, units b kb mb gb tb pb."""
    units = [("pb", 1024 ** 5), ("tb", 1024 ** 4), ("gb", 1024 ** 3), ("mb", 1024 ** 2), ("kb", 1024)]
    for u, f in units:
        if n >= f:
            v = "%.1f" % (n / f)
            if v.endswith(".0"):
                v = v[:-2]
            return v + u
    return "%db" % n


def flatten_fields(fields, prefix=""):
    out = []
    for k, v in fields.items():
        if isinstance(v, dict):
            out += flatten_fields(v, prefix + k + ".")
        else:
            out.append(prefix + k)
    return out


def root_body(inst):
    body = load_recorded(inst["root"])
    if inst["gen"] == "oscompat":
        body = re.sub(r'\n\s*"distribution" : "opensearch",', "", body)
        body = body.replace('"number" : "2.6.0"', '"number" : "7.10.2"')
    for key, val in inst.get("override", {}).items():
        body = re.sub(r'("%s" : )"[^"]*"' % key, lambda m: m.group(1) + '"%s"' % val, body, count=1)
    return body


def build_hash(inst):
    m = re.search(r'"build_hash" : "([0-9a-f]+)"', root_body(inst))
    return m.group(1) if m else ""


def _cat_columns(g):
    if g["major"] <= 2:
        # docs-1.x-6.x/cat_indices_bytes_b.txt shows the 1.0-1.3 layout (no status); the 1.4-2.x
        # reference pages (elastic.co/guide/en/elasticsearch/reference/1.7/cat-indices.html) show
        # 'health status index pri rep ...' - 1.7.3 and 2.0.0 use that. No uuid before 5.0.
        return ["health", "status", "index", "pri", "rep", "docs.count", "docs.deleted", "store.size",
                "pri.store.size"]
    cols = ["health", "status", "index", "uuid", "pri", "rep", "docs.count", "docs.deleted", "store.size",
            "pri.store.size"]
    if g.get("dataset"):
        cols.append("dataset.size")
    return cols


NUMERIC = {"pri", "rep", "docs.count", "docs.deleted", "store.size", "pri.store.size", "dataset.size"}


def cat_rows(inst, bytes_b):
    g = GENS[inst["gen"]]
    rows = []
    for ix in inst["indices"]:
        pri_bytes = ix["bytes"]   # single node: replicas stay unassigned, so store == primary store
        size = (lambda n: str(n)) if bytes_b else human_bytes
        r = {"health": "yellow" if ix["rep"] else "green", "status": ix["status"], "index": ix["name"],
             "uuid": index_uuid(ix["name"], inst["id"]), "pri": str(ix["pri"]), "rep": str(ix["rep"]),
             "docs.count": str(ix["docs"]), "docs.deleted": str(ix["deleted"]),
             "store.size": size(ix["bytes"]), "pri.store.size": size(pri_bytes), "dataset.size": size(ix["bytes"])}
        rows.append(r)
    return rows, _cat_columns(g)


def cat_text(rows, cols, header):
    table = ([cols] if header else []) + [[r[c] for c in cols] for r in rows]
    if not table:
        return ""
    widths = [max(len(row[i]) for row in table) for i in range(len(cols))]
    lines = []
    for ri, row in enumerate(table):
        cells = []
        for i, v in enumerate(row):
            right = cols[i] in NUMERIC and not (header and ri == 0)
            cells.append(v.rjust(widths[i]) if right else v.ljust(widths[i]))
        lines.append(" ".join(cells).rstrip() if cols[-1] not in NUMERIC else " ".join(cells))
    return "\n".join(lines) + "\n"


def field_mapping(t, g):
    if isinstance(t, dict):
        return {"properties": {k: field_mapping(v, g) for k, v in t.items()}}
    if g.get("strings"):   # 1.x/2.x: string type; keyword == not_analyzed string
        if t == "text":
            return {"type": "string"}
        if t == "keyword":
            return {"type": "string", "index": "not_analyzed"}
        if t == "date":
            return {"type": "date", "format": "dateOptionalTime" if g["major"] == 1 else
                    "strictDateOptionalTime||epoch_millis"}
        return {"type": t}
    if t == "text":   # dynamic-mapping style text + keyword subfield (cf. 7.8.0/mapping.json 'fields')
        return {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}
    return {"type": t}


def mappings(inst, names):
    g = GENS[inst["gen"]]
    out = {}
    for ix in inst["indices"]:
        if names is not None and ix["name"] not in names:
            continue
        props = {"properties": {k: field_mapping(v, g) for k, v in ix["fields"].items()}}
        if g.get("typed"):
            out[ix["name"]] = {"mappings": {g.get("type_name", ix["type"]): props}}
        else:
            out[ix["name"]] = {"mappings": props}
    return out


def cluster_health(inst):
    g = GENS[inst["gen"]]
    m = re.search(r'"cluster_name" : "([^"]*)"', root_body(inst))
    pri = sum(ix["pri"] for ix in inst["indices"])
    unassigned = sum(ix["pri"] * ix["rep"] for ix in inst["indices"])
    h = {"cluster_name": m.group(1) if m else "elasticsearch",
         "status": "yellow" if unassigned else "green", "timed_out": False}
    if inst["gen"] in ("7.17", "8"):
        h["discovered_master"] = True
    if g.get("opensearch"):
        h["discovered_master"] = True
        h["discovered_cluster_manager"] = True
    h.update({"number_of_nodes": 1, "number_of_data_nodes": 1, "active_primary_shards": pri, "active_shards": pri,
              "relocating_shards": 0, "initializing_shards": 0, "unassigned_shards": unassigned,
              "delayed_unassigned_shards": 0, "number_of_pending_tasks": 0, "number_of_in_flight_fetch": 0})
    if g["major"] >= 2:
        h["task_max_waiting_in_queue_millis"] = 0
        total = pri + unassigned
        pct = 100.0 * pri / total if total else 100.0
        h["active_shards_percent_as_number"] = int(pct) if pct == int(pct) else pct
    return h


def nodes_info(inst):
    # minimal _nodes (INVENTED subset; field names as in recorded 2.4.3/5.2.2 nodes.json)
    g = GENS[inst["gen"]]
    body = root_body(inst)
    name = re.search(r'"name" : "([^"]*)"', body).group(1)
    cname = re.search(r'"cluster_name" : "([^"]*)"', body).group(1)
    nid = index_uuid("node", inst["id"])
    node = {"name": name, "transport_address": "127.0.0.1:9300", "host": "127.0.0.1", "ip": "127.0.0.1",
            "version": inst["version"]}
    if g["major"] <= 2:
        node["build"] = build_hash(inst)[:7]
        node["http_address"] = "127.0.0.1:9200"
        return {"cluster_name": cname, "nodes": {nid: node}}
    node["build_hash"] = build_hash(inst)
    node["roles"] = ["master", "data", "ingest"]
    return {"_nodes": {"total": 1, "successful": 1, "failed": 0}, "cluster_name": cname, "nodes": {nid: node}}


class ES:
    def __init__(self, inst):
        self.inst = inst
        self.g = GENS[inst["gen"]]
        self.root = root_body(inst).encode("utf-8")
        self.hash = build_hash(inst)

    # ----- header sets
    def base_headers(self, ct):
        g = self.g
        h = []
        if g.get("product_hdr"):
            h.append(("X-elastic-product", "Elasticsearch"))
        if g.get("warn") and not self.inst["auth"]:
            v = self.inst["version"]
            h.append(("Warning", WARN_299 % (v, self.hash, ".".join(v.split(".")[:2]))))
        h.append(("Content-Type" if g.get("netty3") else "content-type", ct))
        return h

    def reply(self, status, reason, body, ct=None):
        if isinstance(body, str):
            body = body.encode("utf-8")
        h = self.base_headers(ct or self.g["ct"])
        h.append(("Content-Length" if self.g.get("netty3") else "content-length", str(len(body))))
        return Response(status, reason, h, body)

    def json(self, req, obj, status=200, reason="OK"):
        if "pretty" in req.query:
            body = jackson_pretty(obj) + "\n"
        else:
            body = compact(obj)
        return self.reply(status, reason, body)

    # ----- errors
    def unauthorized(self, req):
        g, uri = self.g, req.target
        nc = "Content-Type" if g.get("netty3") else "content-type"
        nl = "Content-Length" if g.get("netty3") else "content-length"
        if g.get("opensearch"):   # INVENTED: no OpenSearch security capture (notes.md gaps)
            body = b"Unauthorized"
            h = [("WWW-Authenticate", 'Basic realm="OpenSearch Security"'), (nc, "text/plain; charset=UTF-8")]
        elif g["major"] <= 2:     # shield-1.x-2.x-docs/unauth_401.json verbatim
            body = load_recorded("elasticsearch/shield-1.x-2.x-docs/unauth_401.json", True).rstrip(b"\n")
            h = [("WWW-Authenticate", 'Basic realm="shield"'), (nc, g["ct"])]
        else:
            basic = 'Basic realm="security" charset="UTF-8"'
            if g["major"] >= 8:   # 8.8.1/unauth_401.json: header is an array -> two header lines
                www = [basic, "ApiKey"]
                wording = "missing authentication credentials"
            elif g["major"] == 7:  # 7.10.2/unauth_401.json
                www = basic
                wording = "missing authentication credentials"
            else:                  # 5.x-xpack/unauth_401.json (5.x/6.x)
                www = basic
                wording = "missing authentication token"
            reason = "%s for REST request [%s]" % (wording, uri)
            cause = {"type": "security_exception", "reason": reason, "header": {"WWW-Authenticate": www}}
            obj = {"error": {"root_cause": [cause], "type": "security_exception", "reason": reason,
                             "header": {"WWW-Authenticate": www}}, "status": 401}
            body = compact(obj).encode()
            h = [("WWW-Authenticate", w) for w in (www if isinstance(www, list) else [www])]
            h.append((nc, g["ct"]))
        h.append((nl, str(len(body))))
        return Response(401, "Unauthorized", h, body)

    def no_handler(self, req):
        # INVENTED shapes for unsupported endpoints (the emulation answers read metadata only)
        msg = "no handler found for uri [%s] and method [%s]" % (req.target, req.method)
        if self.g["major"] <= 5:
            return self.reply(400, "Bad Request", msg[0].upper() + msg[1:], ct="text/plain; charset=UTF-8")
        return self.reply(400, "Bad Request", compact({"error": msg, "status": 400}))

    def index_missing(self, req, name):
        g = self.g
        if g["major"] == 1:
            return self.json(req, {"error": "IndexMissingException[[%s] missing]" % name, "status": 404}, 404,
                             "Not Found")
        reason = "no such index" if g["major"] < 7 else "no such index [%s]" % name
        c = {"type": "index_not_found_exception", "reason": reason, "resource.type": "index_or_alias",
             "resource.id": name}
        if g["major"] >= 5:
            c["index_uuid"] = "_na_"
        c["index"] = name
        err = {"root_cause": [c], **c}
        return self.json(req, {"error": err, "status": 404}, 404, "Not Found")

    # ----- dispatcher
    def __call__(self, req):
        if self.inst["auth"]:
            return self.unauthorized(req)
        path = re.sub(r"/+", "/", req.path)
        if len(path) > 1:
            path = path.rstrip("/")
        if req.method not in ("GET", "HEAD"):
            if self.g["major"] >= 6:
                return self.json(req, {"error": "Incorrect HTTP method for uri [%s] and method [%s], allowed: [GET]"
                                       % (req.target, req.method), "status": 405}, 405, "Method Not Allowed")
            return self.no_handler(req)
        if path == "/":
            return self.reply(200, "OK", self.root)
        if path == "/_cat/indices" or path.startswith("/_cat/indices/"):
            return self.cat_indices(req, path[len("/_cat/indices/"):] if path != "/_cat/indices" else "")
        if path in ("/_mapping", "/_all/_mapping", "/_mappings", "/_all/_mappings"):
            return self.json(req, mappings(self.inst, None))
        if path == "/_cluster/health":
            return self.json(req, cluster_health(self.inst))
        if path == "/_nodes":
            return self.json(req, nodes_info(self.inst))
        parts = path.strip("/").split("/")
        names = {ix["name"] for ix in self.inst["indices"]}
        if len(parts) == 2 and parts[1] in ("_mapping", "_mappings") and not parts[0].startswith("_"):
            want = set(parts[0].split(","))
            missing = [n for n in want if n not in names and "*" not in n]
            if missing:
                return self.index_missing(req, missing[0])
            return self.json(req, mappings(self.inst, {n for n in names if n in want or any(
                re.fullmatch(w.replace(".", r"\.").replace("*", ".*"), n) for w in want if "*" in w)}))
        if not parts[0].startswith("_") and parts[0] not in names and "*" not in parts[0]:
            return self.index_missing(req, parts[0])
        return self.no_handler(req)

    def cat_indices(self, req, pattern):
        rows, cols = cat_rows(self.inst, "bytes" in req.query and req.query["bytes"] == "b")
        if pattern:
            rx = [re.compile(p.replace(".", r"\.").replace("*", ".*")) for p in pattern.split(",")]
            rows = [r for r in rows if any(x.fullmatch(r["index"]) for x in rx)]
        if "h" in req.query and req.query["h"]:
            want = [c for c in req.query["h"].split(",") if c in rows[0]] if rows else []
            cols = want or cols
        if req.query.get("s"):
            key = req.query["s"].split(":")[0]
            if key in cols:
                rev = req.query["s"].endswith(":desc")
                numeric = all(r[key].isdigit() for r in rows)
                rows.sort(key=(lambda r: int(r[key])) if numeric else (lambda r: r[key]), reverse=rev)
        fmt = req.query.get("format", "")
        accept = req.header("accept", "")
        if fmt == "json" or (not fmt and "application/json" in accept and self.g["major"] >= 2):
            return self.json(req, [{c: r[c] for c in cols} for r in rows])
        header = "v" in req.query and req.query["v"] not in ("false", "0")
        return self.reply(200, "OK", cat_text(rows, cols, header), ct="text/plain; charset=UTF-8")


def data_summary(inst):
    """Manifest 'data' for an ES instance: exactly what its _cat/indices and _mapping report."""
    names = [ix["name"] for ix in inst["indices"]]
    fields = []
    for ix in inst["indices"]:
        for f in flatten_fields(ix["fields"]):
            if f not in fields:
                fields.append(f)
    return {"collections": len(names), "records": sum(ix["docs"] for ix in inst["indices"]),
            "bytes": sum(ix["bytes"] for ix in inst["indices"]), "names": names, "fields": fields}
