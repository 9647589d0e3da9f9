/*
 * probe/signature.c -- signatures at run time: loading files into the
 * catalogue, and each signature as an HTTP app the dispatcher drives
 * (docs/signatures.md).
 *
 * Identification (sig_match): the identify rules of the answered request
 * (or of any request) are tested against the answer; the best score wins,
 * as a compiled app's match() does. The dispatcher sends each distinct
 * request at most once per port: GET / and the fingerprint paths are its
 * own and shared by every candidate, so a signature whose service was
 * recognised on one of them does not ask for it again.
 *
 * After identification (sig_on_response): the extract rules of the
 * answered request are applied in file order; then the next request in
 * file order that an extract rule reads, whose only_if holds and that was
 * not asked yet, is sent -- once, or once per value of a captured list
 * (each:, percent-encoded into the path). A rule with stop: ends the run.
 * Counts (records, bytes, databases, collections) add up over the answers
 * of a repeated request and are set by the others; lists are sets.
 *
 * Limits: every read of the network is the dispatcher's, capped as for
 * any app; a regex looks at the first SIG_REGEX_SUBJECT bytes under
 * PCRE2's match and depth limits (a limit reached is "no match"); a JSON
 * pointer with wildcards visits at most SIG_MAX_JSON_HITS values; lists
 * keep SIG_MAX_LIST values.
 */
#include "probe/sig_int.h"
#include "probe/signature.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- regex under limits ---- */

static pcre2_match_context *mctx;
static pcre2_match_data *mdata; /* the scan is single-threaded; tests and fuzzers too */

static int regex_at(const pcre2_code *re, const char *subject, size_t n, size_t start, size_t *gs,
                    size_t *ge);

int sig_regex(const pcre2_code *re, const char *subject, size_t n, size_t *gs, size_t *ge)
{
    return regex_at(re, subject, n, 0, gs, ge);
}

/* A match at or after start (offsets from subject); 0 when none or a limit was reached. */
static int regex_at(const pcre2_code *re, const char *subject, size_t n, size_t start, size_t *gs,
                    size_t *ge)
{
    if (!mctx) {
        mctx = pcre2_match_context_create(NULL);
        if (!mctx) return 0;
        pcre2_set_match_limit(mctx, SIG_MATCH_LIMIT);
        pcre2_set_depth_limit(mctx, SIG_DEPTH_LIMIT);
        pcre2_set_heap_limit(mctx, 4096); /* KiB */
    }
    if (!mdata && !(mdata = pcre2_match_data_create(10, NULL))) return 0;
    if (n > SIG_REGEX_SUBJECT) n = SIG_REGEX_SUBJECT;
    if (!subject) subject = "", n = 0;
    if (start > n) return 0;
    int rc = pcre2_match(re, (PCRE2_SPTR)subject, n, start, 0, mdata, mctx);
    if (rc <= 0) return 0; /* no match, or a limit reached: no match */
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(mdata);
    int g = rc > 1 ? 1 : 0; /* the first group, else the whole match */
    if (gs) *gs = ov[2 * g] == PCRE2_UNSET ? 0 : ov[2 * g];
    if (ge) *ge = ov[2 * g + 1] == PCRE2_UNSET ? 0 : ov[2 * g + 1];
    if (gs && ge && *ge < *gs) *ge = *gs;
    return 1;
}

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
};

static json_t *ev_json(struct ev *x)
{
    if (!x->json_tried) {
        x->json_tried = true;
        const char *b = (const char *)x->r->body.data;
        size_t n = b ? x->r->body.len : 0, gs = 0, ge = n;
        if (x->q && x->q->json_re && !sig_regex(x->q->json_re, b, n, &gs, &ge)) n = 0;
        if (n && ge > gs && !x->r->truncated)
            x->json = json_loadb(b + gs, ge - gs, JSON_DECODE_ANY, NULL);
    }
    return x->json;
}

static const char *ev_title(struct ev *x)
{
    if (!x->title_done) {
        x->title_done = true;
        http_title(x->r, x->title, sizeof x->title);
    }
    return x->title;
}

static void ev_free(struct ev *x)
{
    json_decref(x->json);
}

/* ---- JSON pointers with '*' ---- */

struct hits {
    const json_t *v[SIG_MAX_JSON_HITS];
    const char *key[SIG_MAX_JSON_HITS]; /* the object key an element had, or NULL */
    size_t n;
};

/* One segment of pointer p (from *p to the next '/'), unescaped into seg. */
static size_t segment(const char *p, char *seg, size_t segn)
{
    size_t o = 0, i = 0;
    for (; p[i] && p[i] != '/'; i++) {
        char c = p[i];
        if (c == '~' && (p[i + 1] == '0' || p[i + 1] == '1')) {
            c = p[i + 1] == '0' ? '~' : '/';
            i++;
        }
        if (o + 1 < segn) seg[o++] = c;
    }
    seg[o] = 0;
    return i;
}

static void walk(const json_t *v, const char *p, const char *key, struct hits *h)
{
    if (h->n >= SIG_MAX_JSON_HITS || !v) return;
    if (*p == '/') p++;
    if (!*p) {
        h->key[h->n] = key;
        h->v[h->n++] = v;
        return;
    }
    char seg[256];
    size_t adv = segment(p, seg, sizeof seg);
    const char *rest = p + adv;
    if (!strcmp(seg, "*")) {
        if (json_is_array(v)) {
            size_t i;
            const json_t *e;
            json_array_foreach(v, i, e) walk(e, rest, NULL, h);
        } else if (json_is_object(v)) {
            const char *k;
            const json_t *e;
            json_object_foreach((json_t *)v, k, e) walk(e, rest, k, h);
        }
        return;
    }
    if (json_is_object(v)) {
        walk(json_object_get(v, seg), rest, key, h);
    } else if (json_is_array(v)) {
        uint64_t i;
        if (parse_u64(seg, 1u << 30, &i) == 0) walk(json_array_get(v, (size_t)i), rest, key, h);
    }
}

/* ---- values ---- */

struct vals {
    json_t *v[SIG_MAX_LIST];
    size_t n;
    int64_t count; /* AGG_COUNT */
};

static void vals_free(struct vals *o)
{
    for (size_t i = 0; i < o->n; i++)
        json_decref(o->v[i]);
    o->n = 0;
}

static bool excluded(const struct sig_expr *x, const char *s)
{
    for (size_t i = 0; i < x->nexclude; i++)
        if (!strcmp(x->exclude[i], s)) return true;
    return false;
}

/* Add a scalar (string, number, boolean) to the list; lists are sets. */
static void vals_add(struct vals *o, const struct sig_expr *x, json_t *v)
{
    if (!v) return;
    if (json_is_string(v) && excluded(x, json_string_value(v))) {
        json_decref(v);
        return;
    }
    for (size_t i = 0; i < o->n; i++)
        if (json_equal(o->v[i], v)) {
            json_decref(v);
            return;
        }
    if (o->n < SIG_MAX_LIST)
        o->v[o->n++] = v;
    else
        json_decref(v);
}

static bool as_int(const json_t *v, int64_t *out)
{
    uint64_t u;
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = json_integer_value(v);
        return true;
    }
    if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) < 9.2e18) {
        *out = (int64_t)json_real_value(v);
        return true;
    }
    if (json_is_string(v) && parse_u64(json_string_value(v), INT64_MAX, &u) == 0) {
        *out = (int64_t)u;
        return true;
    }
    return false;
}

/* One expression (no fallbacks) into o. elem: the element a relative pointer starts from. */
static void eval1(const struct sig_expr *x, struct ev *ev, const json_t *elem, const char *ekey,
                  struct vals *o)
{
    const struct http_resp *r = ev->r;
    switch (x->kind) {
    case EX_CONST:
        vals_add(o, x, x->value ? json_incref(x->value) : json_string(x->text));
        o->count = 1;
        return;
    case EX_STATUS:
        vals_add(o, x, json_integer(r->status));
        o->count = 1;
        return;
    case EX_KEY:
        if (ekey) vals_add(o, x, json_string(ekey));
        o->count = ekey ? 1 : 0;
        return;
    case EX_VAR:
        if (ev->var && ev->val && !strcmp(ev->var, x->text)) {
            vals_add(o, x, json_string(ev->val));
            o->count = 1;
        }
        return;
    case EX_HEADER:
        for (int i = 0; i < r->nhdr; i++) {
            if (!str_ieq(r->hdr[i].name, x->text)) continue;
            vals_add(o, x, json_string(r->hdr[i].value));
            o->count++;
            if (x->agg == AGG_FIRST) break;
        }
        return;
    case EX_REGEX: {
        const char *subj = NULL;
        size_t n = 0;
        if (x->in == IN_BODY) {
            subj = (const char *)r->body.data;
            n = subj ? r->body.len : 0;
        } else if (x->in == IN_TITLE) {
            subj = ev_title(ev);
            n = strlen(subj);
        } else {
            subj = http_header(r, x->text);
            n = subj ? strlen(subj) : 0;
        }
        if (!subj) return;
        size_t off = 0, gs, ge;
        if (n > SIG_REGEX_SUBJECT) n = SIG_REGEX_SUBJECT;
        PCRE2_SIZE *ov = NULL;
        while (off <= n && regex_at(x->re, subj, n, off, &gs, &ge)) {
            char tmp[FINDING_MAX_NAME * 2];
            str_sanitize(tmp, sizeof tmp, subj + gs, ge - gs, false);
            o->count++;
            if (x->agg == AGG_SUM) { /* the numbers matched, added up */
                json_t *num = json_string(tmp);
                int64_t a, acc = -1;
                if (num && as_int(num, &a)) {
                    if (o->n) as_int(o->v[0], &acc);
                    finding_count_add(&acc, a);
                    vals_free(o);
                    o->v[o->n++] = json_integer(acc);
                }
                json_decref(num);
            } else {
                vals_add(o, x, json_string(tmp));
            }
            if (x->agg == AGG_FIRST || o->count >= SIG_MAX_JSON_HITS) break;
            /* on from the end of the whole match (an empty one moves one byte on) */
            ov = pcre2_get_ovector_pointer(mdata);
            off = ov[1] > off ? ov[1] : off + 1;
        }
        return;
    }
    case EX_JSON: {
        const json_t *base = x->text[0] == '/' || !x->text[0] ? ev_json(ev) : elem;
        if (!base) return;
        struct hits *h = xcalloc(1, sizeof *h);
        if (!h) return;
        walk(base, x->text, NULL, h);
        if (x->agg == AGG_COUNT && h->n == 1 &&
            (json_is_array(h->v[0]) || json_is_object(h->v[0]))) {
            o->count = json_is_array(h->v[0]) ? (int64_t)json_array_size(h->v[0])
                                              : (int64_t)json_object_size(h->v[0]);
            free(h);
            return;
        }
        for (size_t i = 0; i < h->n; i++) {
            const json_t *v = h->v[i];
            if (json_is_string(v) && excluded(x, json_string_value(v))) continue;
            o->count++;
            if (json_is_object(v) || json_is_array(v) || json_is_null(v)) continue;
            if (x->agg == AGG_SUM) {
                int64_t a;
                if (as_int(v, &a)) {
                    int64_t acc = -1;
                    if (o->n) as_int(o->v[0], &acc);
                    finding_count_add(&acc, a);
                    vals_free(o);
                    o->v[o->n++] = json_integer(acc);
                }
                continue;
            }
            vals_add(o, x, json_deep_copy(v));
            if (x->agg == AGG_FIRST && o->n) break;
        }
        free(h);
        return;
    }
    }
}

/* With fallbacks: the first alternative that finds something. */
static void eval(const struct sig_expr *x, struct ev *ev, const json_t *elem, const char *ekey,
                 struct vals *o)
{
    memset(o, 0, sizeof *o);
    for (; x; x = x->alt) {
        memset(o, 0, sizeof *o);
        eval1(x, ev, elem, ekey, o);
        if (o->n || (x->agg == AGG_COUNT && o->count > 0)) return;
        vals_free(o);
    }
}

/* The expression as one integer (count, sum or a number found), -1 when none. */
static int64_t eval_int(const struct sig_expr *x, struct ev *ev, const json_t *elem)
{
    struct vals o;
    int64_t v = -1;
    for (const struct sig_expr *e = x; e; e = e->alt) {
        memset(&o, 0, sizeof o);
        eval1(e, ev, elem, NULL, &o);
        if (e->agg == AGG_COUNT) {
            v = o.count;
        } else if (o.n) {
            for (size_t i = 0; i < o.n && v < 0; i++)
                if (!as_int(o.v[i], &v)) v = -1;
        }
        vals_free(&o);
        if (v >= 0) break;
    }
    return v;
}

/* ---- conditions ---- */

static bool in_nums(const struct sig_cond *c, int v)
{
    for (int i = 0; i < c->nnums; i++)
        if (c->nums[i] == v) return true;
    return false;
}

static bool cond1(const struct sig_cond *c, struct ev *x)
{
    if (c->kind == CD_REQ_STATUS) return x->status && c->req >= 0 && in_nums(c, x->status[c->req]);
    if (c->kind == CD_REQ_ANSWERED) return x->status && c->req >= 0 && x->status[c->req] > 0;
    const struct http_resp *r = x->r;
    if (!r) return false;
    const char *b = (const char *)r->body.data;
    size_t n = b ? r->body.len : 0;
    switch (c->kind) {
    case CD_STATUS:
        return in_nums(c, r->status);
    case CD_NOT_STATUS:
        return !in_nums(c, r->status);
    case CD_PORT:
        return in_nums(c, x->port);
    case CD_HEADER:
        for (int i = 0; i < r->nhdr; i++) {
            if (!str_ieq(r->hdr[i].name, c->text)) continue;
            if (!c->re || sig_regex(c->re, r->hdr[i].value, strlen(r->hdr[i].value), NULL, NULL))
                return true;
        }
        return false;
    case CD_NO_HEADER:
        return http_header(r, c->text) == NULL;
    case CD_BODY:
        return sig_regex(c->re, b, n, NULL, NULL);
    case CD_CONTAINS:
        return b && mem_find(b, n, c->text, false) != NULL;
    case CD_NOT_CONTAINS:
        return !b || mem_find(b, n, c->text, false) == NULL;
    case CD_TITLE: {
        const char *t = ev_title(x);
        return sig_regex(c->re, t, strlen(t), NULL, NULL);
    }
    case CD_JSON_EXISTS:
    case CD_JSON_ABSENT:
    case CD_JSON_EQUALS:
    case CD_JSON_REGEX: {
        json_t *j = ev_json(x);
        struct hits *h = j ? xcalloc(1, sizeof *h) : NULL;
        bool found = false;
        if (h) {
            walk(j, c->text, NULL, h);
            for (size_t i = 0; i < h->n && !found; i++) {
                const json_t *v = h->v[i];
                if (c->kind == CD_JSON_EXISTS || c->kind == CD_JSON_ABSENT)
                    found = !json_is_null(v);
                else if (c->kind == CD_JSON_EQUALS)
                    found = json_equal(v, c->value);
                else
                    found = json_is_string(v) && sig_regex(c->re, json_string_value(v),
                                                           json_string_length(v), NULL, NULL);
            }
            free(h);
        }
        return c->kind == CD_JSON_ABSENT ? !found : found;
    }
    case CD_REQ_STATUS:
    case CD_REQ_ANSWERED:
        break;
    }
    return false;
}

static bool conds_hold(const struct sig_conds *c, struct ev *x)
{
    for (size_t i = 0; i < c->n; i++)
        if (!cond1(&c->v[i], x)) return false;
    return true;
}

/* ---- the app ---- */

#define STATE_UNANSWERED 0
#define STATE_SKIPPED    (-1) /* asked by the dispatcher, not ours to read, or only_if failed */

struct sig_state {
    bool started;
    int cur;    /* the request in flight */
    int next;   /* where the walk over the requests resumes */
    int each_i; /* the value of the capture list the request in flight took */
    int status[SIG_MAX_REQ];
    struct strlist caps[SIG_MAX_CAPTURES];
};

static const struct sig *sig_of(const struct http_app *a)
{
    return (const struct sig *)((const char *)a - offsetof(struct sig, app));
}

int sig_identify(const struct sig *s, const char *path, uint16_t port, const struct http_resp *r)
{
    struct ev x = {.r = r, .port = port};
    for (int i = 0; i < s->nreq && !x.q; i++)
        if (s->req[i].each < 0 && !strcmp(s->req[i].path, path)) x.q = &s->req[i];
    int best = 0;
    for (size_t i = 0; i < s->nident; i++) {
        const struct sig_ident *d = &s->ident[i];
        if (d->score <= best) continue;
        if (d->req >= 0 && strcmp(s->req[d->req].path, path) != 0) continue;
        if (conds_hold(&d->c, &x)) best = d->score;
    }
    ev_free(&x);
    return best;
}

static int sig_match(const struct http_app *self, const char *path, uint16_t port,
                     const struct http_resp *r)
{
    return sig_identify(sig_of(self), path, port, r);
}

/* A name with its counts: added, or -- listed already by an earlier answer -- given the counts
 * it lacks (a collection listed by one request, counted by the next). */
static void name_put(struct finding *f, const char *s, int64_t rec, int64_t byt)
{
    for (uint32_t i = 0; i < f->names.n; i++) {
        if (strcmp(f->names.v[i], s)) continue;
        if (f->name_records[i] < 0 && rec >= 0) f->name_records[i] = rec;
        if (f->name_bytes[i] < 0 && byt >= 0) f->name_bytes[i] = byt;
        return;
    }
    finding_add_name(f, s, strlen(s), rec, byt);
}

/* Names from a rule: a plain list, one name with its counts, or the elements of `each`.
 * elem: the element of a via's each: that relative pointers start from (or NULL). */
static void add_names(const struct sig_names *nm, struct ev *x, const json_t *elem,
                      struct finding *f, bool fields)
{
    if (nm->list) {
        struct vals o;
        eval(nm->list, x, elem, NULL, &o);
        for (size_t i = 0; i < o.n; i++) {
            const char *s = json_string_value(o.v[i]);
            char tmp[32];
            if (!s && json_is_integer(o.v[i])) {
                str_fmt(tmp, sizeof tmp, "%lld", (long long)json_integer_value(o.v[i]));
                s = tmp;
            }
            if (!s) continue;
            if (fields)
                finding_add_field(f, s, strlen(s));
            else if (!strlist_has(&f->names, s))
                finding_add_name(f, s, strlen(s), -1, -1);
        }
        vals_free(&o);
        return;
    }
    if (!nm->each) { /* one name, from this answer */
        struct vals o;
        eval(nm->name, x, elem, NULL, &o);
        const char *s = o.n ? json_string_value(o.v[0]) : NULL;
        if (s && fields) {
            finding_add_field(f, s, strlen(s));
        } else if (s) {
            int64_t rec = nm->records ? eval_int(nm->records, x, elem) : -1;
            int64_t byt = nm->bytes ? eval_int(nm->bytes, x, elem) : -1;
            name_put(f, s, rec, byt);
        }
        vals_free(&o);
        return;
    }
    const json_t *j = nm->each[0] == '/' || !elem ? ev_json(x) : elem;
    if (!j) return;
    struct hits *h = xcalloc(1, sizeof *h);
    if (!h) return;
    walk(j, nm->each, NULL, h);
    for (size_t i = 0; i < h->n; i++) {
        struct vals o;
        eval(nm->name, x, h->v[i], h->key[i], &o);
        const char *s = o.n ? json_string_value(o.v[0]) : NULL;
        bool skip = !s;
        for (size_t k = 0; s && k < nm->nexclude; k++)
            if (!strcmp(nm->exclude[k], s)) skip = true;
        if (!skip && fields) {
            finding_add_field(f, s, strlen(s));
        } else if (!skip) {
            int64_t rec = nm->records ? eval_int(nm->records, x, h->v[i]) : -1;
            int64_t byt = nm->bytes ? eval_int(nm->bytes, x, h->v[i]) : -1;
            name_put(f, s, rec, byt);
        }
        vals_free(&o);
    }
    free(h);
}

static void set_count(int64_t *field, int64_t v, bool add)
{
    if (v < 0) return;
    if (add)
        finding_count_add(field, v);
    else
        *field = v;
}

static void apply_via(const struct sig *s, const struct sig_via *w, struct ev *x,
                      struct probe_ctx *pc);

static void apply(const struct sig *s, struct sig_state *st, const struct sig_rule *u, struct ev *x,
                  const json_t *elem, struct finding *f, bool repeated, struct probe_ctx *pc)
{
    struct vals o;
    if (u->auth >= 0) f->auth = (enum auth_state)u->auth;
    if (u->product) {
        eval(u->product, x, elem, NULL, &o);
        if (o.n && json_is_string(o.v[0])) FINDING_SET(f, product, json_string_value(o.v[0]));
        vals_free(&o);
    }
    if (u->version) {
        eval(u->version, x, elem, NULL, &o);
        if (o.n && json_is_string(o.v[0])) FINDING_SET(f, version, json_string_value(o.v[0]));
        vals_free(&o);
    }
    if (u->records) set_count(&f->records, eval_int(u->records, x, elem), repeated);
    if (u->bytes) set_count(&f->bytes, eval_int(u->bytes, x, elem), repeated);
    if (u->databases) set_count(&f->databases, eval_int(u->databases, x, elem), repeated);
    if (u->collections) set_count(&f->collections, eval_int(u->collections, x, elem), repeated);
    for (size_t i = 0; i < u->ndetails; i++) {
        const struct sig_detail *d = &u->details[i];
        if (d->e->agg == AGG_COUNT || d->e->agg == AGG_SUM) {
            int64_t v = eval_int(d->e, x, elem);
            if (v >= 0) finding_detail_int(f, d->key, v);
            continue;
        }
        eval(d->e, x, elem, NULL, &o);
        if (d->e->agg == AGG_ALL) {
            json_t *arr = json_array();
            for (size_t k = 0; arr && k < o.n; k++) {
                const char *sv = json_string_value(o.v[k]);
                if (sv) {
                    char tmp[FINDING_MAX_NAME];
                    str_sanitize(tmp, sizeof tmp, sv, strlen(sv), true);
                    json_array_append_new(arr, json_string(tmp));
                } else {
                    json_array_append(arr, o.v[k]);
                }
            }
            finding_detail(f, d->key, arr);
        } else if (o.n && json_is_string(o.v[0])) {
            finding_detail_str(f, d->key, json_string_value(o.v[0]));
        } else if (o.n) {
            finding_detail(f, d->key, json_incref(o.v[0]));
        }
        vals_free(&o);
    }
    if (u->names) add_names(u->names, x, elem, f, false);
    if (u->fields) add_names(u->fields, x, elem, f, true);
    if (u->via && pc) apply_via(s, u->via, x, pc);
    if (u->capture >= 0 && st) {
        struct strlist *c = &st->caps[u->capture];
        strlist_free(c);
        eval(s->captures[u->capture].e, x, NULL, NULL, &o);
        for (size_t k = 0; k < o.n && c->n < SIG_MAX_EACH; k++) {
            const char *sv = json_string_value(o.v[k]);
            if (sv && strlen(sv) < FINDING_MAX_NAME) strlist_add(c, sv, strlen(sv));
        }
        vals_free(&o);
    }
}

/* One extra finding per store behind the console: at the console's address and port, via
 * naming the console (as the Elasticsearch behind a Kibana). */
static void via_one(const struct sig *s, const struct sig_via *w, struct ev *x, const json_t *elem,
                    struct probe_ctx *pc)
{
    struct vals o;
    eval(w->service, x, elem, NULL, &o);
    const char *svc = o.n ? json_string_value(o.v[0]) : NULL;
    char name[32];
    bool ok = svc && *svc && strlen(svc) < sizeof name;
    if (ok) str_sanitize(name, sizeof name, svc, strlen(svc), true);
    vals_free(&o);
    if (!ok) return;
    /* a name or alias of the catalogue is the service it names (Grafana's "postgres" data
     * source is a postgresql store) */
    const struct svc *known = catalog_find(name);
    if (known) str_copy(name, known->name, sizeof name);
    struct finding *f = pc->f, *e = probe_emit(pc);
    if (!e) return;
    FINDING_SET(e, service, name);
    apply(s, NULL, &w->set, x, elem, e, false, NULL);
    if (w->backend) {
        eval(w->backend, x, elem, NULL, &o);
        const char *b = o.n ? json_string_value(o.v[0]) : NULL;
        if (b) finding_detail_str(e, "backend", b);
        vals_free(&o);
    }
    e->has_via = true;
    str_copy(e->via_service, f->service[0] ? f->service : s->entry.name, sizeof e->via_service);
    str_copy(e->via_ip, f->ip, sizeof e->via_ip);
    e->via_port = f->port;
}

static void apply_via(const struct sig *s, const struct sig_via *w, struct ev *x,
                      struct probe_ctx *pc)
{
    if (!w->each) {
        via_one(s, w, x, NULL, pc);
        return;
    }
    json_t *j = ev_json(x);
    if (!j) return;
    struct hits *h = xcalloc(1, sizeof *h);
    if (!h) return;
    walk(j, w->each, NULL, h);
    for (size_t i = 0; i < h->n && i < 8; i++) /* probe_emit caps at 8 too */
        via_one(s, w, x, h->v[i], pc);
    free(h);
}

/* Apply the rules of request idx (-1: the identifying answer of no request of ours) to r.
 * st: the HTTP run's state (captures, repeated requests), NULL for a TCP signature; status:
 * the run's answered statuses; path: the request answered, when idx is -1. */
static bool rules_on(const struct sig *s, struct sig_state *st, const int *status, int idx,
                     struct probe_ctx *pc, const char *path, const struct http_resp *r)
{
    struct ev x = {.r = r, .port = pc->f->port, .status = status};
    bool stop = false;
    bool repeated = st && idx >= 0 && s->req[idx].each >= 0;
    if (idx >= 0) x.q = &s->req[idx];
    for (int i = 0; i < s->nreq && !x.q; i++)
        if (s->req[i].each < 0 && path && !strcmp(s->req[i].path, path)) x.q = &s->req[i];
    if (repeated && (uint32_t)st->each_i < st->caps[s->req[idx].each].n) {
        x.var = s->captures[s->req[idx].each].var;
        x.val = st->caps[s->req[idx].each].v[st->each_i];
    }
    for (size_t i = 0; i < s->nrules && !stop; i++) {
        const struct sig_rule *u = &s->rules[i];
        if (u->req != -1 && u->req != idx) continue;
        if (!conds_hold(&u->when, &x)) continue;
        apply(s, st, u, &x, NULL, pc->f, repeated, pc);
        stop = u->stop;
    }
    ev_free(&x);
    return stop;
}

static bool apply_rules(const struct sig *s, struct sig_state *st, int idx, struct http_app_ctx *a,
                        const struct http_resp *r)
{
    return rules_on(s, st, st->status, idx, a->pc, a->path, r);
}

/* Does any extract rule read the answers of request i? */
static bool read_by_rules(const struct sig *s, int i)
{
    for (size_t k = 0; k < s->nrules; k++)
        if (s->rules[k].req == i) return true;
    return false;
}

/* "{var}" in the path replaced by the value, percent-encoded (a double quote or backslash
 * escaped with a backslash first, so it can sit inside a quoted identifier). */
static bool fill_path(const char *tmpl, const char *val, char *out, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    const char *open = strchr(tmpl, '{'), *close = open ? strchr(open, '}') : NULL;
    if (!open || !close) return str_copy(out, tmpl, n) < n;
    size_t o = 0, pre = (size_t)(open - tmpl);
    if (pre >= n) return false;
    memcpy(out, tmpl, pre);
    o = pre;
    for (const unsigned char *p = (const unsigned char *)val; *p; p++) {
        unsigned char c = *p;
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == '~';
        if (o + 7 >= n) return false;
        if (c == '"' || c == '\\') {
            memcpy(out + o, "%5C", 3);
            o += 3;
        }
        if (keep) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    size_t rest = strlen(close + 1);
    if (o + rest + 1 > n) return false;
    memcpy(out + o, close + 1, rest + 1);
    return true;
}

/* The next request to send: PROBE_SEND, or PROBE_DONE when none is left. */
static int send_next(const struct sig *s, struct sig_state *st, struct http_app_ctx *a)
{
    struct ev x = {.r = NULL, .status = st->status};
    for (; st->next < s->nreq; st->next++) {
        int i = st->next;
        const struct sig_request *q = &s->req[i];
        if (q->each >= 0 && st->status[i] > 0 && st->cur == i) {
            /* a repeated request: its next value */
            if (st->each_i + 1 < q->max && (uint32_t)(st->each_i + 1) < st->caps[q->each].n) {
                st->each_i++;
                goto send;
            }
            continue;
        }
        if (st->status[i] != STATE_UNANSWERED || !read_by_rules(s, i)) continue;
        if (!conds_hold(&q->only_if, &x)) {
            st->status[i] = STATE_SKIPPED;
            continue;
        }
        if (q->each >= 0) {
            if (!st->caps[q->each].n) continue;
            st->each_i = 0;
        }
    send:;
        char path[SIG_MAX_PATH + 3 * FINDING_MAX_NAME];
        const char *val = q->each >= 0 ? st->caps[q->each].v[st->each_i] : NULL;
        if (!fill_path(q->path, val ? val : "", path, sizeof path)) continue;
        st->cur = i;
        char hdr[160] = "";
        if (q->accept) str_fmt(hdr, sizeof hdr, "Accept: %s\r\n", q->accept);
        if (http_request(a, q->head ? "HEAD" : "GET", path, hdr[0] ? hdr : NULL, NULL, 0) < 0)
            return PROBE_DONE;
        return PROBE_SEND;
    }
    return PROBE_DONE;
}

static int sig_on_response(struct http_app_ctx *a, const struct http_resp *r)
{
    const struct sig *s = sig_of(a->app);
    struct sig_state *st = a->state;
    struct finding *f = a->pc->f;
    int idx;
    if (!st->started) {
        /* the identifying answer: which of our requests it is, if any; the dispatcher's
         * other requests are not asked again */
        st->started = true;
        FINDING_SET(f, product, s->product);
        idx = -1;
        for (int i = 0; i < s->nreq; i++) {
            if (s->req[i].each >= 0) continue;
            if (idx < 0 && !s->req[i].head && !strcmp(s->req[i].path, a->path))
                idx = i;
            else if (!s->req[i].head && http_sent_before(a, s->req[i].path))
                st->status[i] = STATE_SKIPPED;
        }
        st->cur = idx;
    } else {
        idx = st->cur;
    }
    if (idx >= 0) st->status[idx] = r->status > 0 ? r->status : STATE_SKIPPED;
    if (apply_rules(s, st, idx, a, r)) return PROBE_DONE;
    return send_next(s, st, a);
}

static void sig_free_state(void *state);

int sig_apply_all(const struct sig *s, const struct http_resp *r, struct finding *f,
                  struct finding **extra)
{
    struct finding *mine[PROBE_MAX_EXTRA];
    struct probe_ctx pc = {.f = f, .extra = extra ? extra : mine};
    struct http_app_ctx a = {.app = &s->app, .pc = &pc, .path = "/"};
    struct sig_state st;
    memset(&st, 0, sizeof st);
    (void)sig_identify(s, "/", f->port, r);
    for (int i = -1; i < s->nreq; i++) {
        if (i >= 0) (void)sig_identify(s, s->req[i].path, f->port, r);
        st.status[i < 0 ? 0 : i] = r->status;
        apply_rules(s, &st, i, &a, r);
        char path[SIG_MAX_PATH + 3 * FINDING_MAX_NAME];
        if (i >= 0 && s->req[i].each >= 0 && st.caps[s->req[i].each].n)
            (void)fill_path(s->req[i].path, st.caps[s->req[i].each].v[0], path, sizeof path);
    }
    sig_free_state(&st);
    if (!extra)
        for (int i = 0; i < pc.nextra; i++) {
            finding_free(mine[i]);
            free(mine[i]);
        }
    return pc.nextra;
}

static void sig_free_state(void *state)
{
    struct sig_state *st = state;
    for (int i = 0; i < SIG_MAX_CAPTURES; i++)
        strlist_free(&st->caps[i]);
}

void sig_bind_app(struct sig *s)
{
    s->app.name = s->entry.name;
    s->app.paths = s->paths;
    s->app.state_size = sizeof(struct sig_state);
    s->app.match = sig_match;
    s->app.on_response = sig_on_response;
    s->app.free_state = sig_free_state;
}

/* ---- transport: tcp -- a signature as a probe of its own ----
 *
 * The first request is sent (or, send: nothing, the greeting awaited); its answer is complete
 * when the bytes so far match its until: regex, or at EOF. The identify rules of that request
 * decide (under 50: not this protocol, the engine tries the next probe); then its extract rules
 * apply, and the next request in file order that a rule reads and whose only_if holds is sent
 * on the same connection. The answer is an http_resp with no status or headers whose body is
 * the bytes (at most SIG_TCP_KEEP kept), so tests and values read it as they read a body. */

#define SIG_TCP_KEEP (16u << 10)

struct tsig_state {
    bool identified;
    bool truncated;
    int cur;
    int status[SIG_MAX_REQ]; /* 1: answered */
    size_t n;
    uint8_t buf[SIG_TCP_KEEP + 1];
};

static const struct sig *tsig_of(const struct probe *p)
{
    return p->data;
}

static void tsig_answer_resp(struct tsig_state *t, struct http_resp *r)
{
    memset(r, 0, sizeof *r);
    t->buf[t->n] = 0;
    r->body.data = t->buf;
    r->body.len = t->n;
    r->body.cap = SIG_TCP_KEEP + 1;
    r->truncated = t->truncated;
    r->complete = true;
}

static int tsig_send(struct probe_ctx *ctx, struct tsig_state *t, int i)
{
    const struct sig *s = tsig_of(ctx->self);
    t->cur = i;
    t->n = 0;
    t->truncated = false;
    if (!s->req[i].sendlen) return PROBE_MORE; /* the greeting */
    if (probe_send(ctx, s->req[i].send, s->req[i].sendlen) < 0) return PROBE_DONE;
    return PROBE_SEND;
}

/* The answer to request t->cur is complete: identify, apply, go on. */
static int tsig_answered(struct probe_ctx *ctx, struct tsig_state *t)
{
    const struct sig *s = tsig_of(ctx->self);
    struct http_resp r;
    tsig_answer_resp(t, &r);
    int i = t->cur;
    if (!t->identified) {
        if (sig_identify(s, s->req[i].path, ctx->f->port, &r) < 50) return PROBE_NOMATCH;
        t->identified = true;
        FINDING_SET(ctx->f, service, s->entry.name);
        FINDING_SET(ctx->f, product, s->product);
    }
    t->status[i] = 1;
    if (rules_on(s, NULL, t->status, i, ctx, s->req[i].path, &r)) return PROBE_DONE;
    struct ev x = {.r = NULL, .status = t->status};
    for (int k = i + 1; k < s->nreq; k++) {
        if (!read_by_rules(s, k) || !conds_hold(&s->req[k].only_if, &x)) continue;
        return tsig_send(ctx, t, k);
    }
    return PROBE_DONE;
}

static int tsig_start(struct probe_ctx *ctx)
{
    struct tsig_state *t = ctx->state;
    if (ctx->connection > 0) return PROBE_DONE; /* never asks for another */
    return tsig_send(ctx, t, 0);
}

static int tsig_on_data(struct probe_ctx *ctx, const uint8_t *p, size_t n)
{
    const struct sig *s = tsig_of(ctx->self);
    struct tsig_state *t = ctx->state;
    size_t room = SIG_TCP_KEEP - t->n, take = n < room ? n : room;
    memcpy(t->buf + t->n, p, take);
    t->n += take;
    if (take < n) t->truncated = true;
    t->buf[t->n] = 0;
    if (t->truncated || sig_regex(s->req[t->cur].until, (const char *)t->buf, t->n, NULL, NULL))
        return tsig_answered(ctx, t);
    return PROBE_MORE;
}

static int tsig_on_end(struct probe_ctx *ctx, enum probe_end why)
{
    struct tsig_state *t = ctx->state;
    (void)why;
    if (t->n) { /* an answer delimited by the end of the connection */
        int rc = tsig_answered(ctx, t);
        if (rc == PROBE_NOMATCH) return PROBE_NOMATCH;
        return PROBE_DONE;
    }
    return t->identified ? PROBE_DONE : PROBE_NOMATCH;
}

/* Another attempt heard these bytes: the identify rules that read a greeting, or any answer. */
static int tsig_sniff(const struct probe *p, const uint8_t *b, size_t n)
{
    const struct sig *s = tsig_of(p);
    struct tsig_state *t = xcalloc(1, sizeof *t);
    if (!t) return 0;
    t->n = n < SIG_TCP_KEEP ? n : SIG_TCP_KEEP;
    memcpy(t->buf, b, t->n);
    struct http_resp r;
    tsig_answer_resp(t, &r);
    int best = 0;
    struct ev x = {.r = &r};
    for (size_t i = 0; i < s->nident; i++) {
        const struct sig_ident *d = &s->ident[i];
        if (d->score <= best) continue;
        if (d->req >= 0 && (d->req != 0 || s->req[0].sendlen)) continue;
        if (d->req >= 0) x.q = &s->req[d->req];
        if (conds_hold(&d->c, &x)) best = d->score;
        ev_free(&x);
        x = (struct ev){.r = &r};
    }
    free(t);
    return best;
}

void sig_bind_probe(struct sig *s)
{
    s->probe.name = s->entry.name;
    s->probe.flags = PROBE_TLS_OK | (s->req[0].sendlen ? 0 : PROBE_SERVER_FIRST);
    s->probe.state_size = sizeof(struct tsig_state);
    s->probe.start = tsig_start;
    s->probe.on_data = tsig_on_data;
    s->probe.on_end = tsig_on_end;
    s->probe.sniff_self = tsig_sniff;
    s->probe.data = s;
}

/* ---- the loaded signatures ---- */

static struct sig **sigs;
static size_t nsigs, capsigs;

size_t signature_count(void)
{
    return nsigs;
}

/* The i-th loaded signature of one transport. */
static const struct sig *nth(size_t i, bool tcp)
{
    for (size_t k = 0; k < nsigs; k++)
        if (sigs[k]->tcp == tcp && i-- == 0) return sigs[k];
    return NULL;
}

size_t signature_app_count(void)
{
    size_t n = 0;
    for (size_t k = 0; k < nsigs; k++)
        n += !sigs[k]->tcp;
    return n;
}

const struct http_app *signature_app(size_t i)
{
    const struct sig *s = nth(i, false);
    return s ? &s->app : NULL;
}

size_t signature_probe_count(void)
{
    return nsigs - signature_app_count();
}

const struct probe *signature_probe(size_t i)
{
    const struct sig *s = nth(i, true);
    return s ? &s->probe : NULL;
}

const struct sig *signature_at(size_t i)
{
    return i < nsigs ? sigs[i] : NULL;
}

/* Read a file of at most SIG_FILE_CAP bytes into *out (malloc'ed, NUL-terminated). */
static int slurp(const char *path, char **out, size_t *n, struct err *e)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return err_set(e, "%s: %s", path, strerror(errno));
    char *b = xmalloc(SIG_FILE_CAP + 2);
    if (!b) {
        fclose(fp);
        return err_set(e, "%s: out of memory", path);
    }
    size_t k = fread(b, 1, SIG_FILE_CAP + 1, fp);
    bool bad = ferror(fp) != 0;
    fclose(fp);
    if (bad) {
        free(b);
        return err_set(e, "%s: cannot read it", path);
    }
    if (k > SIG_FILE_CAP) {
        free(b);
        return err_set(e, "%s:1: larger than %u bytes", path, SIG_FILE_CAP);
    }
    b[k] = 0;
    *out = b;
    *n = k;
    return 0;
}

int signature_check_file(const char *path, struct err *e)
{
    char *text = NULL;
    size_t n = 0;
    struct sig *s = NULL;
    if (slurp(path, &text, &n, e) < 0) return -1;
    int rc = sig_compile(path, text, n, &s, e);
    free(text);
    if (rc < 0) return -1;
    int r = 0;
    const struct svc *other = catalog_find(s->entry.name);
    if (other)
        r = err_set(e, "%s:1: service '%s' is already in the catalogue (%s)", path, s->entry.name,
                    other->impl == IMPL_SIGNATURE ? other->impl_name : "compiled in");
    for (int k = 0; r == 0 && k < CATALOG_MAX_ALIASES && s->entry.aliases[k]; k++)
        if (catalog_find(s->entry.aliases[k]))
            r = err_set(e, "%s:1: alias '%s' names a service already in the catalogue", path,
                        s->entry.aliases[k]);
    sig_free(s);
    return r;
}

int signature_load_file(const char *path, struct err *e)
{
    char *text = NULL;
    size_t n = 0;
    struct sig *s = NULL;
    if (slurp(path, &text, &n, e) < 0) return -1;
    int rc = sig_compile(path, text, n, &s, e);
    free(text);
    if (rc < 0) return -1;
    if (s->tcp && signature_probe_count() >= SIG_MAX_TCP) {
        sig_free(s);
        return err_set(e, "%s:1: more than %d signatures of transport tcp", path, SIG_MAX_TCP);
    }
    struct err ce;
    struct sig **nv = arr_grow(sigs, nsigs, &capsigs, sizeof *nv, 32);
    if (!nv) {
        sig_free(s);
        return err_set(e, "out of memory");
    }
    sigs = nv;
    if (catalog_add(&s->entry, &ce) < 0) {
        sig_free(s);
        return err_set(e, "%s:1: %s", path, ce.msg);
    }
    s->app.entry = catalog_service(s->entry.name);
    s->app.name = s->app.entry->name;
    s->probe.name = s->app.entry->name;
    sigs[nsigs++] = s;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.yaml and *.yml files of dir, sorted (the order signatures load in). */
static int list_dir(const char *dir, char ***out, size_t *n, struct err *e)
{
    DIR *d = opendir(dir);
    if (!d) return err_set(e, "%s: %s", dir, strerror(errno));
    char **v = NULL;
    size_t cnt = 0, cap = 0;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || !((l > 5 && !strcmp(de->d_name + l - 5, ".yaml")) ||
                                      (l > 4 && !strcmp(de->d_name + l - 4, ".yml"))))
            continue;
        if (cnt >= 4096) {
            rc = err_set(e, "%s: more than 4096 signature files", dir);
            break;
        }
        char **nv = arr_grow(v, cnt, &cap, sizeof *nv, 64);
        char path[PATH_MAX];
        if (!nv || str_fmt(path, sizeof path, "%s/%s", dir, de->d_name) >= (int)sizeof path) {
            rc = err_set(e, "%s: out of memory or a path too long", dir);
            break;
        }
        v = nv;
        if (!(v[cnt] = xstrdup(path))) {
            rc = err_set(e, "out of memory");
            break;
        }
        cnt++;
    }
    closedir(d);
    if (cnt) qsort(v, cnt, sizeof *v, cmp_str);
    *out = v;
    *n = cnt;
    return rc;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

int signature_load_dir(const char *dir, int *loaded, struct err *e)
{
    char **v = NULL;
    size_t n = 0;
    int rc = list_dir(dir, &v, &n, e);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = signature_load_file(v[i], e);
        if (rc == 0 && loaded) (*loaded)++;
    }
    free_list(v, n);
    return rc;
}

int signature_check_path(const char *path, int *bad, void (*say)(const char *line))
{
    struct stat sb;
    struct err e;
    if (stat(path, &sb) < 0) {
        err_set(&e, "%s: %s", path, strerror(errno));
        say(e.msg);
        (*bad)++;
        return -1;
    }
    if (!S_ISDIR(sb.st_mode)) {
        if (signature_check_file(path, &e) < 0) {
            say(e.msg);
            (*bad)++;
            return -1;
        }
        return 0;
    }
    char **v = NULL;
    size_t n = 0;
    if (list_dir(path, &v, &n, &e) < 0) {
        say(e.msg);
        (*bad)++;
    }
    int checked = 0;
    for (size_t i = 0; i < n; i++) {
        checked++;
        if (signature_check_file(v[i], &e) < 0) {
            say(e.msg);
            (*bad)++;
        }
    }
    free_list(v, n);
    return checked;
}

/*
 * The shipped signatures: $AJAR_SIGNATURES_DIR; else next to the binary in a build tree
 * (BIN/../signatures); else under the install prefix (BIN/../share/ajar/signatures, and the
 * compiled-in AJAR_SHARE_DIR). NULL when none is found.
 */
#ifndef AJAR_SHARE_DIR
#define AJAR_SHARE_DIR "/usr/local/share/ajar"
#endif
const char *signature_shipped_dir(void)
{
    static char found[PATH_MAX];
    const char *env = getenv("AJAR_SIGNATURES_DIR");
    struct stat sb;
    if (env && env[0]) return env;
    char exe[PATH_MAX];
    ssize_t l = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (l > 0) {
        exe[l] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) *slash = 0;
        const char *rel[] = {"/../signatures", "/../../signatures", "/../share/ajar/signatures"};
        for (size_t i = 0; i < ARRAY_LEN(rel); i++) {
            char cand[PATH_MAX + 32];
            str_fmt(cand, sizeof cand, "%s%s", exe, rel[i]);
            if (stat(cand, &sb) == 0 && S_ISDIR(sb.st_mode) && realpath(cand, found)) return found;
        }
    }
    str_fmt(found, sizeof found, "%s/signatures", AJAR_SHARE_DIR);
    if (stat(found, &sb) == 0 && S_ISDIR(sb.st_mode)) return found;
    return NULL;
}

static bool shipped_loaded;

int signature_load_shipped(struct err *e)
{
    if (shipped_loaded) return 0;
    shipped_loaded = true;
    const char *dir = signature_shipped_dir();
    if (!dir)
        return err_set(e, "the shipped signatures were not found (set AJAR_SIGNATURES_DIR, or "
                          "install ajar with make install)");
    return signature_load_dir(dir, NULL, e);
}

void signature_unload_all(void)
{
    for (size_t i = 0; i < nsigs; i++)
        sig_free(sigs[i]);
    free(sigs);
    sigs = NULL;
    nsigs = capsigs = 0;
    shipped_loaded = false;
    catalog_reset_added();
    if (mdata) pcre2_match_data_free(mdata);
    if (mctx) pcre2_match_context_free(mctx);
    mdata = NULL;
    mctx = NULL;
}
