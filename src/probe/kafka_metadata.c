/*
 * probe/kafka_metadata.c -- the Kafka probe's Metadata walker: a push decoder over one version's
 * layout of the Metadata response (v0 to v12), fed the frame body as it arrives and never
 * keeping it: a program built for the version (kafka_md_build) reads integers, strings, arrays and
 * tagged fields one byte at a time as needed, keeps at most KAFKA_STR_KEEP bytes of a string,
 * and hands brokers, the controller, the cluster id and topics to the probe's state as it
 * finds them (md_int, md_str, md_arr, md_end). A malformed length or a nesting deeper than
 * MD_DEPTH stops it (m->bad).
 */
#include "probe/kafka_int.h"

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
void kafka_md_build(struct md *m, int v)
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

/*
 * Run the instructions that need no more bytes; stop when one waits for bytes. Long: on
 * purpose, one case per instruction of the walker, each a small state machine over its phases;
 * apart, they would share every field of struct md through pointers and read no easier.
 */
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
size_t kafka_md_feed(struct probe_ctx *ctx, struct kafka_state *s, const uint8_t *p, size_t n)
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
