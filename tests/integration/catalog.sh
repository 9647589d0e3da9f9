#!/usr/bin/env bash
# Integration: the service catalogue and signature files, as a user meets them.
#  - docs/services.md's table is `ajar services --format markdown` (regenerate it when it differs)
#  - ajar services: text, json (the fields), names; every probe, app and signature file listed
#  - ajar signatures check: the shipped files pass; bad files give "FILE:LINE: what is wrong" and
#    exit 2 (a POST, a missing key, a bad regex, an unknown key, a YAML alias, a duplicate service)
#  - scan --signatures DIR: a bad file stops the scan with that line and exit 2 before any
#    connection (a listener counts them); a good one adds a service that a scan then finds
#    (a small HTTP server on loopback), with its requests in --trace; -p NAME takes its ports
#  - --lifecycle FILE: a bad one is exit 2 with its line
# Addresses: 127.0.164.0/24.
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
jqe() { jq -e "$@" >/dev/null; }

# ---- the docs' table ----
"$AJAR" services --format markdown >"$T_TMP/table.md"
sed -n '/^<!-- generated/,/^<!-- end generated/p' docs/services.md | sed '1d;$d' >"$T_TMP/docs.md"
check "docs/services.md is 'ajar services --format markdown' (regenerate it)" diff -u "$T_TMP/docs.md" "$T_TMP/table.md"

# ---- ajar services ----
"$AJAR" services --format json >"$T_TMP/s.json"
check_eq "services --format json: exit 0" "$?" 0
check "json: name, class, ports, tls_ports, implementation for every service" \
    jqe 'all(.[]; has("name") and has("class") and (.ports|type)=="array" and (.tls_ports|type)=="array" and (.implementation|test("^(probe|http-app|signature)$")))' "$T_TMP/s.json"
for f in signatures/*.yaml; do
    svc=$(sed -n 's/^service: *//p' "$f")
    check "signature $svc listed as a signature" jqe --arg s "$svc" 'any(.[]; .name==$s and .implementation=="signature")' "$T_TMP/s.json"
done
for p in $(grep -ho '^const struct probe probe_[a-z0-9_]*' src/probe/*.c | sed 's/.*probe_//'); do
    check "probe $p listed" jqe --arg p "$p" 'any(.[]; .source==$p and .implementation=="probe")' "$T_TMP/s.json"
done
check_eq "names: one a line, as many as in json" "$("$AJAR" services --format names | wc -l)" "$(jq length "$T_TMP/s.json")"
"$AJAR" services --format yaml >/dev/null 2>&1
check_eq "services --format yaml: exit 2" "$?" 2

# ---- ajar signatures check ----
"$AJAR" signatures check >"$T_TMP/check.out" 2>&1
check_eq "the shipped signatures pass" "$?" 0
B=$T_TMP/bad
mkdir -p "$B"
good=signatures/adminer.yaml
sed 's/{id: root, path: \/}/{id: root, method: POST, path: \/}/' "$good" >"$B/post.yaml"
grep -v '^description:' "$good" >"$B/nodesc.yaml"
sed "s/title: Adminer, contains: 'name=\"auth\[driver\]\"'/title: '(unclosed'/" "$good" >"$B/regex.yaml"
sed 's/^class: console/class: console\nfrobnicate: 1/' "$good" >"$B/unknown.yaml"
printf 'ajar-signature: 1\nservice: &s x\naliases: [*s]\n' >"$B/alias.yaml"
cp "$good" "$B/dup.yaml" # adminer is already in the catalogue
"$AJAR" signatures check "$B" >"$T_TMP/bad.out" 2>"$T_TMP/bad.err"
check_eq "bad signatures: exit 2" "$?" 2
check_eq "one line per bad file" "$(wc -l <"$T_TMP/bad.out")" 6
check "POST refused, with its line" grep -qE "^$B/post.yaml:[0-9]+: method: GET or HEAD only" "$T_TMP/bad.out"
check "a missing key named" grep -qE "^$B/nodesc.yaml:[0-9]+: description: is missing" "$T_TMP/bad.out"
check "a bad regex, with the line" grep -qE "^$B/regex.yaml:[0-9]+: title: bad regular expression" "$T_TMP/bad.out"
check "an unknown key, with the line" grep -qE "^$B/unknown.yaml:[0-9]+: signature: unknown key 'frobnicate'" "$T_TMP/bad.out"
check "YAML anchors refused" grep -qE "^$B/alias.yaml:[0-9]+: YAML anchors" "$T_TMP/bad.out"
check "a service already known refused" grep -qE "^$B/dup.yaml:1: service 'adminer' is already in the catalogue" "$T_TMP/bad.out"

# ---- scan --signatures ----
R=127.0.164
cat >"$T_TMP/app.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        with open(sys.argv[2], "a") as f: f.write(self.path + "\n")
        if self.path == "/api/about":
            body = b'{"product":"Widgetbase","version":"2.7.1","tables":["widgets","orders"],"rows":1204}'
            self.send_response(200); self.send_header("Content-Type", "application/json")
        else:
            body = b"<html><title>welcome</title></html>"
            self.send_response(404); self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
http.server.ThreadingHTTPServer((sys.argv[1], 18090), H).serve_forever()
PY
bg python3 "$T_TMP/app.py" $R.5 "$T_TMP/app.log"
for _ in $(seq 50); do (exec 3<>/dev/tcp/$R.5/18090) 2>/dev/null && break; sleep 0.1; done
: >"$T_TMP/app.log"
U=$T_TMP/user
mkdir -p "$U"
cat >"$U/widgetbase.yaml" <<'EOF'
# a user's own service, found on its own API path
ajar-signature: 1
service: widgetbase
class: data
ports: [18090]
prevalence: 5
description: "Widgetbase: a made-up store for this test."
product: Widgetbase
requests:
  - {id: about, path: /api/about}
identify:
  - {request: about, score: 95, json: {/product: {equals: Widgetbase}}}
extract:
  - from: about
    when: {status: 200}
    auth: none
    version: {json: /version}
    records: {json: /rows}
    names: {json: /tables/*, all: true}
EOF
cp "$B/post.yaml" "$T_TMP/postdir.yaml"
mkdir -p "$T_TMP/badsig" && cp "$B/post.yaml" "$T_TMP/badsig/"
"$AJAR" scan -q --no-db --signatures "$T_TMP/badsig" -p 18090 $R.5 >/dev/null 2>"$T_TMP/e"
check_eq "a bad --signatures file stops the scan: exit 2" "$?" 2
check "... naming the file and line" grep -qE "badsig/post.yaml:[0-9]+: method" "$T_TMP/e"
check_eq "... before any connection" "$(wc -l <"$T_TMP/app.log")" 0
"$AJAR" scan -q --no-db --rate 0 --signatures "$U" -p widgetbase --trace "$T_TMP/trace.jsonl" $R.5 >"$T_TMP/w.jsonl" 2>"$T_TMP/e"
check_eq "a user's signature: the scan finds the service" "$(jq -r '.service' "$T_TMP/w.jsonl")" widgetbase
check_eq "... product and version" "$(jq -r '.product + " " + .version' "$T_TMP/w.jsonl")" "Widgetbase 2.7.1"
check_eq "... names and records" "$(jq -c '[.data.names, .data.records]' "$T_TMP/w.jsonl")" '[["widgets","orders"],1204]'
check_eq "... auth none, and a data-store class: high" "$(jq -r '.auth + " " + .severity' "$T_TMP/w.jsonl")" "none high"
check_eq "... GET / then its path, each once" "$(cat "$T_TMP/app.log" | tr '\n' ' ')" "/ /api/about "
check "... the requests in --trace" bash -c "jq -se 'map(.bytes|startswith(\"GET /api/about \")) | any' \"$T_TMP/trace.jsonl\" >/dev/null"
"$AJAR" services --signatures "$U" --format names | grep -qx widgetbase
check_eq "services --signatures DIR lists it" "$?" 0

# ---- --lifecycle ----
printf 'product\tcycle\n' >"$T_TMP/lc.tsv"
"$AJAR" scan -q --no-db --lifecycle "$T_TMP/lc.tsv" $R.5 >/dev/null 2>"$T_TMP/e"
check_eq "a bad --lifecycle file: exit 2" "$?" 2
check "... with its line" grep -qE "lc.tsv:1: the first line must name the columns" "$T_TMP/e"
t_end
