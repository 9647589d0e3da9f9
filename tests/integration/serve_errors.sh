#!/usr/bin/env bash
# tests/integration/serve_errors.sh -- who answers a broken request to `ajar serve`, and with
# which headers (issue 22: "headers on libmicrohttpd's own 400/413/431"). Raw requests over TLS
# (openssl s_client) to a server on 127.0.211.2.
#
# libmicrohttpd (0.9.75, Debian 12) answers some requests itself, before ajar's handler is ever
# called and with no hook to add headers: a bad HTTP version, a header line without a colon, a
# Content-Length that is not a number or beyond 2^64, bad chunked framing, a request line or header
# block beyond the connection's 64 KiB. Those answers carry Date, Connection and Content-Length
# only, and a fixed HTML text. This test pins exactly that (status, header names, fixed text, no
# byte of the request echoed) so that a libmicrohttpd that changes them is noticed:
# docs/hardening.md ("Answers libmicrohttpd gives itself") says why they are low risk.
# Everything ajar answers itself carries the security headers: a body announced over 1 MiB (413
# before a byte is read), a form over 16 KiB (413), a method it does not take (405), an HTTP/1.1
# request without Host.
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.." || exit 1

DB=$T_TMP/store/ajar.db
mkdir -p "$T_TMP/store"
echo 'correct horse battery staple' | "$AJAR" user add auditor --password-stdin --db "$DB" >/dev/null 2>&1
"$AJAR" serve --db "$DB" --listen 127.0.211.2:0 2>"$T_TMP/serve.log" &
SERVE_PID=$!
T_PIDS+=("$SERVE_PID")
PORT=
for _ in $(seq 200); do
    PORT=$(grep -o 'https://127.0.211.2:[0-9]*/' "$T_TMP/serve.log" 2>/dev/null | head -1 | sed 's/.*://; s/\///')
    [ -n "$PORT" ] && break
    sleep 0.05
done
check "serve listens on 127.0.211.2 (port '$PORT')" [ -n "$PORT" ]

# send the raw request (backslash escapes as printf %b), keep the whole answer, until the server closes
raw() { printf '%b' "$1" | timeout 20 openssl s_client -quiet -connect "127.0.211.2:$PORT" 2>/dev/null | tr -d '\r' >"$T_TMP/ans"; }
status() { head -1 "$T_TMP/ans"; }
# header names of the first block, lower case, sorted, comma-separated
names() { sed -n '2,/^$/p' "$T_TMP/ans" | sed '/^$/d; s/:.*//' | tr '[:upper:]' '[:lower:]' | sort | paste -sd, -; }
blocks() { grep -c '^HTTP/1\.1 [0-9][0-9][0-9] ' "$T_TMP/ans"; }
body() { awk 'h { print } /^$/ { h = 1 }' "$T_TMP/ans" | sed '/^HTTP\/1\.1 /,/^$/d'; }
hdr() { sed -n '2,/^$/p' "$T_TMP/ans" | grep -i "^$1:" | head -1 | sed 's/^[^:]*: *//'; }

MARK='<script>alert(1)</script>'
MHD_NAMES=connection,content-length,date
# name | request | status line | header blocks | the fixed text of the body
mhd_cases=(
    "a bad HTTP version|GET /$MARK HTTX/1.1\r\nHost: a\r\n\r\n|HTTP/1.1 400 Bad Request|1|Your HTTP request was syntactically incorrect."
    "HTTP/9.9|GET /$MARK HTTP/9.9\r\nHost: a\r\n\r\n|HTTP/1.1 505 HTTP Version Not Supported|1|Requested HTTP version is not supported."
    "HTTP/0.9|GET /$MARK HTTP/0.9\r\n\r\n|HTTP/1.1 505 HTTP Version Not Supported|1|Requested HTTP version is too old and not supported."
    "a header line without a colon|GET / HTTP/1.1\r\nHost: a\r\n$MARK\r\n\r\n|HTTP/1.1 400 Bad Request|1|Your HTTP request was syntactically incorrect."
    "Content-Length not a number|POST /login HTTP/1.1\r\nHost: a\r\nContent-Length: $MARK\r\n\r\n|HTTP/1.1 400 Bad Request|2|Your HTTP request has wrong value for <b>Content-Length</b> header."
    "Content-Length beyond 2^64|POST /login HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n|HTTP/1.1 413 Content Too Large|2|Your HTTP request has too large value for <b>Content-Length</b> header."
    "bad chunked framing|POST /login HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n$MARK\r\n0\r\n\r\n|HTTP/1.1 400 Bad Request|1|Your HTTP chunked encoding was syntactically incorrect."
)
big=$(head -c 70000 /dev/zero | tr '\0' a)
half=$(head -c 40000 /dev/zero | tr '\0' a)
mhd_cases+=(
    "a 70 KB header|GET / HTTP/1.1\r\nHost: a\r\nX-Big: $MARK$big\r\n\r\n|HTTP/1.1 431 Request Header Fields Too Large|1|Your HTTP header was too big for the memory constraints of this webserver."
    "a 70 KB URL|GET /$MARK$big HTTP/1.1\r\nHost: a\r\n\r\n|HTTP/1.1 414 URI Too Long|1|Your HTTP header was too big for the memory constraints of this webserver."
    "a 40 KB cookie (no room to parse it)|GET / HTTP/1.1\r\nHost: a\r\nCookie: a=$MARK$half\r\n\r\n|HTTP/1.1 431 Request Header Fields Too Large|2|Your HTTP header was too big for the memory constraints of this webserver."
)
for c in "${mhd_cases[@]}"; do
    IFS='|' read -r name req st nb text <<<"$c"
    raw "$req"
    check_eq "libmicrohttpd answers $name: status" "$(status)" "$st"
    check_eq "$name: its headers, no other (no security header: libmicrohttpd has no hook for them)" "$(names)" "$MHD_NAMES"
    check_eq "$name: Connection: close" "$(hdr Connection)" close
    # libmicrohttpd 0.9.75 sends the header block of these twice (the second inside the counted body)
    check_eq "$name: header blocks" "$(blocks)" "$nb"
    check "$name: a fixed text ('$text')" grep -qF "$text" <(body)
    check "$name: nothing of the request echoed" bash -c "! grep -qF 'script>' '$T_TMP/ans'"
done
raw "GARBAGE$MARK\r\nHost: a\r\n\r\n"
check "a request line without a space: the connection is closed without an answer" [ ! -s "$T_TMP/ans" ]

# ---- what ajar answers itself: the security headers ----
SEC_NAMES="content-security-policy cross-origin-opener-policy cross-origin-resource-policy permissions-policy referrer-policy strict-transport-security x-content-type-options x-frame-options"
sec_ok() {
    local n
    for n in $SEC_NAMES; do
        names | tr , '\n' | grep -qx "$n" || { echo "missing $n"; return 1; }
    done
    [ "$(hdr Cache-Control)" = no-store ] && [[ "$(hdr Content-Type)" == text/plain* ]] &&
        [[ "$(hdr Content-Security-Policy)" == "default-src 'none'"*"frame-ancestors 'none'"* ]]
}
raw "POST /login HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 2000000\r\n\r\n"
check_eq "a 2 MB body announced: ajar's 413" "$(status)" "HTTP/1.1 413 Content Too Large"
check "... with the security headers" sec_ok
check_eq "... and closes" "$(hdr Connection)" close
form=$(head -c 20000 /dev/zero | tr '\0' a)
raw "POST /login HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 20002\r\n\r\nx=$form"
check_eq "a 20 KB form: ajar's 413" "$(status)" "HTTP/1.1 413 Content Too Large"
check "... with the security headers" sec_ok
raw "FOO /$MARK HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
check_eq "an unknown method: ajar's 405" "$(status)" "HTTP/1.1 405 Method Not Allowed"
check "... with the security headers" sec_ok
check "... nothing of the request echoed" bash -c "! grep -qF 'script>' '$T_TMP/ans'"
raw "GET /login HTTP/1.1\r\nConnection: close\r\n\r\n"
check_eq "HTTP/1.1 without Host: ajar answers (libmicrohttpd is not in pedantic mode)" "$(status)" "HTTP/1.1 200 OK"
check "... with the security headers" bash -c "grep -qi '^content-security-policy: default-src' '$T_TMP/ans' && grep -qi '^strict-transport-security:' '$T_TMP/ans'"

check "the server survived" kill -0 "$SERVE_PID"
kill "$SERVE_PID" 2>/dev/null
wait "$SERVE_PID" 2>/dev/null
check "no sanitizer report" bash -c "! grep -q 'ERROR: AddressSanitizer\|runtime error:' '$T_TMP/serve.log'"
t_end
