/*
 * probe/mqtt.c -- MQTT brokers (Mosquitto, EMQX, HiveMQ, VerneMQ, ...):
 * does the broker let an anonymous client in?
 *
 * Requests this probe can send:
 *   connection 1: CONNECT, MQTT 3.1.1 (protocol level 4), clean session,
 *                 keepalive 10 s, client id "ajar-XXXX" (4 hex digits that
 *                 vary per run), no will, no username, no password;
 *                 then, only after a CONNACK that accepts it (3.1.1):
 *                 SUBSCRIBE (packet id 1, QoS 0) to the single exact topic
 *                 "$SYS/broker/version", the broker's own status topic that
 *                 Mosquitto keeps retained, to name product and version;
 *                 then DISCONNECT.
 *   connection 2 (only when the 3.1.1 CONNACK says "unacceptable protocol
 *                 version", return code 1): the same CONNECT as MQTT 5
 *                 (level 5, empty properties), then DISCONNECT if accepted.
 * Never a wildcard, never an application topic (that would read
 * messages), never PUBLISH: the one subscription is to broker metadata.
 *
 * How it decides: the CONNACK's return code (3.1.1) or reason code (5).
 *   0 / 0x00 accepted                      -> auth none
 *   4 / 0x86 bad user name or password,
 *   5 / 0x87 not authorized, 0x8C bad
 *   authentication method                  -> auth required
 *   anything else (identifier rejected, server unavailable, ...) -> MQTT,
 *   auth unknown, the code in details.
 * Any first byte other than CONNACK (0x20) is not MQTT: NOMATCH.
 * CONNACK names no product, so product is "MQTT broker" unless the
 * $SYS/broker/version message names it ("mosquitto version 2.0.11" ->
 * Mosquitto 2.0.11); details carry the protocol level that was accepted
 * or refused and the return code. A broker that sends no version message
 * keeps the CONNACK's verdict (the step deadline or EOF ends the wait).
 *
 * Caps: a CONNACK is at most 512 bytes (MQTT 5 properties); longer is not
 * a CONNACK we need to read further than its reason code.
 */
#include "probe/probe.h"

#include <string.h>

#define MQTT_MAX     512
#define MQTT_PKT_MAX 256 /* bytes kept of a packet after CONNACK */

static const char sys_version[] = "$SYS/broker/version";

struct mqtt_state {
    uint8_t b[8]; /* fixed header and the first bytes of the variable header */
    size_t n;
    uint32_t remaining; /* remaining length, once decoded */
    bool have_len;
    size_t hdr_len; /* bytes of fixed header */
    int level;      /* protocol level of the CONNECT on this connection */
    /* after the accepted CONNACK: packets until the version PUBLISH */
    bool subscribed;
    uint8_t pk[MQTT_PKT_MAX]; /* first bytes of the current packet */
    size_t pkn;               /* bytes of it seen */
    size_t pkhdr;             /* fixed header length, once known */
    uint32_t pklen;           /* remaining length, once known */
};

static int mqtt_connect(struct probe_ctx *ctx, int level)
{
    struct mqtt_state *s = ctx->state;
    /* vary the client id so two scans never kick each other's session */
    uint32_t r = (uint32_t)now_ms() ^ (uint32_t)((uintptr_t)ctx->state >> 4);
    char id[16];
    str_fmt(id, sizeof id, "ajar-%04x", (unsigned)(r & 0xffff));
    uint8_t m[64];
    size_t n = 0;
    size_t idn = strlen(id);
    size_t var = 10 + (level == 5 ? 1 : 0);
    m[n++] = 0x10;
    m[n++] = (uint8_t)(var + 2 + idn); /* < 128: one length byte */
    static const uint8_t proto[] = {0x00, 0x04, 'M', 'Q', 'T', 'T'};
    memcpy(m + n, proto, sizeof proto);
    n += sizeof proto;
    m[n++] = (uint8_t)level;
    m[n++] = 0x02; /* clean session, no will, no user name, no password */
    m[n++] = 0x00;
    m[n++] = 10;                   /* keepalive 10 s */
    if (level == 5) m[n++] = 0x00; /* properties: none */
    m[n++] = 0x00;
    m[n++] = (uint8_t)idn;
    memcpy(m + n, id, idn);
    n += idn;
    memset(s, 0, sizeof *s);
    s->level = level;
    if (probe_send(ctx, m, n) < 0) return PROBE_DONE;
    return PROBE_SEND;
}

static int mqtt_start(struct probe_ctx *ctx)
{
    return mqtt_connect(ctx, ctx->connection == 0 ? 4 : 5);
}

static int decide(struct probe_ctx *ctx, struct mqtt_state *s, uint8_t code)
{
    struct finding *f = ctx->f;
    FINDING_SET(f, service, "mqtt");
    FINDING_SET(f, product, "MQTT broker");
    finding_detail_int(f, "protocol_level", s->level);
    finding_detail_int(f, "connack_code", code);
    if (s->level == 4 && code == 1 && ctx->connection == 0) {
        return PROBE_RECONNECT; /* the broker wants another version: try MQTT 5 */
    }
    bool ok = code == 0;
    bool denied =
        s->level == 5 ? (code == 0x86 || code == 0x87 || code == 0x8C) : (code == 4 || code == 5);
    if (ok) {
        f->auth = AUTH_NONE;
        f->error[0] = 0;
        if (s->level == 4) {
            /* SUBSCRIBE, packet id 1, one exact topic filter, QoS 0 */
            uint8_t m[64];
            size_t tn = sizeof sys_version - 1, n = 0;
            m[n++] = 0x82;
            m[n++] = (uint8_t)(2 + 2 + tn + 1);
            m[n++] = 0x00;
            m[n++] = 0x01;
            m[n++] = 0x00;
            m[n++] = (uint8_t)tn;
            memcpy(m + n, sys_version, tn);
            n += tn;
            m[n++] = 0x00;
            if (probe_send(ctx, m, n) == 0) {
                s->subscribed = true;
                return PROBE_SEND;
            }
        }
        static const uint8_t disconnect[] = {0xE0, 0x00};
        probe_send(ctx, disconnect, sizeof disconnect); /* best effort; the result stands */
    } else if (denied) {
        f->auth = AUTH_REQUIRED;
    } else {
        f->auth = AUTH_UNKNOWN;
        str_fmt(f->error, sizeof f->error, "CONNACK code %u", code);
    }
    return PROBE_DONE;
}

/* A whole packet (its first MQTT_PKT_MAX bytes) after the subscription. */
static int sys_packet(struct probe_ctx *ctx, struct mqtt_state *s)
{
    static const uint8_t disconnect[] = {0xE0, 0x00};
    if ((s->pk[0] & 0xF0) != 0x30) return PROBE_MORE; /* SUBACK, PINGRESP...: wait on */
    /* PUBLISH, QoS 0: topic length, topic, payload */
    size_t kept = s->pkn < MQTT_PKT_MAX ? s->pkn : MQTT_PKT_MAX;
    size_t o = s->pkhdr;
    if (o + 2 > kept) return PROBE_MORE;
    size_t tl = (size_t)s->pk[o] << 8 | s->pk[o + 1];
    o += 2;
    if (o + tl > kept || tl != sizeof sys_version - 1 || memcmp(s->pk + o, sys_version, tl) != 0)
        return PROBE_MORE;
    o += tl;
    if (s->pk[0] & 0x06) o += 2; /* QoS > 0 carries a packet id */
    size_t end = s->pkhdr + s->pklen;
    if (end > kept) end = kept;
    if (o > end) return PROBE_MORE;
    char v[128];
    str_sanitize(v, sizeof v, s->pk + o, end - o, false);
    finding_detail_str(ctx->f, "sys_version", v);
    /* "mosquitto version 2.0.11" */
    const char *mark = strstr(v, " version ");
    if (mark) {
        char prod[64];
        size_t pn = (size_t)(mark - v);
        str_sanitize(prod, sizeof prod, v, pn < sizeof prod - 1 ? pn : sizeof prod - 1, false);
        if (str_ieq(prod, "mosquitto")) str_copy(prod, "Mosquitto", sizeof prod);
        FINDING_SET(ctx->f, product, prod);
        FINDING_SET(ctx->f, version, mark + 9);
    }
    probe_send(ctx, disconnect, sizeof disconnect);
    return PROBE_DONE;
}

/* Packets after SUBSCRIBE: parse each, keep at most MQTT_PKT_MAX bytes of it. */
static int sys_on_data(struct probe_ctx *ctx, struct mqtt_state *s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s->pkn < MQTT_PKT_MAX) s->pk[s->pkn] = p[i];
        s->pkn++;
        if (!s->pkhdr) {
            if (s->pkn < 2) continue;
            uint32_t v = 0;
            size_t k;
            for (k = 1; k < s->pkn && k <= 4; k++) {
                v |= (uint32_t)(s->pk[k] & 0x7f) << (7 * (k - 1));
                if (!(s->pk[k] & 0x80)) break;
            }
            if (k > 4) return PROBE_DONE; /* garbage: the CONNACK verdict stands */
            if (k == s->pkn) continue;
            s->pkhdr = k + 1;
            s->pklen = v;
        }
        if (s->pkn == s->pkhdr + s->pklen) {
            int rc = sys_packet(ctx, s);
            if (rc != PROBE_MORE) return rc;
            s->pkn = 0;
            s->pkhdr = 0;
            s->pklen = 0;
        }
    }
    return PROBE_MORE;
}

static int mqtt_on_data(struct probe_ctx *ctx, const uint8_t *p, size_t n)
{
    struct mqtt_state *s = ctx->state;
    if (s->subscribed) return sys_on_data(ctx, s, p, n);
    for (size_t i = 0; i < n; i++) {
        if (s->n < sizeof s->b) s->b[s->n] = p[i];
        s->n++;
        if (s->n == 1 && s->b[0] != 0x20) return PROBE_NOMATCH;
        if (!s->have_len) {
            if (s->n < 2) continue;
            /* variable-length remaining length, at most 4 bytes */
            uint32_t v = 0;
            size_t k;
            for (k = 1; k < s->n && k <= 4; k++) {
                v |= (uint32_t)(s->b[k] & 0x7f) << (7 * (k - 1));
                if (!(s->b[k] & 0x80)) break;
            }
            if (k > 4) return PROBE_NOMATCH;
            if (k == s->n) continue; /* more length bytes to come */
            s->have_len = true;
            s->remaining = v;
            s->hdr_len = k + 1;
            /* 3.1.1: exactly 2; 5: flags, reason, properties length at least */
            if (v < 2 || v > MQTT_MAX) return PROBE_NOMATCH;
            if (s->level == 4 && v != 2) {
                /* some brokers answer in their own version; still a CONNACK if >= 3 */
                if (v < 3) return PROBE_NOMATCH;
            }
        }
        /* flags byte then the code */
        if (s->have_len && s->n == s->hdr_len + 2) {
            uint8_t flags = s->b[s->hdr_len];
            if (flags & 0xFE) return PROBE_NOMATCH; /* reserved bits of CONNACK flags */
            return decide(ctx, s, s->b[s->hdr_len + 1]);
        }
    }
    return PROBE_MORE;
}

static int mqtt_on_end(struct probe_ctx *ctx, enum probe_end why)
{
    /* the MQTT 5 retry went nowhere: what the 3.1.1 CONNACK said stands */
    if (ctx->f->service[0]) {
        if (ctx->connection > 0 && !ctx->f->error[0])
            FINDING_SET(ctx->f, error, "MQTT 3.1.1 refused as unacceptable, MQTT 5 unanswered");
        return PROBE_DONE;
    }
    return PROBE_NOMATCH;
}

const struct probe probe_mqtt = {
    .name = "mqtt",
    .flags = PROBE_TLS_OK,
    .state_size = sizeof(struct mqtt_state),
    .start = mqtt_start,
    .on_data = mqtt_on_data,
    .on_end = mqtt_on_end,
    .silent = 55, /* a broker drops a connection whose first packet is not CONNECT */
};
