/*
 * probe/sig_int.h -- a compiled signature (probe/sigload.c and sig_yaml.c make it from a YAML
 * file, probe/signature.c and sig_eval.c run it, sig_list.c keeps the loaded ones). Private to
 * those files, the fuzzers and the tests.
 *
 * A signature is a catalogue entry, named requests (GET or HEAD, at most SIG_MAX_REQ), the
 * rules that identify the service from an answer (identify), and the rules that read facts
 * from the answers (extract). Regexes are PCRE2, compiled once at load and run under a match
 * and depth limit; JSON pointers (RFC 6901, with '*' for every element) run over the answer's
 * body parsed once by jansson. docs/signatures.md describes the file format.
 */
#ifndef AJAR_PROBE_SIG_INT_H
#define AJAR_PROBE_SIG_INT_H

#include "catalog/catalog.h"
#include "core/finding.h"
#include "probe/http.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#define SIG_MAX_REQ       8    /* requests a signature names */
#define SIG_MAX_EACH      16   /* repeats of a request over a captured list */
#define SIG_MAX_CAPTURES  4    /* lists a signature captures for later requests */
#define SIG_MAX_PATH      256  /* a request path, after substitution */
#define SIG_MAX_LIST      64   /* values a list expression keeps (captures, detail lists) */
#define SIG_MAX_JSON_HITS 4096 /* values a wildcard pointer may visit */
#define SIG_FILE_CAP      (256u << 10)
#define SIG_MATCH_LIMIT   100000 /* PCRE2 match limit: no signature or answer can stall a scan */
#define SIG_DEPTH_LIMIT   1000
#define SIG_REGEX_SUBJECT (1u << 20) /* a regex looks at the first MiB of a body */

/* Where a regex looks. */
enum sig_in { IN_BODY = 0, IN_TITLE, IN_HEADER };

/* A value: a constant, or read from an answer (json, regex, header, status); first/count/sum/all
 * of what it finds; fallbacks tried in turn when it finds nothing. */
enum sig_expr_kind { EX_CONST = 1, EX_JSON, EX_REGEX, EX_HEADER, EX_STATUS, EX_KEY, EX_VAR };
enum sig_agg { AGG_FIRST = 0, AGG_COUNT, AGG_SUM, AGG_ALL };

struct sig_expr {
    enum sig_expr_kind kind;
    char *text;     /* constant text, JSON pointer, header name, EX_VAR: the capture's name */
    json_t *value;  /* EX_CONST of a number or boolean (NULL for text) */
    pcre2_code *re; /* EX_REGEX, or an EX_HEADER filter */
    enum sig_in in; /* EX_REGEX: body, title or a header (text names it) */
    enum sig_agg agg;
    char **exclude; /* values left out */
    size_t nexclude;
    struct sig_expr *alt; /* tried when this one finds nothing */
};

enum sig_cond_kind {
    CD_STATUS = 1, /* status in a list */
    CD_NOT_STATUS, /* status not in a list */
    CD_HEADER,     /* header present (re NULL) or matching re */
    CD_NO_HEADER,  /* header absent */
    CD_BODY,       /* body matches re */
    CD_CONTAINS,   /* body contains text */
    CD_NOT_CONTAINS,
    CD_TITLE,       /* <title> matches re */
    CD_JSON_EXISTS, /* pointer text finds a value */
    CD_JSON_ABSENT,
    CD_JSON_EQUALS, /* pointer finds a value equal to value */
    CD_JSON_REGEX,  /* pointer finds a string matching re */
    CD_PORT,        /* the port in a list */
    CD_REQ_STATUS,  /* request req was answered with a status in the list */
    CD_REQ_ANSWERED /* request req was answered (whatever it said) */
};

struct sig_cond {
    enum sig_cond_kind kind;
    int nums[8]; /* statuses or ports */
    int nnums;
    char *text;
    pcre2_code *re;
    json_t *value;
    int req;
};

struct sig_conds {
    struct sig_cond *v;
    size_t n;
};

struct sig_request {
    char id[32];
    bool head;
    char *path; /* may hold one {var} */
    int each;   /* capture index repeated over, -1 */
    int max;    /* repeats at most */
    struct sig_conds only_if;
    pcre2_code *json_re; /* the answer's JSON document is this regex's first group (json:) */
    char *accept;        /* an Accept header for this request (accept:), or NULL */
    /* transport: tcp */
    unsigned char *send; /* the bytes sent (sendlen 0: read what the server says first) */
    size_t sendlen;
    pcre2_code *until; /* the answer is complete when the bytes so far match */
};

#define SIG_MAX_TCP 256 /* signatures of transport tcp (each a probe in every plan) */

struct sig_ident {
    int req; /* -1: any answer */
    int score;
    struct sig_conds c;
};

/* Names (or fields) from a list: the elements of `each` (a wildcard pointer), each giving a
 * name and optionally records and bytes (pointers relative to the element); or a plain list
 * expression (name only). */
struct sig_names {
    struct sig_expr *list;                   /* plain list, or NULL */
    char *each;                              /* pointer with '*', or NULL (with name: one name) */
    struct sig_expr *name, *records, *bytes; /* relative to the element */
    char **exclude;
    size_t nexclude;
};

struct sig_detail {
    char *key;
    struct sig_expr *e;
};

struct sig_capture {
    char var[32];
    struct sig_expr *e; /* a list */
};

struct sig_via;

struct sig_rule {
    int req; /* the request whose answers it reads; -1 any */
    struct sig_conds when;
    int auth; /* enum auth_state, or -1 */
    struct sig_expr *product, *version, *records, *bytes, *databases, *collections;
    struct sig_detail *details;
    size_t ndetails;
    struct sig_names *names, *fields;
    int capture; /* index into sig.captures, -1 */
    bool stop;
    struct sig_via *via; /* the stores behind a console, each an extra finding */
};

/* via: an extra finding per store a console reaches (once, or per element of `each`), filled
 * by `set` (its expressions relative to the element), recorded at the console's address with
 * via naming the console. */
struct sig_via {
    char *each;               /* pointer with '*', or NULL: one store */
    struct sig_expr *service; /* the store's service name (a constant or read) */
    struct sig_expr *backend; /* where the console says the store lives: details.backend */
    struct sig_rule set;
};

struct sig {
    struct svc entry; /* the catalogue entry this file brings */
    char *file;       /* where it was loaded from */
    char *product;    /* set when identified */
    struct sig_request req[SIG_MAX_REQ];
    int nreq;
    struct sig_ident *ident;
    size_t nident;
    struct sig_rule *rules;
    size_t nrules;
    struct sig_capture *captures;
    size_t ncaptures;
    const char *paths[SIG_MAX_REQ + 1]; /* fingerprint paths (identify rules' requests but /) */
    bool tcp;                           /* transport: tcp -- a probe of its own, not an HTTP app */
    struct http_app app;                /* transport: http */
    struct probe probe;                 /* transport: tcp */
    void *arena; /* every allocation above (blocks), freed with the signature */
};

/*
 * Compile the YAML text (n bytes) of file `name` into a signature. On error: -1 and
 * e->msg "NAME:LINE: what is wrong". The signature is not added to anything.
 */
int sig_compile(const char *name, const char *text, size_t n, struct sig **out, struct err *e);
void sig_free(struct sig *s);

/* The runtime: a signature as an HTTP app (or, transport: tcp, a probe) in signature.c; the
 * regex match under limits in sig_eval.c. */
void sig_bind_app(struct sig *s);
void sig_bind_probe(struct sig *s);
int sig_regex(const pcre2_code *re, const char *subject, size_t n, size_t *gs, size_t *ge);
/* Evaluate identify rules on one answer: the best score (0 none). */
int sig_identify(const struct sig *s, const char *path, uint16_t port, const struct http_resp *r);
/* Loaded signature i (sig_list.c's list), or NULL. */
const struct sig *signature_at(size_t i);
/* Tests and fuzzing: every identify rule, then every extract rule of s as if r answered each
 * of its requests (f->port set by the caller). The findings emitted for the stores behind a
 * console go to extra (at most PROBE_MAX_EXTRA; the caller frees them); returns how many. */
int sig_apply_all(const struct sig *s, const struct http_resp *r, struct finding *f,
                  struct finding **extra);

#endif
