#!/usr/bin/env bash
# tests/integration/funclen.sh -- issue #23's rule on function length, checked:
# no function under src/ (.c and .h) is over 120 lines unless the comment
# block directly above it (no blank line between) gives the reason, marked
# "long:" (any case) and followed by at least three words of it:
#     /* GET /diff: one merge walk ... Long: the walk keeps two cursors, ... */
# A function is what the rule's awk finds: from a line that starts with a
# letter, holds "(" and does not end with ";" to the next line starting with
# "}"; its length is the difference of the two line numbers. The first part
# checks the checker on a made-up tree.
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 1

LIMIT=120

# funclen ROOT: "LONG n file:line name" per function over LIMIT without a reason, "REASON n
# file:line name" per one with it; then "FILES n FUNCTIONS n".
funclen() {
    python3 - "$1" "$LIMIT" <<'PY'
import os, re, sys
root, limit = sys.argv[1], int(sys.argv[2])
start_re = re.compile(r"^[a-zA-Z].*\(")
reason_re = re.compile(r"\blong:\s*\w+\W+\w+\W+\w+", re.I)

def comment_above(lines, i):
    """The comment block ending on the line just above lines[i], without its decoration."""
    text, j = [], i - 1
    while j >= 0:
        s = lines[j].strip()
        if s.startswith("//"):
            text.insert(0, s[2:])
            j -= 1
        elif s.endswith("*/"):
            k = j
            while k >= 0 and "/*" not in lines[k]:
                k -= 1
            if k < 0 or not lines[k].strip().startswith("/*"):
                break  # code with a comment after it: not a comment block
            block = [re.sub(r"^\s*(/\*+|\*+/?)?", "", l).replace("*/", "") for l in lines[k:j + 1]]
            text[:0] = block
            j = k - 1
        else:
            break
    return " ".join(t.strip() for t in text)

nfiles = nfuncs = 0
for base, _, files in sorted(os.walk(os.path.join(root, "src"))):
    for fn in sorted(files):
        if not fn.endswith((".c", ".h")):
            continue
        path = os.path.join(base, fn)
        rel = os.path.relpath(path, root)
        lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
        nfiles += 1
        start = None
        for n, line in enumerate(lines):
            if start_re.match(line) and not line.rstrip().endswith(";"):
                start = n
            elif line.startswith("}") and start is not None:
                nfuncs += 1
                length, name = n - start, lines[start][:70]
                if length > limit:
                    kind = "REASON" if reason_re.search(comment_above(lines, start)) else "LONG"
                    print("%s %d %s:%d %s" % (kind, length, rel, start + 1, name))
                start = None
print("FILES %d FUNCTIONS %d" % (nfiles, nfuncs))
PY
}

has() { grep -qF -- "$1" <<<"$got"; }
hasnt() { ! grep -qF -- "$1" <<<"$got"; }

# ---- the checker on a made-up tree: a long function is found unless its reason is above it ----
fake=$T_TMP/fake
mkdir -p "$fake/src/x"
body() { # n: a function body of n lines between the opening line and the closing brace
    echo "{"
    for ((i = 2; i < $1; i++)); do echo "    x += $i;"; done
}
{
    echo "/* A comment that says nothing about its length. */"
    echo "static int plain(int x)"
    body 121
    echo "}"
    echo
    echo "/* Parse a thing. Long: one case per state, each reading alone; split, they would"
    echo " * share every field through pointers. */"
    echo "static int reasoned(int x)"
    body 130
    echo "}"
    echo
    echo "// Say why on // lines."
    echo "// LONG: the table of cases is the specification itself."
    echo "int slashed(int x)"
    body 130
    echo "}"
    echo
    echo "/* Long: the reason is here, but a blank line parts it from the function. */"
    echo
    echo "static int parted(int x)"
    body 130
    echo "}"
    echo
    echo "/* long: */"
    echo "static int marker_only(int x)"
    body 130
    echo "}"
    echo
    echo "static int x_global; /* long: a comment after code is not a comment block */"
    echo "static int after_code(int x)"
    body 130
    echo "}"
    echo
    echo "/* Exactly at the limit. */"
    echo "static int at_limit(int x,"
    echo "                    int y)"
    body 118
    echo "}"
} >"$fake/src/x/a.c"
got=$(funclen "$fake")
check "self-test: 121 lines without a reason is too long" has "LONG 121 src/x/a.c:2 static int plain(int x)"
check "self-test: a 'Long:' reason in the block comment above is taken" has "REASON 130 src/x/a.c:127 static int reasoned"
check "self-test: a 'LONG:' reason on // lines is taken" has "REASON 130 src/x/a.c:261 int slashed"
check "self-test: a reason parted from the function by a blank line is not its reason" has "LONG 130 src/x/a.c:395 static int parted"
check "self-test: the marker without a reason is not a reason" has "LONG 130 src/x/a.c:528 static int marker_only"
check "self-test: a comment after code on the line above is not a comment block" has "LONG 130 src/x/a.c:661 static int after_code"
check "self-test: 120 lines (a two-line signature) is within the limit" hasnt "at_limit"
check "self-test: every function was counted" has "FILES 1 FUNCTIONS 7"

# ---- the real tree ----
got=$(funclen "$PWD")
stats=$(grep '^FILES ' <<<"$got")
read_ok() { [[ $stats =~ ^FILES\ [1-9][0-9]{2,}\ FUNCTIONS\ [1-9][0-9]{3,}$ ]]; }
check "src/ was read ($stats)" read_ok
long=$(grep '^LONG ' <<<"$got")
check "no function in src/ is over $LIMIT lines without a 'long:' reason above it${long:+:
$(sed 's/^LONG /  /' <<<"$long")}" [ -z "$long" ]
echo "funclen: $stats; over $LIMIT lines with a reason:"
grep '^REASON ' <<<"$got" | sort -k2,2nr | sed 's/^REASON /  /'
t_end
