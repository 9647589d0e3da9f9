#!/usr/bin/env python3
"""A CouchDB in admin party on loopback whose names are hostile, for the tests.

usage: fake_couchdb.py ADDR:PORT

Answers GET /, /_session (admin party: roles ["_admin"] without credentials),
/_all_dbs and /_dbs_info the way CouchDB 3.3 does; the vendor name and the
database names are what a hostile server would choose for a chat message or a
report: "<!channel> ping", "@all", "[x](http://evil.example)", "a`b", an image
link. Loopback only. Writes "ready" once listening.
"""
import http.server, ipaddress, json, sys

NAMES = ["<!channel> ping", "@all", "[x](http://evil.example)", "a`b",
         "![i](http://evil.example/p.png)", "user_db"]


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def js(self, obj):
        b = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def do_GET(self):
        if self.path == "/":
            return self.js({"couchdb": "Welcome", "version": "3.3.2",
                            "vendor": {"name": "<!here> [v](http://evil.example) @channel"}})
        if self.path == "/_session":
            return self.js({"ok": True, "userCtx": {"name": None, "roles": ["_admin"]}})
        if self.path == "/_all_dbs":
            return self.js(NAMES)
        if self.path == "/_dbs_info":
            return self.js([{"key": n, "info": {"db_name": n, "doc_count": 100,
                                                "sizes": {"file": 4096}}} for n in NAMES])
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()


class S(http.server.ThreadingHTTPServer):
    daemon_threads = True


h, p = sys.argv[1].rsplit(":", 1)
if not ipaddress.ip_address(h).is_loopback:
    sys.exit(f"fake_couchdb.py: {h} is not a loopback address")
srv = S((h, int(p)), H)
print("ready", flush=True)
srv.serve_forever()
