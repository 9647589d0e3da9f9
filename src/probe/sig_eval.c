/*
 * probe/sig_eval.c -- a signature's expressions and conditions evaluated against one answer
 * (docs/signatures.md): regexes under PCRE2's match, depth and heap limits (a limit reached is
 * "no match") over the first SIG_REGEX_SUBJECT bytes; JSON pointers with '*' visiting at most
 * SIG_MAX_JSON_HITS values; values collected as sets of at most SIG_MAX_LIST; conditions on
 * status, headers, body, title, JSON, port and the statuses of earlier requests.
 */
#include "probe/sig_eval.h"

#include <stdlib.h>
#include <string.h>

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

json_t *sig_ev_json(struct ev *x)
{
    if (!x->json_tried) {
        x->json_tried = true;
        const char *b = (const char *)x->r->body.data;
        size_t n = b ? x->r->body.len : 0, gs = 0, ge = n;
        if (x->q && x->q->json_re) {
            if (!sig_regex(x->q->json_re, b, n, &gs, &ge)) n = 0;
            if (n && ge > gs && !x->r->truncated)
                x->json = json_loadb(b + gs, ge - gs, JSON_DECODE_ANY, NULL);
        } else if (n && !x->r->truncated) {
            /* the whole body: the response's own parse, shared by every app that asks */
            x->json = json_incref((json_t *)http_resp_json(x->r));
        }
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

void sig_ev_free(struct ev *x)
{
    json_decref(x->json);
}

/* ---- JSON pointers with '*' ---- */

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

void sig_walk(const json_t *v, const char *p, const char *key, struct hits *h)
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
            json_array_foreach(v, i, e) sig_walk(e, rest, NULL, h);
        } else if (json_is_object(v)) {
            const char *k;
            const json_t *e;
            json_object_foreach((json_t *)v, k, e) sig_walk(e, rest, k, h);
        }
        return;
    }
    if (json_is_object(v)) {
        sig_walk(json_object_get(v, seg), rest, key, h);
    } else if (json_is_array(v)) {
        uint64_t i;
        if (parse_u64(seg, 1u << 30, &i) == 0) sig_walk(json_array_get(v, (size_t)i), rest, key, h);
    }
}

/*
 * Can pointer p reach a value in this answer's JSON? Each named segment (not '*', not an array
 * index, not empty) is an object key on the way, and a key is in the JSON text (all of the body
 * or a slice of it) as "segment" whenever the text escapes nothing: so a body without a
 * backslash that lacks "segment" has no such key, and no value the pointer could reach. False
 * only then; true when it cannot tell.
 */
static bool keys_present(struct ev *x, const char *p)
{
    const char *b = (const char *)x->r->body.data;
    size_t n = b ? x->r->body.len : 0;
    if (!b) return true; /* no JSON either: sig_ev_json says so */
    if (!x->escapes) x->escapes = memchr(b, '\\', n) ? 2 : 1;
    if (x->escapes == 2) return true;
    while (*p) {
        if (*p == '/') p++;
        char quoted[256 + 2], *seg = quoted + 1;
        p += segment(p, seg, 256);
        size_t k = strspn(seg, "0123456789"), sl = strlen(seg);
        if (!seg[0] || !strcmp(seg, "*") || !seg[k]) continue;
        quoted[0] = '"';
        quoted[sl + 1] = '"';
        quoted[sl + 2] = 0;
        if (!mem_find(b, n, quoted, false)) return false;
    }
    return true;
}

/* ---- values ---- */

void sig_vals_free(struct vals *o)
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
            if (!str_ieq(http_hname(r, i), x->text)) continue;
            vals_add(o, x, json_string(http_hvalue(r, i)));
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
                    sig_vals_free(o);
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
        const json_t *base = x->text[0] == '/' || !x->text[0] ? sig_ev_json(ev) : elem;
        if (!base) return;
        struct hits *h = xmalloc(sizeof *h); /* 64 KiB: only h->n is read before written */
        if (!h) return;
        h->n = 0;
        sig_walk(base, x->text, NULL, h);
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
                    sig_vals_free(o);
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
void sig_eval(const struct sig_expr *x, struct ev *ev, const json_t *elem, const char *ekey,
              struct vals *o)
{
    memset(o, 0, sizeof *o);
    for (; x; x = x->alt) {
        memset(o, 0, sizeof *o);
        eval1(x, ev, elem, ekey, o);
        if (o->n || (x->agg == AGG_COUNT && o->count > 0)) return;
        sig_vals_free(o);
    }
}

/* The expression as one integer (count, sum or a number found), -1 when none. */
int64_t sig_eval_int(const struct sig_expr *x, struct ev *ev, const json_t *elem)
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
        sig_vals_free(&o);
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
            if (!str_ieq(http_hname(r, i), c->text)) continue;
            if (!c->re ||
                sig_regex(c->re, http_hvalue(r, i), strlen(http_hvalue(r, i)), NULL, NULL))
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
        /* exists, equals and regex need the pointer's keys: without them in the body, the
         * answer is "no" before any parse (most answers are asked by every signature) */
        if (c->kind != CD_JSON_ABSENT && !keys_present(x, c->text)) return false;
        json_t *j = sig_ev_json(x);
        struct hits *h = j ? xmalloc(sizeof *h) : NULL; /* sig_walk writes before it reads */
        bool found = false;
        if (h) {
            h->n = 0;
            sig_walk(j, c->text, NULL, h);
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

bool sig_conds_hold(const struct sig_conds *c, struct ev *x)
{
    for (size_t i = 0; i < c->n; i++)
        if (!cond1(&c->v[i], x)) return false;
    return true;
}

void sig_regex_free(void)
{
    if (mdata) pcre2_match_data_free(mdata);
    if (mctx) pcre2_match_context_free(mctx);
    mdata = NULL;
    mctx = NULL;
}
