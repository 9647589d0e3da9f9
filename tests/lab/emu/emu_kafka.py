# EMULATED Apache Kafka brokers for ajar's lab (a plugin of emulab.py: PLUGIN = True).
#
# Kafka cannot be installed on the lab machines (no Debian or npm package; Maven is not
# reachable). These brokers answer the two requests ajar's probe sends -- ApiVersions
# (api key 18) and Metadata (api key 3) -- with RECORDED answers only: the files of
# tests/fixtures/recorded/kafka-broker/ (rows kafka-broker/* of tests/fixtures/recorded/SOURCES.md).
# The one thing written here is the framing: each answer is sent as
#     int32 size | int32 correlation id (copied from the request) | the recorded body
# i.e. the recorded correlation id is REWRITTEN to the request's, and bodies the source stored
# without a size prefix get one. Nothing else is changed or invented.
#
# What each profile has on record (anything else -> the connection is closed, as a broker
# closes on a request it cannot parse; a SASL listener closes on every request but ApiVersions
# and SaslHandshake before authentication, and SaslHandshake has no recording either):
#   "2.6"    ApiVersions v4 (or any version above 3): the UNSUPPORTED_VERSION answer listing
#            ApiVersions 0-3 (2.6/02); ApiVersions v3: the 50-key table (2.6/04);
#            Metadata v8: one broker localhost:47485, cluster 34wjNp3hRJixCRvMlK9Znw, no topic
#            (2.6/08) -- one recorded kafka-python session.
#   "4.0"    ApiVersions v4: the 61-key table with its feature tags (4.0/...).
#   "0.10.2" ApiVersions v1 and above: 0.10.2.1's UNSUPPORTED_VERSION answer, empty list
#            (0.10.2.1/...); ApiVersions v0: the 21-key table (0.10.2/...).
#
# Instances (127.0.50.1-40 are this family's addresses):
#   127.0.50.1:9092  kafka-2.6-open       profile 2.6, Metadata answered -> auth none
#   127.0.50.2:9092  kafka-2.6-sasl       profile 2.6, SASL listener: Metadata -> closed
#   127.0.50.3:9092  kafka-4.0-sasl       profile 4.0, SASL listener
#   127.0.50.4:9092  kafka-0.10.2-sasl    profile 0.10.2, SASL listener
#   127.0.50.5:9093  kafka-2.6-open-tls   profile 2.6 inside TLS (a self-signed certificate made
#                                         once per lab), Metadata answered
#   127.0.50.6:19092 kafka-2.6-open-odd-port  profile 2.6 on a port no catalogue entry claims (the
#                                         engine must find Kafka by its probe order: it closes
#                                         in silence on the HTTP dispatcher's GET)
#
# Python 3 standard library only.

import os
import ssl
import struct
import subprocess

import emu_core

PLUGIN = True

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
FIX = os.path.join(ROOT, "tests", "fixtures", "recorded", "kafka-broker")

MAX_REQUEST = 1 << 20  # a broker's socket.request.max.bytes is 100 MB; ajar's requests are tiny

INSTANCES = [
    {"id": "kafka-2.6-open", "address": "127.0.50.1", "port": 9092, "profile": "2.6", "sasl": False, "tls": False},
    {"id": "kafka-2.6-sasl", "address": "127.0.50.2", "port": 9092, "profile": "2.6", "sasl": True, "tls": False},
    {"id": "kafka-4.0-sasl", "address": "127.0.50.3", "port": 9092, "profile": "4.0", "sasl": True, "tls": False},
    {"id": "kafka-0.10.2-sasl", "address": "127.0.50.4", "port": 9092, "profile": "0.10.2", "sasl": True,
     "tls": False},
    {"id": "kafka-2.6-open-tls", "address": "127.0.50.5", "port": 9093, "profile": "2.6", "sasl": False,
     "tls": True},
    {"id": "kafka-2.6-open-odd-port", "address": "127.0.50.6", "port": 19092, "profile": "2.6", "sasl": False,
     "tls": False},
]

VERSIONS = {"2.6": "2.6", "4.0": "4.0", "0.10.2": "0.10.2"}  # what ajar infers from each table


def hexfile(rel):
    """Bytes of a recorded .hex fixture ('#' lines are its provenance comments)."""
    out = bytearray()
    with open(os.path.join(FIX, rel)) as f:
        for ln in f:
            ln = ln.strip()
            if ln and not ln.startswith("#"):
                out += bytes.fromhex(ln)
    return bytes(out)


def _body_of_frame(b):
    """A recorded full frame (size, correlation id, body) -> the body."""
    return b[8:]


def bodies(profile):
    """{(api_key, 'apiv'|'meta', version-selector): body} of a profile; see answer()."""
    if profile == "2.6":
        return {
            "apiv_high": _body_of_frame(hexfile("2.6/02_apiversions_v4_unsupported_response.hex")),
            "apiv_3": _body_of_frame(hexfile("2.6/04_apiversions_v3_response.hex")),
            "meta_8": _body_of_frame(hexfile("2.6/08_metadata_v8_response_all_topics.hex")),
        }
    if profile == "4.0":
        # the source stored correlation id + body (no size): drop the correlation id
        return {"apiv_4": hexfile("4.0/apiversions_v4_response_with_features.hex")[4:]}
    if profile == "0.10.2":
        return {
            "apiv_high": hexfile("0.10.2.1/apiversions_unsupported_version_response.body.hex"),
            "apiv_0": hexfile("0.10.2/apiversions_v0_response.body.hex"),
        }
    raise ValueError(profile)


def answer(inst, b, key, version):
    """The recorded body for this request, or None (close the connection)."""
    if key == 18:
        if ("apiv_%d" % version) in b:
            return b["apiv_%d" % version]
        hi = {"2.6": 3, "0.10.2": 0, "4.0": 4}[inst["profile"]]
        if version > hi and "apiv_high" in b:
            return b["apiv_high"]
        return None
    if inst["sasl"]:
        return None  # not authenticated: only ApiVersions (and SaslHandshake) are served
    if key == 3:
        return b.get("meta_%d" % version)
    return None


def _read(c, n):
    buf = b""
    while len(buf) < n:
        chunk = c.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def handler(inst):
    b = bodies(inst["profile"])

    def handle(c, peer):
        while True:
            hdr = _read(c, 4)
            if hdr is None:
                return
            size = struct.unpack(">i", hdr)[0]
            if size < 8 or size > MAX_REQUEST:
                return  # what a broker does with "GET " (a 1.2 GB size): hang up
            req = _read(c, size)
            if req is None:
                return
            key, version, cid = struct.unpack(">hhi", req[:8])
            body = answer(inst, b, key, version)
            if body is None:
                return
            c.sendall(struct.pack(">ii", len(body) + 4, cid) + body)
    return handle


def ensure_cert(lab):
    d = os.path.join(lab, "certs")
    os.makedirs(d, exist_ok=True)
    crt, key = os.path.join(d, "emu-kafka.crt"), os.path.join(d, "emu-kafka.key")
    if not (os.path.exists(crt) and os.path.exists(key)):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                        "-days", "825", "-subj", "/O=Ajar Lab emulation/CN=kafka-tls.lab.example",
                        "-addext", "subjectAltName=DNS:kafka-tls.lab.example,IP:127.0.50.5"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
        os.chmod(key, 0o600)
    return crt, key


# ---- the plugin interface emulab.py uses

def listeners():
    return [(i["address"], i["port"]) for i in INSTANCES]


def serve(srv, lab):
    ctx = None
    for i in INSTANCES:
        tls = None
        if i["tls"]:
            if ctx is None:
                crt, key = ensure_cert(lab)
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(crt, key)
            tls = ctx
        srv.listen(i["address"], i["port"], handler(i), tls_ctx=tls, name=i["id"])


def manifest(lab, cert_facts):
    out = []
    for i in INSTANCES:
        emu_core.check_loopback(i["address"])
        tls = cert_facts(ensure_cert(lab)[0]) if i["tls"] else None
        open_ = not i["sasl"]
        note = ("recorded Kafka %s answers (tests/fixtures/recorded/kafka-broker, see emu_kafka.py header); "
                "correlation ids rewritten to the request's" % i["profile"])
        note += "; SASL listener: Metadata closes the connection" if i["sasl"] else "; Metadata v8 answered"
        out.append({"id": i["id"], "address": i["address"], "port": i["port"],
                    "transport": "tls" if i["tls"] else "plain", "service": "kafka", "product": "Apache Kafka",
                    "version": VERSIONS[i["profile"]], "auth": "none" if open_ else "required", "tls": tls,
                    "data": {"databases": None, "collections": 0, "records": None, "bytes": None, "names": [],
                             "fields": []} if open_ else None,
                    "via": None, "kind": "emulated", "notes": note})
    return out


if __name__ == "__main__":
    for i in INSTANCES:
        print("%s %s:%d profile %s%s%s" % (i["id"], i["address"], i["port"], i["profile"],
                                           " sasl" if i["sasl"] else "", " tls" if i["tls"] else ""))
