#!/usr/bin/env bash
# Integration: a port that accepts once and is gone after (a service going down mid-scan, a
# tarpit that takes one connection). The discovery connection is the first probe's; when it
# closes in silence the next attempt's connection is refused before its probe begins. That
# probe was asked to conclude an attempt it never began, with no state: ZooKeeper, MQTT,
# PostgreSQL and others read their state there, and the scan died of a segmentation fault
# (found by bench/attr.sh, 2026-12-06). Now: exit 0, one record saying why (`error`), for the
# ports of several probes and an unclaimed one, release and ASan builds.
# Only loopback: one listener per port on 127.0.176.0/24, this test's own range.
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

R=127.0.176
AJAR_REL=${AJAR_REL:-$PWD/build/ajar}
cat >"$T_TMP/once.py" <<'PY'
import socket, sys
# accept one connection on each ADDR:PORT, read briefly, close it and the listener
socks = []
for a in sys.argv[1:]:
    h, p = a.rsplit(":", 1)
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((h, int(p))); s.listen(4); socks.append(s)
print("ready", flush=True)
for s in socks:
    c, _ = s.accept()
    c.settimeout(0.05)
    try:
        c.recv(4096)
    except OSError:
        pass
    c.close(); s.close()
PY
n=0
for bin in "$AJAR_REL" "$AJAR"; do
    [ -x "$bin" ] || continue
    for port in 2181 1883 5432 6379 27017 6380; do
        n=$((n + 1))
        addr=$R.$n
        : >"$T_TMP/ready"
        python3 "$T_TMP/once.py" "$addr:$port" >"$T_TMP/ready" 2>&1 &
        pid=$!
        for _ in $(seq 100); do grep -qx ready "$T_TMP/ready" && break; sleep 0.05; done
        "$bin" scan -q --no-db -p "$port" --rate 0 "$addr" >"$T_TMP/out" 2>"$T_TMP/err"
        rc=$?
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        check_eq "$(basename "$(dirname "$bin")") $addr:$port: exit 0" "$rc" 0
        check_eq "$(basename "$(dirname "$bin")") $addr:$port: one record with an error" \
            "$(jq -r 'select(.error != null) | .port' "$T_TMP/out")" "$port"
    done
done
t_end
