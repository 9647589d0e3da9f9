# shellcheck shell=bash
# make_certs: the lab CA and the certificate cases, generated once into $CACHE/certs (so the
# fingerprints stay the same from one `lab up` to the next) and copied to $LAB/certs.
#   ca.crt/key          Ajar Lab CA
#   valid.*             from the CA, CN valid.lab.example, SAN IP 127.0.40.1
#   expired.*           from the CA, 2017-01-01 .. 2018-01-01, CN expired.lab.example
#   selfsigned.*        self-signed, CN selfsigned.lab.example
#   weak.*              from the CA, RSA 1024, CN weak.lab.example
#   mismatch.*          from the CA, CN/SAN www.wrong-name.example, served on 127.0.40.5
#   shared.*            from the CA, CN shared.lab.example, served on 127.0.40.20-22
#   shanghai.*          from the CA, 2017-01-01 .. 2018-01-01, CN es-cn-shanghai.kibana.example,
#                       SAN *.kibana.example (for the emulated Shanghai Kibana hosts)
#   redis-tls.*         from the CA, CN redis-tls.lab.example, SAN IP 127.0.10.4
#   pg-tls.*            from the CA, CN pg-tls.lab.example, SAN IP 127.0.12.2 (PostgreSQL ssl=on)
#   mariadb-tls.*       from the CA, CN mariadb-tls.lab.example, SAN IP 127.0.13.2 (MariaDB TLS)
#   registry-tls.*      from the CA, CN registry-tls.lab.example, SAN IP 127.0.45.3 (Docker registry, TLS on 5000)
#   ldap-tls.*          from the CA, CN ldap-tls.lab.example, SAN IP 127.0.41.1 (slapd LDAPS, 636)

_ca_conf() {
  cat <<EOF
[ ca ]
default_ca = labca
[ labca ]
dir = $1
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
private_key = \$dir/ca.key
certificate = \$dir/ca.crt
default_md = sha256
policy = anything
copy_extensions = copy
unique_subject = no
default_days = 3650
[ anything ]
commonName = supplied
organizationName = optional
[ leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
}

# _leaf NAME BITS CN SAN [STARTDATE ENDDATE]
_leaf() {
  local d=$1 name=$2 bits=$3 cn=$4 san=$5 sd=${6:-} ed=${7:-}
  openssl req -new -newkey "rsa:$bits" -nodes -keyout "$d/$name.key" -out "$d/$name.csr" \
    -subj "/O=Ajar Lab/CN=$cn" -addext "subjectAltName=$san" 2>/dev/null
  local dates=(-days 3650)
  [ -n "$sd" ] && dates=(-startdate "$sd" -enddate "$ed")
  openssl ca -batch -config "$d/ca.cnf" -extensions leaf -notext "${dates[@]}" \
    -in "$d/$name.csr" -out "$d/$name.crt" 2>"$d/$name.err" >/dev/null || { cat "$d/$name.err" >&2; return 1; }
  rm -f "$d/$name.csr" "$d/$name.err"
}

make_certs() {
  local d=$CACHE/certs
  if [ ! -s "$d/done" ]; then
    say "generating certificates in $d"
    rm -rf "$d"; mkdir -p "$d/newcerts"; : >"$d/index.txt"; echo 1000 >"$d/serial"
    _ca_conf "$d" >"$d/ca.cnf"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/ca.key" -out "$d/ca.crt" -days 7300 \
      -subj "/O=Ajar Lab/CN=Ajar Lab CA" -set_serial 1 \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    _leaf "$d" valid 2048 valid.lab.example "DNS:valid.lab.example,IP:127.0.40.1" || return 1
    _leaf "$d" expired 2048 expired.lab.example "DNS:expired.lab.example,IP:127.0.40.2" 20170101000000Z 20180101000000Z || return 1
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/selfsigned.key" -out "$d/selfsigned.crt" -days 3650 \
      -subj "/O=Ajar Lab/CN=selfsigned.lab.example" -addext "subjectAltName=DNS:selfsigned.lab.example,IP:127.0.40.3" 2>/dev/null
    _leaf "$d" weak 1024 weak.lab.example "DNS:weak.lab.example,IP:127.0.40.4" || return 1
    _leaf "$d" mismatch 2048 www.wrong-name.example "DNS:www.wrong-name.example" || return 1
    _leaf "$d" shared 2048 shared.lab.example "DNS:shared.lab.example,DNS:*.shared.lab.example" || return 1
    _leaf "$d" shanghai 2048 es-cn-shanghai.kibana.example "DNS:*.kibana.example,DNS:es-cn-shanghai.kibana.example" \
      20170101000000Z 20180101000000Z || return 1
    _leaf "$d" redis-tls 2048 redis-tls.lab.example "DNS:redis-tls.lab.example,IP:127.0.10.4" || return 1
    date -u +%FT%TZ >"$d/done"
  fi
  # added later: made in a cache that predates them too (each its own certificate,
  # so the TLS cases of 127.0.40.x keep their sharing counts)
  [ -s "$d/pg-tls.crt" ] || _leaf "$d" pg-tls 2048 pg-tls.lab.example "DNS:pg-tls.lab.example,IP:127.0.12.2" || return 1
  [ -s "$d/mariadb-tls.crt" ] || _leaf "$d" mariadb-tls 2048 mariadb-tls.lab.example \
    "DNS:mariadb-tls.lab.example,IP:127.0.13.2" || return 1
  [ -s "$d/registry-tls.crt" ] || _leaf "$d" registry-tls 2048 registry-tls.lab.example \
    "DNS:registry-tls.lab.example,IP:127.0.45.3" || return 1
  [ -s "$d/ldap-tls.crt" ] || _leaf "$d" ldap-tls 2048 ldap-tls.lab.example \
    "DNS:ldap-tls.lab.example,IP:127.0.41.1" || return 1
  mkdir -p "$LAB/certs"
  cp "$d"/*.crt "$d"/*.key "$LAB/certs/"
  # keys readable by the unprivileged servers of this throwaway lab
  chmod 644 "$LAB/certs"/*
}
