#!/usr/bin/env bash
# Install what ajar needs to build and test, only what is missing (idempotent).
# Usage: scripts/deps.sh [build|test|demo|bench|deb]   (default: build)
# Debian 12, as root. Package installs start no services here (policy-rc.d).
set -euo pipefail
what=${1:-build}
build_pkgs=(build-essential pkg-config cmake clang llvm libssl-dev libsqlite3-dev sqlite3 libjansson-dev libpq-dev
            libmicrohttpd-dev libargon2-dev libyaml-dev libpcre2-dev libmaxminddb-dev libc-ares-dev libjsmn-dev clang-format python3 jq curl openssl iproute2)
test_pkgs=(clang-tidy cppcheck valgrind netcat-openbsd libclang-rt-14-dev python3-jsonschema libmaxmind-db-writer-perl chromium man-db tcpdump time nftables dnsmasq-base faketime
           testssl.sh wapiti python3-seccomp)
bench_pkgs=(nmap masscan zmap nftables hyperfine wrk nginx)
# make deb and tests/integration/deb.sh: dpkg-buildpackage, debhelper (compat 13), lintian
deb_pkgs=(dpkg-dev debhelper fakeroot lintian)
pkgs=("${build_pkgs[@]}")
case "$what" in
  build) ;;
  test) pkgs+=("${test_pkgs[@]}" "${deb_pkgs[@]}") ;;
  demo) pkgs+=("${test_pkgs[@]}") ;;
  deb) pkgs+=("${deb_pkgs[@]}") ;;
  bench) pkgs+=("${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "deps.sh: unknown set '$what' (build|test|demo|bench|deb)" >&2; exit 2 ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: missing packages: ${missing[*]} (run as root or install them)" >&2; exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
stamp=/var/lib/apt/periodic/ajar-update-stamp
if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +360 2>/dev/null)" ]; then
  apt-get -o DPkg::Lock::Timeout=600 update -qq && mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
