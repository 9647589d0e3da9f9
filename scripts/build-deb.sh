#!/usr/bin/env bash
# scripts/build-deb.sh -- `make deb`: the Debian package, in build/deb/.
#
# dpkg-buildpackage writes its results next to the source directory, so the
# package is built from a copy of this tree (as it is, uncommitted changes
# included, without its build directories and .git) in build/deb/ajar-VERSION/;
# the results land in build/deb/: ajar_VERSION_ARCH.deb, the -dbgsym package,
# the .buildinfo and .changes. Then lintian over the .changes: any error fails
# (warnings are explained in debian/ajar.lintian-overrides or the changelog).
# Prints the path of the .deb last. Build log: build/deb/build.log; lintian's
# report: build/deb/lintian.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
ver=$(dpkg-parsechangelog -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
out=build/deb
src=$out/ajar-$ver
rm -rf "$out"
mkdir -p "$src"
tar --exclude=./build --exclude=./build-asan --exclude=./build-fuzz --exclude=./build-tsan \
    --exclude=./.git -cf - . | tar -C "$src" -xf -
export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-parallel=2}
if ! (cd "$src" && dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
    tail -n 40 "$out/build.log"
    echo "build-deb: dpkg-buildpackage failed (log: $out/build.log)" >&2
    exit 1
fi
rm -rf "$src"
deb=$out/ajar_${ver}_${arch}.deb
[ -f "$deb" ] || { echo "build-deb: $deb was not made (log: $out/build.log)" >&2; exit 1; }
if command -v lintian >/dev/null; then
    # --fail-on error: exit non-zero on an error, not on warnings (each is overridden
    # with its reason, or explained in debian/changelog)
    if ! lintian --fail-on error --display-info "$out/ajar_${ver}_${arch}.changes" >"$out/lintian.txt" 2>&1; then
        cat "$out/lintian.txt"
        echo "build-deb: lintian reports errors ($out/lintian.txt)" >&2
        exit 1
    fi
    echo "build-deb: lintian: $(grep -c '^E:' "$out/lintian.txt") errors, $(grep -c '^W:' "$out/lintian.txt") warnings, $(grep -c '^I:' "$out/lintian.txt") notes ($out/lintian.txt)" >&2
else
    echo "build-deb: lintian is not installed: not checked (scripts/deps.sh deb installs it)" >&2
fi
echo "$deb"
