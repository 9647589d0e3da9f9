#!/usr/bin/env bash
# tests/unit/certs/gen.sh -- regenerate the certificates test_cert.c and
# test_assess.c read. Only the certificates are committed; the private keys
# live in a temporary directory and are thrown away, so nothing here is a
# secret. Dates are fixed (openssl ca -startdate/-enddate) so the expected
# facts in the tests never drift; the fingerprints change on every run, so
# the tests compare them against `openssl x509 -fingerprint`, not constants.
#
#   bash tests/unit/certs/gen.sh        (writes *.pem beside this script)
set -euo pipefail
out=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
mkdir new
: >index.txt
echo 1000 >serial
cat >ca.cnf <<CNF
[ ca ]
default_ca = ca_default
[ ca_default ]
dir = $tmp
database = $tmp/index.txt
new_certs_dir = $tmp/new
serial = $tmp/serial
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
copy_extensions = none
[ policy_any ]
countryName = optional
organizationName = optional
organizationalUnitName = optional
commonName = optional
[ v3_ca ]
basicConstraints = critical,CA:true
keyUsage = keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ leaf ]
basicConstraints = CA:false
keyUsage = digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
CNF

# sign NAME SUBJECT START END EXTRA_SAN [selfsign]
sign() {
    local name=$1 subj=$2 start=$3 end=$4 san=$5 self=${6:-}
    openssl req -new -utf8 -key "$name.key" -subj "$subj" -out "$name.csr" 2>/dev/null
    {
        echo "[ ext ]"
        echo "basicConstraints = CA:false"
        echo "keyUsage = digitalSignature,keyEncipherment"
        echo "extendedKeyUsage = serverAuth"
        [ -n "$san" ] && echo "subjectAltName = $san"
    } >"$name.ext"
    if [ -n "$self" ]; then
        openssl ca -batch -notext -utf8 -config ca.cnf -selfsign -keyfile "$name.key" -in "$name.csr" \
            -out "$out/$name.pem" -startdate "$start" -enddate "$end" \
            -extfile "$name.ext" -extensions ext 2>/dev/null
    else
        openssl ca -batch -notext -utf8 -config ca.cnf -cert "$out/ca.pem" -keyfile ca.key -in "$name.csr" \
            -out "$out/$name.pem" -startdate "$start" -enddate "$end" \
            -extfile "$name.ext" -extensions ext 2>/dev/null
    fi
}
rsa() { openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$2" -out "$1.key" 2>/dev/null; }

# the test CA (self-signed, 2020..2045)
rsa ca 2048
openssl req -new -key ca.key -subj "/C=ZZ/O=ajar tests/CN=ajar test CA" -out ca.csr 2>/dev/null
openssl ca -batch -notext -config ca.cnf -selfsign -keyfile ca.key -in ca.csr -out "$out/ca.pem" \
    -startdate 20200101000000Z -enddate 20450101000000Z -extensions v3_ca 2>/dev/null

# valid leaf from the CA, with DNS and IP names
rsa valid 2048
sign valid "/O=ajar tests/CN=db.example.test" 20240101000000Z 20340101000000Z \
    "DNS:db.example.test,DNS:www.example.test,IP:192.0.2.10,IP:2001:db8::10"
# expired in 2018
rsa expired 2048
sign expired "/O=ajar tests/CN=old.example.test" 20160301000000Z 20180301000000Z "DNS:old.example.test"
# self-signed (the Shanghai shape: a console's own certificate, expired 2018)
rsa selfsigned 2048
sign selfsigned "/C=CN/O=kibana/CN=kibana.local" 20170601000000Z 20180601000000Z "DNS:kibana.local" self
# 1024-bit RSA
rsa weak1024 1024
sign weak1024 "/CN=weak.example.test" 20240101000000Z 20340101000000Z "DNS:weak.example.test"
# EC P-256
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec256.key 2>/dev/null
sign ec256 "/CN=ec.example.test" 20240101000000Z 20340101000000Z "DNS:ec.example.test"
# Ed25519
openssl genpkey -algorithm ED25519 -out ed25519.key 2>/dev/null
sign ed25519 "/CN=ed.example.test" 20240101000000Z 20340101000000Z "DNS:ed.example.test"
# wildcard SAN (the cloud console pattern)
rsa wildcard 2048
sign wildcard "/CN=*.kibana.example.test" 20240101000000Z 20340101000000Z \
    "DNS:*.kibana.example.test,DNS:kibana.example.test"
# not yet valid (2040..2050)
rsa notyet 2048
sign notyet "/CN=future.example.test" 20400101000000Z 20500101000000Z "DNS:future.example.test"
# odd: no CN, UTF-8 and a control byte in O, e-mail SAN only
rsa odd 2048
sign odd "/O=Ünïcødé Org/OU=tab	here" 20240101000000Z 20340101000000Z "email:x@example.test"
# a chain file: the valid leaf then the CA, as a server sends it
cat "$out/valid.pem" "$out/ca.pem" >"$out/chain.pem"
echo "certificates written to $out"
