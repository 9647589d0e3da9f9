/*
 * assess/assess.h -- from facts to judgement: signals and a severity.
 *
 * A probe says what answered and what it exposes; assessment says what
 * that means. Everything here is a pure function of one finding plus the
 * little the store knows about the others (how many hosts serve the same
 * certificate), so the same finding always gets the same signals and the
 * rules can be read, tested and argued about in one place. The signals,
 * the severity rubric and the reasoning behind each threshold are written
 * up in docs/signals.md; keep the two in step.
 *
 * Files: assess.c (the rules, severity, clusters), pii.c (the personal-data
 * matcher) and pii_words.c (its words, data/pii-terms.tsv), ransom.c
 * (ransom-note names, data/ransom-names.tsv), honeypot.c, lifecycle.c,
 * versions.c (version compare, the end-of-life table and the "no free
 * authentication" table, with sources).
 */
#ifndef AJAR_ASSESS_H
#define AJAR_ASSESS_H

#include "core/finding.h"
#include "core/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct assess_ctx {
    time_t now;     /* scan time */
    int cert_hosts; /* hosts seen serving this finding's certificate (>=1), 0 unknown */
    uint64_t personal_threshold; /* records for the regulator flag; 0 means the default 1000000 */
    int host_stores; /* different stores (data, broker) this address answered as in the scan */
};

/* An address answering as this many different stores at once is a honeypot suspect. */
#define HONEYPOT_MIN_STORES 5

#define ASSESS_PERSONAL_THRESHOLD 1000000u

/*
 * Fill f->signals, f->nsignals, f->severity and f->cluster from the facts in
 * f (signals already present are replaced). The finding keeps ownership of
 * everything; c may be NULL (now = f->time, nothing known about others).
 */
void assess_finding(struct finding *f, const struct assess_ctx *c);

/* ---- personal-data dictionary (pii.c) ---- */

enum pii_category {
    PII_NAME = 1u << 0,        /* person name */
    PII_NATIONAL_ID = 1u << 1, /* national ID / tax / social security / driving licence number */
    PII_PHONE = 1u << 2,
    PII_ADDRESS = 1u << 3, /* street / postal address */
    PII_EMAIL = 1u << 4,
    PII_BIRTH = 1u << 5, /* birth date */
    PII_PASSPORT = 1u << 6,
    PII_BANK_CARD = 1u << 7, /* bank card / account number */
    PII_VEHICLE = 1u << 8,   /* vehicle plate or VIN */
    PII_CRIMINAL = 1u << 9,  /* criminal or case record */
    PII_HEALTH = 1u << 10,
    PII_LOCATION = 1u << 11, /* geographic position, tracks */
    PII_PERSON = 1u << 12,   /* the rows are people (person_info, citizens, patients) */
};
#define PII_NCATEGORIES 13

/*
 * Categories found in one index/collection/table/field name (a bitmask of
 * enum pii_category; 0 for none). Word-boundary aware on snake_case,
 * camelCase, kebab-case, dots and digits; understands English, Chinese
 * (characters, full and abbreviated pinyin), Spanish, Portuguese, French,
 * German and Russian (Cyrillic and transliterated). NULL gives 0.
 */
unsigned pii_classify(const char *name);
/* The same answer found by trying every phrase of the dictionary at every word, without
 * pii_classify()'s index: the reference test_pii compares the index against. */
unsigned pii_classify_exhaustive(const char *name);
/* Short stable id of one category bit ("national-id"), "" for anything else: the record's
 * (finding_personal_id in core/finding.c, the ids' one table). */
const char *pii_category_name(unsigned bit);
/* Human words for one category bit ("national ID number"), "" for anything else. */
const char *pii_category_label(unsigned bit);
/* Parse a short id back to its bit; 0 when unknown. */
unsigned pii_category_parse(const char *id);
/* A name ransom gangs leave behind (read_me, how_to_recover, *-meow ...). */
bool ransom_name(const char *name);
/* 2: a name ransom gangs leave (data/ransom-names.tsv, strong); 1: one they leave that is also
 * a common legitimate name (weak: it counts only beside a wiped store); 0: neither. */
int ransom_strength(const char *name);

/* ---- honeypots (honeypot.c) ---- */

/* The honeypot project whose known answer f matches (data/honeypots.tsv), else NULL; why gets
 * "pointer value" of the first row of the group. */
const char *honeypot_match(const struct finding *f, char *why, size_t whyn);
/* Parse a table in data/honeypots.tsv's format in place of the built-in one (tests). */
size_t honeypot_table_parse(const char *text, size_t *bad);
/* Parse a table in data/ransom-names.tsv's format in place of the built-in one (tests): the
 * rows kept; *bad (may be NULL) the rows that did not parse. */
size_t ransom_table_parse(const char *text, size_t *bad);

/* ---- versions (versions.c) ---- */

/*
 * Compare dotted versions numerically: "7.10.2" > "7.9", "1.0" == "1.0.0".
 * Tolerant: a leading "v", suffixes such as "-oss" or "-log" are ignored,
 * a pre-release ("-rc1", "-beta", "-SNAPSHOT") sorts before its release,
 * NULL or "" sorts first. Returns <0, 0, >0.
 */
int version_cmp(const char *a, const char *b);

/* Does release line "5.6" cover version "5.6.16"? The number of parts matched, 0 if not. */
int version_line_covers(const char *line, const char *version);

/* One release line of data/lifecycle.tsv (assess/lifecycle.c). */
struct eol_info {
    const char *product;  /* the product's slug: "elasticsearch" */
    const char *line;     /* release line: "5.6", "6", "10.11" */
    const char *eol_date; /* "YYYY-MM-DD", NULL while maintained or when not published */
    bool ended;           /* ended, its date not published (eol "true") */
    const char *latest;   /* newest release of the line the source knows, NULL unknown */
    const char *source;   /* where the row comes from */
    bool verified;        /* the source is not marked unverified */
};

/*
 * The lifecycle table: data/lifecycle.tsv as built in, or the file given to
 * lifecycle_load_file (`ajar scan --lifecycle FILE`), which replaces it.
 * A bad file: -1 and e->msg "FILE:LINE: what is wrong", the table unchanged.
 */
struct lifecycle;
int lifecycle_parse(const char *name, const char *text, size_t n, struct lifecycle **out,
                    struct err *e);
void lifecycle_free(struct lifecycle *t);
int lifecycle_load_file(const char *path, struct err *e);
/* Back to the built-in table (tests). */
void lifecycle_reset(void);
/* Rows of the table in force. */
size_t lifecycle_rows(void);

/*
 * The release line of (product, version): the most specific line in the
 * table ("5.6" before "5"). A version older than every line of a known
 * product gets the oldest line (its end of life is an upper bound). NULL
 * when the product or version is unknown. Product matching is
 * case-insensitive and accepts service names ("postgresql", "postgres").
 * A MySQL-protocol version such as "5.5.5-10.11.6-MariaDB" is read as
 * MariaDB 10.11.6.
 */
const struct eol_info *eol_lookup(const char *product, const char *version);

/*
 * True when this product version had no free built-in authentication, so
 * the operator could not have added a password without paying or a proxy
 * (Elasticsearch and Kibana before 6.8.0 and 7.0.x, ...): the catalogue
 * entry's no_auth ranges, found by product or service name.
 */
bool no_auth_capability(const char *product, const char *version);
/* no_auth_capability(a, version) || no_auth_capability(b, version), the ranges read once when
 * both name the same catalogue entry (a NULL name: none) */
bool no_auth_capability_either(const char *a, const char *b, const char *version);

/*
 * The configuration fingerprint that groups identical deployments: a
 * stable 12-hex-digit id (SHA-256 prefix) of the certificate fingerprint
 * when there is one, else of product, version, the index-name pattern and
 * the certificate-name pattern. "" when there is nothing to group on.
 * out should hold at least 13 bytes (f->cluster does).
 */
void cluster_key(const struct finding *f, char *out, size_t n);

#endif
