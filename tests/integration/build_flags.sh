#!/usr/bin/env bash
# Integration (issue 22): the release binary is hardened as Debian builds its packages --
# position-independent, full RELRO (GNU_RELRO and BIND_NOW), stack protector, fortified libc
# calls. Reads build/ajar with readelf and nm; sends no traffic.
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
BIN=build/ajar
[ -x "$BIN" ] || { bad "no release build at $BIN (make)"; t_end; exit 1; }
check_eq "PIE (ELF type DYN)" "$(readelf -h "$BIN" | awk '/Type:/ {print $2}')" DYN
check_eq "GNU_RELRO segment" "$(readelf -lW "$BIN" | grep -c GNU_RELRO)" 1
check_eq "BIND_NOW (full RELRO)" "$(readelf -d "$BIN" | grep -cE 'BIND_NOW|FLAGS_1.*NOW' | awk '{print ($1 > 0)}')" 1
check_eq "stack protector (__stack_chk_fail)" "$(nm -D "$BIN" | grep -c ' __stack_chk_fail')" 1
check_eq "fortified libc calls (__*_chk)" "$(nm -D "$BIN" | grep -cE ' __[a-z]+_chk@' | awk '{print ($1 > 0)}')" 1
t_end
