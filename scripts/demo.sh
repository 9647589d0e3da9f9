#!/usr/bin/env bash
# make demo: start the lab on loopback, scan it, store into ./ajar.db, print the report.
set -euo pipefail
cd "$(dirname "$0")/.."
AJAR=${AJAR:-build/ajar}
out=${AJAR_DEMO_OUT:-demo-findings.jsonl}
echo "== starting the lab (real servers and emulations on 127.0.x.y) =="
tests/lab/lab up
manifest=${AJAR_LAB_DIR:-/tmp/ajar-lab}/manifest.json
targets=$(mktemp)
jq -r '.instances[].address' "$manifest" | sort -u >"$targets"
ports=$(jq -r '[.instances[].port] | unique | map(tostring) | join(",")' "$manifest")
echo "== scanning $(wc -l <"$targets") lab hosts on the default ports plus the lab's ($ports) =="
"$AJAR" scan -iL "$targets" -p "default,$ports" --rate 2000 --progress -o "$out"
rm -f "$targets"
echo "== report =="
if "$AJAR" report --help >/dev/null 2>&1; then
    "$AJAR" report
    echo
    echo "== the headline: identical deployments (the Shanghai case: three Kibana 5.5.3 with no login and one"
    echo "   certificate expired in 2018, each in front of an Elasticsearch full of person_info) =="
    "$AJAR" report --clusters
    echo
    echo "HTML report: $AJAR report --format html -o report.html   JSON lines: $out   store: ${AJAR_DB:-./ajar.db}"
    echo "Dashboard (HTTPS on 127.0.0.1:8443, no default account): $AJAR user add YOU && $AJAR serve"
else
    jq -r '[.severity, .ip + ":" + (.port|tostring), .service, (.product // "-"), (.version // "-"), .auth,
            ((.data.records // "") | tostring)] | @tsv' "$out" | sort | column -t
fi
