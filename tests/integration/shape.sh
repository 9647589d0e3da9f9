#!/usr/bin/env bash
# Integration (issue 23): the shape of the code above the store stays as the issue left it.
#  - no SQL text in src/web/ (the store owns the schema: store.h, store/dash.c)
#  - the entity "&amp;" spelt in one source file outside the probes (the kit's escaper)
#  - no search of stored JSON by its bytes ("names":[ and the like) outside the record's reader
#    (core/record_text.c; a probe reads a server's JSON, not the record)
#  - no .c file under src/ over 1,000 lines
# Each rule runs first on a planted copy that breaks it, so a rule that could not fail is seen.
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

# the rules, on a tree at $1; each prints what breaks it
sql_in_web() { grep -rlE '"[^"]*\b(SELECT|INSERT INTO|UPDATE [a-z_]+ SET|DELETE FROM)\b' "$1/src/web" 2>/dev/null; }
amp_files() { grep -rl '&amp;' "$1/src" | grep -v "^$1/src/probe/"; }
json_byte_search() { # a search function given a "\"key\":" literal (writers of JSON are not searches)
    grep -rnE '(strstr|memmem|memcmp|strncmp|find)\([^;]*"\\"[a-z_]+\\":' "$1/src" |
        grep -vE "^$1/src/(core/record_text\.c|probe/)"
}
long_files() { find "$1/src" -name '*.c' -exec wc -l {} + | awk '$2 != "total" && $1 > 1000 {print $2 " " $1}'; }

# ---- the rules can fail: a planted tree ----
fake="$T_TMP/fake"
mkdir -p "$fake/src/web" "$fake/src/kit" "$fake/src/cli" "$fake/src/probe" "$fake/src/core"
printf 'static const char q[] = "SELECT id FROM scans";\n' >"$fake/src/web/p.c"
printf '#define KIT_AMP "&amp;"\n' >"$fake/src/kit/kit.h"
printf 'static const char *a = "&amp;";\n' >"$fake/src/cli/x.c"
printf 'static const char *a = "&amp;";\n' >"$fake/src/probe/p.c"
printf 'const char *k = strstr(rec, "\\"names\\":[");\n' >"$fake/src/web/t.c"
printf 'fputs("{\\"runs\\":[", fp);\n' >"$fake/src/web/w.c"
printf 'const char *k = strstr(rec, "\\"names\\":[");\n' >"$fake/src/core/record_text.c"
seq 1001 | sed 's/^/;/' >"$fake/src/cli/long.c"
check_eq "self-test: SQL in web/ is found" "$(sql_in_web "$fake")" "$fake/src/web/p.c"
check_eq "self-test: a second file spelling &amp; is found (the probes' are not counted)" \
    "$(amp_files "$fake" | sort | tr '\n' ' ')" "$fake/src/cli/x.c $fake/src/kit/kit.h "
check_eq "self-test: a byte search of stored JSON outside the reader is found" \
    "$(json_byte_search "$fake" | cut -d: -f1)" "$fake/src/web/t.c"
check_eq "self-test: a file over 1,000 lines is found" "$(long_files "$fake")" "$fake/src/cli/long.c 1001"

# ---- the real tree ----
got=$(sql_in_web "$PWD")
check "no SQL text in src/web/${got:+: $got}" [ -z "$got" ]
got=$(amp_files "$PWD")
check_eq "&amp; is spelt in one source file outside the probes" "$got" "$PWD/src/kit/kit.h"
got=$(json_byte_search "$PWD")
check "no search of stored JSON by its bytes outside the record's reader${got:+: $got}" [ -z "$got" ]
got=$(long_files "$PWD")
check "no .c file under src/ over 1,000 lines${got:+: $got}" [ -z "$got" ]
t_end
