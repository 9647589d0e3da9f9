/*
 * probe/kafka_int.h -- what the Kafka probe's files share (kafka.c the probe, kafka_metadata.c
 * the Metadata walker, kafka_release.c the release guess): the caps, the protocol's numbers,
 * the walker's program and the per-connection state. Inside the probe only.
 */
#ifndef AJAR_PROBE_KAFKA_INT_H
#define AJAR_PROBE_KAFKA_INT_H

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

/* kafka_release.c: the entry for api key in an ApiVersions table of n, or NULL. */
const struct kafka_api *kafka_api_find(const struct kafka_api *apis, size_t n, int16_t key);
/* kafka_metadata.c: the walker's program for the Metadata response of version v. */
void kafka_md_build(struct md *m, int v);
/* kafka_metadata.c: feed up to n bytes of the Metadata frame body; returns the bytes used. */
size_t kafka_md_feed(struct probe_ctx *ctx, struct kafka_state *s, const uint8_t *p, size_t n);

#endif
