/*
 * probe/sig_eval.h -- evaluating a signature's expressions and conditions against one answer
 * (sig_eval.c), for the runtime (signature.c). Inside the signature code only.
 */
#ifndef AJAR_PROBE_SIG_EVAL_H
#define AJAR_PROBE_SIG_EVAL_H

#include "probe/sig_int.h"

/* ---- evaluation context ---- */

struct ev {
    const struct http_resp *r;
    const struct sig_request *q; /* the request answered, when known */
    const char *var, *val;       /* the capture a repeated request runs over, and its value */
    uint16_t port;
    const int *status; /* the run's answered statuses, or NULL while identifying */
    json_t *json;
    bool json_tried;
    char title[256];
    bool title_done;
    int8_t escapes; /* the body has a backslash: 0 not known yet, 1 no, 2 yes (keys_present) */
};

/* ---- JSON pointers with '*' ---- */

struct hits {
    const json_t *v[SIG_MAX_JSON_HITS];
    const char *key[SIG_MAX_JSON_HITS]; /* the object key an element had, or NULL */
    size_t n;
};

/* ---- values ---- */

struct vals {
    json_t *v[SIG_MAX_LIST];
    size_t n;
    int64_t count; /* AGG_COUNT */
};

/* The answer's body as JSON (parsed once, after the request's json regex cut it), or NULL. */
json_t *sig_ev_json(struct ev *x);
void sig_ev_free(struct ev *x);
/* The values pointer p (with '*' segments) reaches from v, into h (at most SIG_MAX_JSON_HITS). */
void sig_walk(const json_t *v, const char *p, const char *key, struct hits *h);
void sig_vals_free(struct vals *o);
/* Expression x into o, with fallbacks: the first alternative that finds something. elem (and
 * its key ekey): the element a relative pointer starts from, or NULL. */
void sig_eval(const struct sig_expr *x, struct ev *ev, const json_t *elem, const char *ekey,
              struct vals *o);
/* The expression as one integer (count, sum or a number found), -1 when none. */
int64_t sig_eval_int(const struct sig_expr *x, struct ev *ev, const json_t *elem);
/* Every condition of c holds on the answer. */
bool sig_conds_hold(const struct sig_conds *c, struct ev *x);
/* Free the regex match context and data (signature_unload_all). */
void sig_regex_free(void);

#endif
