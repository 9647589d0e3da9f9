#!/usr/bin/env python3
"""tests/probe/tools/make-cassandra-b.py -- write the Cassandra replay cases.

No Cassandra or ScyllaDB server can be installed on the build machines (not
in Debian 12), so these answers are built from the CQL native protocol v4
specification (doc/native_protocol_v4.spec in the Cassandra tree): frame =
version (0x84 for a v4 response), flags, stream (int16), opcode, length
(int32), body; [string] = int16 length + bytes; [string list] = int16 n +
n strings; [string multimap] = int16 n + n x ([string] key, [string list]).
The values (CQL 3.4.5, protocol versions, compression, SCYLLA_* keys,
authenticator class names, the protocol-error message) are those the real
servers document for Cassandra 4.0, ScyllaDB 5.x and Cassandra 2.1.

  make-cassandra-b.py tests/probe/cases/cassandra
"""
import os
import struct
import sys


def s(x):
    b = x.encode()
    return struct.pack(">H", len(b)) + b


def slist(xs):
    return struct.pack(">H", len(xs)) + b"".join(s(x) for x in xs)


def multimap(d):
    return struct.pack(">H", len(d)) + b"".join(s(k) + slist(v) for k, v in d.items())


def frame(op, stream, body, version=0x84):
    return struct.pack(">BBhBI", version, 0, stream, op, len(body)) + body


SUPPORTED, READY, AUTHENTICATE, ERROR = 0x06, 0x02, 0x03, 0x00

CASSANDRA4 = {
    "PROTOCOL_VERSIONS": ["3/v3", "4/v4", "5/v5", "6/v6-beta"],
    "COMPRESSION": ["snappy", "lz4"],
    "CQL_VERSION": ["3.4.5"],
}
SCYLLA = {
    "SCYLLA_SHARD": ["0"],
    "SCYLLA_NR_SHARDS": ["2"],
    "SCYLLA_PARTITIONER": ["org.apache.cassandra.dht.Murmur3Partitioner"],
    "SCYLLA_SHARDING_ALGORITHM": ["biased-token-round-robin"],
    "SCYLLA_SHARDING_IGNORE_MSB": ["12"],
    "COMPRESSION": ["lz4", "snappy"],
    "CQL_VERSION": ["3.3.1"],
}


def case(root, name, resps, expect, readme=None):
    d = os.path.join(root, name)
    os.makedirs(d, exist_ok=True)
    for i, (data, eof) in enumerate(resps, 1):
        with open(os.path.join(d, "%d.resp" % i), "wb") as f:
            f.write(data)
        p = os.path.join(d, "%d.eof" % i)
        if eof:
            open(p, "w").close()
        elif os.path.exists(p):
            os.unlink(p)
    with open(os.path.join(d, "conn"), "w") as f:
        f.write("port=9042\n")
    with open(os.path.join(d, "expect.json"), "w") as f:
        f.write(expect.strip() + "\n")


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "tests/probe/cases/cassandra"
    case(root, "cassandra-4-open", [
        (frame(SUPPORTED, 0, multimap(CASSANDRA4)), False),
        (frame(READY, 1, b""), False),
    ], """{"service":"cassandra","product":"Cassandra","version":null,"auth":"none","data":null,
 "details":{"cql_versions":["3.4.5"],"protocol_versions":["3/v3","4/v4","5/v5","6/v6-beta"],
  "compression":["snappy","lz4"]}}""")
    case(root, "cassandra-4-password", [
        (frame(SUPPORTED, 0, multimap(CASSANDRA4)), False),
        (frame(AUTHENTICATE, 1, s("org.apache.cassandra.auth.PasswordAuthenticator")), False),
    ], """{"service":"cassandra","product":"Cassandra","auth":"required",
 "details":{"authenticator":"org.apache.cassandra.auth.PasswordAuthenticator","cql_versions":["3.4.5"]}}""")
    case(root, "scylla-password", [
        (frame(SUPPORTED, 0, multimap(SCYLLA)), False),
        (frame(AUTHENTICATE, 1, s("org.apache.cassandra.auth.PasswordAuthenticator")), False),
    ], """{"service":"cassandra","product":"ScyllaDB","auth":"required",
 "details":{"cql_versions":["3.3.1"],"compression":["lz4","snappy"]}}""")
    # Cassandra 2.1 speaks v1..v3: a v4 request gets a protocol error in a v3 frame.
    msg = "Invalid or unsupported protocol version: 4"
    case(root, "cassandra-2.1-protocol-error", [
        (frame(ERROR, 0, struct.pack(">I", 0x000A) + s(msg), version=0x83), True),
    ], """{"service":"cassandra","product":"Cassandra","auth":"unknown",
 "details":{"error_code":10,"error":"Invalid or unsupported protocol version: 4"}}""")
    case(root, "not-http", [
        (b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", True),
    ], """{"_rc":"nomatch","service":"unknown"}""")


if __name__ == "__main__":
    main()
