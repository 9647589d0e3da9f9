#!/usr/bin/env bash
# Integration: --webhook. A fake Redis on 127.0.180.x (INFO answered: no
# authentication, critical; or -NOAUTH: authentication required, below high)
# and a receiver (python3 http.server on 127.0.180.200) that records every
# POST and can answer 500 or hang.
#  - one POST per new finding at or above --alert-level; none for unchanged ones on a rescan
#  - a finding that got worse (auth required -> open) is posted as "worsened"
#  - a 500 is retried (1 s, 2 s backoff) and then delivered
#  - a receiver that hangs does not hold the scan: its findings are all written, and the
#    end waits at most --webhook-wait
#  - https:// with the receiver's certificate verified (trusted through SSL_CERT_FILE: delivered;
#    untrusted: refused, nothing reaches the receiver)
#  - bad URLs are usage errors (exit 2)
# Everything stays on 127.0.180.0/24.
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

R=127.0.180
cat >"$T_TMP/redis.py" <<'PY'
import os, socket, sys, threading
mode_file = sys.argv[1]
addrs = sys.argv[2:]
info = b"# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n\r\n# Keyspace\r\ndb0:keys=5,expires=0,avg_ttl=0\r\n"
def serve(s):
    while True:
        c, _ = s.accept()
        try:
            data = b""
            while b"INFO\r\n" not in data:
                d = c.recv(4096)
                if not d: break
                data += d
            mode = open(mode_file).read().strip() if os.path.exists(mode_file) else "open"
            if mode == "auth":
                c.sendall(b"-NOAUTH Authentication required.\r\n")
            else:
                c.sendall(b"$%d\r\n%s\r\n" % (len(info), info))
        except OSError:
            pass
        c.close()
for a in addrs:
    h, p = a.rsplit(":", 1)
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((h, int(p))); s.listen(16)
    threading.Thread(target=serve, args=(s,), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
PY
cat >"$T_TMP/recv.py" <<'PY'
import http.server, json, ssl, sys, time, threading
log, mode_file, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
addr = sys.argv[6] if len(sys.argv) > 6 else "127.0.180.200"
lock = threading.Lock()
fails = {"n": 0}
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        mode = open(mode_file).read().strip()
        if json.loads(body).get("event") == "scan-end":
            # the end of a scan's walk: kept apart, always accepted, so the alert counts stay
            with lock, open(log + ".end", "a") as f:
                f.write(json.dumps({"body": json.loads(body)}) + "\n")
            self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
            return
        with lock, open(log, "a") as f:
            f.write(json.dumps({"t": time.time(), "mode": mode, "path": self.path,
                                "type": self.headers.get("Content-Type"),
                                "body": json.loads(body)}) + "\n")
        if mode == "hang":
            time.sleep(60); return
        if mode.startswith("fail"):
            with lock:
                fails["n"] += 1
                k = fails["n"]
            if k <= int(mode[4:]):
                self.send_response(500); self.end_headers(); return
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
class S(http.server.ThreadingHTTPServer):
    daemon_threads = True
srv = S((addr, port), H)
if len(sys.argv) > 5:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[4], sys.argv[5])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("ready", flush=True)
srv.serve_forever()
PY
wait_ready() { for _ in $(seq 100); do grep -q ready "$1" 2>/dev/null && return 0; sleep 0.05; done; return 1; }
echo open >"$T_TMP/redis.mode"
bg python3 "$T_TMP/redis.py" "$T_TMP/redis.mode" $R.11:6379 $R.12:6379 $R.13:6379 >"$T_TMP/redis.ready" 2>&1
echo ok >"$T_TMP/recv.mode"
HP=18080
bg python3 "$T_TMP/recv.py" "$T_TMP/posts" "$T_TMP/recv.mode" $HP >"$T_TMP/recv.ready" 2>&1
wait_ready "$T_TMP/redis.ready" && wait_ready "$T_TMP/recv.ready" || { bad "helpers did not start"; cat "$T_TMP"/*.ready; t_end; exit 1; }
URL=http://$R.200:$HP/hook
jqe() { jq -e "$@" >/dev/null; }
posts() { [ -f "$T_TMP/posts" ] && wc -l <"$T_TMP/posts" || echo 0; }
scan() { "$AJAR" scan -q -p 6379 --rate 0 --webhook "$URL" "$@"; }

# 1. first scan: three new critical findings -> three POSTs
: >"$T_TMP/posts"
scan $R.11-13 -o "$T_TMP/s1.jsonl"
check_eq "first scan exit status" "$?" 0
check_eq "three findings" "$(wc -l <"$T_TMP/s1.jsonl")" 3
check_eq "three POSTs (one per new finding)" "$(posts)" 3
check_eq "all posts say new" "$(jq -r '.body.event' "$T_TMP/posts" | sort -u)" new
check_eq "posted to the path" "$(jq -r '.path' "$T_TMP/posts" | sort -u)" /hook
check_eq "JSON content type" "$(jq -r '.type' "$T_TMP/posts" | sort -u)" application/json
check_eq "one POST per service" "$(jq -r '.body.finding | "\(.ip):\(.port)"' "$T_TMP/posts" | sort -u | wc -l)" 3
check "posted records are the scan's records" jqe -s 'all(.[]; .body.finding.service=="redis" and .body.severity==.body.finding.severity and (.body.scan|type)=="number")' "$T_TMP/posts"
for _ in $(seq 50); do [ -s "$T_TMP/posts.end" ] && break; sleep 0.1; done
check "the scan's end is posted: complete, 100% of its walk" jqe -s 'length==1 and .[0].body.event=="scan-end" and .[0].body.coverage.status=="complete" and .[0].body.coverage.walk_percent==100 and .[0].body.coverage.group_complete and (.[0].body.text|test("^scan #[0-9]+: complete"))' "$T_TMP/posts.end"
# a scan stopped by --max-seconds: its end says where and why (a scope of its own: nothing alerts)
: >"$T_TMP/posts.end"
scan $R.64/26 --rate 20 --max-seconds 1 --timeout 300 -o /dev/null
for _ in $(seq 50); do [ -s "$T_TMP/posts.end" ] && break; sleep 0.1; done
check "an interrupted scan's end is posted: interrupted, where, why" jqe -s 'length==1 and .[0].body.coverage.status=="interrupted" and .[0].body.coverage.reason=="--max-seconds" and .[0].body.coverage.walk_percent > 0 and .[0].body.coverage.walk_percent < 100 and (.[0].body.text|test("interrupted at [0-9.]+% of its walk"))' "$T_TMP/posts.end"

# 2. rescan, nothing changed: no POST
: >"$T_TMP/posts"
scan $R.11-13 >/dev/null
check_eq "unchanged rescan posts nothing" "$(posts)" 0

# 3. worsened: $R.14 first needs a password (below high: no post), then is open
echo auth >"$T_TMP/redis.mode"
bg python3 "$T_TMP/redis.py" "$T_TMP/redis.mode" $R.14:6379 >"$T_TMP/redis2.ready" 2>&1
wait_ready "$T_TMP/redis2.ready" || bad "second redis"
: >"$T_TMP/posts"
scan $R.14 >"$T_TMP/s3.jsonl"
check_eq "auth required: below high, no post" "$(posts)" 0
check "auth required seen" jqe -s '.[0].auth=="required"' "$T_TMP/s3.jsonl"
echo open >"$T_TMP/redis.mode"
scan $R.14 >/dev/null
check_eq "worsened: one post" "$(posts)" 1
check_eq "event worsened" "$(jq -r '.body.event' "$T_TMP/posts")" worsened
check_eq "previous severity given" "$(jq -r '.body.previous_severity != .body.severity' "$T_TMP/posts")" true
# --alert-level info on a fresh store: the same finding again is unchanged -> nothing
: >"$T_TMP/posts"
scan $R.14 --alert-level info >/dev/null
check_eq "unchanged at alert level info: nothing" "$(posts)" 0

# 4. a 500 is retried: first two attempts fail, the third lands (1 s + 2 s backoff)
echo fail2 >"$T_TMP/recv.mode"
: >"$T_TMP/posts"
scan $R.11 --db "$T_TMP/fresh.db" >/dev/null
check_eq "three attempts for one alert" "$(posts)" 3
if [ "$(posts)" -ge 3 ]; then
    gap1=$(jq -s '(.[1].t - .[0].t)*10 | floor' "$T_TMP/posts")
    gap2=$(jq -s '(.[2].t - .[1].t)*10 | floor' "$T_TMP/posts")
    check "first retry after ~1 s ($gap1 ds)" test "$gap1" -ge 9 -a "$gap1" -le 25
    check "second retry after ~2 s ($gap2 ds)" test "$gap2" -ge 19 -a "$gap2" -le 35
fi
check_eq "same alert every time" "$(jq -r '.body.finding.ip' "$T_TMP/posts" | sort -u)" $R.11

# 5. a hanging receiver: the scan writes everything and ends within --webhook-wait
echo hang >"$T_TMP/recv.mode"
t0=$(date +%s%N)
"$AJAR" scan -q -p 6379 --rate 0 $R.11-13 --no-db >"$T_TMP/base.jsonl"
base_ms=$((($(date +%s%N) - t0) / 1000000))
t0=$(date +%s%N)
"$AJAR" scan -p 6379 --rate 0 $R.11-13 --db "$T_TMP/hang.db" --webhook "$URL" --webhook-wait 1 \
    >"$T_TMP/hang.jsonl" 2>"$T_TMP/hang.err"
rc=$?
hang_ms=$((($(date +%s%N) - t0) / 1000000))
check_eq "hanging receiver: exit status" "$rc" 0
check_eq "hanging receiver: every finding written" "$(wc -l <"$T_TMP/hang.jsonl")" 3
check "hanging receiver: scan took ${hang_ms} ms (baseline ${base_ms} ms, wait 1 s)" \
    test "$hang_ms" -lt $((base_ms + 2500))
check "undelivered alerts are reported" grep -q "webhook: .*dropped" "$T_TMP/hang.err"
t0=$(date +%s%N)
"$AJAR" scan -q -p 6379 --rate 0 $R.11-13 --db "$T_TMP/hang2.db" --webhook "$URL" --webhook-wait 0 >/dev/null 2>&1
h0_ms=$((($(date +%s%N) - t0) / 1000000))
check "--webhook-wait 0: ${h0_ms} ms, as without a webhook (${base_ms} ms)" test "$h0_ms" -lt $((base_ms + 1000))

# 5b. a full queue: 1100 open Redis on one address (one selector-driven fake) and a hanging
# receiver: the first alert hangs in flight, 1024 wait in the queue, the rest are dropped at once
cat >"$T_TMP/many.py" <<'PY'
import resource, selectors, socket, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
info = b"# Server\r\nredis_version:7.0.15\r\n\r\n# Keyspace\r\ndb0:keys=5,expires=0,avg_ttl=0\r\n"
reply = b"$%d\r\n%s\r\n" % (len(info), info)
sel = selectors.DefaultSelector()
for port in range(int(sys.argv[2]), int(sys.argv[3]) + 1):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((sys.argv[1], port)); s.listen(8); s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, None)
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        if key.data is None:
            try:
                c, _ = key.fileobj.accept()
            except OSError:
                continue
            c.setblocking(False)
            sel.register(c, selectors.EVENT_READ, [b""])
        else:
            c = key.fileobj
            try:
                d = c.recv(4096)
            except OSError:
                d = b""
            key.data[0] += d
            if not d or b"INFO\r\n" in key.data[0]:
                if d:
                    try: c.sendall(reply)
                    except OSError: pass
                sel.unregister(c); c.close()
PY
bg python3 "$T_TMP/many.py" $R.50 20000 21099 >"$T_TMP/many.ready" 2>&1
if wait_ready "$T_TMP/many.ready"; then
    echo hang >"$T_TMP/recv.mode"
    "$AJAR" scan -p 20000-21099 --probe redis --rate 0 --no-db --webhook "$URL" --webhook-wait 0 \
        $R.50 >"$T_TMP/many.jsonl" 2>"$T_TMP/many.err"
    check_eq "full queue: the scan still ends 0" "$?" 0
    check_eq "full queue: all 1100 findings written" "$(jq -r 'select(.service=="redis")' "$T_TMP/many.jsonl" | jq -s length)" 1100
    full=$(sed -n 's/.*(\([0-9]*\) when the queue was full).*/\1/p' "$T_TMP/many.err")
    check "full queue: drops counted (${full:-none} when full; 1100 - 1024 queued - 1 in flight = 75)" \
        test "${full:-0}" -ge 70 -a "${full:-0}" -le 76
    check "full queue: every alert accounted for" grep -q "0 alert(s) sent, 0 failed, 1100 dropped" "$T_TMP/many.err"
else
    bad "1100 fake Redis did not start: $(head -3 "$T_TMP/many.ready")"
fi

# 6. --no-db: every finding at or above the level is posted as "found"
echo ok >"$T_TMP/recv.mode"
: >"$T_TMP/posts"
scan $R.11-12 --no-db >/dev/null
check_eq "--no-db: two posts" "$(posts)" 2
check_eq "--no-db: event found" "$(jq -r '.body.event' "$T_TMP/posts" | sort -u)" found

# 7. probe and import take it too
: >"$T_TMP/posts"
printf '%s:6379\n' $R.11 | "$AJAR" probe -q --db "$T_TMP/probe.db" --webhook "$URL" >/dev/null
check_eq "probe --webhook posts the new finding" "$(posts)" 1

# 8. https: the certificate names 127.0.180.201; trusted only through SSL_CERT_FILE
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=ajar-test \
    -addext "subjectAltName=IP:$R.201" -keyout "$T_TMP/key.pem" -out "$T_TMP/cert.pem" 2>/dev/null
echo ok >"$T_TMP/recv.mode"
bg python3 "$T_TMP/recv.py" "$T_TMP/tposts" "$T_TMP/recv.mode" 18443 "$T_TMP/cert.pem" "$T_TMP/key.pem" $R.201 \
    >"$T_TMP/trecv.ready" 2>&1
wait_ready "$T_TMP/trecv.ready" || bad "https receiver"
: >"$T_TMP/tposts"
SSL_CERT_FILE=$T_TMP/cert.pem "$AJAR" scan -q -p 6379 --rate 0 --no-db --webhook "https://$R.201:18443/tls" $R.11 >/dev/null
check_eq "https, trusted certificate: delivered" "$(wc -l <"$T_TMP/tposts")" 1
check_eq "https: the path" "$(jq -r .path "$T_TMP/tposts")" /tls
: >"$T_TMP/tposts"
"$AJAR" scan -p 6379 --rate 0 --no-db --webhook "https://$R.201:18443/tls" --webhook-wait 10 $R.11 \
    >/dev/null 2>"$T_TMP/terr"
check_eq "https, untrusted certificate: nothing reaches the receiver" "$(wc -l <"$T_TMP/tposts")" 0
check "https, untrusted certificate: said so" grep -q "certificate not trusted" "$T_TMP/terr"
check "https, untrusted certificate: counted as failed" grep -q "1 failed" "$T_TMP/terr"

# 9. usage errors
for u in "https://" "ftp://x" "http://" "http://127.0.180.200:99999/"; do
    "$AJAR" scan -q --no-db --webhook "$u" $R.11 >/dev/null 2>"$T_TMP/err"
    check_eq "--webhook '$u' exits 2" "$?" 2
    check_eq "--webhook '$u' one line" "$(wc -l <"$T_TMP/err")" 1
done
"$AJAR" scan -q --no-db --alert-level bogus $R.11 >/dev/null 2>&1
check_eq "--alert-level bogus exits 2" "$?" 2
t_end
