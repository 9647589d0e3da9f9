#!/usr/bin/env bash
# bench/attr.sh -- what attribution costs a scan (issue 21: at most 5% with the databases
# loaded): the wall time of `ajar scan` over a /24 of plain Redis-like listeners on
# 127.0.175.0/24 (started here, port 6379 of each address: 254 findings), without and with
# --asn-db, --geo-db and --cloud-ranges (files built here, mapping the whole /24, so every
# lookup finds a record), the runs alternated, the median of each printed. --rdns is not
# measured here (rdns.sh).
#
#   bench/attr.sh [-r RUNS]      (default 5 runs of each)
#
# Only loopback is contacted. A benchmark, not a test: nothing here fails a build.
set -u
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=5
while [ $# -gt 0 ]; do
    case $1 in
        -r) runs=$2; shift ;;
        *) echo "usage: $0 [-r RUNS]" >&2; exit 2 ;;
    esac
    shift
done
make -s -j2 || exit 1
AJAR=build/ajar
tmp=$(mktemp -d /tmp/ajar-bench-attr.XXXXXX)
lpid=
cleanup() {
    [ -n "$lpid" ] && kill "$lpid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
N=127.0.175

cat >"$tmp/redis.py" <<'PY'
import selectors, socket, sys
info = b"# Server\r\nredis_version:7.0.15\r\n\r\n# Keyspace\r\ndb0:keys=5,expires=0,avg_ttl=0\r\n"
reply = b"$%d\r\n%s\r\n" % (len(info), info)
sel = selectors.DefaultSelector()
for i in range(1, 255):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("%s.%d" % (sys.argv[1], i), 6379)); s.listen(64); s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, None)
print("ready", flush=True)
bufs = {}
while True:
    for key, _ in sel.select():
        if key.data is None:
            try:
                c, _ = key.fileobj.accept()
            except OSError:
                continue
            c.setblocking(False)
            bufs[c] = b""
            sel.register(c, selectors.EVENT_READ, 1)
            continue
        c = key.fileobj
        try:
            d = c.recv(4096)
        except OSError:
            d = b""
        if d:
            bufs[c] += d
            if b"INFO\r\n" not in bufs[c] and len(bufs[c]) < 65536:
                continue
            try:
                c.send(reply)
            except OSError:
                pass
        sel.unregister(c); bufs.pop(c, None); c.close()
PY
ulimit -n 8192 2>/dev/null
python3 "$tmp/redis.py" $N >"$tmp/ready" 2>&1 &
lpid=$!
for _ in $(seq 200); do grep -qx ready "$tmp/ready" && break; sleep 0.05; done
grep -qx ready "$tmp/ready" || { echo "listeners did not start: $(cat "$tmp/ready")" >&2; exit 1; }

perl tests/tools/make-mmdb.pl asn "$tmp/asn.mmdb" $N.0/24 || exit 1
perl tests/tools/make-mmdb.pl country "$tmp/country.mmdb" $N.0/24 || exit 1
cat >"$tmp/aws.json" <<JSON
{"syncToken":"1","createDate":"2026-01-01-00-00-00",
 "prefixes":[{"ip_prefix":"$N.0/25","region":"bench-region-1","service":"EC2","network_border_group":"bench-region-1"}],
 "ipv6_prefixes":[]}
JSON
ATTR=(--asn-db "$tmp/asn.mmdb" --geo-db "$tmp/country.mmdb" --cloud-ranges "$tmp/aws.json")

one() { # out-file, options...: prints the wall seconds of one scan
    local out=$1 t0 t1
    shift
    t0=$(now)
    "$AJAR" scan -q --no-db -p 6379 --rate 0 "$@" $N.0/24 -o "$out" >/dev/null 2>&1
    t1=$(now)
    echo "$t1 - $t0" | bc -l
}
# a warm-up of each, and a check that both find the whole /24 and only one carries attribution
one "$tmp/w0.jsonl" >/dev/null
one "$tmp/w1.jsonl" "${ATTR[@]}" >/dev/null
n0=$(wc -l <"$tmp/w0.jsonl") n1=$(wc -l <"$tmp/w1.jsonl")
a1=$(jq -c 'select(.network.asn == 37963 and .geo.country == "CN" and .cloud != null)' \
    "$tmp/w1.jsonl" | wc -l)
echo "findings: $n0 without, $n1 with ($a1 attributed)"
: >"$tmp/t0"
: >"$tmp/t1"
for _ in $(seq "$runs"); do
    one "$tmp/r0.jsonl" >>"$tmp/t0"
    one "$tmp/r1.jsonl" "${ATTR[@]}" >>"$tmp/t1"
done
m0=$(median <"$tmp/t0") m1=$(median <"$tmp/t1")
printf 'without: %s s (runs: %s)\n' "$(printf '%.3f' "$m0")" "$(paste -sd' ' "$tmp/t0" | xargs printf '%.3f ')"
printf 'with:    %s s (runs: %s)\n' "$(printf '%.3f' "$m1")" "$(paste -sd' ' "$tmp/t1" | xargs printf '%.3f ')"
printf 'difference: %+.1f%% (median with / median without)\n' "$(echo "($m1 / $m0 - 1) * 100" | bc -l)"
