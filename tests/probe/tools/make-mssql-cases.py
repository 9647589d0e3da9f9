#!/usr/bin/env python3
"""Write the N.resp files of tests/probe/cases/mssql/ from the recorded bytes.

No SQL Server can run here, so every answer comes from a recording under
tests/fixtures/recorded/mssql/ (hex pairs with '#' comments, sources in
tests/fixtures/recorded/SOURCES.md) or, for the look-alikes, from servers
recorded on this machine (the raw files named below). The only bytes written
here are the ones a case README names as framed: the 8-byte TDS header in
front of a payload that was recorded without one.

    python3 tests/probe/tools/make-mssql-cases.py      (from the top of the tree)
"""
import os

REC = "tests/fixtures/recorded/mssql"
CASES = "tests/probe/cases/mssql"


def hexfile(rel):
    out = bytearray()
    for ln in open(os.path.join(REC, rel)):
        ln = ln.split("#", 1)[0].strip()
        if ln:
            out += bytes.fromhex(ln)
    return bytes(out)


def raw(path):
    with open(path, "rb") as f:
        return f.read()


def framed(payload):
    """A reply packet around a payload recorded without its header: type 4, EOM, length,
    SPID 0, PacketID 1 (what every recorded PRELOGIN answer here has)."""
    n = len(payload) + 8
    return bytes([0x04, 0x01, n >> 8, n & 0xFF, 0, 0, 1, 0]) + payload


# case -> list of (answer bytes, eof after it)
CASE_ANSWERS = {
    "open-2008-sp3": [(hexfile("10.0.5512/prelogin_response.hex"), False),
                      (hexfile("10.0.5512/login7_response_success.hex"), False),
                      (hexfile("unknown-version/sql_batch_response_intn_nvarchar_intn.hex"), False)],
    "open-2017": [(hexfile("14.0.3038/prelogin_response.hex"), False),
                  (hexfile("14.0.3038/login7_response_success.hex"), False)],
    "login-failed-2022": [(framed(hexfile("16.0.1000/prelogin_response_payload.hex")), False),
                          (hexfile("unknown-version/login7_error_18456_sa.hex"), True)],
    "encryption-on-2012": [(hexfile("11.0.3000/prelogin_response.hex"), True)],
    "encryption-on-2008-sp2": [(hexfile("10.0.4000/prelogin_response.hex"), True)],
    "encryption-off-2014": [(hexfile("12.0.6024/prelogin_response.hex"), True)],
    "fedauth-12.0.5349": [(hexfile("12.0.5349/prelogin_response_fedauthrequired.hex"), True)],
    "no-default-accounts": [(hexfile("10.0.5512/prelogin_response.hex"), False)],
    "not-dionaea-honeypot": [(hexfile("not-dionaea-honeypot/prelogin_response.hex"), False)],
    "honeypot-miguan": [(hexfile("not-miguan-honeypot/prelogin_response.hex"), False),
                        (hexfile("not-miguan-honeypot/login7_response_error_18456.hex"), True)],
    "not-http-nginx": [(raw(os.path.join(REC, "not-nginx/prelogin_response.raw")), True)],
    "not-mariadb": [(raw("tests/probe/cases/mysql/mariadb-no-default/1.resp"), False)],
}


def main():
    for case, answers in CASE_ANSWERS.items():
        d = os.path.join(CASES, case)
        os.makedirs(d, exist_ok=True)
        for i, (data, eof) in enumerate(answers, 1):
            with open(os.path.join(d, "%d.resp" % i), "wb") as f:
                f.write(data)
            eofp = os.path.join(d, "%d.eof" % i)
            if eof:
                open(eofp, "w").close()
            elif os.path.exists(eofp):
                os.unlink(eofp)
        print("%s: %d answers" % (case, len(answers)))


if __name__ == "__main__":
    main()
