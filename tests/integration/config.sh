#!/usr/bin/env bash
# tests/integration/config.sh -- the configuration files (docs/config.md).
#   - precedence, shown by `ajar config show`: command line > AJAR_DB > the user file
#     ($XDG_CONFIG_HOME, else ~/.config) or --config FILE (which takes the user file's
#     place) > the system file > default; list keys add up; an empty value unsets;
#     --no-config
#   - values from the files take effect in real scans of fake Redis servers on loopback:
#     the store (db), the ports, the excludes (nothing sent to an excluded address), the
#     rate (a scan of 20 pairs at 10/s takes about 2 s, with --rate 0 typed it does not),
#     the webhook (a POST reaches the receiver); probe and serve take theirs too
#   - a bad file: exit 2, one line naming the file and the line, nothing sent
#   - secrets: redacted by config show and in the stored arguments, never in an error;
#     a secret in a world-readable file, a world-writable file, a file owned by another
#     user are refused
#   - a bare --resume keeps the stored scan's values over today's files
# Everything stays on 127.0.210.0/24.
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

A=127.0.210
P=16379
cat >"$T_TMP/redis.py" <<'PY'
import socket, sys, threading
log = open(sys.argv[1], "a", buffering=1)
info = b"# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n\r\n# Keyspace\r\ndb0:keys=5,expires=0,avg_ttl=0\r\n"
def serve(s, name):
    while True:
        c, _ = s.accept()
        log.write(name + "\n")
        try:
            data = b""
            while b"INFO\r\n" not in data:
                d = c.recv(4096)
                if not d: break
                data += d
            c.sendall(b"$%d\r\n%s\r\n" % (len(info), info))
        except OSError:
            pass
        c.close()
for a in sys.argv[2:]:
    h, p = a.rsplit(":", 1)
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((h, int(p))); s.listen(16)
    threading.Thread(target=serve, args=(s, a), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
PY
cat >"$T_TMP/recv.py" <<'PY'
import http.server, json, sys
log = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with open(log, "a") as f:
            f.write(json.dumps({"path": self.path, "event": json.loads(body).get("event")}) + "\n")
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
srv = http.server.ThreadingHTTPServer(("127.0.210.200", 18210), H)
print("ready", flush=True)
srv.serve_forever()
PY
wait_ready() { for _ in $(seq 100); do grep -q ready "$1" 2>/dev/null && return 0; sleep 0.05; done; return 1; }
CONN=$T_TMP/conn.log
: >"$CONN"
bg python3 "$T_TMP/redis.py" "$CONN" $A.11:$P $A.12:$P $A.13:$P $A.14:$P >"$T_TMP/redis.ready" 2>&1
bg python3 "$T_TMP/recv.py" "$T_TMP/posts" >"$T_TMP/recv.ready" 2>&1
wait_ready "$T_TMP/redis.ready" && wait_ready "$T_TMP/recv.ready" || {
    bad "helpers did not start"; cat "$T_TMP"/*.ready; t_end; exit 1; }

# the files of this test only: the system file through AJAR_SYSTEM_CONFIG, the user file
# through XDG_CONFIG_HOME; nothing under /etc or the real home is read or written
SYS=$T_TMP/etc/ajar.conf USR=$T_TMP/xdg/ajar/ajar.conf
mkdir -p "$T_TMP/etc" "$T_TMP/xdg/ajar" "$T_TMP/work"
export AJAR_SYSTEM_CONFIG=$SYS XDG_CONFIG_HOME=$T_TMP/xdg
unset AJAR_DB
cd "$T_TMP/work" || exit 1
AJ() { "$AJAR" "$@"; }
quiet() { "$@" >/dev/null 2>&1; }
# exit status $1 is $2 and text $4 matches the grep -E pattern $3
exit_says() { [ "$1" = "$2" ] && grep -qE -- "$3" <<<"$4"; }
# config show's line for KEY: "VALUE SOURCE" (blanks squeezed)
row() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ +/, ""); print }' <<<"$2" | tr -s ' '; }

# ---- precedence, by config show ----
cat >"$SYS" <<EOF
# the site's defaults
db = $T_TMP/sys.db
timeout = 900
rate = 100
ports = $P
exclude = $A.13
webhook = http://$A.200:18210/from-the-system-file
EOF
chmod 0600 "$SYS"
cat >"$USR" <<EOF
rate = 200
exclude = $A.99
webhook =
EOF
out=$(AJ config show scan); rc=$?
check_eq "config show: exit 0" "$rc" 0
check "config show names the system file as read" grep -qx "# system file $SYS: read" <<<"$out"
check "... and the user file under XDG_CONFIG_HOME" grep -qx "# user file $USR: read" <<<"$out"
check_eq "rate: the user file wins over the system file" "$(row rate "$out")" "200 $USR:1"
check_eq "timeout: from the system file, with its line" "$(row timeout "$out")" "900 $SYS:3"
check_eq "ports: from the system file" "$(row ports "$out")" "$P $SYS:5"
check_eq "retries: the default" "$(row retries "$out")" "1 default"
check_eq "exclude: a list, the values of both files" "$(row exclude "$out" | tr '\n' '|')" \
    "$A.13 $SYS:6|$A.99 $USR:2|"
check_eq "webhook: unset by the user file's empty value" "$(row webhook "$out")" \
    "(none) default (unset at $USR:3)"
check_eq "db: from the system file" "$(row db "$out")" "$T_TMP/sys.db $SYS:2"
check "config show scan lists only scan's keys" bash -c '! grep -q "^listen " <<<"$1"' _ "$out"
out=$(AJAR_DB=$T_TMP/env.db AJ config show scan)
check_eq "db: AJAR_DB wins over the files" "$(row db "$out")" "$T_TMP/env.db environment (AJAR_DB)"
out=$(AJAR_DB=$T_TMP/env.db AJ config show scan --db "$T_TMP/cli.db" --rate=300 -p 6379 --exclude $A.98 $A.0/24)
check_eq "db: the command line wins over AJAR_DB" "$(row db "$out")" "$T_TMP/cli.db command line"
check_eq "rate: the command line wins (--rate=N)" "$(row rate "$out")" "300 command line"
check_eq "ports: the command line wins (-p)" "$(row ports "$out")" "6379 command line"
check_eq "exclude: the command line's adds to the files'" "$(row exclude "$out" | wc -l)" 3
printf 'rate = 400\n' >"$T_TMP/job.conf"
out=$(AJ --config "$T_TMP/job.conf" config show scan)
check "--config FILE takes the user file's place" grep -qx "# --config file $T_TMP/job.conf: read" <<<"$out"
check_eq "... its values win over the system file" "$(row rate "$out")" "400 $T_TMP/job.conf:1"
check_eq "... the user file is not read" "$(row exclude "$out")" "$A.13 $SYS:6"
check_eq "... the system file still is" "$(row timeout "$out")" "900 $SYS:3"
out=$(AJ config show scan --config "$T_TMP/job.conf")
check_eq "--config among the command's options works too" "$(row rate "$out")" "400 $T_TMP/job.conf:1"
out=$(AJ --no-config config show scan)
check_eq "--no-config: defaults" "$(row rate "$out")" "1000 default"
check "... and says the files were not read" grep -q "^# system file .*: not read (--no-config)" <<<"$out"
out=$(AJ --no-config --config "$T_TMP/job.conf" config show scan)
check_eq "--no-config --config FILE: only FILE" "$(row rate "$out"):$(row timeout "$out")" \
    "400 $T_TMP/job.conf:1:1500 default"
mkdir -p "$T_TMP/home/.config/ajar"
printf 'rate = 77\n' >"$T_TMP/home/.config/ajar/ajar.conf"
out=$(env -u XDG_CONFIG_HOME HOME=$T_TMP/home "$AJAR" config show scan)
check_eq "without XDG_CONFIG_HOME: ~/.config/ajar/ajar.conf" "$(row rate "$out")" \
    "77 $T_TMP/home/.config/ajar/ajar.conf:1"
out=$(XDG_CONFIG_HOME=relative/dir HOME=$T_TMP/home "$AJAR" config show scan)
check_eq "a relative XDG_CONFIG_HOME is ignored (the XDG rule)" "$(row rate "$out")" \
    "77 $T_TMP/home/.config/ajar/ajar.conf:1"
out=$(AJ config show serve)
check_eq "config show serve: its keys" "$(row listen "$out")" "127.0.0.1:8443 default"
check "... not scan's" bash -c '! grep -q "^rate " <<<"$1"' _ "$out"
out=$(AJ config show services 2>&1); rc=$?
check_eq "config show of a command without keys: exit 2" "$rc" 2

# ---- the values take effect in scans ----
cat >"$SYS" <<EOF
db = $T_TMP/cfg.db
ports = $P
exclude = $A.13
rate = 0
EOF
: >"$USR"
: >"$CONN"
AJ scan -q $A.11-$A.13 -o "$T_TMP/s1.jsonl"; rc=$?
check_eq "a scan with the configured store, ports and exclude: exit 0" "$rc" 0
check_eq "it found the two servers on the configured port" \
    "$(jq -r '"\(.ip):\(.port) \(.service)"' "$T_TMP/s1.jsonl" | sort | tr '\n' ' ')" \
    "$A.11:$P redis $A.12:$P redis "
check "nothing was sent to the configured exclude" bash -c "! grep -q '^$A.13:' '$CONN'"
check "the configured store holds the scan" [ "$(sqlite3 "$T_TMP/cfg.db" 'SELECT COUNT(*) FROM scans')" = 1 ]
check "no ./ajar.db was made" [ ! -e "$T_TMP/work/ajar.db" ]
AJ scan -q --exclude $A.12 $A.11-$A.13 -o "$T_TMP/s2.jsonl"
check_eq "a typed exclude adds to the configured one" \
    "$(jq -r .ip "$T_TMP/s2.jsonl" | tr '\n' ' ')" "$A.11 "
AJAR_DB=$T_TMP/env.db AJ scan -q $A.11 -o /dev/null
check "AJAR_DB wins over the configured store" [ "$(sqlite3 "$T_TMP/env.db" 'SELECT COUNT(*) FROM scans')" = 1 ]
AJAR_DB=$T_TMP/env.db AJ scan -q --db "$T_TMP/cli.db" $A.11 -o /dev/null
check "--db wins over AJAR_DB" [ "$(sqlite3 "$T_TMP/cli.db" 'SELECT COUNT(*) FROM scans')" = 1 ]
check_eq "... which was left alone" "$(sqlite3 "$T_TMP/env.db" 'SELECT COUNT(*) FROM scans')" 1
out=$(AJ report --scan 1 --format json)
check "report reads the configured store" quiet jq -e 'length == 2' <<<"$out"
AJ scan -q $A.11-$A.13 -o /dev/null
out=$(AJ diff 1 3 2>&1); rc=$?
check "diff reads the configured store (exit $rc: $out)" [ "$rc" = 0 ]
# the rate: 20 closed pairs at 10 per second take about 2 s; --rate 0 typed takes far less
printf 'rate = 10\n' >"$USR"
t0=$(date +%s%N)
AJ scan -q --no-db $A.20-$A.39 -o /dev/null
t1=$(date +%s%N)
AJ scan -q --no-db --rate 0 $A.20-$A.39 -o /dev/null
t2=$(date +%s%N)
slow=$(((t1 - t0) / 1000000)) fast=$(((t2 - t1) / 1000000))
check "the configured rate paces the scan (20 pairs at 10/s: $slow ms)" [ "$slow" -ge 1500 ]
check "a typed --rate 0 wins ($fast ms)" [ "$fast" -lt 1000 ]
check "the stored arguments hold the configured options" \
    bash -c "sqlite3 '$T_TMP/cfg.db' 'SELECT arguments FROM scans WHERE id=1' | grep -q -- '--ports=$P'"
# the webhook, from a private user file: a POST reaches its path; the token is shown nowhere
TOKEN=T0KEN-sekrit-9f2
printf 'webhook = http://%s.200:18210/%s/hook\n' $A $TOKEN >"$USR"
chmod 0600 "$USR"
: >"$T_TMP/posts"
AJ scan -q --db "$T_TMP/hook.db" $A.14 -o /dev/null
for _ in $(seq 50); do grep -q '"new"' "$T_TMP/posts" 2>/dev/null && break; sleep 0.1; done
check "the configured webhook got the new finding at its path" \
    quiet jq -se "any(.[]; .path == \"/$TOKEN/hook\" and .event == \"new\")" "$T_TMP/posts"
check "the stored arguments do not hold the token" \
    bash -c "! sqlite3 '$T_TMP/hook.db' 'SELECT arguments FROM scans' | grep -q '$TOKEN'"
out=$(AJ config show scan)
check_eq "config show redacts the webhook's path" "$(row webhook "$out")" \
    "http://$A.200:18210/<redacted> $USR:1"
check "... the token is nowhere in its output" bash -c "! grep -q '$TOKEN' <<<\"\$1\"" _ "$out"
out=$(AJ report --db "$T_TMP/hook.db")
check "the report shows the configured webhook redacted" grep -qF -- "--webhook=http://$A.200:18210/<redacted>" <<<"$out"
check "... the token is not in the report" bash -c "! grep -q '$TOKEN' <<<\"\$1\"" _ "$out"
: >"$USR"
# probe and import take the scan keys too (--signatures=, --exclude= ...)
mkdir -p "$T_TMP/sigs"
printf 'signatures = %s\nexclude = %s.12\n' "$T_TMP/sigs" $A >"$USR"
out=$(printf '%s.11:%s\n%s.12:%s\n' $A $P $A $P | AJ probe -q --no-db 2>&1); rc=$?
check_eq "probe with configured signatures and exclude: exit 0 ($out)" "$rc" 0
check_eq "... the excluded pair was not probed" "$(jq -r .ip <<<"$out" 2>/dev/null | tr '\n' ' ')" "$A.11 "
: >"$USR"

# ---- bad files: one line naming the file and the line, exit 2, nothing sent ----
bad_file() { # description, file content, expected message (a grep -E pattern)
    printf '%b' "$2" >"$T_TMP/bad.conf"
    chmod 0600 "$T_TMP/bad.conf"
    : >"$CONN"
    local err rc
    err=$(AJ --config "$T_TMP/bad.conf" scan -q --no-db $A.11 -p $P 2>&1 >/dev/null); rc=$?
    check_eq "$1: exit 2" "$rc" 2
    check_eq "$1: one line" "$(wc -l <<<"$err")" 1
    check "$1: names file and line ($err)" grep -qE "^ajar: $T_TMP/bad.conf:$3" <<<"$err"
    check "$1: nothing was sent" [ ! -s "$CONN" ]
}
bad_file "an unknown key" 'rate = 10\nrat = 5\n' "2: unknown key 'rat'"
bad_file "a bad number" '# c\n\nrate = fast\n' "3: rate: 'fast' is not a number from 0 to 100000000"
bad_file "out of range" 'timeout = 0\n' "1: timeout: '0' is not a number from 1 to 600000"
bad_file "not key = value" 'rate 10\n' "1: expected KEY = VALUE"
bad_file "a scalar twice" 'rate = 1\nrate = 2\n' "2: rate is set twice in this file \\(first on line 1\\)"
bad_file "bad ports" 'ports = 70000\n' "1: ports: "
bad_file "a bad severity" 'alert-level = loud\n' "1: alert-level: 'loud' is not a severity"
bad_file "a control byte" 'rate = 1\x01\n' "1: a control character"
bad_file "an empty list value" 'exclude =\n' "1: exclude: empty value"
bad_file "a bad listen address (serve's key, checked for every command)" 'listen = nowhere\n' "1: listen: "
long=$(head -c 5000 /dev/zero | tr '\0' a)
bad_file "a line over 4096 bytes" "rate = 1\n# $long\n" "2: a line longer than 4096 bytes"
printf 'webhook = ftp://%s@h/%s\n' "user:PaSsW0rdX" "$TOKEN" >"$T_TMP/bad.conf"
err=$(AJ --config "$T_TMP/bad.conf" scan -q --no-db $A.11 2>&1); rc=$?
check_eq "a bad webhook URL: exit 2" "$rc" 2
check "... the URL is not quoted ($err)" bash -c "! grep -qE '$TOKEN|PaSsW0rdX' <<<\"\$1\"" _ "$err"
err=$(AJ --config "$T_TMP/none.conf" scan -q --no-db $A.11 2>&1); rc=$?
check "a missing --config FILE: exit 2, named ($err)" exit_says "$rc" 2 "none.conf: cannot read it" "$err"
printf 'rate = 1\nbogus line\n' >"$SYS"
err=$(AJ report 2>&1); rc=$?
check "a bad system file stops report too (exit $rc: $err)" exit_says "$rc" 2 "^ajar: $SYS:2: " "$err"
out=$(AJ --no-config config show scan 2>&1); rc=$?
check_eq "--no-config gets past it" "$rc" 0
: >"$SYS"

# ---- secrets and permissions ----
PGURL="postgresql://ajar:S3CRETPW@$A.250/ajar"
printf 'db = %s\n' "$PGURL" >"$T_TMP/pg.conf"
chmod 0600 "$T_TMP/pg.conf"
out=$(AJ --config "$T_TMP/pg.conf" config show report)
check_eq "config show redacts a store URL's password" "$(row db "$out")" \
    "postgresql://ajar:<redacted>@$A.250/ajar $T_TMP/pg.conf:1"
chmod 0644 "$T_TMP/pg.conf"
err=$(AJ --config "$T_TMP/pg.conf" config show 2>&1); rc=$?
check_eq "a password in a world-readable file: exit 2" "$rc" 2
check "... says why and what to do ($err)" grep -qE "^ajar: $T_TMP/pg.conf:1: db holds a secret and every user can read the file \\(mode 0644\\): refused \\(chmod o-r" <<<"$err"
check "... without printing it" bash -c '! grep -q S3CRETPW <<<"$1"' _ "$err"
chmod 0640 "$T_TMP/pg.conf"
check "readable by the group only (a service's group): allowed" quiet AJ --config "$T_TMP/pg.conf" config show
printf 'db = %s/plain.db\n' "$T_TMP" >"$T_TMP/plain.conf"
chmod 0644 "$T_TMP/plain.conf"
check "a store path (no secret) in a world-readable file: allowed" quiet AJ --config "$T_TMP/plain.conf" config show
printf 'webhook = http://%s.200:18210/%s\n' $A $TOKEN >"$T_TMP/hook.conf"
chmod 0644 "$T_TMP/hook.conf"
err=$(AJ --config "$T_TMP/hook.conf" scan -q --no-db $A.11 2>&1); rc=$?
check "a webhook in a world-readable file: refused (exit $rc)" exit_says "$rc" 2 "webhook holds a secret" "$err"
check "... the token is not printed" bash -c "! grep -q '$TOKEN' <<<\"\$1\"" _ "$err"
chmod 0602 "$T_TMP/plain.conf"
err=$(AJ --config "$T_TMP/plain.conf" config show 2>&1); rc=$?
check "a world-writable file: refused (exit $rc: $err)" exit_says "$rc" 2 "writable by every user \\(mode 0602\\)" "$err"
if [ "$(id -u)" = 0 ]; then
    chmod 0644 "$T_TMP/plain.conf"
    chown 65534 "$T_TMP/plain.conf"
    err=$(AJ --config "$T_TMP/plain.conf" config show 2>&1); rc=$?
    check "a file owned by another user: refused (exit $rc: $err)" exit_says "$rc" 2 "owned by uid 65534, neither you nor root" "$err"
    chown 0 "$T_TMP/plain.conf"
else
    echo "skip: the file owned by another user needs root to make"
fi

# ---- a bare --resume keeps the stored scan's values over today's files ----
printf 'db = %s/resume.db\nports = %s\nrate = 5\n' "$T_TMP" $P >"$USR"
AJ scan -q --max-seconds 1 $A.64/26 -o /dev/null
check_eq "an interrupted scan with the configured ports" \
    "$(sqlite3 "$T_TMP/resume.db" 'SELECT end_time IS NULL FROM scans')" 1
printf 'db = %s/resume.db\nports = 6379\nrate = 0\nwebhook = http://%s.200:18210/resumed\n' "$T_TMP" $A >"$USR"
: >"$T_TMP/posts"
err=$(AJ scan -q --resume --rate 0 -o /dev/null 2>&1); rc=$?
check_eq "a bare --resume after the file's ports changed: continues (exit $rc: $err)" "$rc" 0
check_eq "... and completes the one scan" \
    "$(sqlite3 "$T_TMP/resume.db" 'SELECT COUNT(*), SUM(end_time IS NOT NULL) FROM scans')" "1|1"
check "... and alerts the configured webhook (the store never keeps its URL)" \
    quiet jq -se 'any(.[]; .path == "/resumed" and .event == "scan-end")' "$T_TMP/posts"

# ---- serve and user take theirs: the store and the address ----
printf 'db = %s/web.db\nlisten = %s.1:18443\nthreads = 2\n' "$T_TMP" $A >"$USR"
echo 'correct horse battery staple' | AJ user add alice --password-stdin >/dev/null 2>&1
check "user add wrote the configured store" [ "$(sqlite3 "$T_TMP/web.db" 'SELECT COUNT(*) FROM users')" = 1 ]
mkdir -p "$T_TMP/state"
bg "$AJAR" serve -q --state-dir "$T_TMP/state" 2>"$T_TMP/serve.err"
code=
for _ in $(seq 100); do
    code=$(curl -sk -o /dev/null -w '%{http_code}' "https://$A.1:18443/login" 2>/dev/null) && [ "$code" = 200 ] && break
    sleep 0.1
done
check_eq "serve listens where the file says" "$code" 200
: >"$USR"

t_end
