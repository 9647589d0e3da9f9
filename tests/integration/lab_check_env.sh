# Sourced by the lab integration scripts: where the lab lives, and lab_up,
# which starts it once per test run (idempotent: seconds when it is up).
export AJAR_LAB_DIR=${AJAR_LAB_DIR:-/tmp/ajar-lab}
lab_up() {
    if [ -f "$AJAR_LAB_DIR/manifest.json" ] && tests/lab/lab status >/dev/null 2>&1; then
        return 0
    fi
    tests/lab/lab up >"${T_TMP:-/tmp}/lab-up.log" 2>&1 || { tail -n 30 "${T_TMP:-/tmp}/lab-up.log"; return 1; }
}
