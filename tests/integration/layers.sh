#!/usr/bin/env bash
# tests/integration/layers.sh -- the include rules of docs/architecture.md,
# checked: the table between its "layers: begin/end" markers says each
# layer's rank, what it may include and its private headers; every
# `#include` of every file under src/ is read against it. Fails on
#   - an include of a layer the table does not allow (above, beside or an
#     unlisted one below: "report/ includes cli/");
#   - another layer's private header ("web/ includes store/db.h");
#   - a directory of src/ the table does not name, or a row naming none;
#   - a project header included relatively ("../x.h", "x.h") or as <a/b.h>;
# unless the (file, header) pair is in ALLOWED below, the violations known
# when the rules were written, each to be removed by issue #23. An entry
# that no longer matches a violation fails too (delete it: the list only
# shrinks). The first part checks the checker on a made-up tree.
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 1

# file|included header|why it is there (each: to be removed by #23)
# shellcheck disable=SC2016 # backquotes in the reasons are text
ALLOWED='
'

# check ROOT DOC ALLOWED: one line per finding, "NEW file|header|why", "KNOWN file|header",
# "STALE file|header", "TABLE problem"; then "FILES n INCLUDES n LAYERS n".
check_layers() {
    python3 - "$1" "$2" "$3" <<'PY'
import os, re, sys
root, doc, allowed_text = sys.argv[1], sys.argv[2], sys.argv[3]
out = []
text = open(doc, encoding="utf-8").read()
m = re.search(r"<!-- layers: begin[^>]*-->(.*?)<!-- layers: end -->", text, re.S)
if not m:
    print("TABLE no 'layers: begin/end' markers in " + doc)
    sys.exit(0)
rank, may, private = {}, {}, {}
for line in m.group(1).splitlines():
    cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
    if len(cells) < 4 or not cells[0].isdigit():
        continue
    name = cells[1]
    rank[name] = int(cells[0])
    may[name] = set() if cells[2] in ("-", "") else {x.strip() for x in cells[2].split(",")}
    private[name] = set() if cells[3] in ("-", "") else {x.strip() for x in cells[3].split(",")}
for l, deps in may.items():
    for d in deps:
        if d not in rank:
            out.append("TABLE %s may include '%s', which is not a layer" % (l, d))
        elif rank[d] >= rank[l]:
            out.append("TABLE %s (rank %d) may include %s (rank %d): not below it" % (l, rank[l], d, rank[d]))
src = os.path.join(root, "src")
dirs = sorted(d for d in os.listdir(src) if os.path.isdir(os.path.join(src, d)))
for d in dirs:
    if d not in rank:
        out.append("TABLE src/%s/ is a directory the table does not name" % d)
for l in rank:
    if l != "main" and l not in dirs:
        out.append("TABLE the table names %s, but there is no src/%s/" % (l, l))
allowed = {}
for line in allowed_text.splitlines():
    if not line.strip() or line.lstrip().startswith("#"):
        continue
    f, h, why = (line.split("|", 2) + ["", ""])[:3]
    allowed[(f, h)] = why
inc = re.compile(r'^\s*#\s*include\s*([<"])([^">]+)[">]')
seen, nfiles, nincl = set(), 0, 0
for base, _, files in sorted(os.walk(src)):
    for fn in sorted(files):
        if not fn.endswith((".c", ".h")):
            continue
        path = os.path.join(base, fn)
        rel = os.path.relpath(path, root)
        parts = os.path.relpath(path, src).split(os.sep)
        layer = "main" if parts == ["main.c"] else parts[0]
        if layer not in rank:
            continue  # reported above as an unnamed directory
        nfiles += 1
        for line in open(path, encoding="utf-8", errors="replace"):
            mm = inc.match(line)
            if not mm:
                continue
            kind, h = mm.groups()
            if kind == "<":
                # a system header, unless it is one of ours (<net/if.h> is the system's)
                if os.path.isfile(os.path.join(src, h)):
                    out.append('NEW %s|%s|a project header included as <%s>: write "%s"' % (rel, h, h, h))
                continue
            nincl += 1
            target = h.split("/")[0] if "/" in h else None
            if target is None or ".." in h.split("/") or target not in rank:
                why = "a project header must be included by its path under src/ (\"layer/file.h\")"
            elif target == layer:
                continue
            elif target not in may[layer]:
                where = ("above it" if rank[target] > rank[layer] else
                         "beside it (same rank)" if rank[target] == rank[layer] else
                         "below it, but not one %s may include" % layer)
                why = "%s/ includes %s/, %s" % (layer, target, where)
            elif os.path.basename(h) in private[target]:
                why = "%s is private to %s/" % (h, target)
            else:
                continue
            if (rel, h) in allowed:
                seen.add((rel, h))
                out.append("KNOWN %s|%s" % (rel, h))
            else:
                out.append("NEW %s|%s|%s" % (rel, h, why))
for k in allowed:
    if k not in seen:
        out.append("STALE %s|%s" % k)
out.append("FILES %d INCLUDES %d LAYERS %d" % (nfiles, nincl, len(rank)))
print("\n".join(out))
PY
}

# ---- the checker on a made-up tree: each kind of violation is found ----
fake=$T_TMP/fake
mkdir -p "$fake/src"/{core,store,report,web,cli,extra}
cat >"$fake/doc.md" <<'EOF'
<!-- layers: begin -->
| rank | layer | may include | private headers | what |
|---|---|---|---|---|
| 0 | core | - | - | x |
| 1 | store | core | db.h | x |
| 2 | report | core, store | - | x |
| 2 | web | core, store | - | x |
| 3 | cli | core, store, report, web | - | x |
| 4 | main | cli | - | x |
<!-- layers: end -->
EOF
printf '#include "core/util.h"\n#include <stdio.h>\n#include <net/if.h>\n' >"$fake/src/core/util.h"
printf '#include "store/db.h"\n#include "core/util.h"\n' >"$fake/src/store/store.c"
printf '#include "store/store.h"\n' >"$fake/src/store/store.h"
printf '#include "store/db.h"\n' >"$fake/src/store/db.h"
printf '#include "cli/cli.h"\n#include "store/store.h"\n' >"$fake/src/report/r.c"
printf '#include "report/report.h"\n#include "store/db.h"\n#  include "../core/util.h"\n' >"$fake/src/web/w.c"
printf '#include <store/store.h>\n#include "cli.h"\n#include "web/web.h"\n' >"$fake/src/cli/c.c"
printf '#include "store/store.h"\n' >"$fake/src/core/bad.c"
printf '#include "cli/cli.h"\n#include "store/store.h"\n' >"$fake/src/main.c"
got=$(check_layers "$fake" "$fake/doc.md" 'src/web/w.c|store/db.h|known
src/web/w.c|nothing/gone.h|fixed long ago')
has() { grep -qF -- "$1" <<<"$got"; }
hasnt() { ! has "$1"; }
check "self-test: a layer including one above it (report/ includes cli/)" has "NEW src/report/r.c|cli/cli.h|report/ includes cli/, above it"
check "self-test: a layer including one beside it (web/ includes report/)" has "NEW src/web/w.c|report/report.h|web/ includes report/, beside it"
check "self-test: a lower layer not listed (main includes store/)" has "NEW src/main.c|store/store.h|main/ includes store/, below it, but not one main may include"
check "self-test: core including anything (core/ includes store/)" has "NEW src/core/bad.c|store/store.h|core/ includes store/, above it"
check "self-test: a private header is allowed inside its directory" hasnt "src/store/store.c|store/db.h"
check "self-test: an allowlisted violation is KNOWN, not NEW" has "KNOWN src/web/w.c|store/db.h"
check "self-test: a relative include" has "NEW src/web/w.c|../core/util.h|"
check "self-test: an include without its directory" has "NEW src/cli/c.c|cli.h|"
check "self-test: a project header as <...>" has "NEW src/cli/c.c|store/store.h|a project header included as <store/store.h>"
check "self-test: a system header is not a layer (<net/if.h>)" hasnt "net/if.h"
check "self-test: an unneeded allowlist entry is STALE" has "STALE src/web/w.c|nothing/gone.h"
check "self-test: a directory the table does not name" has "TABLE src/extra/ is a directory the table does not name"
check "self-test: cli/ may include web/ and store/" hasnt "src/cli/c.c|web/web.h"
# a table that lets a layer include one of its own rank or above is itself refused
sed 's/| 2 | web | core, store |/| 2 | web | core, store, report |/' "$fake/doc.md" >"$fake/doc2.md"
got=$(check_layers "$fake" "$fake/doc2.md" '')
check "self-test: a table letting web/ include report/ (same rank) is refused" has "TABLE web (rank 2) may include report (rank 2): not below it"

# ---- the real tree ----
got=$(check_layers "$PWD" docs/architecture.md "$ALLOWED")
stats=$(grep '^FILES ' <<<"$got")
read_ok() { [[ $stats =~ ^FILES\ [1-9][0-9]*\ INCLUDES\ [1-9][0-9]*\ LAYERS\ 1[0-9]$ ]]; }
check "docs/architecture.md's table was read ($stats)" read_ok
table=$(grep '^TABLE ' <<<"$got")
check "the table names every directory of src/ and no other: ${table:-ok}" [ -z "$table" ]
new=$(grep '^NEW ' <<<"$got")
check "no include breaks the rules beyond the allowlist${new:+:
$(sed 's/^NEW /  /' <<<"$new")}" [ -z "$new" ]
stale=$(grep '^STALE ' <<<"$got")
check "every allowlist entry is still needed${stale:+ (fixed, delete from ALLOWED:
$(sed 's/^STALE /  /' <<<"$stale"))}" [ -z "$stale" ]
known=$(grep -c '^KNOWN ' <<<"$got")
nallowed=$(grep -c '^src/' <<<"$ALLOWED")
echo "layers: $stats; allowlist: $nallowed known violations left (to be removed by #23), $known found"
grep '^KNOWN ' <<<"$got" | sed 's/^KNOWN /  known: /'
t_end
