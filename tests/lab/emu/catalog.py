# EMULATED lab catalog: which emulated instance listens where, what it pretends to be,
# and what (metadata) it holds. The emulators (emu_es.py, emu_kibana.py, emu_mongo.py)
# and the manifest writer (emulab.py) both read this table, so the manifest states
# exactly what the emulators serve.
#
# Address plan (fixed for the emulations): 127.0.20.0/24 .. 127.0.39.0/24
#   127.0.20.N  Elasticsearch/OpenSearch, open          :9200
#   127.0.21.N  Elasticsearch/OpenSearch, security on   :9200
#   127.0.22.N  Kibana, open                            :5601
#   127.0.23.N  Kibana, login required                  :5601
#   127.0.25.N  MongoDB, open                           :27017
#   127.0.26.N  MongoDB, authentication required        :27017
#   127.0.30.1-3  "Shanghai" Kibana 5.5.3, HTTPS, no login, one shared expired cert
#   127.0.31.1-3  the Elasticsearch 5.5 behind each Shanghai Kibana
#
# All data below is invented seed metadata (index names, field names, counts, sizes);
# no record contents exist anywhere in the emulators.

import hashlib


def _h(*parts):
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


# ------------------------------------------------------------------ field sets
# type names use the 5.x+ vocabulary; emu_es maps text/keyword to 'string' for 1.x/2.x.
F_CUSTOMERS = {"full_name": "text", "passport_no": "keyword", "phone": "keyword", "email": "keyword",
               "birth_date": "date", "address": "text", "created_at": "date"}
F_LOGS = {"@timestamp": "date", "message": "text", "host": {"name": "keyword"},
          "log": {"level": "keyword"}, "service": "keyword"}
F_METRICS = {"@timestamp": "date", "host": "keyword", "cpu_pct": "float", "mem_used": "long"}
F_ORDERS = {"order_id": "keyword", "customer_id": "keyword", "amount": "double", "currency": "keyword",
            "card_last4": "keyword", "created_at": "date"}
F_PATIENTS = {"patient_name": "text", "ssn": "keyword", "diagnosis": "text", "dob": "date", "insurance_no": "keyword"}
F_PRODUCTS = {"sku": "keyword", "title": "text", "price": "double", "stock": "integer"}
F_KIBANA = {"type": "keyword", "updated_at": "date", "config": {"buildNum": "keyword"}}
# Shanghai person-data indices (pinyin abbreviations as such leaks carry them):
# xm=name, sfzh=ID-card no., sjhm=mobile no., zz=address, csrq=birth date, ajbh=case no.
F_PERSON = {"xm": "keyword", "sfzh": "keyword", "sjhm": "keyword", "zz": "text", "csrq": "date",
            "xb": "keyword", "mz": "keyword"}
F_CASES = {"ajbh": "keyword", "xm": "keyword", "sfzh": "keyword", "ajlb": "keyword", "fasj": "date", "jyaq": "text"}
F_ADDRBOOK = {"xm": "keyword", "sjhm": "keyword", "zz": "text", "gzdw": "text"}
F_RANSOM = {"message": "text", "email": "keyword", "btc_address": "keyword"}

GB = 1024 ** 3
TB = 1024 ** 4


def idx(name, docs, size, fields, deleted=0, pri=5, rep=1, doc_type="doc", status="open"):
    return {"name": name, "docs": docs, "deleted": deleted, "bytes": size, "fields": fields,
            "pri": pri, "rep": rep, "type": doc_type, "status": status}


def es_seed(variant):
    """Index set for an ordinary emulated cluster; variant picks era-typical names."""
    old = variant in ("1", "2")
    logs = "logstash-2016.05.0%d" if old else "logs-2024.01.0%d"
    out = [
        idx("customers", 1248331, 412 * 1024 * 1024 + 77, F_CUSTOMERS, deleted=1204, doc_type="customer"),
        idx("orders", 3905112, 1 * GB + 31 * 1024 * 1024, F_ORDERS, deleted=22, doc_type="order"),
        idx(logs % 1, 98211, 41 * 1024 * 1024 + 5120, F_LOGS, pri=1, doc_type="logs"),
        idx(logs % 2, 101877, 43 * 1024 * 1024 + 311, F_LOGS, pri=1, doc_type="logs"),
        idx("metrics", 501223, 88 * 1024 * 1024 + 2048, F_METRICS, pri=1, doc_type="metric"),
    ]
    if variant in ("7", "8", "os"):
        out.append(idx("patients", 20441, 9 * 1024 * 1024 + 4000, F_PATIENTS, pri=1, doc_type="doc"))
    return out


def kibana_index(version_major):
    return idx(".kibana", 4 + version_major, 32 * 1024 + 517 * version_major, F_KIBANA, pri=1, rep=0,
               doc_type="doc" if version_major >= 6 else "config")


# ------------------------------------------------------------------ Elasticsearch
# gen selects the behaviour table in emu_es.GENS; root = recorded GET / body.
ES = []


def _es(id_, addr, gen, version, root, auth, indices, product="Elasticsearch", override=None, notes=""):
    ES.append({"id": id_, "address": addr, "port": 9200, "gen": gen, "version": version, "root": root,
               "auth": auth, "indices": indices, "product": product, "override": override or {},
               "notes": notes})


_ES_LINES = [
    # key, gen, version, recorded root, seed variant, product
    ("1.x", "1", "1.7.3", "elasticsearch/1.7.3/root.json", "1", "Elasticsearch"),
    ("2.x", "2", "2.0.0", "elasticsearch/2.0.0/root.json", "2", "Elasticsearch"),
    ("5.x", "5", "5.4.2", "elasticsearch/5.4.2/root.json", "5", "Elasticsearch"),
    ("6.8", "6", "6.8.23", "elasticsearch/6.8.23/root.json", "6", "Elasticsearch"),
    ("7.10", "7.10", "7.10.2", "elasticsearch/7.10.2/root.json", "7", "Elasticsearch"),
    ("7.15", "7.15", "7.15.1", "elasticsearch/7.15.1/root.json", "7", "Elasticsearch"),
    ("7.17", "7.17", "7.17.27", "elasticsearch/7.17.27/root.json", "7", "Elasticsearch"),
    ("8.x", "8", "8.15.0", "elasticsearch/8.15.0/root.json", "8", "Elasticsearch"),
    ("opensearch-2.x", "os2", "2.6.0", "elasticsearch/opensearch-2.6.0/root.json", "os", "OpenSearch"),
    ("opensearch-compat-7.10.2", "oscompat", "2.6.0", "elasticsearch/opensearch-2.6.0/root.json", "os", "OpenSearch"),
]

# the Kibana in front of some open clusters stores its .kibana index there (5.x/6.x show it in _cat/indices)
_KIBANA_BACKED = {"2.x": 4, "5.x": 5, "6.8": 6}

for n, (key, gen, ver, root, variant, product) in enumerate(_ES_LINES, start=1):
    inds = es_seed(variant)
    if key in _KIBANA_BACKED:
        inds = [kibana_index(_KIBANA_BACKED[key])] + inds
    _es("es-%s-open" % key if product == "Elasticsearch" else "%s-open" % key, "127.0.20.%d" % n, gen, ver, root,
        False, inds, product)
    _es("es-%s-auth" % key if product == "Elasticsearch" else "%s-auth" % key, "127.0.21.%d" % n, gen, ver, root,
        True, es_seed(variant)[:4], product)

# reported version of the compat-mode OpenSearch (what GET / says)
for e in ES:
    if e["gen"] == "oscompat":
        e["version"] = "7.10.2"
        e["real_version"] = "2.6.0"

# Shanghai: three ES 5.5 clusters behind three HTTPS Kibanas 5.5.3 sharing one certificate.
_SH = [
    # person_info_2019 docs, bytes; case_records; address_book
    (312_558_901, int(1.42 * TB), 151_003_442, int(0.61 * TB), 88_310_774, int(0.19 * TB)),
    (287_104_233, int(1.31 * TB), 98_554_120, int(0.40 * TB), 120_877_015, int(0.26 * TB)),
    (401_992_518, int(1.83 * TB), 176_219_884, int(0.72 * TB), 64_005_310, int(0.14 * TB)),
]
for i, (pd, pb, cd, cb, ad, ab) in enumerate(_SH, start=1):
    _es("es-shanghai-%d" % i, "127.0.31.%d" % i, "5", "5.5.1", "elasticsearch/5.5.1/root.json", False, [
        kibana_index(5),
        idx("person_info_2019", pd, pb, F_PERSON, deleted=1022 * i, pri=5, rep=0, doc_type="person"),
        idx("person_info_2018", pd // 3, pb // 3, F_PERSON, pri=5, rep=0, doc_type="person"),
        idx("case_records", cd, cb, F_CASES, pri=5, rep=0, doc_type="case"),
        idx("address_book", ad, ab, F_ADDRBOOK, pri=5, rep=0, doc_type="contact"),
        idx("contact_for_data", 1, 5 * 1024 + 211, F_RANSOM, pri=5, rep=0, doc_type="note"),
    ], override={"name": "node-sh%02d" % i, "cluster_name": "es-cn-shanghai-%d" % i,
                 "cluster_uuid": "Sh%d" % i + _h("sh", i)[:20]},
        notes="Shanghai case backend")

# ------------------------------------------------------------------ Kibana
# gen: 4.1 (Express, no kbn headers), 4.5, 5, 6.0 (6.0-6.3), 6.4 (6.4-6.8), 7, 8
KIBANA = []


def _kb(id_, addr, gen, version, login, via, name="kibana", tls=None, notes=""):
    KIBANA.append({"id": id_, "address": addr, "port": 5601, "gen": gen, "version": version, "login": login,
                   "via": via, "name": name, "tls": tls, "notes": notes})


_kb("kibana-4.x-open", "127.0.22.1", "4.5", "4.5.4", False, "es-2.x-open")
_kb("kibana-5.x-open", "127.0.22.2", "5", "5.2.0", False, "es-5.x-open", name="esc1d1")
_kb("kibana-6.x-open", "127.0.22.3", "6.0", "6.3.0", False, "es-6.8-open", name="my-kibana")
_kb("kibana-7.x-open", "127.0.22.4", "7", "7.10.2", False, "es-7.10-open", name="5d39af7807b3")
_kb("kibana-8.x-open", "127.0.22.5", "8", "8.15.0", False, "es-8.x-open", name="ubuntu2204")
_kb("kibana-4.x-login", "127.0.23.1", "4.1", "4.1.0", True, "es-1.x-auth")
_kb("kibana-5.x-login", "127.0.23.2", "5", "5.1.1", True, "es-5.x-auth")
_kb("kibana-6.x-login", "127.0.23.3", "6.4", "6.8.23", True, "es-6.8-auth", name="kibana-68")
_kb("kibana-7.x-login", "127.0.23.4", "7", "7.17.9", True, "es-7.17-auth", name="f382d92d1bda")
_kb("kibana-8.x-login", "127.0.23.5", "8", "8.15.0", True, "es-8.x-auth", name="kibana-prod")
for i in (1, 2, 3):
    _kb("kibana-shanghai-%d" % i, "127.0.30.%d" % i, "5", "5.5.3", False, "es-shanghai-%d" % i,
        name="kibana", tls="shanghai", notes="Shanghai case")

# ------------------------------------------------------------------ MongoDB
# proto: "legacy" (OP_QUERY/OP_REPLY only) or "msg" (OP_MSG, plus OP_QUERY handshake)
MONGO = []

MB = 1024 * 1024


def coll(name, count, size, fields=(), nindexes=1):
    avg = size // count if count else 0
    storage = int(size * 0.42) + 4096 if size else 4096
    return {"name": name, "count": count, "size": size, "avgObjSize": avg, "storageSize": storage,
            "nindexes": nindexes, "totalIndexSize": 4096 * nindexes + (count // 50) * 64,
            "fields": list(fields)}


def mongo_seed(variant, auth):
    dbs = {
        "admin": [coll("system.version", 1, 59)],
        "local": [coll("startup_log", 3, 3 * 1650)],
        "crm": [coll("customers", 812_442, 812_442 * 389, ("full_name", "passport_no", "phone"), nindexes=3),
                coll("leads", 55_120, 55_120 * 244, ("full_name", "email"))],
        "shop": [coll("orders", 2_311_004, 2_311_004 * 301, ("order_id", "amount", "card_last4"), nindexes=2),
                 coll("products", 12_880, 12_880 * 910)],
        "metrics": [coll("metrics", 1_900_233, 1_900_233 * 96)],
    }
    if variant >= (3, 6):
        dbs["config"] = [coll("system.sessions", 0, 0, nindexes=2)]
    if auth:
        dbs.pop("metrics")
    if variant <= (2, 6):
        dbs["local"] = [coll("startup_log", 3, 3 * 1480)]
    return dbs


_MONGO_LINES = [
    # key, version, proto, maxWire, buildinfo recording
    ("2.6", "2.6.11", "legacy", 2, "mongodb/2.6.11-enterprise/buildinfo.json"),
    ("3.2", "3.2.0-rc2", "legacy", 4, "mongodb/3.2.0-rc2-enterprise/buildinfo.json"),
    ("3.6", "3.6.4", "msg", 6, None),
    ("4.4", "4.4.29", "msg", 9, None),
    ("6.0", "6.0.6", "msg", 17, "mongodb/6.0.6-windows/buildinfo.json"),
]
for n, (key, ver, proto, wire, bi) in enumerate(_MONGO_LINES, start=1):
    vt = tuple(int(x) for x in ver.split("-")[0].split(".")[:2])
    for auth, net in ((False, 25), (True, 26)):
        MONGO.append({"id": "mongodb-%s-%s" % (key, "auth" if auth else "open"), "address": "127.0.%d.%d" % (net, n),
                      "port": 27017, "version": ver, "vt": vt, "proto": proto, "maxWire": wire, "buildinfo": bi,
                      "auth": auth, "dbs": mongo_seed(vt, auth)})

# The TLS variant (net.tls.mode requireTLS): a 6.0 that speaks only inside TLS, its own self-signed
# certificate (emulab.ensure_mongo_cert), open, on 127.0.27.1.
MONGO.append({"id": "mongodb-6.0-tls-open", "address": "127.0.27.1", "port": 27017, "version": "6.0.6",
              "vt": (6, 0), "proto": "msg", "maxWire": 17, "buildinfo": "mongodb/6.0.6-windows/buildinfo.json",
              "auth": False, "dbs": mongo_seed((6, 0), False), "tls": True})


def by_id(id_):
    for t in (ES, KIBANA, MONGO):
        for e in t:
            if e["id"] == id_:
                return e
    raise KeyError(id_)
