/*
 * probe/kafka_release.c -- the Kafka release a broker can be, from its ApiVersions key table
 * (kafka.h says how; the markers below say from what).
 */
#include "probe/kafka_int.h"

/* ---- release markers (see probe/kafka.h) ---- */

/*
 * Each Apache Kafka release line and one request version it was the first
 * to support, from kafka-python's recorded ApiVersions tables
 * (dpkp/kafka-python@a3b3836: kafka/protocol/broker_version_data.py; 0.10.0
 * there is synthesized, every later table was read from a real broker).
 * Client requests only, so KRaft and ZooKeeper brokers agree, except 3.4,
 * whose one change was the inter-broker LeaderAndIsr v7 that only a
 * ZooKeeper broker lists (zk_only: not applicable when key 4 is absent).
 */
static const struct marker {
    const char *line;
    int16_t key, ver;
    bool zk_only;
} markers[] = {
    {"0.10.0", 18, 0, false},                                              /* ApiVersions itself */
    {"0.10.1", 3, 2, false},                                               /* Metadata v2 */
    {"0.10.2", 9, 2, false},                                               /* OffsetFetch v2 */
    {"0.11", 3, 4, false},                                                 /* Metadata v4 */
    {"1.0", 3, 5, false},                                                  /* Metadata v5 */
    {"1.1", 1, 7, false},                                                  /* Fetch v7 */
    {"2.0", 1, 8, false},     {"2.1", 1, 10, false}, {"2.2", 2, 5, false}, /* ListOffsets v5 */
    {"2.3", 1, 11, false},    {"2.4", 0, 8, false},                        /* Produce v8 */
    {"2.5", 29, 2, false},                                                 /* DescribeAcls v2 */
    {"2.6", 48, 0, false}, /* DescribeClientQuotas */
    {"2.7", 1, 12, false},    {"2.8", 0, 9, false},  {"3.0", 2, 7, false},  {"3.1", 1, 13, false},
    {"3.2", 11, 9, false},                           /* JoinGroup v9 */
    {"3.3", 29, 3, false},    {"3.4", 4, 7, true},   /* LeaderAndIsr v7 */
    {"3.5", 1, 15, false},    {"3.6", 24, 4, false}, /* AddPartitionsToTxn v4 */
    {"3.7", 1, 16, false},    {"3.8", 0, 11, false}, {"3.9", 1, 17, false}, {"4.0", 2, 10, false},
    {"4.1", 0, 13, false},    {"4.2", 2, 11, false}, {"4.3", 35, 5, false}, /* DescribeLogDirs v5 */
};

const struct kafka_api *kafka_api_find(const struct kafka_api *apis, size_t n, int16_t key)
{
    for (size_t i = 0; i < n; i++)
        if (apis[i].key == key) return &apis[i];
    return NULL;
}

int kafka_guess_release(const struct kafka_api *apis, size_t n, struct kafka_guess *g)
{
    enum { NM = (int)ARRAY_LEN(markers) };
    bool sat[NM], app[NM];
    memset(g, 0, sizeof *g);
    if (!kafka_api_find(apis, n, KEY_APIVERSIONS) || !kafka_api_find(apis, n, KEY_METADATA))
        return -1;
    int lo = -1;
    for (int i = 0; i < NM; i++) {
        const struct kafka_api *a = kafka_api_find(apis, n, markers[i].key);
        app[i] = !(markers[i].zk_only && !a);
        /* the highest version counts: 4.0 raised some minimums (KIP-896) */
        sat[i] = app[i] && a && a->max >= markers[i].ver;
        if (sat[i]) lo = i;
    }
    if (lo < 0) return -1;
    g->consistent = true;
    for (int i = 0; i < lo; i++)
        if (app[i] && !sat[i]) g->consistent = false;
    int next = lo + 1;
    while (next < NM && !app[next])
        next++;
    str_copy(g->lo, markers[lo].line, sizeof g->lo);
    if (next < NM && g->consistent) {
        str_copy(g->hi, markers[next - 1].line, sizeof g->hi);
        g->exact = next == lo + 1;
    }
    str_fmt(g->version, sizeof g->version, "%s%s", g->exact ? "" : ">=", g->lo);
    return 0;
}
