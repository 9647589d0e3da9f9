/*
 * probe/kafka.c -- Apache Kafka brokers, and brokers that speak its binary
 * protocol (Redpanda), on 9092 (plain), 9093 (TLS), 9094 and 29092.
 *
 * Requests this probe can send, and only these. Every request is a frame
 * (int32 size, then the header, then the body, big-endian) with client id
 * "ajar"; the correlation id is fixed per request kind, so an answer is
 * recognised by it:
 *   1. ApiVersions v4 (api key 18), correlation id 1, request header v2,
 *      body client_software_name "ajar", client_software_version "0.1".
 *   2. ApiVersions v3, correlation id 2: only after an UNSUPPORTED_VERSION
 *      (35) answer that lists ApiVersions up to v3 (Kafka 2.4 to 3.8).
 *   3. ApiVersions v0, correlation id 3, request header v1: only after an
 *      UNSUPPORTED_VERSION answer without such a range (before 2.4 the list
 *      is empty).
 *   4. Metadata (api key 3), correlation id 4, at a version the broker
 *      listed: v8 where it can, else its highest below v8, else its lowest
 *      up to v12; topics = null (all topics; v0 says that with an empty
 *      list), allow_auto_topic_creation = false, no authorized operations.
 *      Not sent when the broker lists no Metadata API (a KRaft controller).
 * A reconnect (at most two) only repeats the ApiVersions step when the
 * broker hung up after its UNSUPPORTED_VERSION answer. Never Fetch,
 * ListOffsets, Produce, SaslHandshake or anything else: Metadata names the
 * topics and their partitions; no message and no offset is ever read, so
 * records stay unknown.
 *
 * How it decides:
 *   - Kafka: the first frame answers correlation id 1 and is an ApiVersions
 *     body (error 0 with a key table holding ApiVersions itself, or error 35
 *     in the v0 layout). Anything else (an HTTP status line, a TLS alert
 *     read as a 350 MB size) is NOMATCH.
 *   - product: "Apache Kafka"; "Redpanda" when the cluster id says so
 *     (Redpanda prefixes its generated cluster id with "redpanda.", since
 *     22.1). Version: Kafka sends none; it is inferred from the ApiVersions
 *     key table (probe/kafka.h): the release line ("2.6") when exactly one
 *     fits, ">=X.Y" when only a lower bound is known (the newest release
 *     ajar knows, KRaft 3.3/3.4 which differ only in an inter-broker API,
 *     or a table that Apache Kafka never shipped). details.version_inferred_from
 *     = "api_versions", details.version_range. Redpanda's table is its own:
 *     no version, details.kafka_api_level instead.
 *   - facts: brokers (node id, host, port, rack), controller id, cluster id,
 *     topics (names, partition count each, internal ones), 4.x features.
 *   - auth, from what the broker did with Metadata:
 *       answered with topics, none refused           -> none
 *       answered, every topic TOPIC_AUTHORIZATION_FAILED (29) -> required
 *       answered, some refused, some not              -> partial
 *       answered with no topic at all                 -> none (the listener
 *         served an anonymous client; an authorizer hiding every topic
 *         looks the same -- details.topics_visible = 0 says so)
 *       closed without a byte after ApiVersions       -> required: a SASL
 *         listener answers only ApiVersions and SaslHandshake before
 *         authentication and drops the connection on anything else ("Unexpected
 *         Kafka request of type METADATA during SASL handshake", broker log)
 *       no answer before the deadline                 -> unknown
 *     A TLS listener met in plain answers with a TLS alert; the engine
 *     then tries TLS (9093 is tried in TLS first).
 *
 * Caps: an ApiVersions answer is kept whole up to KAFKA_APIV_MAX bytes; the
 * Metadata answer (megabytes on a big cluster) is never kept: a small
 * push decoder walks it field by field, keeping at most 255 bytes of a
 * string, and stops after KAFKA_META_MAX bytes.
 */
#include "probe/kafka.h"
#include "probe/probe.h"

#include <string.h>

#define KAFKA_APIV_MAX   16384
#define KAFKA_MAX_APIS   256
#define KAFKA_META_MAX   (64u << 20)
#define KAFKA_META_SIZE  (1u << 30) /* a larger size field is not a Kafka answer */
#define KAFKA_MAX_BROKER 32         /* brokers kept in details */
#define KAFKA_MAX_PARTS  100        /* topics whose partition count is kept in details */
#define KAFKA_MAX_FEAT   16
#define KAFKA_STR_KEEP   255

enum { CID_APIV4 = 1, CID_APIV3 = 2, CID_APIV0 = 3, CID_META = 4 };
enum { KEY_METADATA = 3, KEY_APIVERSIONS = 18, KEY_VOTE = 52 };
enum { ERR_TOPIC_AUTHZ = 29, ERR_UNSUPPORTED_VERSION = 35 };

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

static const struct kafka_api *api_find(const struct kafka_api *apis, size_t n, int16_t key)
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
    if (!api_find(apis, n, KEY_APIVERSIONS) || !api_find(apis, n, KEY_METADATA)) return -1;
    int lo = -1;
    for (int i = 0; i < NM; i++) {
        const struct kafka_api *a = api_find(apis, n, markers[i].key);
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

/* ---- the Metadata walker: a push decoder over one version's layout ---- */

enum md_op { MO_I8, MO_I16, MO_I32, MO_STR, MO_UUID, MO_ARR, MO_END, MO_I32ARR, MO_TAGS, MO_DONE };
enum md_field {
    MF_NONE,
    MF_NODE,
    MF_HOST,
    MF_PORT,
    MF_RACK,
    MF_CLUSTER,
    MF_CONTROLLER,
    MF_BROKERS,
    MF_BROKER_END,
    MF_TOPICS,
    MF_TERR,
    MF_TNAME,
    MF_TINTERNAL,
    MF_PARTS,
    MF_TOPIC_END,
};
enum md_read { RM_NONE, RM_FIXED, RM_VAR, RM_SKIP, RM_STR };

struct md_ins {
    uint8_t op, field, jump; /* jump: MO_ARR -> its MO_END, MO_END -> its MO_ARR */
};

#define MD_PROG_MAX 48
#define MD_DEPTH    4

struct md {
    struct md_ins prog[MD_PROG_MAX];
    int plen, pc, phase;
    bool flex, done, bad;
    enum md_read mode;
    int fk, got;   /* fixed read: bytes wanted, bytes got */
    uint64_t val;  /* the value read last (fixed: big-endian; varint) */
    int vshift;    /* varint bits so far */
    uint64_t skip; /* bytes still to skip */
    uint64_t cnt;  /* tagged fields left */
    uint32_t slen; /* string bytes still due */
    uint8_t str[KAFKA_STR_KEEP];
    uint32_t sn; /* string bytes kept */
    uint64_t left[MD_DEPTH];
    int sp;
};

static void md_emit(struct md *m, uint8_t op, uint8_t field)
{
    if (m->plen < MD_PROG_MAX) m->prog[m->plen++] = (struct md_ins){op, field, 0};
}

/* Open an array (returns its index), close it (links both ends). */
static int md_open(struct md *m, uint8_t field)
{
    md_emit(m, MO_ARR, field);
    return m->plen - 1;
}

static void md_close(struct md *m, int open, uint8_t field)
{
    md_emit(m, MO_END, field);
    m->prog[open].jump = (uint8_t)(m->plen - 1);
    m->prog[m->plen - 1].jump = (uint8_t)open;
}

/* The Metadata response of version v (MetadataResponse.json, versions 0-12), header included. */
static void md_build(struct md *m, int v)
{
    memset(m, 0, sizeof *m);
    m->flex = v >= 9;
    if (m->flex) md_emit(m, MO_TAGS, MF_NONE); /* response header v1 */
    if (v >= 3) md_emit(m, MO_I32, MF_NONE);   /* throttle_time_ms */
    int b = md_open(m, MF_BROKERS);
    md_emit(m, MO_I32, MF_NODE);
    md_emit(m, MO_STR, MF_HOST);
    md_emit(m, MO_I32, MF_PORT);
    if (v >= 1) md_emit(m, MO_STR, MF_RACK);
    if (m->flex) md_emit(m, MO_TAGS, MF_NONE);
    md_close(m, b, MF_BROKER_END);
    if (v >= 2) md_emit(m, MO_STR, MF_CLUSTER);
    if (v >= 1) md_emit(m, MO_I32, MF_CONTROLLER);
    int t = md_open(m, MF_TOPICS);
    md_emit(m, MO_I16, MF_TERR);
    md_emit(m, MO_STR, MF_TNAME);
    if (v >= 10) md_emit(m, MO_UUID, MF_NONE);
    if (v >= 1) md_emit(m, MO_I8, MF_TINTERNAL);
    int p = md_open(m, MF_PARTS);
    md_emit(m, MO_I16, MF_NONE); /* error, partition index, leader */
    md_emit(m, MO_I32, MF_NONE);
    md_emit(m, MO_I32, MF_NONE);
    if (v >= 7) md_emit(m, MO_I32, MF_NONE); /* leader epoch */
    md_emit(m, MO_I32ARR, MF_NONE);          /* replicas, isr */
    md_emit(m, MO_I32ARR, MF_NONE);
    if (v >= 5) md_emit(m, MO_I32ARR, MF_NONE); /* offline replicas */
    if (m->flex) md_emit(m, MO_TAGS, MF_NONE);
    md_close(m, p, MF_NONE);
    if (v >= 8) md_emit(m, MO_I32, MF_NONE); /* topic authorized operations */
    if (m->flex) md_emit(m, MO_TAGS, MF_NONE);
    md_close(m, t, MF_TOPIC_END);
    if (v >= 8 && v <= 10) md_emit(m, MO_I32, MF_NONE); /* cluster authorized operations */
    if (m->flex) md_emit(m, MO_TAGS, MF_NONE);
    md_emit(m, MO_DONE, MF_NONE);
}

/* ---- per-connection state ---- */

struct kafka_state {
    int asked;     /* correlation id of the request in flight (CID_*) */
    int next_apiv; /* ApiVersions version the next (re)connection asks: 4, 3 or 0 */
    bool identified, apis_ok, meta_sent, meta_any, meta_done;
    int meta_ver;
    /* frame reader */
    uint8_t hdr[8];
    uint32_t hn, size, need;
    /* the ApiVersions frame body */
    uint8_t body[KAFKA_APIV_MAX];
    uint32_t kept;
    struct kafka_api apis[KAFKA_MAX_APIS];
    uint32_t napis;
    /* Metadata */
    struct md md;
    uint64_t meta_read;
    bool meta_cut;
    int32_t b_node, b_port;
    char b_host[KAFKA_STR_KEEP + 1], b_rack[KAFKA_STR_KEEP + 1];
    bool b_rack_null;
    int16_t t_err;
    char t_name[KAFKA_STR_KEEP + 1];
    uint32_t t_namelen;
    bool t_name_null, t_internal;
    uint64_t t_parts;
    char cluster[KAFKA_STR_KEEP + 1];
    bool has_cluster;
    int32_t controller;
    bool has_controller;
    uint64_t nbrokers, ntopics, ninternal, ndenied, nerrored, nparts;
    json_t *brokers, *parts, *topic_errors;
};

static void kafka_free_state(void *p)
{
    struct kafka_state *s = p;
    json_decref(s->brokers);
    json_decref(s->parts);
    json_decref(s->topic_errors);
}

/* ---- requests ---- */

static void put16(uint8_t *p, int v)
{
    p[0] = (uint8_t)((unsigned)v >> 8);
    p[1] = (uint8_t)v;
}

/* Header v1 (v2 adds an empty tag buffer) into m; returns its length. */
static size_t put_header(uint8_t *m, int key, int ver, int cid, bool flex)
{
    size_t n = 4; /* the size goes first, filled in by finish() */
    put16(m + n, key);
    put16(m + n + 2, ver);
    probe_put_be32(m + n + 4, (uint32_t)cid);
    put16(m + n + 8, 4);
    memcpy(m + n + 10, "ajar", 4);
    n += 14;
    if (flex) m[n++] = 0;
    return n;
}

static int finish(struct probe_ctx *ctx, uint8_t *m, size_t n, int cid)
{
    struct kafka_state *s = ctx->state;
    probe_put_be32(m, (uint32_t)(n - 4));
    s->asked = cid;
    s->hn = 0;
    if (probe_send(ctx, m, n) < 0) return PROBE_DONE;
    return PROBE_SEND;
}

static int send_apiversions(struct probe_ctx *ctx, int ver)
{
    uint8_t m[64];
    int cid = ver >= 4 ? CID_APIV4 : ver == 3 ? CID_APIV3 : CID_APIV0;
    size_t n = put_header(m, KEY_APIVERSIONS, ver, cid, ver >= 3);
    if (ver >= 3) {
        /* compact strings (length + 1), then an empty tag buffer */
        static const uint8_t sw[] = {5, 'a', 'j', 'a', 'r', 4, '0', '.', '1', 0};
        memcpy(m + n, sw, sizeof sw);
        n += sizeof sw;
    }
    return finish(ctx, m, n, cid);
}

static int send_metadata(struct probe_ctx *ctx, int ver)
{
    struct kafka_state *s = ctx->state;
    uint8_t m[64];
    bool flex = ver >= 9;
    size_t n = put_header(m, KEY_METADATA, ver, CID_META, flex);
    if (ver == 0) {
        probe_put_be32(m + n, 0); /* v0: an empty list means every topic */
        n += 4;
    } else if (!flex) {
        probe_put_be32(m + n, 0xffffffffu); /* null: every topic */
        n += 4;
    } else {
        m[n++] = 0; /* compact null */
    }
    if (ver >= 4) m[n++] = 0;              /* allow_auto_topic_creation = false */
    if (ver >= 8 && ver <= 10) m[n++] = 0; /* include_cluster_authorized_operations */
    if (ver >= 8) m[n++] = 0;              /* include_topic_authorized_operations */
    if (flex) m[n++] = 0;                  /* tags */
    s->meta_ver = ver;
    s->meta_sent = true;
    md_build(&s->md, ver);
    return finish(ctx, m, n, CID_META);
}

static int kafka_start(struct probe_ctx *ctx)
{
    struct kafka_state *s = ctx->state;
    if (ctx->connection == 0) s->next_apiv = 4;
    s->hn = 0;
    s->kept = 0;
    return send_apiversions(ctx, s->next_apiv);
}

/* ---- ApiVersions ---- */

struct rd {
    const uint8_t *p;
    size_t n, i;
    bool bad;
};

static uint32_t rd_u(struct rd *r, int k)
{
    if (r->bad || r->n - r->i < (size_t)k) {
        r->bad = true;
        return 0;
    }
    uint32_t v = 0;
    for (int j = 0; j < k; j++)
        v = v << 8 | r->p[r->i + (size_t)j];
    r->i += (size_t)k;
    return v;
}

static uint32_t rd_var(struct rd *r)
{
    uint32_t v = 0;
    for (int sh = 0; sh < 35; sh += 7) {
        uint32_t b = rd_u(r, 1);
        if (r->bad) return 0;
        v |= (b & 0x7f) << sh;
        if (!(b & 0x80)) return v;
    }
    r->bad = true;
    return 0;
}

static void rd_skip(struct rd *r, uint64_t k)
{
    if (r->bad || r->n - r->i < k)
        r->bad = true;
    else
        r->i += (size_t)k;
}

/* A compact string (v3+ bodies): length + 1, 0 = null. */
static bool rd_cstr(struct rd *r, const uint8_t **p, size_t *len)
{
    uint32_t l = rd_var(r);
    if (r->bad || l == 0) return false;
    l--;
    if (r->n - r->i < l) {
        r->bad = true;
        return false;
    }
    *p = r->p + r->i;
    *len = l;
    r->i += l;
    return true;
}

static bool add_api(struct kafka_state *s, struct rd *r)
{
    int16_t key = (int16_t)rd_u(r, 2), mn = (int16_t)rd_u(r, 2), mx = (int16_t)rd_u(r, 2);
    if (r->bad || key < 0 || mn < 0 || mx < mn) return false;
    if (s->napis < KAFKA_MAX_APIS) s->apis[s->napis++] = (struct kafka_api){key, mn, mx};
    return true;
}

/* The v0 layout: int32 count, count x (key, min, max) -- and every UNSUPPORTED_VERSION answer. */
static bool parse_apis_v0(struct kafka_state *s, struct rd *r)
{
    uint32_t n = rd_u(r, 4);
    if (r->bad || n > 4096 || (uint64_t)n * 6 > r->n - r->i) return false;
    for (uint32_t i = 0; i < n; i++)
        if (!add_api(s, r)) return false;
    /* v1/v2 add a throttle time; nothing else may follow */
    return r->n - r->i == 0 || r->n - r->i == 4;
}

/* Tag 0 SupportedFeatures [name, min, max], tag 2 FinalizedFeatures [name, max level, min level].
 */
static json_t *parse_features(struct rd *r, bool finalized)
{
    json_t *o = json_object();
    uint32_t n = rd_var(r);
    if (r->bad || n == 0 || n - 1 > 256) goto bad;
    for (uint32_t i = 0; i + 1 < n; i++) {
        const uint8_t *nm;
        size_t nl;
        if (!rd_cstr(r, &nm, &nl)) goto bad;
        int16_t a = (int16_t)rd_u(r, 2), b = (int16_t)rd_u(r, 2);
        uint32_t tags = rd_var(r);
        for (uint32_t t = 0; t < tags && !r->bad; t++) {
            rd_var(r);
            rd_skip(r, rd_var(r));
        }
        if (r->bad) goto bad;
        if (json_object_size(o) >= KAFKA_MAX_FEAT) continue;
        char key[64];
        str_sanitize(key, sizeof key, nm, nl, true);
        json_t *v = finalized ? json_integer(a) : json_pack("[ii]", a, b);
        json_object_set_new(o, key, v);
    }
    return o;
bad:
    json_decref(o);
    return NULL;
}

/* The flexible layout (v3+): compact array, per-key tags, throttle, tags (features). */
static bool parse_apis_flex(struct kafka_state *s, struct rd *r, struct finding *f)
{
    uint32_t n = rd_var(r);
    if (r->bad || n == 0 || n - 1 > 4096) return false;
    for (uint32_t i = 0; i + 1 < n; i++) {
        if (!add_api(s, r)) return false;
        uint32_t tags = rd_var(r);
        for (uint32_t t = 0; t < tags && !r->bad; t++) {
            rd_var(r);
            rd_skip(r, rd_var(r));
        }
    }
    rd_u(r, 4); /* throttle */
    uint32_t tags = rd_var(r);
    if (r->bad || tags > 64) return false;
    json_t *sup = NULL, *fin = NULL;
    for (uint32_t t = 0; t < tags; t++) {
        uint32_t tag = rd_var(r), len = rd_var(r);
        if (r->bad || r->n - r->i < len) {
            json_decref(sup);
            json_decref(fin);
            return false;
        }
        struct rd sub = {r->p + r->i, len, 0, false};
        if (tag == 0 && !sup) sup = parse_features(&sub, false);
        if (tag == 2 && !fin) fin = parse_features(&sub, true);
        r->i += len;
    }
    if (sup && json_object_size(sup))
        finding_detail(f, "features_supported", sup);
    else
        json_decref(sup);
    if (fin && json_object_size(fin))
        finding_detail(f, "features_finalized", fin);
    else
        json_decref(fin);
    return r->n == r->i;
}

static void identify(struct probe_ctx *ctx)
{
    struct kafka_state *s = ctx->state;
    if (s->identified) return;
    s->identified = true;
    FINDING_SET(ctx->f, service, "kafka");
    FINDING_SET(ctx->f, product, "Apache Kafka");
}

/* Which Metadata version to ask for, from the broker's range; -1: none we speak. */
static int pick_metadata(const struct kafka_api *a)
{
    if (!a) return -1;
    if (a->min <= 8 && a->max >= 8) return 8;
    if (a->max < 8) return a->max;
    return a->min <= 12 ? a->min : -1;
}

static int on_apiversions(struct probe_ctx *ctx, const uint8_t *b, size_t n)
{
    struct kafka_state *s = ctx->state;
    struct rd r = {b, n, 0, false};
    int asked = s->asked == CID_APIV4 ? 4 : s->asked == CID_APIV3 ? 3 : 0;
    int16_t err = (int16_t)rd_u(&r, 2);
    s->napis = 0;
    bool ok = err == ERR_UNSUPPORTED_VERSION || asked < 3 ? parse_apis_v0(s, &r)
                                                          : parse_apis_flex(s, &r, ctx->f);
    if (r.bad || !ok || (err == 0 && !api_find(s->apis, s->napis, KEY_APIVERSIONS)))
        return s->identified ? PROBE_DONE : PROBE_NOMATCH;
    identify(ctx);
    if (err != 0) {
        finding_detail_int(
            ctx->f, err == ERR_UNSUPPORTED_VERSION ? "api_versions_refused" : "api_versions_error",
            err == ERR_UNSUPPORTED_VERSION ? asked : err);
        /* ask again at a version the broker said it has, else v0 (every broker has it) */
        const struct kafka_api *av = api_find(s->apis, s->napis, KEY_APIVERSIONS);
        int next = av && av->min <= 3 && av->max >= 3 ? 3 : 0;
        if (av && av->min > 0 && next == 0) return PROBE_DONE;
        if (next >= asked) return PROBE_DONE;
        s->next_apiv = next;
        s->kept = 0;
        return send_apiversions(ctx, next);
    }
    s->apis_ok = true;
    finding_detail_int(ctx->f, "api_versions_version", asked);
    finding_detail_int(ctx->f, "api_keys", (int64_t)s->napis);
    const struct kafka_api *md = api_find(s->apis, s->napis, KEY_METADATA);
    if (!md) {
        /* a KRaft controller listener: Raft requests, no Metadata, no Produce */
        finding_detail_str(ctx->f, "listener",
                           api_find(s->apis, s->napis, KEY_VOTE) ? "kraft-controller"
                                                                 : "no-metadata");
        return PROBE_DONE;
    }
    int v = pick_metadata(md);
    if (v < 0) return PROBE_DONE;
    return send_metadata(ctx, v);
}

/* ---- Metadata facts, as the walker finds them ---- */

static void md_int(struct kafka_state *s, uint8_t field, int64_t v)
{
    switch (field) {
    case MF_NODE:
        s->b_node = (int32_t)v;
        break;
    case MF_PORT:
        s->b_port = (int32_t)v;
        break;
    case MF_CONTROLLER:
        s->controller = (int32_t)v;
        s->has_controller = true;
        break;
    case MF_TERR:
        s->t_err = (int16_t)v;
        break;
    case MF_TINTERNAL:
        s->t_internal = v != 0;
        break;
    }
}

static void keep_str(char *dst, const uint8_t *p, uint32_t n)
{
    memcpy(dst, p, n);
    dst[n] = 0;
}

static void md_str(struct kafka_state *s, uint8_t field, const uint8_t *p, uint32_t n, bool null)
{
    switch (field) {
    case MF_HOST:
        keep_str(s->b_host, p, null ? 0 : n);
        break;
    case MF_RACK:
        keep_str(s->b_rack, p, null ? 0 : n);
        s->b_rack_null = null;
        break;
    case MF_CLUSTER:
        keep_str(s->cluster, p, null ? 0 : n);
        s->has_cluster = !null;
        break;
    case MF_TNAME:
        keep_str(s->t_name, p, null ? 0 : n);
        s->t_namelen = null ? 0 : n;
        s->t_name_null = null;
        break;
    }
}

static void md_arr(struct kafka_state *s, uint8_t field, uint64_t count)
{
    if (field == MF_PARTS) s->t_parts = count;
    if (field == MF_TOPICS) {
        s->t_err = 0;
        s->t_name_null = true;
    }
}

static void md_end(struct probe_ctx *ctx, struct kafka_state *s, uint8_t field)
{
    if (field == MF_BROKER_END) {
        s->nbrokers++;
        if (!s->brokers) s->brokers = json_array();
        if (s->brokers && json_array_size(s->brokers) < KAFKA_MAX_BROKER) {
            char host[KAFKA_STR_KEEP * 4 + 1];
            str_sanitize(host, sizeof host, s->b_host, strlen(s->b_host), true);
            json_t *o = json_pack("{sisssi}", "node_id", (json_int_t)s->b_node, "host", host,
                                  "port", (json_int_t)s->b_port);
            if (o && !s->b_rack_null && s->b_rack[0]) {
                char rack[KAFKA_STR_KEEP * 4 + 1];
                str_sanitize(rack, sizeof rack, s->b_rack, strlen(s->b_rack), true);
                json_object_set_new(o, "rack", json_string(rack));
            }
            if (o) json_array_append_new(s->brokers, o);
        }
        s->b_rack_null = true;
        s->b_rack[0] = 0;
        return;
    }
    if (field != MF_TOPIC_END) return;
    s->ntopics++;
    if (s->t_internal) s->ninternal++;
    if (s->t_err == ERR_TOPIC_AUTHZ)
        s->ndenied++;
    else if (s->t_err != 0)
        s->nerrored++;
    if (s->t_err != 0) {
        if (!s->topic_errors) s->topic_errors = json_object();
        char code[16];
        str_fmt(code, sizeof code, "%d", s->t_err);
        json_t *c = json_object_get(s->topic_errors, code);
        json_object_set_new(s->topic_errors, code, json_integer(c ? json_integer_value(c) + 1 : 1));
    }
    if (!s->t_name_null && s->t_namelen) {
        finding_add_name(ctx->f, s->t_name, s->t_namelen, -1, -1);
        if (s->t_err == 0) {
            if (!s->parts) s->parts = json_object();
            if (s->parts && json_object_size(s->parts) < KAFKA_MAX_PARTS) {
                char nm[FINDING_MAX_NAME];
                str_sanitize(nm, sizeof nm, s->t_name, s->t_namelen, true);
                json_object_set_new(s->parts, nm, json_integer((json_int_t)s->t_parts));
            }
        }
    }
    if (s->t_err == 0) s->nparts += s->t_parts;
    s->t_err = 0;
    s->t_parts = 0;
    s->t_internal = false;
    s->t_name_null = true;
}

/* ---- the walker's engine ---- */

static void md_next(struct md *m)
{
    m->pc++;
    m->phase = 0;
}

static void md_fixed(struct md *m, int k)
{
    m->mode = RM_FIXED;
    m->fk = k;
    m->got = 0;
    m->val = 0;
}

static void md_var(struct md *m)
{
    m->mode = RM_VAR;
    m->val = 0;
    m->vshift = 0;
}

/* a length: flexible = uvarint (n + 1, 0 null), else int16 (strings) or int32 (arrays) */
static void md_len(struct md *m, int k)
{
    if (m->flex)
        md_var(m);
    else
        md_fixed(m, k);
}

/* The length just read: -1 null, -2 malformed, else the length. */
static int64_t md_got_len(struct md *m, int k)
{
    if (m->flex) return m->val == 0 ? -1 : (int64_t)m->val - 1;
    int64_t v = k == 2 ? (int16_t)m->val : (int32_t)m->val;
    return v >= -1 ? v : -2;
}

/* Run the instructions that need no more bytes; stop when one waits for bytes. */
static void md_run(struct probe_ctx *ctx, struct kafka_state *s)
{
    struct md *m = &s->md;
    while (!m->done && !m->bad && m->mode == RM_NONE) {
        if (m->pc < 0 || m->pc >= m->plen) {
            m->bad = true;
            return;
        }
        const struct md_ins *in = &m->prog[m->pc];
        int64_t len;
        switch (in->op) {
        case MO_I8:
        case MO_I16:
        case MO_I32: {
            int k = in->op == MO_I8 ? 1 : in->op == MO_I16 ? 2 : 4;
            if (m->phase == 0) {
                md_fixed(m, k);
                m->phase = 1;
                break;
            }
            int64_t v = k == 1 ? (int8_t)m->val : k == 2 ? (int16_t)m->val : (int32_t)m->val;
            md_int(s, in->field, v);
            md_next(m);
            break;
        }
        case MO_STR:
            if (m->phase == 0) {
                md_len(m, 2);
                m->phase = 1;
            } else if (m->phase == 1) {
                len = md_got_len(m, 2);
                if (len < -1 || len > 0x7fffffff) {
                    m->bad = true;
                } else if (len <= 0) {
                    md_str(s, in->field, m->str, 0, len < 0);
                    md_next(m);
                } else {
                    m->mode = RM_STR;
                    m->slen = (uint32_t)len;
                    m->sn = 0;
                    m->phase = 2;
                }
            } else {
                md_str(s, in->field, m->str, m->sn, false);
                md_next(m);
            }
            break;
        case MO_UUID:
            if (m->phase == 0) {
                m->mode = RM_SKIP;
                m->skip = 16;
                m->phase = 1;
            } else {
                md_next(m);
            }
            break;
        case MO_ARR:
            if (m->phase == 0) {
                md_len(m, 4);
                m->phase = 1;
                break;
            }
            len = md_got_len(m, 4);
            if (len < -1) {
                m->bad = true;
                break;
            }
            md_arr(s, in->field, len < 0 ? 0 : (uint64_t)len);
            if (len <= 0) {
                m->pc = in->jump + 1;
                m->phase = 0;
            } else if (m->sp >= MD_DEPTH) {
                m->bad = true;
            } else {
                m->left[m->sp++] = (uint64_t)len;
                md_next(m);
            }
            break;
        case MO_END:
            md_end(ctx, s, in->field);
            if (m->sp <= 0) {
                m->bad = true;
            } else if (--m->left[m->sp - 1] > 0) {
                m->pc = in->jump + 1;
                m->phase = 0;
            } else {
                m->sp--;
                md_next(m);
            }
            break;
        case MO_I32ARR:
            if (m->phase == 0) {
                md_len(m, 4);
                m->phase = 1;
            } else if (m->phase == 1) {
                len = md_got_len(m, 4);
                if (len < -1) {
                    m->bad = true;
                } else if (len <= 0) {
                    md_next(m);
                } else {
                    m->mode = RM_SKIP;
                    m->skip = (uint64_t)len * 4;
                    m->phase = 2;
                }
            } else {
                md_next(m);
            }
            break;
        case MO_TAGS:
            /* 0: count; 2: tag; 3: size; 4: after the payload */
            if (m->phase == 0) {
                md_var(m);
                m->phase = 1;
            } else if (m->phase == 1 || m->phase == 4) {
                if (m->phase == 1)
                    m->cnt = m->val;
                else
                    m->cnt--;
                if (m->cnt == 0) {
                    md_next(m);
                } else {
                    md_var(m);
                    m->phase = 2;
                }
            } else if (m->phase == 2) {
                md_var(m);
                m->phase = 3;
            } else {
                m->mode = m->val ? RM_SKIP : RM_NONE;
                m->skip = m->val;
                m->phase = 4;
            }
            break;
        case MO_DONE:
        default:
            m->done = true;
            break;
        }
    }
}

/* Feed up to n bytes of the Metadata frame body; returns the bytes used. */
static size_t md_feed(struct probe_ctx *ctx, struct kafka_state *s, const uint8_t *p, size_t n)
{
    struct md *m = &s->md;
    size_t i = 0;
    for (;;) {
        md_run(ctx, s);
        if (m->done || m->bad || i >= n) break;
        size_t avail = n - i;
        switch (m->mode) {
        case RM_SKIP: {
            size_t take = m->skip < avail ? (size_t)m->skip : avail;
            m->skip -= take;
            i += take;
            if (!m->skip) m->mode = RM_NONE;
            break;
        }
        case RM_STR: {
            size_t take = m->slen < avail ? m->slen : avail;
            for (size_t j = 0; j < take; j++)
                if (m->sn < KAFKA_STR_KEEP) m->str[m->sn++] = p[i + j];
            m->slen -= (uint32_t)take;
            i += take;
            if (!m->slen) m->mode = RM_NONE;
            break;
        }
        case RM_FIXED:
            m->val = m->val << 8 | p[i++];
            if (++m->got == m->fk) m->mode = RM_NONE;
            break;
        case RM_VAR: {
            uint8_t b = p[i++];
            if (m->vshift > 28) {
                m->bad = true;
                break;
            }
            m->val |= (uint64_t)(b & 0x7f) << m->vshift;
            m->vshift += 7;
            if (!(b & 0x80)) m->mode = RM_NONE;
            break;
        }
        case RM_NONE:
            break;
        }
    }
    return i;
}

/* ---- the verdict ---- */

static void set_version(struct probe_ctx *ctx, struct kafka_state *s, bool redpanda)
{
    struct kafka_guess g;
    if (!s->apis_ok || kafka_guess_release(s->apis, s->napis, &g) < 0) return;
    if (redpanda) {
        /* Redpanda's table is its own: a Kafka API level, not its version */
        finding_detail_str(ctx->f, "kafka_api_level", g.version);
        return;
    }
    FINDING_SET(ctx->f, version, g.version);
    finding_detail_str(ctx->f, "version_inferred_from", "api_versions");
    if (!g.exact && g.hi[0]) {
        char range[24];
        str_fmt(range, sizeof range, "%s-%s", g.lo, g.hi);
        finding_detail_str(ctx->f, "version_range", range);
    }
    if (!g.consistent) finding_detail(ctx->f, "api_versions_consistent", json_false());
}

static void finish_facts(struct probe_ctx *ctx, struct kafka_state *s)
{
    struct finding *f = ctx->f;
    bool redpanda = s->has_cluster && strncmp(s->cluster, "redpanda.", 9) == 0;
    if (redpanda) FINDING_SET(f, product, "Redpanda");
    set_version(ctx, s, redpanda);
    if (!s->meta_any) return;
    if (s->has_cluster) finding_detail_strn(f, "cluster_id", s->cluster, strlen(s->cluster));
    if (s->has_controller) finding_detail_int(f, "controller_id", s->controller);
    finding_detail_int(f, "metadata_version", s->meta_ver);
    finding_detail_int(f, "broker_count", (int64_t)s->nbrokers);
    if (s->brokers) {
        finding_detail(f, "brokers", s->brokers);
        s->brokers = NULL;
    }
    if (!s->meta_done) return;
    f->collections = (int64_t)s->ntopics;
    finding_detail_int(f, "topics_visible", (int64_t)s->ntopics);
    finding_detail_int(f, "partitions_total", (int64_t)s->nparts);
    if (s->ninternal) finding_detail_int(f, "internal_topics", (int64_t)s->ninternal);
    if (s->parts) {
        finding_detail(f, "partitions", s->parts);
        s->parts = NULL;
    }
    if (s->topic_errors) {
        finding_detail(f, "topic_errors", s->topic_errors);
        s->topic_errors = NULL;
    }
    uint64_t readable = s->ntopics - s->ndenied;
    if (s->ndenied && readable) {
        f->auth = AUTH_PARTIAL;
        finding_detail_str(f, "auth_basis", "metadata-some-topics-denied");
    } else if (s->ndenied) {
        f->auth = AUTH_REQUIRED;
        finding_detail_str(f, "auth_basis", "metadata-topics-denied");
    } else {
        f->auth = AUTH_NONE;
        finding_detail_str(f, "auth_basis", s->ntopics ? "metadata-topics" : "metadata-no-topics");
    }
}

/* ---- the stream ---- */

static int on_meta_bytes(struct probe_ctx *ctx, struct kafka_state *s, const uint8_t *p, size_t n)
{
    size_t used = md_feed(ctx, s, p, n);
    s->meta_read += used;
    if (s->md.done) {
        s->meta_done = true;
        finish_facts(ctx, s);
        return PROBE_DONE;
    }
    if (s->md.bad) {
        FINDING_SET(ctx->f, error, "malformed Metadata answer");
        finish_facts(ctx, s);
        return PROBE_DONE;
    }
    if (s->meta_read >= KAFKA_META_MAX) {
        FINDING_SET(ctx->f, error, "Metadata answer over 64 MiB: read in part");
        finish_facts(ctx, s);
        return PROBE_DONE;
    }
    return PROBE_MORE;
}

static int kafka_on_data(struct probe_ctx *ctx, const uint8_t *p, size_t n)
{
    struct kafka_state *s = ctx->state;
    size_t i = 0;
    while (i < n) {
        if (s->hn < 8) {
            s->hdr[s->hn++] = p[i++];
            if (s->asked == CID_META) s->meta_any = true;
            if (s->hn == 4) {
                s->size = probe_be32(s->hdr);
                uint32_t cap = s->asked == CID_META ? KAFKA_META_SIZE : KAFKA_APIV_MAX + 4;
                if (s->size < 6 || s->size > cap) {
                    if (!s->identified) return PROBE_NOMATCH;
                    FINDING_SET(ctx->f, error, "answer is not a Kafka frame");
                    finish_facts(ctx, s);
                    return PROBE_DONE;
                }
            }
            if (s->hn < 8) continue;
            if (probe_be32(s->hdr + 4) != (uint32_t)s->asked) {
                if (!s->identified) return PROBE_NOMATCH;
                FINDING_SET(ctx->f, error, "answer carries another correlation id");
                finish_facts(ctx, s);
                return PROBE_DONE;
            }
            s->need = s->size - 4;
            s->kept = 0;
            continue;
        }
        size_t avail = n - i;
        if (s->asked == CID_META) {
            /* the walker takes every byte it is given unless it finished or failed */
            size_t take = avail < s->need ? avail : s->need;
            int rc = on_meta_bytes(ctx, s, p + i, take);
            if (rc != PROBE_MORE) return rc;
            i += take;
            s->need -= (uint32_t)take;
            if (s->need == 0) {
                /* the frame ended before the layout did */
                FINDING_SET(ctx->f, error, "Metadata answer cut short");
                finish_facts(ctx, s);
                return PROBE_DONE;
            }
            continue;
        }
        i += probe_take(s->body, &s->kept, KAFKA_APIV_MAX, &s->need, p + i, avail);
        if (s->need) continue;
        s->hn = 0;
        int rc = on_apiversions(ctx, s->body, s->kept);
        if (rc != PROBE_SEND) {
            if (rc == PROBE_DONE) finish_facts(ctx, s);
            return rc;
        }
        if (i < n) {
            /* nothing may follow an answer before our next request */
            FINDING_SET(ctx->f, error, "unexpected bytes after the ApiVersions answer");
            finish_facts(ctx, s);
            return PROBE_DONE;
        }
        return PROBE_SEND;
    }
    return PROBE_MORE;
}

static int kafka_on_end(struct probe_ctx *ctx, enum probe_end why)
{
    struct kafka_state *s = ctx->state;
    if (!s->identified) return PROBE_NOMATCH;
    bool closed = why == PROBE_END_EOF || why == PROBE_END_RESET;
    if (s->asked != CID_META) {
        /* hung up after UNSUPPORTED_VERSION, before the lower version was answered */
        if (!s->apis_ok && closed && s->hn == 0 && ctx->connection < 2) return PROBE_RECONNECT;
        finish_facts(ctx, s);
        return PROBE_DONE;
    }
    if (!s->meta_any && closed) {
        ctx->f->auth = AUTH_REQUIRED;
        finding_detail_str(ctx->f, "auth_basis", "metadata-closed");
        finish_facts(ctx, s);
        return PROBE_DONE;
    }
    if (!s->meta_any)
        FINDING_SET(ctx->f, error, "no answer to Metadata");
    else
        FINDING_SET(ctx->f, error, "Metadata answer cut short");
    finish_facts(ctx, s);
    return PROBE_DONE;
}

/*
 * Foreign bytes: a Kafka answer is a frame whose correlation id is one of
 * ours, starting with an ApiVersions error code. No other probe's request
 * draws one (a broker reads "GET " as a 1.2 GB size and hangs up), so this
 * only fires on a Kafka answer kept as a banner.
 */
static int kafka_sniff(const uint8_t *p, size_t n)
{
    if (n < 10) return 0;
    uint32_t size = probe_be32(p), cid = probe_be32(p + 4);
    if (size < 6 || size > KAFKA_APIV_MAX || (size_t)size + 4 < n) return 0;
    if (cid < CID_APIV4 || cid > CID_META) return 0;
    uint32_t err = (uint32_t)p[8] << 8 | p[9];
    if (cid != CID_META && err != 0 && err != ERR_UNSUPPORTED_VERSION) return 0;
    return 80;
}

const struct probe probe_kafka = {
    .name = "kafka",
    .flags = PROBE_TLS_OK,
    .state_size = sizeof(struct kafka_state),
    .start = kafka_start,
    .on_data = kafka_on_data,
    .on_end = kafka_on_end,
    .free_state = kafka_free_state,
    .sniff = kafka_sniff,
    .silent =
        48, /* reads "GET " as a 1.2 GB request size and hangs up; before PostgreSQL (see there) */
};
