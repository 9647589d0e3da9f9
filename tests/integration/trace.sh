#!/usr/bin/env bash
# Integration: proof of the metadata-only promise. The whole lab
# (tests/lab, started if `tests/lab/lab status` says it is down; never
# stopped here) is scanned with `--trace FILE`, which writes one JSON line
# per request sent (ip, port, probe, connection, tls, length, bytes). Every
# request must match an ALLOWLIST of request shapes of its probe (the
# Python below, derived from the request lists at the top of each
# src/probe/*.c): exact SQL catalog queries for PostgreSQL, MySQL and
# ClickHouse, exactly INFO for Redis, metadata commands only for MongoDB,
# a fixed set of HTTP paths (one path segment for a CouchDB database, never
# a document), and so on. Any other request fails the test and is printed.
# The checker is itself checked: requests that read records (a Redis GET, an
# Elasticsearch _search, a MongoDB find, SELECT * FROM a table, a CouchDB
# document) must be refused.
cd "$(dirname "$0")/../.."
. tests/integration/lab_check_env.sh
. tests/integration/lib.sh
lab_up || { bad "lab up"; t_end; exit 1; }
M=$AJAR_LAB_DIR/manifest.json
cat >"$T_TMP/allow.py" <<'EOF'
#!/usr/bin/env python3
"""The allowlist of request shapes ajar may send, per probe, checked against
an `ajar scan --trace FILE` (one JSON line per request sent: ip, port,
probe, connection, tls, length, bytes with \\xNN escapes; a backslash is
written as itself, so a \\ not starting \\xNN is literal, and the decoded
length must equal `length`). Used by tests/integration/trace.sh.

    trace_allow.py TRACE      prints every request that matches no allowed
                              shape of its probe; exits 1 if there is one

An ALLOWLIST, not a denylist: every shape below comes from the list of
requests at the top of the probe's source file (src/probe/*.c); anything
else fails, and a probe with no list here fails all its requests. The
shapes are regular expressions over the decoded bytes, matched whole.
SQL and HTTP queries are matched exactly (the catalog and metadata queries
the comments name), so a query that reads a table or a document cannot
pass.
"""
import json, re, sys
from urllib.parse import unquote


def unescape(s):
    out, i = bytearray(), 0
    while i < len(s):
        c = s[i]
        if c == "\\" and re.match(r"\\x[0-9a-fA-F]{2}", s[i:i + 4]):
            out.append(int(s[i + 2:i + 4], 16)); i += 4
        else:  # a backslash not starting \xNN is itself (the trace does not escape it)
            out += c.encode("utf-8"); i += 1
    return bytes(out)


def full(pat, data):
    return re.fullmatch(pat, data, re.S) is not None


# ---------------------------------------------------------------- HTTP
# src/probe/http.c (GET / and the fingerprint paths of the apps: /version,
# /ping, /api/status) and every app's "Requests this app can send".
ES_PATHS = [r"/", r"/_cat/indices\?format=json&bytes=b", r"/_mapping"]           # elasticsearch.c
PROXIED = r"(%2F|_cat%2Findices%3Fformat%3Djson%26bytes%3Db|_mapping)"           # kibana.c
GET_PATHS = ES_PATHS + [
    r"/api/status",                                                              # kibana.c
    r"/api/console/proxy\?uri=" + PROXIED,
    r"/elasticsearch/", r"/elasticsearch/_cat/indices\?format=json&bytes=b", r"/elasticsearch/_mapping",
    r"/version", r"/info",                                                       # docker.c, etcd.c
    r"/ping",                                                                    # influxdb.c
    r"/api/v1/status/buildinfo", r"/api/v1/targets\?state=active",               # prometheus.c
    r"/api/overview", r"/api/auth",                                              # rabbitmq.c
    r"/apiv2/server/info", r"/apiv1/server/info",                                # redis_commander.c
    # signatures/jupyter.yaml: the directory model, versions, counts -- never /api/contents/<path>
    r"/api/contents", r"/api", r"/hub/api", r"/hub/api/info", r"/api/kernelspecs",
    # signatures/docker-registry.yaml: catalogue and tag lists -- never a manifest or a blob
    r"/v2/", r"/v2/_catalog\?n=100", r"/v2/[A-Za-z0-9._~%-]+/tags/list",
    r"/_session", r"/_all_dbs", r"/_dbs_info",                                   # couchdb.c
    # couchdb.c GET /<db>: one path segment (a '/' inside a name is %2F), a
    # database name (lowercase first), or a system database -- never /<db>/<doc>
    r"/[a-z][a-z0-9_$()+%-]*", r"/_(users|replicator|global_changes)",
    # signatures/s3.yaml: ListObjectsV2 of a bucket the listing named (never /<bucket>/<key>)
    r"/[A-Za-z0-9._%-]+\?list-type=2&max-keys=1000",
    r"/pools", r"/pools/default/buckets",                                        # couchbase.yaml
    r"/_api/version", r"/_api/database",                                         # arangodb.yaml
    r"/_db/[A-Za-z0-9._%-]+/_api/collection\?excludeSystem=true",
    r"/db/data/",                                                                # neo4j.yaml
    r"/stats", r"/buckets\?buckets=true",                                        # riak.yaml
    # signatures/hdfs.yaml: two JMX beans (counts), the listing of / and a content summary
    # (counts and bytes) of a top-level entry it named -- never op=OPEN, never a deeper path
    r"/jmx\?qry=Hadoop:service=NameNode,name=(NameNodeInfo|FSNamesystemState)",
    r"/webhdfs/v1/\?op=LISTSTATUS", r"/webhdfs/v1/[^/?&#]+\?op=GETCONTENTSUMMARY",
    r"/ws/v1/cluster/(info|metrics)",                                            # yarn.yaml
    r"/jmx\?qry=Hadoop:service=HBase,name=Master,sub=Server",                    # hbase.yaml
    r"/status/cluster", r"/version/cluster",
    r"/status", r"/druid/coordinator/v1/datasources", r"/druid/v2/datasources",  # druid.yaml
    r"/v1/agent/self", r"/v1/catalog/services", r"/v1/kv/\?keys",               # consul.yaml: key names only
    r"/v1/sys/health", r"/v1/sys/seal-status",                                   # vault.yaml
    r"/solr/admin/info/system\?wt=json", r"/solr/admin/cores\?action=STATUS&wt=json",  # solr.yaml
    r"/collections", r"/collections/[A-Za-z0-9._%-]+",                           # qdrant.yaml: collection info
    r"/version", r"/debug",                                                      # meilisearch, typesense
    r"/v1/meta", r"/v1/schema", r"/v1/nodes/[A-Za-z0-9_%-]+\?output=verbose",   # weaviate.yaml
    r"/v1/vector/collections",                                                   # milvus.yaml
    r"/api/v[12]/heartbeat", r"/api/v[12]/version",                              # chroma.yaml: names and counts
    r"/api/v2/tenants/default_tenant/databases",
    r"/api/v2/tenants/default_tenant/databases/default_database/collections",
    r"/api/v2/tenants/default_tenant/databases/default_database/collections/[0-9a-f-]{36}/count",
    r"/api/health", r"/api/frontend/settings", r"/api/datasources", r"/login",   # grafana.yaml
    r"/api/clusters", r"/api/cluster", r"/api/cluster/overview",                 # kafka-ui.yaml
    r"/api/console/endpoints", r"/api/topics", r"/actuator/info",
    r"/api/clusters/[A-Za-z0-9._%-]+/topics\?page=1&perPage=100&showInternal=true",
    r"/api/info", r"/api/databases",                                             # redisinsight.yaml
]
POST_PATHS = {  # path -> allowed bodies
    r"/api/console/proxy\?path=" + PROXIED + r"&method=GET": [b""],              # kibana.c
    r"/v3/auth/status": [b"{}"],                                                 # etcd.c
    r"/v3(beta|alpha)?/kv/range": [b'{"key":"AA==","range_end":"AA==","count_only":true}'],
}
HEADERS = {b"host", b"user-agent", b"accept", b"connection", b"kbn-xsrf", b"osd-xsrf",
           b"content-length", b"content-type"}
# clickhouse.c: GET /?query=<SQL>, SQL among these
NOT_SYS = r"\('[A-Za-z_]+'(, ?'[A-Za-z_]+')*\)"
CH_SQL = [
    r"SELECT version\(\)",
    r"SELECT name FROM system\.databases FORMAT JSONCompact",
    r"SELECT database, name, total_rows, total_bytes FROM system\.tables WHERE database NOT IN " + NOT_SYS
    + r" LIMIT 10000 FORMAT JSONCompact",
    r"SELECT database, name FROM system\.tables WHERE database NOT IN " + NOT_SYS + r" LIMIT 10000 FORMAT JSONCompact",
    r"SELECT database, table, sum\(rows\), sum\(bytes_on_disk\) FROM system\.parts WHERE active GROUP BY database, table"
    r" LIMIT 10000 FORMAT JSONCompact",
    r"SELECT DISTINCT name FROM system\.columns WHERE database NOT IN " + NOT_SYS + r" LIMIT 10000 FORMAT JSONCompact",
]
# influxdb.c: GET /query?q=<InfluxQL>
INFLUX_Q = [r"SHOW DATABASES", r'SHOW FIELD KEYS ON "[^"]+"']


def http_ok(b):
    head, sep, body = b.partition(b"\r\n\r\n")
    if not sep:
        return False
    lines = head.split(b"\r\n")
    m = re.fullmatch(rb"(GET|HEAD|POST) (\S+) HTTP/1\.1", lines[0])
    if not m:
        return False
    for h in lines[1:]:
        name = h.split(b":", 1)[0].lower()
        if name not in HEADERS:
            return False
    method, target = m.group(1).decode(), m.group(2).decode("latin-1")
    if method in ("GET", "HEAD"):
        if body:
            return False
        if any(re.fullmatch(p, target) for p in GET_PATHS):
            return True
        q = re.fullmatch(r"/\?query=([^&]*)", target)
        if q:
            return any(re.fullmatch(p, unquote(q.group(1))) for p in CH_SQL)
        q = re.fullmatch(r"/query\?q=([^&]*)", target)
        if q:
            return any(re.fullmatch(p, unquote(q.group(1))) for p in INFLUX_Q)
        return False
    for p, bodies in POST_PATHS.items():
        if re.fullmatch(p, target):
            return body in bodies
    return False


# ---------------------------------------------------------------- binary
def redis_ok(b):  # redis.c: exactly one INFO
    return b == b"*1\r\n$4\r\nINFO\r\n"


def memcached_ok(b):  # memcached.c: "stats", or binary VERSION then STAT (no key, no body)
    hdr = lambda op: re.escape(bytes([0x80, op])) + rb"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00.{4}.{8}"
    return b == b"stats\r\n" or full(rb"(" + hdr(0x0B) + rb"|" + hdr(0x10) + rb")+", b)


MQTT_CONNECT = (rb"\x10.\x00\x04MQTT\x04\x02\x00\x0a\x00\x09ajar-[0-9a-f]{4}"        # 3.1.1: clean session only
                rb"|\x10.\x00\x04MQTT\x05\x02\x00\x0a\x00\x00\x09ajar-[0-9a-f]{4}")  # 5: no properties
MQTT_SUB = rb"\x82\x18\x00\x01\x00\x13\$SYS/broker/version\x00"
MQTT_DISC = rb"\xe0\x00"


def mqtt_ok(b):  # mqtt.c: CONNECT (no will, user, password), SUBSCRIBE to one topic, DISCONNECT
    return full(rb"(" + MQTT_CONNECT + rb"|" + MQTT_SUB + rb"|" + MQTT_DISC + rb")+", b)


def zookeeper_ok(b):  # zookeeper.c: one four-letter word per connection
    return b in (b"srvr", b"mntr", b"envi")


def amqp_ok(b):  # amqp.c: the protocol header only
    return b == b"AMQP\x00\x00\x09\x01"


def cassandra_ok(b):  # cassandra.c: OPTIONS, STARTUP {CQL_VERSION: 3.0.0}
    return full(rb"[\x03-\x05]\x00\x00\x00\x05\x00\x00\x00\x00", b) or \
        full(rb"[\x03-\x05]\x00\x00\x01\x01\x00\x00\x00\x16\x00\x01\x00\x0bCQL_VERSION\x00\x053\.0\.0", b)


def clickhouse_native_ok(b):  # clickhouse_native.c: Hello as default with an empty password, or Ping
    return b == b"\x04" or full(rb"\x00\x04ajar\x01\x00[\x80-\xff]*[\x00-\x7f]\x07default\x07default\x00", b)


PG_SQL = [
    b"SELECT datname, CASE WHEN has_database_privilege(datname, 'CONNECT') THEN pg_database_size(datname) END "
    b"FROM pg_database WHERE NOT datistemplate ORDER BY 1",
    b"SELECT count(*), coalesce(sum(greatest(c.reltuples, coalesce(s.n_live_tup, 0), 0)), 0)::bigint FROM pg_class c "
    b"LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.relkind = 'r' AND c.relnamespace NOT IN "
    b"(SELECT oid FROM pg_namespace WHERE nspname IN ('pg_catalog', 'information_schema'))",
    b"SELECT n.nspname, c.relname, greatest(c.reltuples, coalesce(s.n_live_tup, 0), 0)::bigint FROM pg_class c "
    b"JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid "
    b"WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2 LIMIT 100",
    b"SELECT DISTINCT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n "
    b"ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND n.nspname "
    b"NOT IN ('pg_catalog', 'information_schema') ORDER BY 1 LIMIT 200",
]


def postgresql_ok(b):  # postgresql.c: SSLRequest, StartupMessage as postgres, 4 catalog queries, Terminate
    if b == b"\x00\x00\x00\x08\x04\xd2\x16\x2f" or b == b"X\x00\x00\x00\x04":
        return True
    if full(rb".{4}\x00\x03\x00\x00user\x00postgres\x00database\x00[^\x00]+\x00application_name\x00ajar\x00\x00", b):
        return int.from_bytes(b[:4], "big") == len(b)
    if b[:1] == b"Q" and int.from_bytes(b[1:5], "big") == len(b) - 1 and b.endswith(b"\x00"):
        return b[5:-1] in PG_SQL
    return False


MY_EXCL = b"('mysql', 'information_schema', 'performance_schema', 'sys')"
MY_SQL = [
    b"SELECT s.schema_name, COUNT(t.table_name), SUM(t.table_rows), SUM(t.data_length + t.index_length) FROM "
    b"information_schema.schemata s LEFT JOIN information_schema.tables t ON t.table_schema = s.schema_name AND "
    b"t.table_type = 'BASE TABLE' WHERE s.schema_name NOT IN " + MY_EXCL + b" GROUP BY s.schema_name ORDER BY 1",
    b"SELECT table_schema, table_name, table_rows FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
    b"AND table_schema NOT IN " + MY_EXCL + b" ORDER BY 1, 2 LIMIT 100",
    b"SELECT DISTINCT column_name FROM information_schema.columns WHERE table_schema NOT IN " + MY_EXCL
    + b" ORDER BY 1 LIMIT 200",
]


def mysql_ok(b):  # mysql.c: SSL Request, root with an empty password, empty auth switch, 3 queries, COM_QUIT
    if len(b) < 4 or int.from_bytes(b[:3], "little") != len(b) - 4:
        return False
    p = b[4:]
    if len(p) == 32:                                   # SSL Request: no user
        return True
    if len(p) == 0:                                    # empty AuthSwitchResponse
        return True
    if full(rb".{32}root\x00\x00mysql_native_password\x00", p):   # auth response length 0
        return True
    if p == b"\x01":                                   # COM_QUIT
        return True
    return p[:1] == b"\x03" and p[1:] in MY_SQL


# mssql.c: PRELOGIN (exact), TLS handshake records inside PRELOGIN packets, LOGIN7 as sa with a
# zero-length password (SQL authentication), and the two catalog batches (the databases query
# exactly; the per-database one with a bracket-quoted name, "]" doubled). After a handshake inside
# TDS the LOGIN7 (and, when the server said ENCRYPT_ON/REQ, the batches) leave as TLS records the
# trace cannot read: only well-formed records are let through here; the lab's emulator
# (tests/lab/emu/emu_mssql.py) decrypts them and refuses any other login or query.
MS_PRELOGIN = bytes.fromhex("1201002f00000100" "00001a0006" "0100200001" "0200210001" "0300220004"
                            "0400260001" "ff" "000000000000" "00" "00" "00000000" "00")
MS_DBS = ("SELECT TOP 1000 d.database_id, d.name, (SELECT SUM(CAST(f.size AS bigint)) FROM "
          "sys.master_files f WHERE f.database_id = d.database_id AND f.type = 0) FROM sys.databases d "
          "WHERE d.database_id > 4 ORDER BY d.database_id")
MS_DB = ("SELECT COUNT(DISTINCT t.object_id), SUM(p.rows) FROM @.sys.tables t JOIN @.sys.partitions p "
         "ON p.object_id = t.object_id AND p.index_id IN (0, 1) WHERE t.is_ms_shipped = 0; "
         "SELECT TOP 100 s.name, t.name, SUM(p.rows) FROM @.sys.tables t JOIN @.sys.schemas s ON "
         "s.schema_id = t.schema_id JOIN @.sys.partitions p ON p.object_id = t.object_id AND "
         "p.index_id IN (0, 1) WHERE t.is_ms_shipped = 0 GROUP BY s.name, t.name ORDER BY 3 DESC, 1, 2; "
         "SELECT DISTINCT TOP 200 c.name FROM @.sys.columns c JOIN @.sys.tables t ON "
         "t.object_id = c.object_id WHERE t.is_ms_shipped = 0 ORDER BY 1")
MS_DB_RE = "".join(r"\[(?:[^\]]|\]\])+\]" if ch == "@" else re.escape(ch) for ch in MS_DB)


def tls_records(b, types):
    i = 0
    while i < len(b):
        if i + 5 > len(b) or b[i] not in types or b[i + 1] != 3:
            return False
        i += 5 + int.from_bytes(b[i + 3:i + 5], "big")
    return i == len(b) and len(b) > 0


def tds_message(b):
    """(type, payload) of one whole TDS message (packets, the last with EOM), or None."""
    i, t0, payload = 0, None, b""
    while i < len(b):
        if i + 8 > len(b):
            return None
        t, status, ln = b[i], b[i + 1], int.from_bytes(b[i + 2:i + 4], "big")
        if ln < 8 or i + ln > len(b) or (t0 is not None and t != t0):
            return None
        t0, payload, i = t, payload + b[i + 8:i + ln], i + ln
        if status & 1:
            return (t0, payload) if i == len(b) else None
    return None


def mssql_ok(b):
    if b == MS_PRELOGIN:
        return True
    if b[:1] in (b"\x14", b"\x15", b"\x16", b"\x17"):   # TLS records after a handshake inside TDS
        return tls_records(b, (0x14, 0x15, 0x16, 0x17))
    m = tds_message(b)
    if not m:
        return False
    t, p = m
    if t == 0x12:                                          # the TLS handshake, wrapped
        return tls_records(p, (0x14, 0x15, 0x16))
    if t == 0x10:                                          # LOGIN7
        if len(p) < 94 or int.from_bytes(p[:4], "little") != len(p) or p[25] & 0x80:
            return False
        ib, cch = int.from_bytes(p[40:42], "little"), int.from_bytes(p[42:44], "little")
        return p[ib:ib + 2 * cch] == "sa".encode("utf-16-le") and p[46:48] == b"\x00\x00"
    if t == 0x01:                                          # SQL batch
        if p[:4] == b"\x16\x00\x00\x00":
            p = p[22:]
        try:
            q = p.decode("utf-16-le")
        except UnicodeDecodeError:
            return False
        return q == MS_DBS or re.fullmatch(MS_DB_RE, q, re.S) is not None
    return False


MONGO_CMDS = {b"hello", b"isMaster", b"ismaster", b"buildInfo", b"buildinfo", b"listDatabases",
              b"listCollections", b"collStats", b"aggregate"}


def mongodb_ok(b):  # mongodb.c: metadata commands only, as OP_MSG (2013) or OP_QUERY (2004) on <db>.$cmd
    if len(b) < 21 or int.from_bytes(b[:4], "little") != len(b):
        return False
    op = int.from_bytes(b[12:16], "little")
    if op == 2013:
        if b[16:20] != b"\x00\x00\x00\x00" or b[20] != 0:
            return False
        doc = b[21:]
    elif op == 2004:
        m = re.match(rb"\x00\x00\x00\x00([A-Za-z0-9_-]+)\.\$cmd\x00\x00\x00\x00\x00\xff\xff\xff\xff", b[16:], re.S)
        if not m:
            return False
        doc = b[16 + m.end():]
    else:
        return False
    if len(doc) < 6 or int.from_bytes(doc[:4], "little") != len(doc):
        return False
    key = doc[5:doc.index(b"\x00", 5)]
    if key not in MONGO_CMDS:
        return False
    if key == b"aggregate":  # only {$collStats: {storageStats: {}}}
        stages = re.findall(rb"[\x03]\$([A-Za-z]+)\x00", doc)
        return stages == [b"collStats"]
    if key == b"listDatabases":  # nameOnly false: sizes, never documents
        return True
    return True


# kafka.c: ApiVersions v4 / v3 / v0 (correlation ids 1, 2, 3) and Metadata (correlation id 4)
# for every topic (null; v0: the empty list) with auto-creation off and no authorized operations
def kafka_frame(key, ver, cid, flex, body):
    hdr = key.to_bytes(2, "big") + ver.to_bytes(2, "big") + cid.to_bytes(4, "big") + b"\x00\x04ajar"
    if flex:
        hdr += b"\x00"
    m = hdr + body
    return len(m).to_bytes(4, "big") + m


KAFKA_OK = {kafka_frame(18, 4, 1, True, b"\x05ajar\x040.1\x00"),
            kafka_frame(18, 3, 2, True, b"\x05ajar\x040.1\x00"),
            kafka_frame(18, 0, 3, False, b"")}
for v in range(0, 13):
    flex = v >= 9
    body = b"\x00\x00\x00\x00" if v == 0 else b"\xff\xff\xff\xff" if not flex else b"\x00"
    body += b"\x00" if v >= 4 else b""
    body += b"\x00" if 8 <= v <= 10 else b""
    body += b"\x00" if v >= 8 else b""
    body += b"\x00" if flex else b""
    KAFKA_OK.add(kafka_frame(3, v, 4, flex, body))


def kafka_ok(b):
    return b in KAFKA_OK


# ldap.c: the anonymous bind, the root DSE search for the listed attributes, a base-scope
# search asking for no attribute ("1.1") of a naming context, Unbind. BER built here.
def ber(tag, content):
    n = len(content)
    ln = bytes([n]) if n < 128 else bytes([0x81, n]) if n < 256 else bytes([0x82]) + n.to_bytes(2, "big")
    return bytes([tag]) + ln + content


def ber_len(b, i):
    """(length, offset of the content) of the BER length at b[i]."""
    if i >= len(b) or b[i] < 0x80:
        return (b[i] if i < len(b) else 0), i + 1
    k = b[i] & 0x7F
    return int.from_bytes(b[i + 1:i + 1 + k], "big"), i + 1 + k


def ldap_int(v):
    return ber(0x02, bytes([v]))


def ldap_search(msgid, base, attrs):
    req = (ber(0x04, base) + ber(0x0A, b"\x00") + ber(0x0A, b"\x00") + ldap_int(1) + ldap_int(10)
           + ber(0x01, b"\x00") + ber(0x87, b"objectClass") + ber(0x30, b"".join(ber(0x04, a) for a in attrs)))
    return ber(0x30, ldap_int(msgid) + ber(0x63, req))


LDAP_ROOT_ATTRS = [a.encode() for a in (
    "objectClass namingContexts supportedLDAPVersion vendorName vendorVersion supportedSASLMechanisms "
    "supportedExtension supportedCapabilities defaultNamingContext dnsHostName serverName "
    "domainFunctionality forestFunctionality domainControllerFunctionality isGlobalCatalogReady").split()]
LDAP_BIND = ber(0x30, ldap_int(1) + ber(0x60, ldap_int(3) + ber(0x04, b"") + ber(0x80, b"")))
LDAP_ROOT = ldap_search(2, b"", LDAP_ROOT_ATTRS)


def ldap_ok(b):
    if b in (LDAP_BIND, LDAP_ROOT):
        return True
    if len(b) >= 7 and b[2:4] == b"\x02\x01":
        msgid = b[4]
        if b == ber(0x30, ldap_int(msgid) + b"\x42\x00"):                  # Unbind
            return True
        if msgid >= 3:                                                      # a naming context, "1.1"
            i = 5
            for tag in (0x63, 0x04):                                        # SearchRequest, then its base
                if i + 2 > len(b) or b[i] != tag:
                    return False
                n, i = ber_len(b, i + 1)
            return b == ldap_search(msgid, b[i:i + n], [b"1.1"])
    return False


# neo4j_bolt.c: the handshake, then whole chunked messages among these (no RUN, no password)
BOLT_HANDSHAKE = b"\x60\x60\xb0\x17" + bytes.fromhex("00080805" "00030404" "00000003" "00000001")
BOLT_MSGS = {
    b"\xb2\x01\x8aajar/0.1.0\xa1\x86scheme\x84none",                                     # INIT (1, 2)
    b"\xb1\x01\xa2\x8auser_agent\x8aajar/0.1.0\x86scheme\x84none",                     # HELLO (3 to 5.0)
    b"\xb1\x01\xa1\x8auser_agent\x8aajar/0.1.0",                                         # HELLO (5.1, 5.2)
    b"\xb1\x01\xa2\x8auser_agent\x8aajar/0.1.0\x8abolt_agent\xa1\x87product\x8aajar/0.1.0",  # HELLO (5.3+)
    b"\xb1\x6a\xa1\x86scheme\x84none",                                                 # LOGON (5.1+)
    b"\xb0\x02",                                                                       # GOODBYE
}


def neo4j_bolt_ok(b):
    if b == BOLT_HANDSHAKE:
        return True
    i, msg = 0, b""
    while i + 2 <= len(b):
        n = int.from_bytes(b[i:i + 2], "big")
        if n == 0:
            if msg not in BOLT_MSGS:
                return False
            msg = b""
        else:
            msg += b[i + 2:i + 2 + n]
        i += 2 + n
    return i == len(b) and msg == b"" and len(b) > 0


# rethinkdb.c: the V1_0 magic, SCRAM-SHA-256 for admin with the empty password's proof, or
# the V0_4 handshake with an empty auth key
B64 = r"[A-Za-z0-9+/=_-]"


def rethinkdb_ok(b):
    if b in (b"\xc3\xbd\xc2\x34", b"\x20\x2d\x0c\x40\x00\x00\x00\x00\xc7\x70\x69\x7e"):
        return True
    return full(rb'\{"protocol_version":0,"authentication_method":"SCRAM-SHA-256","authentication":"n,,n=admin,r='
                + B64.encode() + rb'{16,64}"\}\x00', b) or \
        full(rb'\{"authentication":"c=biws,r=' + B64.encode() + rb'{16,128},p=' + B64.encode() + rb'{44}"\}\x00', b)


def rsync_ok(b):  # rsync.c: our greeting and #list, or a module name the listing gave (never an option)
    return full(rb"@RSYNCD: 31\.0\n(#list|[^\n#@/-][^\n/]{0,126})\n", b)


CHECKS = {
    "http": http_ok, "redis": redis_ok, "memcached": memcached_ok, "mqtt": mqtt_ok,
    "zookeeper": zookeeper_ok, "amqp": amqp_ok, "cassandra": cassandra_ok,
    "clickhouse_native": clickhouse_native_ok, "postgresql": postgresql_ok, "mysql": mysql_ok,
    "mongodb": mongodb_ok, "mssql": mssql_ok, "kafka": kafka_ok, "ldap": ldap_ok,
    "neo4j_bolt": neo4j_bolt_ok, "rethinkdb": rethinkdb_ok, "rsync": rsync_ok,
}


def main():
    bad = n = 0
    per = {}
    for line in open(sys.argv[1], encoding="utf-8"):
        t = json.loads(line)
        n += 1
        b = unescape(t["bytes"])
        chk = CHECKS.get(t["probe"])
        per[t["probe"]] = per.get(t["probe"], 0) + 1
        ok = chk is not None and len(b) == t.get("length", len(b)) and chk(b)
        if not ok:
            bad += 1
            print("NOT ALLOWED %s %s:%s conn %s tls %s: %s" % (t["probe"], t["ip"], t["port"], t["connection"],
                                                             t["tls"], t["bytes"][:600]))
    print("requests: %d (%s), not allowed: %d" % (n, ", ".join("%s %d" % kv for kv in sorted(per.items())), bad))
    sys.exit(1 if bad or n == 0 else 0)


if __name__ == "__main__":
    main()
EOF

# the checker refuses what reads data
tr_line() { # probe, bytes (escaped as the trace writes them); no length: the shape alone decides
    jq -cn --arg p "$1" --arg b "$2" '{ip:"127.0.0.1", port:1, probe:$p, connection:0, tls:false, bytes:$b}'
}
{
    tr_line redis '*2\x0d\x0a$3\x0d\x0aGET\x0d\x0a$3\x0d\x0akey\x0d\x0a'
    tr_line redis '*1\x0d\x0a$4\x0d\x0aKEYS\x0d\x0a'
    tr_line http 'GET /customers/_search HTTP/1.1\x0d\x0aHost: x\x0d\x0a\x0d\x0a'
    tr_line http 'GET /shop/order-1 HTTP/1.1\x0d\x0aHost: x\x0d\x0a\x0d\x0a'
    tr_line http 'GET /shop-customers/customers/passport_scans/test-1.txt HTTP/1.1\x0d\x0aHost: x\x0d\x0a\x0d\x0a'
    tr_line http 'GET /buckets/files/keys?keys=true HTTP/1.1\x0d\x0aHost: x\x0d\x0a\x0d\x0a'
    tr_line http 'GET /_all_dbs HTTP/1.1\x0d\x0aAuthorization: Basic YTpi\x0d\x0a\x0d\x0a'
    tr_line http 'GET /?query=SELECT%20*%20FROM%20shop.orders HTTP/1.1\x0d\x0a\x0d\x0a'
    tr_line http 'POST /api/console/proxy?path=customers%2F_search&method=GET HTTP/1.1\x0d\x0a\x0d\x0a'
    tr_line postgresql 'Q\x00\x00\x00\x18SELECT * FROM users\x00'
    tr_line mysql '\x14\x00\x00\x00\x03SELECT * FROM shop.t'
    tr_line mongodb '\x00\x00\x00\x00'
    # a SQL batch "SELECT * FROM t" (UTF-16) and a LOGIN7 as sa with a 1-character password
    tr_line mssql '\x01\x01\x00&\x00\x00\x01\x00S\x00E\x00L\x00E\x00C\x00T\x00 \x00*\x00 \x00F\x00R\x00O\x00M\x00 \x00t\x00'
    tr_line mssql "$(python3 -c '
import struct
fixed = bytearray(94); data = "sa".encode("utf-16-le") + b"\xa5\xb3"
struct.pack_into("<HHHH", fixed, 40, 94, 2, 98, 1)
p = bytes(fixed) + data; p = struct.pack("<I", len(p)) + p[4:]
m = struct.pack(">BBHHBB", 0x10, 1, len(p) + 8, 0, 1, 0) + p
print("".join("\\x%02x" % c for c in m))')"
    # the new probes and signatures: a Kafka Fetch, an LDAP subtree search for every attribute,
    # a Bolt RUN, an rsync transfer's arguments, a RethinkDB query, HDFS OPEN, a Consul value,
    # a registry manifest
    tr_line kafka '\x00\x00\x00\x0e\x00\x01\x00\x04\x00\x00\x00\x04\x00\x04ajar'
    tr_line ldap "$(python3 -c '
def ber(t, c): return bytes([t, len(c)]) + c
req = ber(4, b"dc=lab") + ber(10, b"\x02") + ber(10, b"\x00") + ber(2, b"\x00") + ber(2, b"\x00") \
    + ber(1, b"\x00") + ber(0x87, b"objectClass") + ber(0x30, ber(4, b"*"))
print("".join("\\x%02x" % c for c in ber(0x30, ber(2, b"\x03") + ber(0x63, req))))')"
    tr_line neo4j_bolt '\x00\x17\xb3\x10\x8fMATCH (n) RET\xa0\xa0\x00\x00'
    tr_line rsync '@RSYNCD: 31.0\x0a--server\x0a'
    tr_line rethinkdb '[1,[57,[]],{}]'
    tr_line http 'GET /webhdfs/v1/user/data.csv?op=OPEN HTTP/1.1\x0d\x0aHost: x\x0d\x0a\x0d\x0a'
    tr_line http 'GET /v1/kv/secret/db-password HTTP/1.1\x0d\x0aHost: x\x0d\x0a\x0d\x0a'
    tr_line http 'GET /v2/app/manifests/latest HTTP/1.1\x0d\x0aHost: x\x0d\x0a\x0d\x0a'
} >"$T_TMP/forbidden.trace"
python3 "$T_TMP/allow.py" "$T_TMP/forbidden.trace" >"$T_TMP/forbidden.out"
check_eq "the checker refuses all 22 data-reading or password-guessing requests" \
    "$(grep -c '^NOT ALLOWED' "$T_TMP/forbidden.out")" 22

jq -r '.instances[].address' "$M" | sort -u >"$T_TMP/targets"
P=$(jq -r '[.instances[].port] | unique | map(tostring) | join(",")' "$M")
"$AJAR" scan -q -iL "$T_TMP/targets" -p "$P" --rate 0 --no-db --trace "$T_TMP/lab.trace" \
    -o "$T_TMP/lab.jsonl"
check_eq "lab scan exit status" "$?" 0
check "the trace is not empty" [ -s "$T_TMP/lab.trace" ]
check "every trace line is JSON" jq -e . "$T_TMP/lab.trace" >/dev/null
python3 "$T_TMP/allow.py" "$T_TMP/lab.trace" >"$T_TMP/allow.out"
rc=$?
cat "$T_TMP/allow.out"
check_eq "every request of the lab scan matches its probe's allowlist" "$rc" 0
# the probes that spoke: each one checked (a probe missing from the lab would pass unseen)
for p in http redis memcached mongodb postgresql mysql mqtt zookeeper amqp clickhouse_native mssql; do
    check "requests of $p were seen and checked" grep -q "\"probe\":\"$p\"" "$T_TMP/lab.trace"
done
t_end
