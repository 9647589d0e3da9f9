# EMULATED Kibana (NOT the real product) for ajar's lab.
#
# Follows these recorded responses (copies under recorded/, originals in
# /work/shared/fixtures/kibana, provenance in recorded/SOURCE.md):
#   4.1.0/root_401.http.txt                 Kibana 4.0/4.1 (Express): 401 realm="undefined", no kbn-*
#                                           headers, chunked - replayed verbatim (Date refreshed)
#   4.5.4/head_root.headers.txt             4.2-4.5 HEAD without kbn-version -> 400 (verbatim)
#   4.5.4/head_root_with_kbn_version.headers.txt   HEAD with kbn-version -> 200 (verbatim)
#   5.1.1-xpack/api_status_302.headers.txt  5.x/6.x login: 302 to /login?next=..., header order,
#                                           kbn-xpack-sig value
#   5.2.0/api_status.json                   4.x/5.x /api/status (top-level string version)
#   6.0.0/api_response.headers.txt          6.0-6.3 header set (kbn-name, kbn-version, kbn-xpack-sig)
#   6.3.0/api_status.json                   6.x /api/status (version object)
#   7.0.0/api_status.json                   7.x /api/status (status.overall.state)
#   7.13.4-security/api_status_401.json     7.x/8.x /api/* without login -> 401 body
#   7.17.9-security/root_302_login.headers.txt   7.x/8.x header set and 302 to /login?next=%2F
#
# INVENTED where no capture exists (marked in code): the 8.x /api/status body (shape per
# kibana/notes.md: version.number + status.overall.level), 8.x headers (7.17.9 set reused),
# build numbers/hashes of versions without a capture, the 6.4-6.8 login behaviour (5.x-style
# 302 assumed), HTML pages (minimal placeholders), Hapi 404/400 bodies, the console proxy's
# response framing (ES status + content-type + body passed through).
# The console proxy forwards ONLY method=GET of read paths (/, /_cat/indices, /_mapping,
# /_cluster/health, /_nodes) to the emulated Elasticsearch named in the catalog ('via').

import copy
import hashlib
import http.client
import json
import re
from urllib.parse import quote, unquote

from emu_core import Response, compact, http_date, load_recorded

XPACK_SIG_511 = "e774c2ee9afa1c72ec39622a9d73cddf"      # from 5.1.1-xpack recording
XPACK_SIG_600 = "312f3ba9b02d3655820e418a2a3ecb66"      # from 6.0.0 recording
LICENSE_SIG_7179 = "da420c53321c02b93e5b67b614ccdf37075cab5cc99a13d97fca5727603889d0"  # 7.17.9
CSP_7 = "script-src 'unsafe-eval' 'self'; worker-src blob: 'self'; style-src 'unsafe-inline' 'self'"

READ_PATHS = re.compile(r"^/($|_cat/indices(/[^/?]*)?$|_mapping$|_all/_mapping$|[^_/][^/]*/_mapping$|"
                        r"_cluster/health$|_nodes$)")


def _hex(seed, n):
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


def _num(seed, lo, hi):
    return lo + int(_hex(seed, 8), 16) % (hi - lo)


def _parse_headers_file(rel):
    lines = load_recorded(rel).split("\r\n")
    status = lines[0]
    hdrs = []
    for ln in lines[1:]:
        if ln:
            k, _, v = ln.partition(": ")
            hdrs.append((k, v))
    return status, hdrs


def status_body(kb):
    """/api/status object for this Kibana (open instances only ever serve it)."""
    v, gen = kb["version"], kb["gen"]
    if gen in ("4.5", "5"):
        o = json.loads(load_recorded("kibana/5.2.0/api_status.json"))
        if v != "5.2.0":   # INVENTED build facts for versions without a capture
            o["name"] = kb["name"]
            o["version"] = v
            o["buildNum"] = _num("kbn" + v, 9000, 16000)
            o["buildSha"] = _hex("kbnsha" + v, 40)
            o["uuid"] = "%s-%s-4%s-a%s-%s" % (_hex(kb["id"], 8), _hex(kb["id"] + "1", 4), _hex(kb["id"] + "2", 3),
                                             _hex(kb["id"] + "3", 3), _hex(kb["id"] + "4", 12))
            sts = []
            for s in o["status"]["statuses"]:
                if gen == "4.5" and not s["id"].startswith("plugin:"):
                    continue
                s = dict(s)
                s["id"] = s["id"].replace("5.2.0", v)
                sts.append(s)
            o["status"]["statuses"] = sts
        return o
    if gen in ("6.0", "6.4"):
        o = json.loads(load_recorded("kibana/6.3.0/api_status.json"))
        if v != "6.3.0":
            o["name"] = kb["name"]
            o["version"].update({"number": v, "build_hash": _hex("kbnsha" + v, 40),
                                 "build_number": _num("kbn" + v, 17000, 21000)})
            o["status"]["statuses"][0]["id"] = "plugin:kibana@" + v
        return o
    if gen == "7":
        o = json.loads(load_recorded("kibana/7.0.0/api_status.json"))
        o["name"] = kb["name"]
        o["uuid"] = "%s-%s-4%s-8%s-%s" % (_hex(kb["id"], 8), _hex(kb["id"] + "1", 4), _hex(kb["id"] + "2", 3),
                                         _hex(kb["id"] + "3", 3), _hex(kb["id"] + "4", 12))
        o["version"] = {"number": v, "build_hash": _hex("kbnsha" + v, 40),
                        "build_number": _num("kbn" + v, 30000, 50000), "build_snapshot": False}
        for s in o["status"]["statuses"]:
            s["id"] = re.sub(r"@7\.0\.0(-SNAPSHOT)?", "@" + v, s["id"])
        return o
    # gen 8: INVENTED from kibana/notes.md (8.x: version.number + status.overall.level)
    return {"name": kb["name"], "uuid": "%s-%s-4%s-9%s-%s" % (_hex(kb["id"], 8), _hex(kb["id"] + "1", 4),
                                                               _hex(kb["id"] + "2", 3), _hex(kb["id"] + "3", 3),
                                                               _hex(kb["id"] + "4", 12)),
            "version": {"number": v, "build_hash": _hex("kbnsha" + v, 40), "build_number": _num("kbn" + v, 70000, 80000),
                        "build_snapshot": False, "build_flavor": "traditional", "build_date": "2024-08-05T21:30:07.924Z"},
            "status": {"overall": {"level": "available", "summary": "All services and plugins are available"},
                       "core": {"elasticsearch": {"level": "available", "summary": "Elasticsearch is available",
                                                  "meta": {"warningNodes": [], "incompatibleNodes": []}},
                                "savedObjects": {"level": "available", "summary": "SavedObjects service has completed migrations and is available",
                                                 "meta": {"migratedIndices": {"migrated": 0, "skipped": 0, "patched": 2}}}},
                       "plugins": {"console": {"level": "available", "summary": "All dependencies are available"},
                                   "security": {"level": "available", "summary": "All dependencies are available"}}},
            "metrics": {"last_updated": "2024-08-20T10:00:00.000Z", "collection_interval_in_millis": 5000,
                        "concurrent_connections": 1}}


class Kibana:
    def __init__(self, kb, es_inst):
        self.kb = kb
        self.es = es_inst      # catalog entry of the ES behind (address/port)
        self.gen = kb["gen"]
        self.v = kb["version"]

    # ------------------------------------------------------------ headers
    def kbn_headers(self):
        g, h = self.gen, []
        if g in ("7", "8"):
            h += [("x-content-type-options", "nosniff"), ("referrer-policy", "no-referrer-when-downgrade"),
                  ("content-security-policy", CSP_7)]
        h.append(("kbn-name", self.kb["name"]))
        if g in ("4.5", "5", "6.0"):
            h.append(("kbn-version", self.v))
        if g == "5" and self.kb["login"]:
            h.append(("kbn-xpack-sig", XPACK_SIG_511 if self.v == "5.1.1" else _hex("xp" + self.v, 32)))
        if g in ("6.0", "6.4"):
            h.append(("kbn-xpack-sig", XPACK_SIG_600 if self.v == "6.0.0" else _hex("xp" + self.v, 32)))
        if g in ("7", "8"):
            h.append(("kbn-license-sig", LICENSE_SIG_7179 if self.v == "7.17.9" else _hex("lic" + self.v, 64)))
        return h

    def tail(self):
        t = [("Date", http_date()), ("Connection", "keep-alive")]
        if self.gen in ("7", "8"):
            t.append(("Keep-Alive", "timeout=120"))
        return t

    def cache_control(self):
        return "private, no-cache, no-store, must-revalidate" if self.gen in ("7", "8") else "no-cache"

    def reply(self, status, reason, body=b"", ct=None, location=None):
        if isinstance(body, str):
            body = body.encode("utf-8")
        h = []
        if location is not None:
            h.append(("location", location))
        h += self.kbn_headers()
        if ct:
            h.append(("content-type", ct))
        h.append(("cache-control", self.cache_control()))
        h.append(("content-length", str(len(body))))
        return Response(status, reason, h + self.tail(), body)

    def json(self, obj, status=200, reason="OK"):
        return self.reply(status, reason, compact(obj), ct="application/json; charset=utf-8")

    def boom(self, status, reason, message=None):
        o = {"statusCode": status, "error": reason}
        if message is not None or self.gen not in ("4.5", "5"):   # older Boom omitted an empty message
            o["message"] = message if message is not None else reason
        return self.json(o, status, reason)

    def html(self, title):
        # INVENTED minimal page (real pages are large bootstraps)
        body = ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>%s</title></head>"
                "<body><div class=\"kibanaWelcomeView\"></div></body></html>" % title)
        return self.reply(200, "OK", body, ct="text/html; charset=utf-8")

    # ------------------------------------------------------------ dispatch
    def __call__(self, req):
        g = self.gen
        if g == "4.1":
            return self.express_401()
        if g == "4.5" and req.method == "HEAD" and not req.header("kbn-version"):
            _, hdrs = _parse_headers_file("kibana/4.5.4/head_root.headers.txt")
            hdrs = [(k, http_date() if k == "Date" else v) for k, v in hdrs]
            return Response(400, "Bad Request", hdrs, b"", head_headers=hdrs)
        if g == "4.5" and req.method == "HEAD" and req.path == "/":
            _, hdrs = _parse_headers_file("kibana/4.5.4/head_root_with_kbn_version.headers.txt")
            hdrs = [(k, http_date() if k == "Date" else v) for k, v in hdrs]
            return Response(200, "OK", hdrs, b"", head_headers=hdrs)
        path = req.path
        if self.kb["login"]:
            if path in ("/login", "/login/"):
                return self.html("Elastic" if g in ("7", "8") else "Kibana")
            if path.startswith("/bundles/") or path.startswith("/ui/"):
                return self.boom(404, "Not Found")
            nxt = quote(req.target, safe="")
            if g in ("7", "8") and (path.startswith("/api/") or path.startswith("/internal/")):
                body = load_recorded("kibana/7.13.4-security/api_status_401.json", True).rstrip(b"\n")
                return self.reply(401, "Unauthorized", body, ct="application/json; charset=utf-8")
            return self.reply(302, "Found", b"", location="/login?next=" + nxt)
        if path == "/":
            return self.reply(302, "Found", b"", location="/spaces/enter" if g in ("7", "8") else "/app/kibana")
        if path == "/spaces/enter" and g in ("7", "8"):
            return self.reply(302, "Found", b"", location="/app/home")
        if path in ("/app/kibana", "/app/home"):
            return self.html("Kibana" if g not in ("7", "8") else "Elastic")
        if path == "/api/status":
            return self.json(status_body(self.kb))
        if g == "4.5" and path.startswith("/elasticsearch"):
            return self.proxy4(req)
        if path == "/api/console/proxy":
            if req.method != "POST":
                return self.boom(404, "Not Found")
            return self.console_proxy(req)
        return self.boom(404, "Not Found")

    def express_401(self):
        status, hdrs = _parse_headers_file("kibana/4.1.0/root_401.http.txt")
        raw = load_recorded("kibana/4.1.0/root_401.http.txt", True)
        body = raw.split(b"\r\n\r\n", 1)[1]
        hdrs = [(k, http_date() if k == "Date" else v) for k, v in hdrs if k != "401 Unauthorized"]
        hdrs = [(k, v) for k, v in hdrs if k and not k.startswith("401")]
        return Response(401, "Unauthorized", hdrs, body, chunked=True)

    # ------------------------------------------------------------ proxies
    def fetch_es(self, path):
        c = http.client.HTTPConnection(self.es["address"], self.es["port"], timeout=5)
        try:
            c.request("GET", path, headers={"Host": "%s:%d" % (self.es["address"], self.es["port"])})
            r = c.getresponse()
            return r.status, r.reason, r.getheader("content-type", "application/json"), r.read()
        finally:
            c.close()

    def proxy4(self, req):
        es_path = req.target[len("/elasticsearch"):] or "/"
        if not es_path.startswith("/"):
            return self.boom(404, "Not Found")
        if req.method not in ("GET", "HEAD") or not READ_PATHS.match(es_path.split("?")[0]):
            return self.boom(400, "Bad Request", "emulated Kibana: only GET of read paths is proxied")
        try:
            st, reason, ct, body = self.fetch_es(es_path)
        except OSError:
            return self.boom(502, "Bad Gateway")
        return self.reply(st, reason, body, ct=ct)

    def console_proxy(self, req):
        xsrf = req.header("kbn-xsrf") is not None or (self.gen in ("5", "6.0") and req.header("kbn-version"))
        if not xsrf:
            return self.boom(400, "Bad Request", "Request must contain a kbn-xsrf header.")
        method = req.query.get("method")
        path = req.query.get("path")
        if method is None or path is None:
            return self.boom(400, "Bad Request", 'child "%s" fails because ["%s" is required]'
                             % ("method" if method is None else "path", "method" if method is None else "path"))
        if not path.startswith("/"):
            path = "/" + path
        if method.upper() != "GET" or not READ_PATHS.match(path.split("?")[0]):
            return self.boom(400, "Bad Request", "emulated Kibana: only method=GET of read paths is proxied")
        try:
            st, reason, ct, body = self.fetch_es(path)
        except OSError as e:
            return self.boom(502, "Bad Gateway", "Client request error: %s" % e)
        return self.reply(st, reason, body, ct=ct)
