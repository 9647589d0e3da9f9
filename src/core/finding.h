/*
 * core/finding.h -- one record per service found: the unit that flows from
 * the probes through assessment into the store and every output.
 *
 * A finding is filled by exactly one probe run (plus the engine's address,
 * port and TLS facts), then by assess (signals, severity, cluster), then by
 * the store (first/last seen). Its JSON form is the record documented in
 * docs/record.md and docs/record.schema.json. Two writers make it:
 * finding_to_json() (a jansson tree) and finding_json_write() (bytes into a
 * buffer, the store's and -o's hot path); tests/unit/test_finding_json.c
 * holds them to the same bytes, so every output agrees. They live in
 * finding_json.c and finding_write.c, the reader in finding_read.c, the
 * setters in finding.c. The top-level keys
 * come in one order, which core/record_text.c (the record's reader for
 * stored text) relies on and test_record_text checks: ..., "data", "via",
 * "details", "signals", "marks" (only when the assessment marked a name), "first_seen",
 * "last_seen" (last).
 *
 * Ownership: the finding owns every string and list in it; finding_free()
 * releases them. The lists a probe in flight seldom fills (signals, hostnames, the
 * certificate's SANs, the per-name counts) are allocated on their first item and grow
 * within their caps, so a finding while its probe runs is ~3 KB (one lives in every
 * connection): their pointers are NULL while the lists are empty, an allocation failure
 * drops the item as a full list does, and a copy is finding_copy()'s (a struct assignment
 * or memcpy would share them). All setters copy their input and sanitize untrusted bytes
 * (invalid UTF-8, control bytes and NULs never reach the record) and cap
 * lengths: names and fields keep the first FINDING_MAX_NAMES with a total
 * count, each at most FINDING_MAX_NAME bytes.
 */
#ifndef AJAR_CORE_FINDING_H
#define AJAR_CORE_FINDING_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define FINDING_MAX_NAMES   100
#define FINDING_MAX_NAME    128
#define FINDING_MAX_SAN     32
#define FINDING_MAX_SIGNALS 32

/* --rdns: PTR and certificate names (net/rdns.c) */
#define FINDING_MAX_HOSTNAMES 16
#define FINDING_HOSTNAME_MAX  253

enum auth_state { AUTH_UNKNOWN = 0, AUTH_NONE, AUTH_REQUIRED, AUTH_PARTIAL };
enum severity { SEV_NONE = 0, SEV_INFO, SEV_LOW, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL };

const char *auth_name(enum auth_state a);
const char *severity_name(enum severity s);
/* Parse "info".."critical"; returns -1 on an unknown name. */
int severity_parse(const char *s, enum severity *out);
/* "none" -> AUTH_NONE ... (auth_name's names, exactly); 0, or -1 with *out untouched. */
int auth_state_parse(const char *s, enum auth_state *out);

/* A capped list of sanitized strings with the true total count. */
struct strlist {
    char **v;
    uint32_t n;     /* stored (<= FINDING_MAX_NAMES) */
    uint32_t cap;   /* slots allocated in v (grows 4, 8, ... up to FINDING_MAX_NAMES) */
    uint64_t total; /* seen, including those not stored */
};
void strlist_add(struct strlist *l, const char *s, size_t n);
bool strlist_has(const struct strlist *l, const char *s);
void strlist_free(struct strlist *l);

/* Facts about one certificate (the leaf unless stated), filled by tls/cert.c. The SANs are
 * allocated on the first (tls_add_san) and released by tls_facts_free() (finding_free()'s). */
struct tls_facts {
    bool present;
    char version[16]; /* "TLSv1.3" */
    char cipher[64];
    char sha256[65]; /* lowercase hex of the DER */
    char subject_cn[256];
    char issuer_cn[256];
    char subject[512]; /* one-line RFC 2253 */
    char issuer[512];
    char (*san)[256]; /* nsan DNS names and addresses, NULL while none */
    int nsan;         /* <= FINDING_MAX_SAN */
    size_t san_cap;   /* slots allocated */
    time_t not_before, not_after;
    bool self_signed;
    bool expired; /* relative to the scan time */
    bool not_yet_valid;
    char key_type[16]; /* "rsa", "ec", "ed25519", ... */
    int key_bits;
    char sig_alg[64]; /* "sha256WithRSAEncryption" */
    int name_match;   /* -1 not checked (no name given), 0 mismatch, 1 match */
    int chain_len;    /* certificates the server sent */
    bool verified;    /* chain verified against the system store */
};

/* Attribution of the address: network (ASN database), geo (country database), cloud. */
struct finding_attr {
    uint32_t asn;    /* 0 unknown (AS 0 is reserved) */
    char org[128];   /* the AS's organisation */
    char prefix[50]; /* the database's network holding the address, "x.x.x.x/nn" */
    char country[3]; /* ISO 3166-1 alpha-2 */
    char cloud[32];  /* provider: "aws", "alibaba-cloud", ... */
    char cloud_region[64];
    char cloud_service[64];
};

struct signal {
    char id[48];
    enum severity severity;
    char detail[256];
};

/* Personal-data categories: the stable ids the record's "marks" carry ("phone", "national-id";
 * docs/record.md). This is their one table: assess/pii.c classifies names into them and words
 * them for people (pii_category_label), its enum pii_category is bit i of id i. */
#define FINDING_PERSONAL_KINDS 13
/* The id of one category bit, "" for anything else. */
const char *finding_personal_id(unsigned bit);
/* An id back to its bit; 0 when unknown. */
unsigned finding_personal_parse(const char *id);

/* What the assessment concluded about one listed name or field: the personal-data categories
 * it looks like, or that it is a ransom note. The record's "marks" (docs/record.md), filled by
 * assess_finding(), read by the dashboard and any consumer of the record. */
enum mark_list { MARK_NAMES = 0, MARK_FIELDS = 1 };
struct finding_mark {
    uint8_t list;      /* enum mark_list */
    bool ransom;       /* a ransom note (only names are) */
    uint16_t index;    /* in the list's v[] */
    uint32_t personal; /* bits of finding_personal_id's categories */
};
/* one mark at most per stored name and field */
#define FINDING_MAX_MARKS (2 * FINDING_MAX_NAMES)

struct finding {
    /* identity, filled by the engine */
    char ip[46];
    uint16_t port;
    char host[256];    /* name the user gave, "" if none */
    char transport[8]; /* "tcp" */
    time_t time;

    /* --rdns (net/rdns.c): the address's PTR names, then the certificate's subject CN and SAN
     * DNS names; validated, lowercase, deduplicated. Written only when rdns is set. */
    bool rdns;             /* names were looked up: "ptr" is written (possibly []) */
    int nhostnames;        /* <= FINDING_MAX_HOSTNAMES */
    uint32_t hostname_ptr; /* bit i: hostnames[i] is a PTR name */
    char (*hostnames)[FINDING_HOSTNAME_MAX + 1]; /* finding_add_hostname's; NULL while none */
    size_t hostnames_cap;                        /* slots allocated */

    /* what answers, filled by the probe */
    char service[32]; /* "elasticsearch", "unknown" */
    char product[64];
    char version[64];
    enum auth_state auth;
    char banner[160]; /* printable start of what an unidentified port said */
    char error[160];  /* why a probe failed, "" when it did not */

    struct tls_facts tls;

    /* data exposed (metadata only); -1 = unknown */
    int64_t databases, collections, records, bytes;
    struct strlist names;  /* databases / indices / collections / tables */
    struct strlist fields; /* field / column names */
    /* per-name counts, parallel to names.v (-1 unknown): FINDING_MAX_NAMES each, allocated
     * with the first name (finding_add_name; NULL while names.n is 0) */
    uint32_t name_counts_cap; /* slots allocated in name_records and name_bytes */
    int64_t *name_records;
    int64_t *name_bytes;

    /* reached through a dashboard: the console's service and address */
    bool has_via;
    char via_service[32];
    char via_ip[46];
    uint16_t via_port;

    /* where the address is (attr/attr.c: --asn-db, --geo-db, --cloud-ranges); each object is
     * absent from the record while its fields are empty */
    struct finding_attr attr;

    /* probe-specific facts, a JSON object (owned), e.g. {"mode":"standalone"} */
    json_t *details;

    /* filled by assess */
    struct signal *signals; /* nsignals (<= FINDING_MAX_SIGNALS), NULL while none */
    int nsignals;
    size_t signals_cap; /* slots allocated */
    enum severity severity;
    char cluster[24]; /* cluster id, "" if none */
    /* what assess concluded per name and field, in the names' then the fields' order; NULL
     * while none (nmarks <= FINDING_MAX_MARKS) */
    struct finding_mark *marks;
    int nmarks;
    size_t marks_cap; /* slots allocated */

    /* filled by the store */
    time_t first_seen, last_seen;
    int64_t first_scan; /* the scan that first saw the current open period, 0 unknown; the
                           store's, never in the record */
};

/* Zero a finding and set the unknown markers (f owns nothing yet: finding_free() an old one). */
void finding_init(struct finding *f);
/* Release what f owns; its lists are then empty (NULL), so a second call is harmless. */
void finding_free(struct finding *f);
/* Deep copy (dst is initialised by this call; it shares nothing with src). Returns 0, or -1 on
 * allocation failure: dst then holds what could be copied and still needs finding_free(). */
int finding_copy(struct finding *dst, const struct finding *src);
/* Release the SAN list (the rest of t is plain bytes). */
void tls_facts_free(struct tls_facts *t);
/* Append a SAN (copied, cut at 255 bytes). False when FINDING_MAX_SAN are there or memory
 * runs out: the name is dropped. */
bool tls_add_san(struct tls_facts *t, const char *s);

/* Setters that sanitize untrusted bytes (p, n) into the fixed fields. */
void finding_set(char *field, size_t fieldsz, const void *p, size_t n);
#define FINDING_SET(f, field, str) finding_set((f)->field, sizeof((f)->field), (str), strlen(str))
/* Add v (-1 unknown: ignored) to a count that may still be unknown (-1), saturating at INT64_MAX.
 */
void finding_count_add(int64_t *acc, int64_t v);

/* An id a server gives its store (cluster_uuid, run_id): 1 to 64 of [0-9A-Za-z_-] (the
 * servers' ids are hex, base64url or a UUID). The key per service is the catalogue's
 * (catalog_instance). */
bool finding_instance_id_ok(const char *v);
/* Add a name (index, collection, table, database) with its counts (-1 unknown). */
void finding_add_name(struct finding *f, const char *name, size_t n, int64_t records,
                      int64_t bytes);
void finding_add_field(struct finding *f, const char *name, size_t n);
/* Append a host name (copied as given, cut at FINDING_HOSTNAME_MAX bytes; net/rdns.c
 * validates and deduplicates), ptr: it is a PTR name. False when FINDING_MAX_HOSTNAMES are
 * there or memory runs out: the name is dropped. */
bool finding_add_hostname(struct finding *f, const char *name, bool ptr);
/* Set o's "network", "geo" and "cloud" from a, each only when it has a field (the record's
 * objects, docs/record.md). */
void finding_attr_json(json_t *o, const struct finding_attr *a);
/* Set a detail key to a JSON value (steals the reference). */
void finding_detail(struct finding *f, const char *key, json_t *value);
void finding_detail_str(struct finding *f, const char *key, const char *value);
void finding_detail_int(struct finding *f, const char *key, int64_t value);
/* A detail string from untrusted bytes (p, n): sanitized, capped at 255 bytes. */
void finding_detail_strn(struct finding *f, const char *key, const void *p, size_t n);
void finding_add_signal(struct finding *f, const char *id, enum severity sev, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A new, zeroed signal at the end of f's list (nsignals counts it), or NULL when
 * FINDING_MAX_SIGNALS are there or memory runs out. finding_add_signal's, and the reader's. */
struct signal *finding_new_signal(struct finding *f);

/* Mark name or field `index` of `list` (personal: category bits; ransom: a ransom note); a
 * second mark of the same entry adds to the first. False, and nothing marked, when the entry is
 * not stored, there is nothing to mark (no known category, not ransom) or memory runs out. */
bool finding_add_mark(struct finding *f, enum mark_list list, uint32_t index, uint32_t personal,
                      bool ransom);
/* The listed name or field m marks, NULL when f does not hold it (the writers skip such a
 * mark: their "marks" is the marks with a name). */
const char *finding_mark_name(const struct finding *f, const struct finding_mark *m);
/* The record's word for a mark's list: "names" or "fields". */
const char *finding_mark_list_name(unsigned list);

/*
 * The record as JSON (a new reference). With discovery_only, only the
 * discovery fields (ip, port, transport, time, host) are written.
 */
json_t *finding_to_json(const struct finding *f, bool discovery_only);
/*
 * The same record as text, appended to b: byte for byte what
 * json_dumps(finding_to_json(f, discovery_only), JSON_COMPACT) returns, made
 * without a jansson tree (the store's hot path). spans, if given, gets where
 * the "tls" object (length 0 when tls is null) and the "signals" array lie
 * in b. Returns 0, or -1 (out of memory, b's cap reached, details that do
 * not dump) with b as it was.
 */
struct buf;
struct finding_json_spans {
    size_t tls, tls_len; /* offsets in b->data */
    size_t signals, signals_len;
};
int finding_json_write(struct buf *b, const struct finding *f, bool discovery_only,
                       struct finding_json_spans *spans);
/* The record's tls "key" ("rsa-2048"), "" when the record has none. */
void finding_tls_key(const struct tls_facts *t, char *out, size_t n);
/* Read a record back (store, import, tests). Returns 0 or -1. */
int finding_from_json(struct finding *f, const json_t *j);

#endif
