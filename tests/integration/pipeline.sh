#!/usr/bin/env bash
# Integration: ajar in pipelines and as a gate, on 127.0.180.0/24.
#  - scan --fail-on LEVEL: exit 3 when a finding reaches LEVEL, after writing every record;
#    0 when none does; a bad LEVEL is a usage error (2)
#  - probe: ip:port lines (or bare ip with -p) from stdin or a file, exactly those pairs
#  - import: the real masscan/zmap/nmap fixtures of tests/import (made against these very
#    addresses) become a probe run over exactly their open pairs, format given or detected
#  - exit statuses of every command: --help 0, usage errors 2 with one line, runtime 1
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

R=127.0.180
cat >"$T_TMP/redis.py" <<'PY'
import socket, sys, threading
info = b"# Server\r\nredis_version:7.0.15\r\n\r\n# Keyspace\r\ndb0:keys=5,expires=0,avg_ttl=0\r\n"
def serve(s):
    while True:
        c, _ = s.accept()
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
for a in sys.argv[1:]:
    h, p = a.rsplit(":", 1)
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((h, int(p))); s.listen(16)
    threading.Thread(target=serve, args=(s,), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
PY
bg python3 "$T_TMP/redis.py" $R.21:6379 >"$T_TMP/redis.ready" 2>&1
start_listeners "$T_TMP/conns" $R.21:9200 $R.22:5432 $R.22:9200 $R.31:9200 $R.32:6379 ||
    { bad "listeners"; t_end; exit 1; }
for _ in $(seq 100); do grep -q ready "$T_TMP/redis.ready" && break; sleep 0.05; done
pairs() { jq -r '"\(.ip):\(.port)"' "$1" | sort; }
conns() { cut -d' ' -f1 "$T_TMP/conns" | sort -u; }

# ---- scan --fail-on ----
"$AJAR" scan -q --no-db -p 6379,9200 --rate 0 --fail-on high $R.21 -o "$T_TMP/f1.jsonl"
check_eq "fail-on high reached: exit 3" "$?" 3
check_eq "every record written before exit 3" "$(wc -l <"$T_TMP/f1.jsonl")" 2
check_eq "the high one is there" "$(jq -r 'select(.severity=="high") | .port' "$T_TMP/f1.jsonl")" 6379
"$AJAR" scan -q --no-db -p 6379,9200 --rate 0 --fail-on critical $R.21 >/dev/null
check_eq "fail-on critical not reached (Redis open, 5 keys: high): exit 0" "$?" 0
"$AJAR" scan -q --no-db -p 9200 --rate 0 --fail-on info $R.21 >"$T_TMP/f2.jsonl"
check_eq "fail-on not reached: exit 0" "$?" 0
check_eq "record written" "$(wc -l <"$T_TMP/f2.jsonl")" 1
"$AJAR" scan -q --db "$T_TMP/g.db" -p 6379 --rate 0 --fail-on high $R.21 >/dev/null
check_eq "fail-on with the store: exit 3" "$?" 3
check_eq "stored before exit 3" "$("$AJAR" report --db "$T_TMP/g.db" --format jsonl | wc -l)" 1
"$AJAR" scan -q --no-db -p 6379 --fail-on bogus $R.21 >/dev/null 2>"$T_TMP/err"
check_eq "fail-on bogus: exit 2" "$?" 2
check_eq "fail-on bogus: one line" "$(wc -l <"$T_TMP/err")" 1
"$AJAR" scan -q --no-db -p 6379 --rate 0 --discovery-only --fail-on low $R.21 >/dev/null
check_eq "discovery only: nothing assessed, exit 0" "$?" 0

# ---- probe ----
: >"$T_TMP/conns"
printf '%s\n' "$R.21:6379" "$R.22:5432" "# comment" "" "junk" | "$AJAR" probe -q --no-db --rate 0 >"$T_TMP/p1.jsonl"
check_eq "probe from stdin: exit 0" "$?" 0
check_eq "probe: exactly the pairs given" "$(pairs "$T_TMP/p1.jsonl" | tr '\n' ' ')" "$R.21:6379 $R.22:5432 "
check_eq "probe: only those pairs connected to" "$(conns | tr '\n' ' ')" "$R.22:5432 "
check_eq "probe identifies" "$(jq -r 'select(.port==6379) | .service' "$T_TMP/p1.jsonl")" redis
printf '%s\n' $R.21 $R.22 | "$AJAR" probe -q --no-db --rate 0 -p 9200 >"$T_TMP/p2.jsonl"
check_eq "probe bare addresses with -p" "$(pairs "$T_TMP/p2.jsonl" | tr '\n' ' ')" "$R.21:9200 $R.22:9200 "
printf '%s\n' $R.21 | "$AJAR" probe -q --no-db >/dev/null 2>"$T_TMP/err"
check_eq "probe bare address without -p: exit 2" "$?" 2
check "  ... and says to give -p" grep -q -- "-p PORTS" "$T_TMP/err"
printf '%s\n' "$R.21:6379" >"$T_TMP/in.txt"
"$AJAR" probe -q --no-db --rate 0 --fail-on high "$T_TMP/in.txt" -o "$T_TMP/p3.jsonl"
check_eq "probe FILE --fail-on high: exit 3" "$?" 3
check_eq "probe -o wrote the record" "$(wc -l <"$T_TMP/p3.jsonl")" 1
"$AJAR" probe -q --db "$T_TMP/probe.db" --rate 0 "$T_TMP/in.txt" >/dev/null
check_eq "probe stores: report finds it" "$("$AJAR" report --db "$T_TMP/probe.db" --format jsonl | jq -r .service)" redis
"$AJAR" probe -q --db "$T_TMP/probe.db" --rate 0 "$T_TMP/in.txt" >/dev/null
"$AJAR" diff --db "$T_TMP/probe.db" >"$T_TMP/diff.txt" 2>&1
check_eq "the same input twice is one scope (diff works)" "$?" 0
: | "$AJAR" probe -q --no-db >"$T_TMP/empty.jsonl"
check_eq "empty input: exit 0" "$?" 0
check_eq "empty input: no output" "$(wc -c <"$T_TMP/empty.jsonl")" 0
printf '%s\n' "192.0.2.1:80" "$R.22:5432" | "$AJAR" probe -q --no-db --rate 0 >"$T_TMP/p4.jsonl" 2>/dev/null
check "reserved ranges never probed (192.0.2.1)" bash -c "! grep -q 192.0.2.1 '$T_TMP/p4.jsonl'"
"$AJAR" probe -q --no-db -iL x >/dev/null 2>"$T_TMP/err"
check_eq "probe -iL: exit 2" "$?" 2
"$AJAR" probe -q --no-db --bogus </dev/null >/dev/null 2>"$T_TMP/err"
check_eq "probe --bogus: exit 2" "$?" 2
"$AJAR" probe -q --no-db /nonexistent >/dev/null 2>"$T_TMP/err"
check_eq "probe of a missing file: exit 1" "$?" 1

# ---- import: every fixture, format given and detected ----
imp() { # name, want file, extra args...
    local f=$1 w=$2; shift 2
    : >"$T_TMP/conns"
    "$AJAR" import -q --no-db --rate 0 "$@" "tests/import/$f" -o "$T_TMP/i.jsonl"
    local rc=$?
    check_eq "import $f $*: exit" "$rc" "${WANT_RC:-0}"
    check_eq "import $f $*: exactly its open pairs" "$(pairs "$T_TMP/i.jsonl")" "$(sort "$w")"
}
imp masscan.json tests/import/masscan.json.want
imp masscan.json tests/import/masscan.json.want --format masscan-json
imp masscan.list tests/import/masscan.list.want
imp masscan.list tests/import/masscan.list.want --format masscan-list
imp nmap.xml tests/import/nmap.xml.want
imp nmap.xml tests/import/nmap.xml.want --format nmap-xml
check "import nmap.xml: nothing else connected ($R.22:9200 was not in it)" bash -c "! grep -q '^$R.22:9200 ' '$T_TMP/conns'"
imp zmap-fields.csv tests/import/zmap-fields.csv.want
imp zmap-fields.csv tests/import/zmap-fields.csv.want --format zmap
sed 's/$/:9200/' tests/import/zmap-saddr.csv.want >"$T_TMP/zs.want"
imp zmap-saddr.csv "$T_TMP/zs.want" -p 9200
imp zmap-saddr.csv "$T_TMP/zs.want" --format zmap -p 9200
WANT_RC=3 imp nmap.xml tests/import/nmap.xml.want --fail-on high
"$AJAR" import -q --no-db tests/import/zmap-saddr.csv >/dev/null 2>"$T_TMP/err"
check_eq "zmap saddr lines without -p: exit 2" "$?" 2
"$AJAR" import -q --no-db <tests/import/masscan.list >/dev/null 2>"$T_TMP/err"
check_eq "import with no FILE: exit 2" "$?" 2
"$AJAR" import -q --no-db --rate 0 - <tests/import/masscan.list >"$T_TMP/stdin.jsonl"
check_eq "import - (stdin)" "$(pairs "$T_TMP/stdin.jsonl")" "$(sort tests/import/masscan.list.want)"
"$AJAR" import -q --no-db --format csv tests/import/nmap.xml >/dev/null 2>"$T_TMP/err"
check_eq "import --format csv: exit 2" "$?" 2
check_eq "  ... one line" "$(wc -l <"$T_TMP/err")" 1
"$AJAR" import -q --no-db /nonexistent.xml >/dev/null 2>&1
check_eq "import of a missing file: exit 1" "$?" 1
head -c 300 /dev/urandom >"$T_TMP/junk"
"$AJAR" import --no-db "$T_TMP/junk" >/dev/null 2>"$T_TMP/err"
rc=$?
check "import of random bytes: 0 (nothing to probe) or 2, never a crash (rc $rc)" test "$rc" -eq 0 -o "$rc" -eq 2

# ---- import progress on a terminal (script gives it a pty) ----
if command -v script >/dev/null; then
    script -qec "$AJAR import --no-db --rate 0 -o /dev/null tests/import/masscan.json" /dev/null >"$T_TMP/tty.out" 2>&1
    check "import progress on a terminal (percent, found)" grep -q "reading .*100.0%.*found 4" "$T_TMP/tty.out"
fi

# ---- exit statuses of every command ----
for c in scan probe import report diff history; do
    "$AJAR" $c --help >"$T_TMP/h" 2>&1
    check_eq "ajar $c --help: exit 0" "$?" 0
    check "ajar $c --help has examples" grep -q -i "example" "$T_TMP/h"
    "$AJAR" $c --no-such-option </dev/null >/dev/null 2>"$T_TMP/err"
    check_eq "ajar $c --no-such-option: exit 2" "$?" 2
done
for c in report diff; do
    "$AJAR" $c --db "$T_TMP/none/x.db" >/dev/null 2>&1
    check_eq "ajar $c without a store: exit 1" "$?" 1
done
"$AJAR" history --db "$T_TMP/g.db" 1.2.3.x >/dev/null 2>&1
check_eq "ajar history of a non-address: exit 2" "$?" 2
"$AJAR" history --db "$T_TMP/g.db" $R.21:6379 >/dev/null 2>&1
check_eq "ajar history of a stored service: exit 0" "$?" 0
"$AJAR" scan -q --no-db -p 1 $R.99 -o "$T_TMP/none/out.jsonl" >/dev/null 2>&1
check_eq "scan with an unwritable -o: exit 1" "$?" 1
"$AJAR" --help >/dev/null; check_eq "ajar --help: 0" "$?" 0
"$AJAR" --version | grep -q '^ajar [0-9]'; check_eq "ajar --version" "$?" 0
"$AJAR" >/dev/null 2>&1; check_eq "ajar alone: 2" "$?" 2
"$AJAR" frobnicate >/dev/null 2>&1; check_eq "unknown command: 2" "$?" 2
"$AJAR" --help | grep -q "^  import " ; check_eq "ajar --help lists import" "$?" 0

# ---- make install: the binary, the man page, bash completion ----
P=$T_TMP/prefix
if make --no-print-directory install PREFIX="$P" >"$T_TMP/install.log" 2>&1; then
    ok "make install PREFIX=..."
    check "installed binary runs" bash -c "'$P/bin/ajar' --version | grep -q '^ajar '"
    MANWIDTH=200 man -l "$P/share/man/man1/ajar.1" >"$T_TMP/man.txt" 2>"$T_TMP/man.err"
    check_eq "man -l renders" "$?" 0
    check_eq "man: no roff warnings" "$(MANWIDTH=200 man --warnings -l "$P/share/man/man1/ajar.1" 2>&1 >/dev/null | wc -l)" 0
    for sec in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS "EXIT STATUS" EXAMPLES FILES "SEE ALSO"; do
        check "man page has $sec" grep -q "^$sec" "$T_TMP/man.txt"
    done
    for c in scan probe import report diff history; do
        check "man page describes $c" grep -q "^       $c" "$T_TMP/man.txt"
    done
    # every long option of scan --help is in the man page
    for o in $("$AJAR" scan --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
        check "man page has $o" grep -q -- "$o" "$T_TMP/man.txt"
    done
    # the shipped signatures, found under the prefix by the installed binary (from elsewhere)
    check "signatures installed" test -f "$P/share/ajar/signatures/prometheus.yaml"
    check_eq "the installed ajar finds them under its prefix" \
        "$(cd / && env -u AJAR_SIGNATURES_DIR "$P/bin/ajar" services --format json | jq -r '[.[] | select(.implementation=="signature")] | length')" \
        "$(ls signatures/*.yaml | wc -l)"
    check "the installed ajar's signatures are the prefix's" \
        bash -c "cd / && env -u AJAR_SIGNATURES_DIR '$P/bin/ajar' services | grep -q '$P/share/ajar/signatures/prometheus.yaml'"
    C=$P/share/bash-completion/completions/ajar
    check_eq "completion registered" "$(bash -c "source '$C' && complete -p ajar")" "complete -F _ajar ajar"
    comp() { bash -c "source '$C'; COMP_WORDS=($1); COMP_CWORD=\$((\${#COMP_WORDS[@]} - 1)); cd '$T_TMP'; _ajar; echo \"\${COMPREPLY[*]}\""; }
    check_eq "ajar sc<TAB> -> scan" "$(comp "ajar sc")" scan
    check_eq "ajar i<TAB> -> import" "$(comp "ajar i")" import
    check_eq "ajar scan --fail<TAB>" "$(comp "ajar scan --fail")" --fail-on
    check_eq "ajar scan --fail-on c<TAB>" "$(comp "ajar scan --fail-on c")" critical
    check_eq "ajar import --format nm<TAB>" "$(comp "ajar import --format nm")" nmap-xml
    check_eq "ajar report --format sa<TAB>" "$(comp "ajar report --format sa")" sarif
    check_eq "ajar diff --j<TAB>" "$(comp "ajar diff --j")" --json
    : >"$T_TMP/nets.txt"
    check_eq "ajar scan -iL ne<TAB> -> file" "$(comp "ajar scan -iL ne")" nets.txt
    : >"$T_TMP/scans.db"
    check_eq "ajar scan --db sc<TAB> -> scans.db" "$(comp "ajar scan -q --db sc")" scans.db
    check_eq "ajar probe has no -iL" "$(comp "ajar probe -i")" ""
    check_eq "ajar scan --probe prom<TAB>: a signature's service" "$(PATH=$P/bin:$PATH comp "ajar scan --probe prom")" prometheus
    check_eq "ajar scan -p clickhouse-n<TAB>" "$(PATH=$P/bin:$PATH comp "ajar scan -p clickhouse-n")" clickhouse-native
    # every option of scan --help completes
    for o in $("$AJAR" scan --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
        check "completion knows $o" bash -c "source '$C'; COMP_WORDS=(ajar scan $o); COMP_CWORD=2; _ajar; [[ \" \${COMPREPLY[*]} \" == *\" $o \"* ]]"
    done
else
    bad "make install PREFIX=... failed: $(tail -3 "$T_TMP/install.log")"
fi
t_end
