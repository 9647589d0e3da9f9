# EMULATED Microsoft SQL Server (TDS 7.x) for ajar's lab.
#
# No SQL Server can run on the lab machines, so these instances answer with recorded bytes
# only: tests/fixtures/recorded/mssql/*.hex (sources in tests/fixtures/recorded/SOURCES.md).
# What this file writes itself is protocol plumbing, never an answer's content:
#   - the TLS handshake that TDS 7.x wraps in PRELOGIN packets (a real TLS server: Python's
#     ssl module over memory BIOs; each flight is sent as type-0x12 packets with the EOM bit,
#     as FreeTDS #129 and tedious #610 show servers doing), with a self-signed certificate whose
#     CN is SSL_Self_Signed_Fallback, the name SQL Server gives the certificate it makes itself
#     (zgrab2's mssql-2017-linux recording);
#   - after the recorded answers run out, the connection is closed.
# Every recorded answer goes out byte for byte (a full TDS packet as recorded).
#
# Instances (127.0.51.1-4, port 1433):
#   mssql-2008-sp3-open-sa      PRELOGIN 10.0.5512 (ENCRYPT_NOT_SUP), the LOGIN7 success of the
#                               same server, then the recorded SELECT answer (3 columns: int,
#                               nvarchar, int: 2, 'orange', 154) for the databases batch; closed
#                               at the next batch (no recorded per-database answer).
#   mssql-2014-locked           PRELOGIN 12.0.6024 (ENCRYPT_OFF: TLS for the login only, then
#                               plain), ERROR 18456 "Login failed for user 'sa'." (SQLTEST).
#   mssql-2012-tls-locked       PRELOGIN 11.0.3000 (ENCRYPT_ON: everything inside TLS), the same
#                               18456 answer inside TLS. (No recorded ENCRYPT_REQ (0x03) answer
#                               exists; ON asks the client for the same: all traffic encrypted.)
#   mssql-2008-sp2-tls-open-sa  PRELOGIN 10.0.4000 (ENCRYPT_ON), then inside TLS the 10.0.5512
#                               LOGIN7 success and the SELECT answer (the LOGINACK version
#                               differs from the PRELOGIN one: two recordings of two servers).
#
# Every LOGIN7 is checked: SQL authentication, user "sa", an empty password; anything else is
# logged and answered with the recorded 18456. Every batch must be a SELECT over sys.*.
#
# Python 3 standard library only.

import os
import socket
import ssl
import struct
import subprocess

import emu_core

PLUGIN = True

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
REC = os.path.join(ROOT, "tests", "fixtures", "recorded", "mssql")

PRE_2008_SP3 = "10.0.5512/prelogin_response.hex"
PRE_2014 = "12.0.6024/prelogin_response.hex"
PRE_2012 = "11.0.3000/prelogin_response.hex"
PRE_2008_SP2 = "10.0.4000/prelogin_response.hex"
LOGIN_OK = "10.0.5512/login7_response_success.hex"
LOGIN_FAILED = "unknown-version/login7_error_18456_sa.hex"
SELECT = "unknown-version/sql_batch_response_intn_nvarchar_intn.hex"

# what ajar reads from the SELECT answer: one database "orange", 154 pages of 8 KB
OPEN_DATA = {"databases": 1, "names": ["orange"], "names_total": 1, "bytes": 154 * 8192}

INSTANCES = [
    {"id": "mssql-2008-sp3-open-sa", "address": "127.0.51.1", "port": 1433, "prelogin": PRE_2008_SP3,
     "login": LOGIN_OK, "batches": [SELECT], "version": "10.0.5512", "auth": "none", "data": OPEN_DATA},
    {"id": "mssql-2014-locked", "address": "127.0.51.2", "port": 1433, "prelogin": PRE_2014,
     "login": LOGIN_FAILED, "batches": [], "version": "12.0.6024", "auth": "required", "data": None},
    {"id": "mssql-2012-tls-locked", "address": "127.0.51.3", "port": 1433, "prelogin": PRE_2012,
     "login": LOGIN_FAILED, "batches": [], "version": "11.0.3000", "auth": "required", "data": None},
    {"id": "mssql-2008-sp2-tls-open-sa", "address": "127.0.51.4", "port": 1433, "prelogin": PRE_2008_SP2,
     "login": LOGIN_OK, "batches": [SELECT], "version": "10.0.4000", "auth": "none", "data": OPEN_DATA},
]

MAX_MSG = 64 * 1024  # a client message larger than this is not ajar's


def load_hex(rel):
    """The bytes of a recorded .hex file (hex pairs, '#' comments)."""
    out = bytearray()
    with open(os.path.join(REC, rel)) as f:
        for ln in f:
            ln = ln.split("#", 1)[0].strip()
            if ln:
                out += bytes.fromhex(ln)
    return bytes(out)


def prelogin_encryption(answer):
    """The ENCRYPTION option of a recorded PRELOGIN answer (payload after the 8-byte header)."""
    p = answer[8:]
    i = 0
    while i + 5 <= len(p) and p[i] != 0xFF:
        tok, off, ln = p[i], struct.unpack(">H", p[i + 1:i + 3])[0], struct.unpack(">H", p[i + 3:i + 5])[0]
        if tok == 1 and ln >= 1 and off < len(p):
            return p[off]
        i += 5
    return None


def ensure_cert(lab):
    d = os.path.join(lab, "certs")
    os.makedirs(d, exist_ok=True)
    crt, key = os.path.join(d, "emu-mssql.crt"), os.path.join(d, "emu-mssql.key")
    if not (os.path.exists(crt) and os.path.exists(key)):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt,
                        "-days", "825", "-subj", "/CN=SSL_Self_Signed_Fallback"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
        os.chmod(key, 0o600)
    return crt, key


class Conn:
    """Byte source over the socket, or over a TLS session (memory BIOs) once one is up."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.tls = None  # (SSLObject, incoming BIO, outgoing BIO)
        self.tls_read = False
        self.tls_write = False

    def _more(self):
        d = self.sock.recv(65536)
        if not d:
            raise EOFError
        if not self.tls_read:
            self.buf += d
            return
        obj, inc, _ = self.tls
        inc.write(d)
        while True:
            try:
                self.buf += obj.read(65536)
            except ssl.SSLWantReadError:
                return

    def packet(self):
        """(type, status, payload) of the next TDS packet."""
        while len(self.buf) < 8:
            self._more()
        t, status, ln = self.buf[0], self.buf[1], struct.unpack(">H", self.buf[2:4])[0]
        if ln < 8:
            raise EOFError
        while len(self.buf) < ln:
            self._more()
        pkt, self.buf = self.buf[:ln], self.buf[ln:]
        return t, status, pkt[8:]

    def message(self):
        """(type, payload) of a whole message (packets up to the EOM bit)."""
        t0, data = None, b""
        while True:
            t, status, p = self.packet()
            t0 = t if t0 is None else t0
            data += p
            if len(data) > MAX_MSG:
                raise EOFError
            if status & 1:
                return t0, data

    def send(self, data):
        if not self.tls_write:
            self.sock.sendall(data)
            return
        obj, _, out = self.tls
        obj.write(data)
        self.sock.sendall(out.read())


def tds_packets(ptype, payload, first_id=1):
    out, i, pid = b"", 0, first_id
    while True:
        chunk = payload[i:i + 4088]
        i += len(chunk)
        last = i >= len(payload)
        out += struct.pack(">BBHHBB", ptype, 1 if last else 0, len(chunk) + 8, 0, pid & 0xFF, 0) + chunk
        pid += 1
        if last:
            return out


def tls_handshake(conn, ctx):
    """The server side of the TLS handshake carried in PRELOGIN (0x12) packets."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_side=True)
    while True:
        t, _status, payload = conn.packet()
        if t != 0x12:
            raise EOFError
        inc.write(payload)
        try:
            obj.do_handshake()
            done = True
        except ssl.SSLWantReadError:
            done = False
        flight = out.read()
        if flight:
            conn.sock.sendall(tds_packets(0x12, flight))
        if done:
            conn.tls = (obj, inc, out)
            return


def login7_user(payload):
    """(user, password length, integrated) of a LOGIN7 payload (MS-TDS 2.2.6.4)."""
    if len(payload) < 94:
        raise ValueError("short LOGIN7")
    total = struct.unpack("<I", payload[0:4])[0]
    if total != len(payload):
        raise ValueError("LOGIN7 length %d, payload %d" % (total, len(payload)))
    ib, cch = struct.unpack("<HH", payload[40:44])
    user = payload[ib:ib + 2 * cch].decode("utf-16-le")
    pw = struct.unpack("<H", payload[46:48])[0]
    integrated = bool(payload[25] & 0x80)
    return user, pw, integrated


def batch_text(payload):
    if payload[:4] == b"\x16\x00\x00\x00":  # ALL_HEADERS of TDS 7.2+
        payload = payload[22:]
    return payload.decode("utf-16-le")


class Mssql:
    def __init__(self, inst, lab):
        self.inst = inst
        self.pre = load_hex(inst["prelogin"])
        self.enc = prelogin_encryption(self.pre)
        self.login = load_hex(inst["login"])
        self.batches = [load_hex(b) for b in inst["batches"]]
        self.ctx = None
        if self.enc in (0, 1, 3):
            crt, key = ensure_cert(lab)
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            self.ctx.load_cert_chain(crt, key)

    def handle(self, c, peer):
        name = self.inst["id"]
        conn = Conn(c)
        try:
            t, _ = conn.message()
            if t != 0x12:
                return  # SQL Server hangs up on anything but a PRELOGIN first
            c.sendall(self.pre)
            if self.ctx is not None:
                tls_handshake(conn, self.ctx)
                conn.tls_read = conn.tls_write = True
            t, payload = conn.message()
            if t != 0x10:
                return
            if self.enc == 0:  # ENCRYPT_OFF: only the login travelled inside TLS
                conn.tls_read = conn.tls_write = False
            try:
                user, pw, integrated = login7_user(payload)
            except (ValueError, UnicodeDecodeError) as e:
                emu_core.log("%s: bad LOGIN7 from %s: %s" % (name, peer[0], e))
                return
            ok = user == "sa" and pw == 0 and not integrated
            if not ok:
                emu_core.log("%s: LOGIN7 user %r password length %d integrated %s" % (name, user, pw, integrated))
            conn.send(self.login if ok else load_hex(LOGIN_FAILED))
            if not ok or self.inst["auth"] != "none":
                return
            for answer in self.batches:
                t, payload = conn.message()
                text = batch_text(payload) if t == 0x01 else ""
                if t != 0x01 or not text.startswith("SELECT") or "sys." not in text:
                    emu_core.log("%s: unexpected request type 0x%02x %r" % (name, t, text[:80]))
                    return
                conn.send(answer)
            conn.message()  # one more batch: no recorded answer for it, hang up
        except (EOFError, OSError, ssl.SSLError):
            return


# ---- the plugin interface emulab.py uses

def listeners():
    return [(i["address"], i["port"]) for i in INSTANCES]


def serve(srv, lab):
    for i in INSTANCES:
        srv.listen(i["address"], i["port"], Mssql(i, lab).handle, name=i["id"])


def manifest(lab, cert_facts):
    out = []
    for i in INSTANCES:
        enc = prelogin_encryption(load_hex(i["prelogin"]))
        tls = cert_facts(ensure_cert(lab)[0]) if enc in (0, 1, 3) else None
        note = ("recorded answers: tests/fixtures/recorded/mssql/%s, %s%s (see tests/lab/emu/emu_mssql.py)"
                % (i["prelogin"], i["login"], "".join(", " + b for b in i["batches"])))
        if enc == 0:
            note += "; ENCRYPT_OFF: the login inside TLS (wrapped in PRELOGIN packets), the rest plain"
        elif enc in (1, 3):
            note += "; ENCRYPT_ON: everything after the PRELOGIN inside TLS (handshake wrapped in PRELOGIN packets)"
        out.append({"id": i["id"], "address": i["address"], "port": i["port"],
                    "transport": "tls" if tls else "plain", "service": "mssql",
                    "product": "Microsoft SQL Server", "version": i["version"], "auth": i["auth"],
                    "tls": tls, "data": i["data"], "via": None, "kind": "emulated", "notes": note})
    return out


if __name__ == "__main__":
    for i in INSTANCES:
        print("%s %s:%d %s" % (i["id"], i["address"], i["port"], i["prelogin"]))
