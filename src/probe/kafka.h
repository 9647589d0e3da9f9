/*
 * probe/kafka.h -- the parts of the Kafka probe (probe/kafka*.c) that unit
 * tests reach directly: the release guess from an ApiVersions key table.
 *
 * Kafka does not say its version on the wire. Every release raised the
 * highest version of some request (or added a request), so the table of
 * (api key, min, max) an ApiVersions answer carries tells which releases
 * the broker can be: at least the newest release whose marker it
 * supports, and (when the table is consistent with Apache Kafka's own
 * history) below the next release whose marker it lacks. The markers are
 * the published history as recorded from real brokers by kafka-python
 * (kafka/protocol/broker_version_data.py, BROKER_API_VERSIONS and its
 * inference list); the table is in kafka_release.c.
 */
#ifndef AJAR_PROBE_KAFKA_H
#define AJAR_PROBE_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kafka_api {
    int16_t key, min, max;
};

struct kafka_guess {
    char version[16];  /* "2.6" (the release line), ">=3.3", ">=4.3"; "" when no guess */
    char lo[8], hi[8]; /* the range of release lines the table allows; hi "" when open */
    bool exact;        /* exactly one release line fits */
    bool consistent;   /* every older marker is there too (an Apache Kafka table) */
};

/*
 * Guess the release from an ApiVersions key table (n entries). Returns 0 and
 * fills g, or -1 when the table is not a broker's (no ApiVersions entry, or
 * no Metadata API: a KRaft controller listener).
 */
int kafka_guess_release(const struct kafka_api *apis, size_t n, struct kafka_guess *g);

#endif
