#!/usr/bin/env python3
"""Hostile servers for ajar: every way a listener can try to hang, flood or
confuse a scanner, one behaviour per loopback address of 127.0.190.0/24, on
the ports ajar tries (9200, 6379, 5601, 27017, 5432, 443).

    hostile.py up [--ttl SECONDS]   start them (one background process), wait until they listen
    hostile.py down                 stop them (the pid recorded in the state directory)
    hostile.py status               say whether they run
    hostile.py list                 the ADDR:PORT behaviour table

The state directory is $AJAR_HOSTILE_DIR (default /tmp/ajar-hostile): pid,
log, ready. The servers stop themselves after --ttl seconds (default 600) even
if nobody calls down, and every connection handler is bounded by that too.
Only loopback addresses are ever bound. Python 3 standard library only.

Behaviours (address -> what every port of it does):
  .1  silent     accept, never send, never close
  .2  drip       an HTTP/Redis-looking answer, one byte per second, forever
  .3  flood      endless data as fast as the reader takes it (no newline)
  .4  huge-cl    HTTP 200 with Content-Length: 10 GB, then endless body
  .5  chunked    HTTP 200 chunked, endless 4 KB chunks
  .6  tls-bad    a TLS record header claiming 64 KB of handshake, then garbage
  .7  tls-trunc  the first 20 bytes of a TLS ServerHello record, then silence
  .8  tls-close  the first 20 bytes of a TLS ServerHello record, then close
  .9  deep-json  Elasticsearch-looking: `/` answers JSON nested 100,000 deep
  .10 many-idx   Elasticsearch 7.17 whose _cat/indices lists 100,000 indices
  .11 bad-bytes  Elasticsearch with invalid UTF-8 and NUL in index names;
                 on 6379 Redis INFO with invalid UTF-8/NUL in keys and keyspace
  .12 reset      half of a plausible answer, then RST (SO_LINGER 0)
  .13 wrong      the wrong protocol: HTTP on 6379/27017, Redis on 9200/5601,
                 a MySQL greeting on 5432, an SSH banner on 443
"""
import asyncio, ipaddress, json, os, signal, socket, struct, sys, time

NET = "127.0.190."
PORTS = [9200, 6379, 5601, 27017, 5432, 443]
BEHAVIOURS = {
    1: "silent", 2: "drip", 3: "flood", 4: "huge-cl", 5: "chunked", 6: "tls-bad",
    7: "tls-trunc", 8: "tls-close", 9: "deep-json", 10: "many-idx", 11: "bad-bytes",
    12: "reset", 13: "wrong",
}
STATE = os.environ.get("AJAR_HOSTILE_DIR", "/tmp/ajar-hostile")

ES_ROOT = json.dumps({
    "name": "hostile", "cluster_name": "hostile", "cluster_uuid": "h0st1le",
    "version": {"number": "7.17.0", "build_flavor": "default", "lucene_version": "8.11.1"},
    "tagline": "You Know, for Search"}).encode()


# built once: 100,000 indices (about 19 MB), served to every request
MANY_INDICES = b"[" + b",".join(
    b'{"health":"green","status":"open","index":"idx-%06d","uuid":"u%06d","pri":"1","rep":"0",'
    b'"docs.count":"%d","docs.deleted":"0","store.size":"%d","pri.store.size":"%d"}'
    % (i, i, i, 1000 + i, 1000 + i) for i in range(100000)) + b"]"
DEEP = 100000
DEEP_ROOT = (b'{"version":{"number":"7.17.0"},"tagline":"You Know, for Search","x":' +
             b'{"a":[' * DEEP + b"1" + b"]}" * DEEP + b"}")


def http(status, body, ctype="application/json", extra=b""):
    return (b"HTTP/1.1 " + status + b"\r\nContent-Type: " + ctype.encode() +
            b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n" + extra + b"\r\n" + body)


async def read_request(r):
    """The request head (capped at 16 KB), or whatever came before EOF/1 s of silence."""
    data = b""
    try:
        while b"\r\n\r\n" not in data and len(data) < 16384:
            chunk = await asyncio.wait_for(r.read(4096), 1.0)
            if not chunk:
                break
            data += chunk
            if not data[:1].isalpha():  # binary protocol: one read is enough
                break
    except asyncio.TimeoutError:
        pass
    return data


def path_of(req):
    try:
        return req.split(b"\r\n", 1)[0].split(b" ")[1]
    except IndexError:
        return b""


async def endless(w, piece):
    while True:
        w.write(piece)
        await w.drain()


def tls_serverhello_start():
    # record: handshake, TLS 1.2, length 90; handshake: ServerHello, length 86, version, random...
    return bytes([0x16, 3, 3, 0, 90, 2, 0, 0, 86, 3, 3]) + b"\x11" * 9


async def serve(kind, port, r, w):
    if kind == "silent":
        await asyncio.sleep(3600)
    elif kind == "drip":
        msg = (b"HTTP/1.1 200 OK\r\nX-Drip: " if port != 6379 else b"$100000\r\n") + b"a" * 100000
        for b in msg:
            w.write(bytes([b]))
            await w.drain()
            await asyncio.sleep(1)
    elif kind == "flood":
        await read_request(r)
        await endless(w, b"\x41" * 65536)
    elif kind == "huge-cl":
        await read_request(r)
        w.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10737418240\r\n\r\n{\"a\":\"")
        await endless(w, b"x" * 65536)
    elif kind == "chunked":
        await read_request(r)
        w.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        await endless(w, b"1000\r\n" + b"[" * 4096 + b"\r\n")
    elif kind == "tls-bad":
        await read_request(r)
        w.write(bytes([0x16, 3, 3, 0xff, 0xff]) + os.urandom(4000))
        await w.drain()
        await endless(w, bytes([0x16, 3, 3, 0xff, 0xff]) + b"\xff" * 8192)
    elif kind in ("tls-trunc", "tls-close"):
        await read_request(r)
        w.write(tls_serverhello_start())
        await w.drain()
        if kind == "tls-trunc":
            await asyncio.sleep(3600)
    elif kind == "deep-json":
        req = await read_request(r)
        if path_of(req) == b"/":
            w.write(http(b"200 OK", DEEP_ROOT, extra=b"X-elastic-product: Elasticsearch\r\n"))
        else:
            w.write(http(b"200 OK", b"[" * DEEP + b"]" * DEEP))
        await w.drain()
    elif kind == "many-idx":
        while True:
            req = await read_request(r)
            if not req:
                break
            p = path_of(req)
            if p == b"/":
                body = ES_ROOT
            elif p.startswith(b"/_cat/indices"):
                body = MANY_INDICES
            else:
                body = b"{}"
            w.write(http(b"200 OK", body, extra=b"X-elastic-product: Elasticsearch\r\n"))
            await w.drain()
    elif kind == "bad-bytes":
        while True:
            req = await read_request(r)
            if not req:
                break
            if port == 6379:
                info = (b"# Server\r\nredis_version:7.0.\xff\x00\xc3\r\nredis_mode:standalone\r\n"
                        b"os:Linux\x00\xfe\r\n\xff\xfe\x00key:\xc0\x80\r\n# Keyspace\r\n"
                        b"db0:keys=12,expires=0,avg_ttl=0\r\ndb\xff\x00:keys=\xff,expires=1\r\n"
                        b"db1\x00x:keys=99999999999999999999999,expires=0\r\n")
                w.write(b"$" + str(len(info)).encode() + b"\r\n" + info + b"\r\n")
            else:
                p = path_of(req)
                if p == b"/":
                    body = ES_ROOT.replace(b"hostile", b"ho\\u0000st\xff\xfe")
                elif p.startswith(b"/_cat/indices"):
                    body = (b'[{"health":"green","status":"open","index":"cust\\u0000omers\xff\xc3(","pri":"1",'
                            b'"docs.count":"12","store.size":"1000"},{"index":"\xed\xa0\x80\x00users",'
                            b'"docs.count":"\xff5","store.size":"-1"},{"index":"\\ud800lone","docs.count":"7"}]')
                elif p.startswith(b"/_mapping"):
                    body = b'{"cust\\u0000omers\xff":{"mappings":{"properties":{"e\\u0000mail\xfe":{"type":"text"}}}}}'
                else:
                    body = b"{}"
                w.write(http(b"200 OK", body, extra=b"X-elastic-product: Elasticsearch\r\n"))
            await w.drain()
    elif kind == "reset":
        await read_request(r)
        if port == 6379:
            w.write(b"$2000\r\n# Server\r\nredis_version:7.0.0\r\n")
        elif port in (9200, 5601):
            w.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"
                    + ES_ROOT[:60])
        elif port == 443:
            w.write(tls_serverhello_start())
        else:
            w.write(b"\x4a\x00\x00\x00\x0a5.7")
        await w.drain()
        await asyncio.sleep(0.2)
        sock = w.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    elif kind == "wrong":
        await read_request(r)
        if port in (6379, 27017):
            w.write(http(b"200 OK", ES_ROOT, extra=b"X-elastic-product: Elasticsearch\r\n"))
        elif port in (9200, 5601):
            w.write(b"-ERR wrong number of arguments for 'get' command\r\n$5\r\nhello\r\n")
        elif port == 5432:
            body = (b"\x0a5.7.44-hostile\x00" + struct.pack("<I", 7) + b"abcdefgh\x00" + struct.pack("<H", 0xf7ff)
                    + b"\x21" + struct.pack("<H", 2) + struct.pack("<H", 0x81ff) + b"\x15" + b"\x00" * 10
                    + b"ijklmnopqrst\x00mysql_native_password\x00")
            w.write(struct.pack("<I", len(body))[:3] + b"\x00" + body)
        else:
            w.write(b"SSH-2.0-OpenSSH_9.2p1 hostile\r\n")
        await w.drain()
        await asyncio.sleep(2)


async def main(ttl):
    async def handler_for(kind, port):
        async def h(r, w):
            try:
                await serve(kind, port, r, w)
            except (ConnectionError, OSError, asyncio.IncompleteReadError):
                pass
            finally:
                try:
                    w.close()
                except Exception:
                    pass
        return h

    servers = []
    for last, kind in BEHAVIOURS.items():
        addr = NET + str(last)
        assert ipaddress.ip_address(addr).is_loopback
        for port in PORTS:
            servers.append(await asyncio.start_server(await handler_for(kind, port), addr, port,
                                                      reuse_address=True, backlog=128))
    with open(os.path.join(STATE, "ready"), "w") as f:
        f.write("%d\n" % os.getpid())
    await asyncio.sleep(ttl)


def listening(timeout):
    t = time.time() + timeout
    while time.time() < t:
        if os.path.exists(os.path.join(STATE, "ready")):
            return True
        time.sleep(0.05)
    return False


def read_pid():
    try:
        with open(os.path.join(STATE, "pid")) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return 0


def alive(pid):
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a recycled pid is not ours
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return b"hostile.py" in f.read()
    except OSError:
        return False


def cmd_down():
    pid = read_pid()
    if alive(pid):
        os.kill(pid, signal.SIGTERM)
        for _ in range(100):
            if not alive(pid):
                break
            time.sleep(0.05)
    for n in ("pid", "ready"):
        try:
            os.unlink(os.path.join(STATE, n))
        except OSError:
            pass


def cmd_up(ttl):
    os.makedirs(STATE, exist_ok=True)
    if alive(read_pid()) and os.path.exists(os.path.join(STATE, "ready")):
        return 0
    cmd_down()
    pid = os.fork()
    if pid == 0:
        os.setsid()
        fd = os.open(os.path.join(STATE, "log"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        nul = os.open(os.devnull, os.O_RDONLY)
        os.dup2(nul, 0)
        signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
        try:
            asyncio.run(main(ttl))
        finally:
            os._exit(0)
    with open(os.path.join(STATE, "pid"), "w") as f:
        f.write("%d\n" % pid)
    if not listening(10):
        sys.stderr.write("hostile.py: servers did not start:\n")
        try:
            sys.stderr.write(open(os.path.join(STATE, "log")).read())
        except OSError:
            pass
        cmd_down()
        return 1
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    what = args[0] if args else ""
    if what == "up":
        ttl = 600
        if len(args) >= 3 and args[1] == "--ttl":
            ttl = int(args[2])
        sys.exit(cmd_up(ttl))
    elif what == "down":
        cmd_down()
    elif what == "status":
        up = alive(read_pid())
        print("up" if up else "down")
        sys.exit(0 if up else 1)
    elif what == "list":
        for last, kind in BEHAVIOURS.items():
            print("%s%d %s %s" % (NET, last, kind, ",".join(map(str, PORTS))))
    else:
        sys.exit(__doc__)
