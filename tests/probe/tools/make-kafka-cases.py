#!/usr/bin/env python3
# Build the Kafka probe cases (tests/probe/cases/kafka/*) from the recorded broker answers in
# tests/fixtures/recorded/kafka-broker/*.hex (sources: tests/fixtures/recorded/SOURCES.md).
#
#   tests/probe/tools/make-kafka-cases.py [tests/probe/cases/kafka]
#
# Every answer is a recorded body or frame, unchanged. Where the source stored only the body
# (no 4-byte size prefix, no correlation id), this script FRAMES it: int32 size, then the
# correlation id ajar's probe uses for that request (1 ApiVersions v4, 2 ApiVersions v3,
# 3 ApiVersions v0, 4 Metadata), then the body bytes as recorded. Each case's README.md says
# which answers were framed and which are verbatim frames. An empty N.resp with N.eof is a
# connection the server closed without a byte (the SASL listener's answer to Metadata).
#
# The look-alike traps (not-kafka-*) are recorded here by tests/probe/tools/record-kafka-traps.py
# from real servers; this script leaves them alone.

import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
FIX = os.path.join(ROOT, "tests", "fixtures", "recorded", "kafka-broker")


def hexfile(rel):
    """Bytes of a .hex fixture: '#' lines are comments, the rest hex pairs."""
    out = bytearray()
    with open(os.path.join(FIX, rel)) as f:
        for ln in f:
            ln = ln.strip()
            if not ln or ln.startswith("#"):
                continue
            out += bytes.fromhex(ln)
    return bytes(out)


def frame(cid, body):
    """A response frame around a recorded body: size, correlation id, body."""
    return struct.pack(">iI", len(body) + 4, cid) + body


def sized(rest):
    """A recorded 'correlation id + body' (no size prefix) with its size prefix."""
    return struct.pack(">i", len(rest)) + rest


CASES = {
    "apache-2.6-open": {
        "answers": [hexfile("2.6/02_apiversions_v4_unsupported_response.hex"),
                    hexfile("2.6/04_apiversions_v3_response.hex"),
                    hexfile("2.6/08_metadata_v8_response_all_topics.hex")],
        "readme": """# apache-2.6-open

One recorded kafka-python 3.0.0 session with a Kafka broker whose ApiVersions table is 2.6's
(keys 0..49; dpkp/kafka-python@a3b3836 test/protocol/test_parser.py TEST_API_VERSIONS_2; rows
`kafka-broker/2.6/*` of tests/fixtures/recorded/SOURCES.md). ajar asks what kafka-python asked,
in the same order and with the same correlation ids, so the three answers are the **recorded
frames, verbatim** (size prefix and correlation id included):

1. ApiVersions v4 -> `02_apiversions_v4_unsupported_response.hex`: error 35 UNSUPPORTED_VERSION
   in the v0 layout, listing ApiVersions 0-3 (the downgrade path).
2. ApiVersions v3 -> `04_apiversions_v3_response.hex`: 50 keys.
3. Metadata v8, all topics -> `08_metadata_v8_response_all_topics.hex`: one broker
   (localhost:47485, node 0), cluster id 34wjNp3hRJixCRvMlK9Znw, controller 0, no topic yet.

Only the client id and software name of ajar's requests differ from kafka-python's (and
allow_auto_topic_creation, which ajar sends false). The version is inferred ("2.6").
""",
    },
    "apache-2.6-downgrade-reconnect": {
        "answers": [hexfile("2.6/02_apiversions_v4_unsupported_response.hex"),
                    b"",
                    hexfile("2.6/04_apiversions_v3_response.hex"),
                    hexfile("2.6/08_metadata_v8_response_all_topics.hex")],
        "eof": [2],
        "readme": """# apache-2.6-downgrade-reconnect

The recorded 2.6 session of `apache-2.6-open` (verbatim frames), with one ASSUMED event that
is not in the recording: after its UNSUPPORTED_VERSION answer the broker hangs up before it
answers ApiVersions v3 (2.resp is empty, 2.eof). The probe reconnects once, asks ApiVersions v3
again (correlation id 2) and goes on: 3.resp and 4.resp are the recorded v3 and Metadata v8
frames. The real 2.6 broker kept the connection open; this case only exercises the
reconnect path the probe takes for brokers that do not.
""",
    },
    "apache-2.6-one-topic-synthetic-metadata": {
        "answers": [hexfile("2.6/02_apiversions_v4_unsupported_response.hex"),
                    hexfile("2.6/04_apiversions_v3_response.hex"),
                    frame(4, hexfile("docs-synthetic-sarama/metadata_v8_response_one_topic.body.hex"))],
        "readme": """# apache-2.6-one-topic-synthetic-metadata

ASSEMBLED. Answers 1 and 2 are the recorded 2.6 frames of `apache-2.6-open` (verbatim). Answer 3
is **not recorded from a broker**: it is IBM/sarama's hand-written Metadata v8 test vector
`OneTopicV8` (metadata_response_test.go @ bd98b3a, row
`kafka-broker/docs-synthetic-sarama/*` of SOURCES.md), FRAMED here with a size prefix and
correlation id 4. It carries one broker (host:9092), cluster id "clusterId", controller 1 and
one topic "tony" with one partition, so the case shows names, partition counts and
auth "none" from a topic list. No recorded Metadata answer with topics exists for a broker
whose ApiVersions table we also have.
""",
    },
    "apache-4.0-sasl": {
        "answers": [sized(hexfile("4.0/apiversions_v4_response_with_features.hex")), b""],
        "eof": [2],
        "readme": """# apache-4.0-sasl

Answer 1: a Kafka 4.0 broker's ApiVersions v4 answer with its feature tags
(dpkp/kafka-python@a3b3836 test/protocol/metadata/test_api_versions.py test_supported_features,
row `kafka-broker/4.0/...` of SOURCES.md: 61 keys, Fetch 4-17, Metadata 0-13, ApiVersions 0-4,
finalized metadata.version 25). The source stored the correlation id (1) and the body but no
size prefix: the case FRAMES it with the int32 size only; every other byte is as recorded.

Answer 2: the broker closes the connection without a byte when asked for Metadata -- what a
SASL listener does to a client that did not authenticate (apache/kafka SaslServerAuthenticator:
only ApiVersions and SaslHandshake before authentication; broker log "Failed authentication
with /127.0.0.1 (Unexpected Kafka request of type METADATA during SASL handshake.)" and the
client's "disconnected", row `kafka-broker/3.x-zk/...`). That close is the documented
behaviour, not a recording of this 4.0 broker: auth "required", auth_basis "metadata-closed".
""",
    },
    "apache-0.10.2-downgrade-sasl": {
        "answers": [frame(1, hexfile("0.10.2.1/apiversions_unsupported_version_response.body.hex")),
                    frame(3, hexfile("0.10.2/apiversions_v0_response.body.hex")),
                    b""],
        "eof": [3],
        "readme": """# apache-0.10.2-downgrade-sasl

A 0.10-era broker. Answer 1: Kafka 0.10.2.1's UNSUPPORTED_VERSION answer to an ApiVersions
version it does not know -- error 35 with an EMPTY key list, as every broker before 2.4 sends
(IBM/sarama@bd98b3a api_versions_response_test.go, "unsupported version from kafka 0.10.2.1").
Answer 2: a 0.10.2 broker's ApiVersions v0 table, 21 keys, Metadata 0-2, OffsetFetch 0-2
(tulios/kafkajs@55b0b41 apiVersions/fixtures/v0_response.json). Both sources stored the body
only: the case FRAMES them (size, correlation id 1 resp. 3); the bodies are as recorded.

The empty list makes the probe fall back to ApiVersions v0; the version is inferred "0.10.2"
(OffsetFetch v2 without Metadata v4). Answer 3: the broker closes on Metadata v2 (a SASL
listener, see apache-4.0-sasl) -> auth "required". No recorded Metadata v2 answer exists, so an
open 0.10-era Metadata answer cannot be replayed (the v0-v7 layouts are exercised with recorded
kafkajs bodies in tests/unit/test_kafka.c).
""",
    },
    "apache-2.4.0-unsupported-then-close": {
        "answers": [frame(1, hexfile("2.4.0/apiversions_unsupported_version_response.body.hex")),
                    b"", b"", b""],
        "eof": [2, 3, 4],
        "readme": """# apache-2.4.0-unsupported-then-close

Answer 1: Kafka 2.4.0's UNSUPPORTED_VERSION answer (error 35, listing ApiVersions 0-3: the list
is filled from 2.4 on, KIP-511; IBM/sarama@bd98b3a "unsupported version from kafka 2.4.0"),
FRAMED with size and correlation id 1. The probe asks ApiVersions v3 next. Answers 2 to 4 are
ASSUMED, not recorded: each connection ends without a byte (the probe reconnects twice, asking
ApiVersions v3 again each time, then gives up). The broker stays identified as Kafka (error 35 in the v0 layout with
ApiVersions' own range), with no version and auth "unknown".
""",
    },
}


def write_case(root, name, spec):
    d = os.path.join(root, name)
    os.makedirs(d, exist_ok=True)
    for fn in os.listdir(d):
        if fn.endswith((".resp", ".eof")):
            os.unlink(os.path.join(d, fn))
    for i, a in enumerate(spec["answers"], 1):
        with open(os.path.join(d, "%d.resp" % i), "wb") as f:
            f.write(a)
    for i in spec.get("eof", []):
        open(os.path.join(d, "%d.eof" % i), "w").close()
    with open(os.path.join(d, "README.md"), "w") as f:
        f.write(spec["readme"])


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests", "probe", "cases", "kafka")
    for name, spec in CASES.items():
        write_case(root, name, spec)
        print("wrote", os.path.join(root, name))


if __name__ == "__main__":
    main()
