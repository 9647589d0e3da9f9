# EMULATED services for ajar's lab - shared plumbing (no product behaviour here).
#
# What it is for: the emulators of Elasticsearch, Kibana and MongoDB (emu_es.py,
# emu_kibana.py, emu_mongo.py) all need the same things: listening sockets on
# loopback addresses, one thread per connection with a cap (bounded memory), an
# optional TLS wrap, and a small HTTP/1.1 request parser that lets each emulator
# write its status line and header list byte for byte as the recordings show
# (header case and order differ by product and version, so http.server, which
# adds Server/Date headers of its own, is not used).
#
# Recorded responses live in recorded/ (copies of /work/shared/fixtures files,
# see recorded/SOURCE.md); load_recorded() reads them.
#
# Python 3 standard library only.

import ipaddress
import re
import json
import os
import socket
import ssl
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RECORDED = os.path.join(HERE, "recorded")

MAX_CONNS = 512          # per process; beyond that new connections are closed at once
IDLE_TIMEOUT = 15.0      # seconds a keep-alive connection may sit idle
MAX_HEADER = 32 * 1024   # request line + headers
MAX_BODY = 256 * 1024    # request body (console proxy posts are tiny)


_CACHE = {}


def load_recorded(rel, binary=False):
    """Bytes (or text) of a recorded fixture: from $EMU_FIXTURES (emulab.py --fixtures) if set and
    the file is there, else from the copy under recorded/."""
    if rel not in _CACHE:
        alt = os.environ.get("EMU_FIXTURES")
        path = os.path.join(alt, rel) if alt else None
        if not path or not os.path.exists(path):
            path = os.path.join(RECORDED, rel)
        with open(path, "rb") as f:
            _CACHE[rel] = f.read()
    data = _CACHE[rel]
    return data if binary else data.decode("utf-8")


def check_loopback(addr):
    if not ipaddress.ip_address(addr).is_loopback:
        raise SystemExit("refusing to bind non-loopback address %s" % addr)


def log(msg):
    sys.stderr.write("%s %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


# ---------------------------------------------------------------- listeners

threading.stack_size(256 * 1024)   # many small connection threads; keeps memory bounded


class Server:
    """Owns listeners; each accepted connection runs handler(conn, peer, listener_info)
    in its own daemon thread. A semaphore bounds the number of live connections."""

    def __init__(self):
        self.sem = threading.BoundedSemaphore(MAX_CONNS)
        self.threads = []
        self.socks = []

    def listen(self, addr, port, handler, tls_ctx=None, name=""):
        check_loopback(addr)
        s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, port))
        s.listen(128)
        self.socks.append(s)
        t = threading.Thread(target=self._accept_loop, args=(s, handler, tls_ctx, name), daemon=True)
        self.threads.append(t)
        return t

    def start(self):
        for t in self.threads:
            t.start()

    def _accept_loop(self, s, handler, tls_ctx, name):
        while True:
            try:
                c, peer = s.accept()
            except OSError:
                time.sleep(0.05)
                continue
            if not self.sem.acquire(blocking=False):
                c.close()
                continue
            threading.Thread(target=self._run, args=(c, peer, handler, tls_ctx, name), daemon=True).start()

    def _run(self, c, peer, handler, tls_ctx, name):
        try:
            c.settimeout(IDLE_TIMEOUT)
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if tls_ctx is not None:
                c = tls_ctx.wrap_socket(c, server_side=True)
            handler(c, peer)
        except (OSError, ssl.SSLError, ValueError):
            pass
        except Exception as e:  # never let one connection kill the process
            log("%s: handler error %r" % (name, e))
        finally:
            try:
                c.close()
            except OSError:
                pass
            self.sem.release()

    def serve_forever(self):
        self.start()
        while True:
            time.sleep(3600)


# ---------------------------------------------------------------- HTTP/1.1

class Request:
    def __init__(self, method, target, version, headers, body):
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers          # list of (name, value) as received
        self.body = body
        path, _, query = target.partition("?")
        self.path = path
        self.query_string = query
        from urllib.parse import parse_qs
        self.query = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}

    def header(self, name, default=None):
        n = name.lower()
        for k, v in self.headers:
            if k.lower() == n:
                return v
        return default


class Response:
    """status line + ordered header list + body. Header names are written exactly as given.
    Emulators put Content-Length themselves (name case differs by product); if none is
    present and the response is not chunked, one is appended as 'content-length'."""

    def __init__(self, status, reason, headers, body=b"", chunked=False, close=False,
                 head_headers=None, version="HTTP/1.1"):
        self.status = status
        self.reason = reason
        self.headers = list(headers)
        self.body = body if isinstance(body, bytes) else body.encode("utf-8")
        self.chunked = chunked
        self.close = close
        self.head_headers = head_headers   # exact header list for HEAD if it differs
        self.version = version

    def serialize(self, head=False):
        hdrs = self.head_headers if (head and self.head_headers is not None) else self.headers
        names = [k.lower() for k, _ in hdrs]
        if (not self.chunked and "content-length" not in names and not (head and self.head_headers is not None)):
            hdrs = hdrs + [("content-length", str(len(self.body)))]
        out = ["%s %d %s\r\n" % (self.version, self.status, self.reason)]
        for k, v in hdrs:
            out.append("%s: %s\r\n" % (k, v))
        out.append("\r\n")
        data = "".join(out).encode("latin-1")
        if head:
            return data
        if self.chunked:
            if self.body:
                data += b"%x\r\n" % len(self.body) + self.body + b"\r\n"
            return data + b"0\r\n\r\n"
        return data + self.body


_METHOD = re.compile(rb"^[A-Z]{1,15}( |$)")


def _read_request(c, buf):
    """Returns (Request, rest_of_buffer) or (None, b'') at EOF / on garbage."""
    while b"\r\n\r\n" not in buf:
        if len(buf) > MAX_HEADER:
            return None, b""
        chunk = c.recv(65536)
        if not chunk:
            return None, b""
        buf += chunk
        if not _METHOD.match(buf[:16]):   # not HTTP (e.g. a TLS ClientHello on a plain port): hang up
            return None, b""
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        return None, b""
    headers = []
    for ln in lines[1:]:
        if ":" in ln:
            k, _, v = ln.partition(":")
            headers.append((k.strip(), v.strip()))
    req = Request(parts[0], parts[1], parts[2], headers, b"")
    te = (req.header("transfer-encoding") or "").lower()
    if "chunked" in te:
        body = b""
        while True:
            while b"\r\n" not in rest:
                chunk = c.recv(65536)
                if not chunk:
                    return None, b""
                rest += chunk
            line, _, rest = rest.partition(b"\r\n")
            n = int(line.split(b";")[0].strip() or b"0", 16)
            if n == 0:
                while b"\r\n" not in rest:
                    chunk = c.recv(65536)
                    if not chunk:
                        return None, b""
                    rest += chunk
                rest = rest.partition(b"\r\n")[2]
                break
            if len(body) + n > MAX_BODY:
                return None, b""
            while len(rest) < n + 2:
                chunk = c.recv(65536)
                if not chunk:
                    return None, b""
                rest += chunk
            body += rest[:n]
            rest = rest[n + 2:]
        req.body = body
        return req, rest
    try:
        n = int(req.header("content-length") or "0")
    except ValueError:
        return None, b""
    if n < 0 or n > MAX_BODY:
        return None, b""
    while len(rest) < n:
        chunk = c.recv(65536)
        if not chunk:
            return None, b""
        rest += chunk
    req.body = rest[:n]
    return req, rest[n:]


def http_handler(app, first_bytes_hook=None):
    """Wrap app(Request) -> Response into a connection handler with keep-alive.
    first_bytes_hook(c, first) may take over a connection whose first bytes are not HTTP."""

    def handle(c, peer):
        buf = b""
        while True:
            req, buf = _read_request(c, buf)
            if req is None:
                return
            try:
                resp = app(req)
            except Exception as e:
                log("app error %r on %s %s" % (e, req.method, req.target))
                resp = Response(500, "Internal Server Error", [("content-type", "text/plain")], b"emulator error\n")
            c.sendall(resp.serialize(head=(req.method == "HEAD")))
            conn_hdr = (req.header("connection") or "").lower()
            if resp.close or conn_hdr == "close" or (req.version == "HTTP/1.0" and conn_hdr != "keep-alive"):
                return

    return handle


# ---------------------------------------------------------------- JSON renderings

def jackson_pretty(obj, indent=0):
    """JSON as Elasticsearch's ?pretty renders it (Jackson DefaultPrettyPrinter):
    '"key" : value', two-space indent, arrays inline '[ a, b ]' with objects opening on the same line."""
    sp = "  " * indent
    if isinstance(obj, dict):
        if not obj:
            return "{ }"
        items = []
        for k, v in obj.items():
            items.append("%s  %s : %s" % (sp, json.dumps(k, ensure_ascii=False), jackson_pretty(v, indent + 1)))
        return "{\n" + ",\n".join(items) + "\n" + sp + "}"
    if isinstance(obj, list):
        if not obj:
            return "[ ]"
        return "[ " + ", ".join(jackson_pretty(v, indent) for v in obj) + " ]"
    return json.dumps(obj, ensure_ascii=False)


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def http_date():
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())
