#!/usr/bin/env bash
# Integration: services on ports no catalogue entry claims. Every real server and emulation of the
# lab (tests/lab) is moved to a random unused port -- an nftables DNAT rule on the output path
# sends (address, R) to (address, its port), so the scanner knows only R -- and `ajar probe`
# of the moved pairs must still name at least 95% of them: the probe order on an unclaimed port
# comes from the catalogue's prevalence and what the port said (the sniff of a banner or of an
# answer to another probe), within the connection cap (PROBE_MAX_ATTEMPTS).
# Prints the rate, and each pair missed with what it was taken for.
cd "$(dirname "$0")/../.."
. tests/integration/lab_check_env.sh
. tests/integration/lib.sh
if ! command -v nft >/dev/null || ! nft list tables >/dev/null 2>&1; then
    echo "skip: no nftables here (the DNAT that moves the ports needs it)"
    t_end
    exit 0
fi
lab_up || { bad "lab up"; t_end; exit 1; }
M=$AJAR_LAB_DIR/manifest.json
T=ajar_lab_ports
trap 'nft delete table ip $T 2>/dev/null; t_cleanup' EXIT
nft delete table ip $T 2>/dev/null
nft -f - <<EOF || { bad "nft table"; t_end; exit 1; }
table ip $T {
    chain out { type nat hook output priority -100; policy accept; }
}
EOF
# one pair per instance that answers for itself (a store reached through a console is found at
# the console's pair); the random ports are unique, above 40000, not listened on
# (ClickHouse's native port is recorded as service clickhouse, as lab_check.py's ALIASES say)
jq -r '.instances[] | select(.via == null) | "\(.address) \(.port) \(.service)"' "$M" |
    sed 's/ clickhouse-native$/ clickhouse/' | sort -u >"$T_TMP/pairs"
declare -A used
: >"$T_TMP/moved" : >"$T_TMP/truth"
RANDOM=42
while read -r a p svc; do
    while :; do
        r=$((40000 + RANDOM % 20000))
        [ -z "${used[$r]:-}" ] && ! ss -ltnH "sport = :$r" | grep -q . && break
    done
    used[$r]=1
    nft add rule ip $T out ip daddr "$a" tcp dport "$r" dnat to "$a:$p" || bad "dnat $a:$r"
    echo "$a:$r" >>"$T_TMP/moved"
    echo "$a $r $svc $p" >>"$T_TMP/truth"
done <"$T_TMP/pairs"
n=$(wc -l <"$T_TMP/truth")
check "the lab has instances to move ($n)" test "$n" -ge 40
start=$(date +%s%N)
"$AJAR" probe -q --no-db --rate 0 --timeout 1000 --probe-timeout 2000 "$T_TMP/moved" >"$T_TMP/found.jsonl" 2>"$T_TMP/err"
check_eq "probe of the moved pairs: exit 0" "$?" 0
ms=$((($(date +%s%N) - start) / 1000000))
# the record each moved pair got (its own, not one reached through it)
jq -r 'select(.via == null) | "\(.ip) \(.port) \(.service)"' "$T_TMP/found.jsonl" | sort -u >"$T_TMP/got"
hit=0 miss=0
while read -r a r svc p; do
    got=$(awk -v a="$a" -v r="$r" '$1 == a && $2 == r { print $3 }' "$T_TMP/got" | sort | tr '\n' ',' | sed 's/,$//')
    if [ "$got" = "$svc" ]; then
        hit=$((hit + 1))
    else
        miss=$((miss + 1))
        echo "missed: $a:$p ($svc) moved to $r: found '${got:-nothing}'"
    fi
done <"$T_TMP/truth"
rate=$((100 * hit / n))
echo "moved to random ports: $hit of $n identified ($rate%) in $ms ms (ASan build)"
check "at least 95% identified on ports no entry claims ($hit of $n, $rate%)" test "$rate" -ge 95
t_end
