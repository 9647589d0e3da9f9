# Minimal BSON encoder/decoder (stdlib only) for the EMULATED MongoDB and its tests.
# Written from the BSON 1.1 specification (bsonspec.org); supports the element types
# the emulation and drivers' handshakes use: double, string, document, array, binary,
# ObjectId, bool, UTC datetime, null, regex (decode only), int32, timestamp, int64,
# decimal128 (opaque), min/max key.

import datetime
import struct


class Int64(int):
    """int that must be encoded as BSON int64 even when small."""


class ObjectId:
    def __init__(self, b):
        assert len(b) == 12
        self.b = bytes(b)

    def __eq__(self, o):
        return isinstance(o, ObjectId) and o.b == self.b

    def __repr__(self):
        return "ObjectId(%s)" % self.b.hex()


class Timestamp:
    def __init__(self, t, i):
        self.t, self.i = t, i

    def __repr__(self):
        return "Timestamp(%d, %d)" % (self.t, self.i)


class Binary:
    def __init__(self, data, subtype=0):
        self.data, self.subtype = bytes(data), subtype


class Opaque:
    def __init__(self, code, raw):
        self.code, self.raw = code, raw


def _cstring(s):
    b = s.encode("utf-8")
    if b"\x00" in b:
        raise ValueError("NUL in key")
    return b + b"\x00"


def _element(k, v):
    key = _cstring(k)
    if isinstance(v, bool):
        return b"\x08" + key + (b"\x01" if v else b"\x00")
    if isinstance(v, Int64):
        return b"\x12" + key + struct.pack("<q", v)
    if isinstance(v, int):
        if -2 ** 31 <= v < 2 ** 31:
            return b"\x10" + key + struct.pack("<i", v)
        return b"\x12" + key + struct.pack("<q", v)
    if isinstance(v, float):
        return b"\x01" + key + struct.pack("<d", v)
    if isinstance(v, str):
        b = v.encode("utf-8")
        return b"\x02" + key + struct.pack("<i", len(b) + 1) + b + b"\x00"
    if isinstance(v, dict):
        return b"\x03" + key + encode(v)
    if isinstance(v, (list, tuple)):
        return b"\x04" + key + encode({str(i): x for i, x in enumerate(v)})
    if isinstance(v, Binary):
        return b"\x05" + key + struct.pack("<iB", len(v.data), v.subtype) + v.data
    if isinstance(v, (bytes, bytearray)):
        return b"\x05" + key + struct.pack("<iB", len(v), 0) + bytes(v)
    if isinstance(v, ObjectId):
        return b"\x07" + key + v.b
    if isinstance(v, datetime.datetime):
        ms = int(v.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000) if v.tzinfo is None else \
            int(v.timestamp() * 1000)
        return b"\x09" + key + struct.pack("<q", ms)
    if v is None:
        return b"\x0a" + key
    if isinstance(v, Timestamp):
        return b"\x11" + key + struct.pack("<II", v.i, v.t)
    if isinstance(v, Opaque):
        return bytes([v.code]) + key + v.raw
    raise TypeError("cannot BSON-encode %r" % type(v))


def encode(doc):
    body = b"".join(_element(k, v) for k, v in doc.items())
    return struct.pack("<i", len(body) + 5) + body + b"\x00"


def _read_cstring(b, i):
    j = b.index(b"\x00", i)
    return b[i:j].decode("utf-8", "replace"), j + 1


def decode(b, i=0):
    """Decode one document at b[i:]; returns (dict, next_offset). Raises ValueError on malformed input."""
    try:
        (n,) = struct.unpack_from("<i", b, i)
        if n < 5 or i + n > len(b) or b[i + n - 1] != 0:
            raise ValueError("bad document length")
        end = i + n - 1
        j = i + 4
        out = {}
        while j < end:
            t = b[j]
            k, j = _read_cstring(b, j + 1)
            if t == 0x01:
                out[k] = struct.unpack_from("<d", b, j)[0]; j += 8
            elif t in (0x02, 0x0D, 0x0E):
                (ln,) = struct.unpack_from("<i", b, j)
                if ln < 1 or j + 4 + ln > end + 1:
                    raise ValueError("bad string")
                out[k] = b[j + 4:j + 3 + ln].decode("utf-8", "replace"); j += 4 + ln
            elif t in (0x03, 0x04):
                d, j = decode(b, j)
                out[k] = list(d.values()) if t == 0x04 else d
            elif t == 0x05:
                ln, st = struct.unpack_from("<iB", b, j)
                if ln < 0 or j + 5 + ln > end:
                    raise ValueError("bad binary")
                out[k] = Binary(b[j + 5:j + 5 + ln], st); j += 5 + ln
            elif t == 0x06 or t == 0x0A or t == 0xFF or t == 0x7F:
                out[k] = None
            elif t == 0x07:
                out[k] = ObjectId(b[j:j + 12]); j += 12
            elif t == 0x08:
                out[k] = b[j] != 0; j += 1
            elif t == 0x09:
                (ms,) = struct.unpack_from("<q", b, j); j += 8
                out[k] = datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc) \
                    if -62135596800000 < ms < 253402300799000 else ms
            elif t == 0x0B:
                pat, j = _read_cstring(b, j)
                opts, j = _read_cstring(b, j)
                out[k] = ("regex", pat, opts)
            elif t == 0x10:
                out[k] = struct.unpack_from("<i", b, j)[0]; j += 4
            elif t == 0x11:
                inc, ts = struct.unpack_from("<II", b, j); j += 8
                out[k] = Timestamp(ts, inc)
            elif t == 0x12:
                out[k] = Int64(struct.unpack_from("<q", b, j)[0]); j += 8
            elif t == 0x13:
                out[k] = Opaque(t, b[j:j + 16]); j += 16
            elif t == 0x0F:
                (ln,) = struct.unpack_from("<i", b, j)
                out[k] = Opaque(t, b[j:j + ln]); j += ln
            else:
                raise ValueError("unknown BSON type 0x%02x" % t)
        if j != end:
            raise ValueError("document overrun")
        return out, i + n
    except (struct.error, IndexError) as e:
        raise ValueError("truncated BSON: %s" % e)


def shell_repr(v):
    """Value as the legacy mongo server writes it inside errmsg text: { listDatabases: 1.0, $db: "admin" }."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v) if v != int(v) else "%d.0" % v
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return '"%s"' % v
    if isinstance(v, dict):
        if not v:
            return "{}"
        return "{ " + ", ".join("%s: %s" % (k, shell_repr(x)) for k, x in v.items()) + " }"
    if isinstance(v, list):
        return "[ " + ", ".join(shell_repr(x) for x in v) + " ]"
    if v is None:
        return "null"
    return str(v)
