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
 *
 * Files: this one holds the requests, the ApiVersions answer, the verdict
 * and the stream; kafka_metadata.c the Metadata walker; kafka_release.c
 * the release guess (kafka.h); kafka_int.h what they share.
 */
#include "probe/kafka_int.h"

#include <string.h>

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
    kafka_md_build(&s->md, ver);
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
    if (r.bad || !ok || (err == 0 && !kafka_api_find(s->apis, s->napis, KEY_APIVERSIONS)))
        return s->identified ? PROBE_DONE : PROBE_NOMATCH;
    identify(ctx);
    if (err != 0) {
        finding_detail_int(
            ctx->f, err == ERR_UNSUPPORTED_VERSION ? "api_versions_refused" : "api_versions_error",
            err == ERR_UNSUPPORTED_VERSION ? asked : err);
        /* ask again at a version the broker said it has, else v0 (every broker has it) */
        const struct kafka_api *av = kafka_api_find(s->apis, s->napis, KEY_APIVERSIONS);
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
    const struct kafka_api *md = kafka_api_find(s->apis, s->napis, KEY_METADATA);
    if (!md) {
        /* a KRaft controller listener: Raft requests, no Metadata, no Produce */
        finding_detail_str(ctx->f, "listener",
                           kafka_api_find(s->apis, s->napis, KEY_VOTE) ? "kraft-controller"
                                                                       : "no-metadata");
        return PROBE_DONE;
    }
    int v = pick_metadata(md);
    if (v < 0) return PROBE_DONE;
    return send_metadata(ctx, v);
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
    size_t used = kafka_md_feed(ctx, s, p, n);
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
