#!/usr/bin/env python3
"""tests/probe/tools/hex2resp.py -- turn recorded .hex fixtures into a case's N.resp.

    hex2resp.py OUT.resp FIXTURE.hex [FIXTURE.hex ...]

A .hex fixture (tests/fixtures/recorded/...) is '#' comment lines (its source) and
whitespace-separated hex byte pairs; the bytes of every file given are written, in order,
to OUT.resp. The binary protocol cases (neo4j_bolt, rethinkdb) are made this way, so each
.resp is exactly the recorded bytes its README names.
"""
import sys


def read_hex(path):
    out = bytearray()
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.lstrip().startswith("#"):
                continue
            out += bytes.fromhex("".join(line.split()))
    return bytes(out)


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    data = b"".join(read_hex(p) for p in argv[2:])
    with open(argv[1], "wb") as f:
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
