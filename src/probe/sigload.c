/*
 * probe/sigload.c -- reading a signature file (docs/signatures.md) into a
 * compiled signature (sig_int.h).
 *
 * A signature file is something a user hands us, so it is read as
 * hostile: at most SIG_FILE_CAP bytes, libyaml's event parser (no anchors,
 * aliases or tags accepted: no billion laughs), at most Y_MAX_NODES nodes
 * nested at most Y_MAX_DEPTH deep, scalars of at most Y_MAX_SCALAR bytes,
 * every key checked against the schema (an unknown key is an error, so a
 * typo never silently drops a rule), every regex compiled here once with
 * PCRE2 (it runs later under a match limit), every method GET or HEAD
 * (the loader refuses any other: a signature can never write to a
 * target), every path starting with '/' and free of spaces and control
 * bytes. The first error stops the file: "FILE:LINE: what is wrong".
 *
 * Two passes: the events become a small tree (ynode) in an arena, then
 * the tree is checked and turned into the signature, whose strings and
 * arrays live in the same arena and are freed with it. The arena, the tree
 * and its typed readers are sig_yaml.c; this file turns the tree into the
 * signature's parts.
 */
#include "probe/sig_yaml.h"

#include <stdlib.h>
#include <string.h>

/* ---- the signature's parts ---- */

struct build {
    struct loader *L;
    struct sig *s;
};

static int req_index(const struct sig *s, const char *id)
{
    for (int i = 0; i < s->nreq; i++)
        if (!strcmp(s->req[i].id, id)) return i;
    return -1;
}

static int find_req(struct build *B, const struct ynode *y, const char *what, bool any_ok, int *out)
{
    if (!y || y->t != Y_SCALAR)
        return y_fail(B->L, y ? y->line : 0, "%s must name a request", what);
    if (any_ok && !strcmp(y->s, "any")) {
        *out = -1;
        return 0;
    }
    *out = req_index(B->s, y->s);
    if (*out < 0) return y_fail(B->L, y->line, "%s: no request named '%.40s'", what, y->s);
    return 0;
}

static const char *const cond_keys[] = {"status",   "not_status",   "header", "no_header", "body",
                                        "contains", "not_contains", "title",  "json",      "port",
                                        "request",  "answered",     "score",  "from",      NULL};

static struct sig_cond *cond_add(struct build *B, struct sig_conds *c, int line)
{
    struct sig_cond *nv = sig_arena_alloc(B->L->ar, (c->n + 1) * sizeof *nv);
    if (!nv) {
        y_fail(B->L, line, "out of memory");
        return NULL;
    }
    if (c->n) memcpy(nv, c->v, c->n * sizeof *nv);
    c->v = nv;
    struct sig_cond *x = &c->v[c->n++];
    memset(x, 0, sizeof *x);
    x->req = -1;
    return x;
}

/* json: pointer: test pairs (exists, absent, {equals: V}, {regex: R}) into c. 0, or -1 after
 * y_fail(). */
static int cond_json(struct build *B, const struct ynode *y, struct sig_conds *c)
{
    struct loader *L = B->L;
    if (y->t != Y_MAP) return y_fail(L, y->line, "json: pointer: test pairs");
    for (size_t i = 0; i + 1 < y->n; i += 2) {
        const struct ynode *k = y->kids[i], *v = y->kids[i + 1];
        struct sig_cond *x = cond_add(B, c, k->line);
        if (!x || y_pointer(L, k, "json", false, &x->text) < 0) return -1;
        if (v->t == Y_SCALAR && !v->quoted && !strcmp(v->s, "exists")) {
            x->kind = CD_JSON_EXISTS;
        } else if (v->t == Y_SCALAR && !v->quoted && !strcmp(v->s, "absent")) {
            x->kind = CD_JSON_ABSENT;
        } else if (v->t == Y_MAP && y_get(v, "regex")) {
            x->kind = CD_JSON_REGEX;
            if (!(x->re = y_regex(L, y_get(v, "regex"), "json regex"))) return -1;
        } else if (v->t == Y_MAP && y_get(v, "equals")) {
            const struct ynode *q = y_get(v, "equals");
            if (q->t != Y_SCALAR) return y_fail(L, q->line, "equals: one value");
            x->kind = CD_JSON_EQUALS;
            if (!(x->value = y_json_scalar(L, q))) return -1;
        } else {
            return y_fail(L, v->line, "json %s: exists, absent, {equals: V} or {regex: R}",
                          x->text);
        }
    }
    return 0;
}

/*
 * Conditions in map m (the keys of cond_keys; `score`, `from` and `request` are the caller's
 * except in only_if, where `request` + `status`/`answered` name another request).
 */
static int conds(struct build *B, const struct ynode *m, struct sig_conds *c, bool about_other)
{
    struct loader *L = B->L;
    const struct ynode *y;
    int other = -1;
    if (about_other) {
        if ((y = y_get(m, "request")) && find_req(B, y, "only_if: request", false, &other) < 0)
            return -1;
        if ((y = y_get(m, "answered"))) {
            int r;
            if (find_req(B, y, "only_if: answered", false, &r) < 0) return -1;
            struct sig_cond *x = cond_add(B, c, y->line);
            if (!x) return -1;
            x->kind = CD_REQ_ANSWERED;
            x->req = r;
        }
    }
    if ((y = y_get(m, "status"))) {
        struct sig_cond *x = cond_add(B, c, y->line);
        if (!x) return -1;
        x->kind = about_other ? CD_REQ_STATUS : CD_STATUS;
        x->req = other;
        if (about_other && other < 0)
            return y_fail(L, y->line, "only_if: status needs request: to say whose");
        if (y_nums(L, y, "status", 100, 599, x->nums, &x->nnums, 8) < 0) return -1;
    }
    if (!about_other && (y = y_get(m, "not_status"))) {
        struct sig_cond *x = cond_add(B, c, y->line);
        if (!x) return -1;
        x->kind = CD_NOT_STATUS;
        if (y_nums(L, y, "not_status", 100, 599, x->nums, &x->nnums, 8) < 0) return -1;
    }
    if (about_other) {
        for (size_t i = 0; i + 1 < m->n; i += 2)
            if (strcmp(m->kids[i]->s, "request") && strcmp(m->kids[i]->s, "status") &&
                strcmp(m->kids[i]->s, "answered"))
                return y_fail(L, m->kids[i]->line,
                              "only_if: says which earlier request was answered, and with which "
                              "status ('%s' is not one of request, status, answered)",
                              m->kids[i]->s);
        return 0;
    }
    if ((y = y_get(m, "port"))) {
        struct sig_cond *x = cond_add(B, c, y->line);
        if (!x) return -1;
        x->kind = CD_PORT;
        if (y_nums(L, y, "port", 1, 65535, x->nums, &x->nnums, 8) < 0) return -1;
    }
    static const struct {
        const char *key;
        enum sig_cond_kind kind;
    } hdrs[] = {{"header", CD_HEADER}, {"no_header", CD_NO_HEADER}};
    for (size_t h = 0; h < ARRAY_LEN(hdrs); h++) {
        if (!(y = y_get(m, hdrs[h].key))) continue;
        if (y->t == Y_SCALAR) { /* just a name: present (or absent) */
            struct sig_cond *x = cond_add(B, c, y->line);
            if (!x) return -1;
            x->kind = hdrs[h].kind;
            x->text = y->s;
            continue;
        }
        if (y->t != Y_MAP || hdrs[h].kind == CD_NO_HEADER)
            return y_fail(L, y->line, "%s: a header name, or name: regex pairs", hdrs[h].key);
        for (size_t i = 0; i + 1 < y->n; i += 2) {
            struct sig_cond *x = cond_add(B, c, y->kids[i]->line);
            if (!x) return -1;
            x->kind = CD_HEADER;
            x->text = y->kids[i]->s;
            if (!(x->re = y_regex(L, y->kids[i + 1], "header")) && L->failed) return -1;
        }
    }
    if ((y = y_get(m, "body"))) {
        struct sig_cond *x = cond_add(B, c, y->line);
        if (!x || !(x->re = y_regex(L, y, "body"))) return -1;
        x->kind = CD_BODY;
    }
    if ((y = y_get(m, "title"))) {
        struct sig_cond *x = cond_add(B, c, y->line);
        if (!x || !(x->re = y_regex(L, y, "title"))) return -1;
        x->kind = CD_TITLE;
    }
    static const struct {
        const char *key;
        enum sig_cond_kind kind;
    } texts[] = {{"contains", CD_CONTAINS}, {"not_contains", CD_NOT_CONTAINS}};
    for (size_t t = 0; t < ARRAY_LEN(texts); t++) {
        if (!(y = y_get(m, texts[t].key))) continue;
        size_t n = y->t == Y_SEQ ? y->n : 1;
        for (size_t i = 0; i < n; i++) {
            const struct ynode *it = y->t == Y_SEQ ? y->kids[i] : y;
            struct sig_cond *x = cond_add(B, c, it->line);
            if (!x || y_str(L, it, texts[t].key, &x->text) < 0) return -1;
            if (!x->text || !x->text[0]) return y_fail(L, it->line, "%s: empty text", texts[t].key);
            x->kind = texts[t].kind;
        }
    }
    if ((y = y_get(m, "json")) && cond_json(B, y, c) < 0) return -1;
    return 0;
}

static struct sig_expr *expr(struct build *B, const struct ynode *y, const char *what, bool rel);

static const char *const expr_keys[] = {"json", "regex", "in",      "header", "status",
                                        "key",  "value", "var",     "count",  "sum",
                                        "all",  "first", "exclude", NULL};

static int excludes(struct build *B, const struct ynode *y, char ***out, size_t *n)
{
    if (!y) return 0;
    if (y->t != Y_SEQ) return y_fail(B->L, y->line, "exclude: a list of values");
    *out = sig_arena_alloc(B->L->ar, (y->n + 1) * sizeof **out);
    if (!*out) return y_fail(B->L, y->line, "out of memory");
    for (size_t i = 0; i < y->n; i++)
        if (y_str(B->L, y->kids[i], "exclude", &(*out)[i]) < 0) return -1;
    *n = y->n;
    return 0;
}

/* regex: R (v), with in: body, title or header NAME beside it in y. 0, or -1 after y_fail(). */
static int expr_regex(struct loader *L, const struct ynode *y, const struct ynode *v,
                      const char *what, struct sig_expr *x)
{
    x->kind = EX_REGEX;
    if (!(x->re = y_regex(L, v, what))) return -1;
    const struct ynode *in = y_get(y, "in");
    if (in) {
        if (in->t != Y_SCALAR) {
            y_fail(L, in->line, "in: body, title or header NAME");
            return -1;
        }
        if (!strcmp(in->s, "body")) {
            x->in = IN_BODY;
        } else if (!strcmp(in->s, "title")) {
            x->in = IN_TITLE;
        } else if (!strncmp(in->s, "header ", 7) && in->s[7]) {
            x->in = IN_HEADER;
            x->text = in->s + 7;
        } else {
            y_fail(L, in->line, "in: body, title or header NAME");
            return -1;
        }
    }
    return 0;
}

/* count:, sum: or all: true (one at most) into x->agg. 0, or -1 after y_fail(). */
static int expr_agg(struct loader *L, const struct ynode *y, const char *what, struct sig_expr *x)
{
    static const char *const aggs[] = {"count", "sum", "all"};
    const struct ynode *v;
    for (int a = 0; a < 3; a++) {
        if (!(v = y_get(y, aggs[a]))) continue;
        bool on = false;
        if (y_bool(L, v, aggs[a], &on) < 0) return -1;
        if (!on) continue;
        if (x->agg != AGG_FIRST) {
            y_fail(L, v->line, "%s: one of count, sum, all", what);
            return -1;
        }
        x->agg = (enum sig_agg)(a + 1);
    }
    return 0;
}

static struct sig_expr *expr(struct build *B, const struct ynode *y, const char *what, bool rel)
{
    struct loader *L = B->L;
    struct sig_expr *x = sig_arena_alloc(L->ar, sizeof *x);
    if (!x) {
        y_fail(L, y->line, "out of memory");
        return NULL;
    }
    if (y->t == Y_SCALAR) { /* a constant */
        x->kind = EX_CONST;
        x->text = y->s;
        if (!y_text_ok(y->s)) {
            y_fail(L, y->line, "%s: control characters in a value", what);
            return NULL;
        }
        if (!y->quoted && strcmp(y->s, "null")) {
            json_t *j = y_json_scalar(L, y);
            if (!j) return NULL;
            if (!json_is_string(j)) x->value = j;
        }
        return x;
    }
    if (y->t == Y_SEQ) { /* fallbacks: the first that finds something */
        if (!y->n) {
            y_fail(L, y->line, "%s: an empty list", what);
            return NULL;
        }
        struct sig_expr *head = NULL, **tail = &head;
        for (size_t i = 0; i < y->n; i++) {
            struct sig_expr *e = expr(B, y->kids[i], what, rel);
            if (!e) return NULL;
            *tail = e;
            tail = &e->alt;
        }
        return head;
    }
    if (y_keys(L, y, what, expr_keys) < 0) return NULL;
    const struct ynode *v;
    int kinds = 0;
    if ((v = y_get(y, "json"))) {
        x->kind = EX_JSON;
        if (y_pointer(L, v, what, rel, &x->text) < 0) return NULL;
        kinds++;
    }
    if ((v = y_get(y, "regex"))) {
        if (expr_regex(L, y, v, what, x) < 0) return NULL;
        kinds++;
    } else if (y_get(y, "in")) {
        y_fail(L, y_get(y, "in")->line, "in: only with regex");
        return NULL;
    }
    if ((v = y_get(y, "header"))) {
        if (x->kind == EX_REGEX) {
            y_fail(L, v->line, "%s: for a header's part write regex: R, in: header NAME", what);
            return NULL;
        }
        x->kind = EX_HEADER;
        if (y_str(L, v, what, &x->text) < 0) return NULL;
        kinds++;
    }
    if ((v = y_get(y, "status"))) {
        bool b = false;
        if (y_bool(L, v, "status", &b) < 0) return NULL;
        x->kind = EX_STATUS;
        kinds++;
    }
    if ((v = y_get(y, "key"))) {
        bool b = false;
        if (y_bool(L, v, "key", &b) < 0) return NULL;
        if (!rel) {
            y_fail(L, v->line, "key: only for the elements of names: each:");
            return NULL;
        }
        x->kind = EX_KEY;
        kinds++;
    }
    if ((v = y_get(y, "var"))) {
        if (y_str(L, v, "var", &x->text) < 0) return NULL;
        bool known = false;
        for (size_t k = 0; k < B->s->ncaptures; k++)
            if (!strcmp(B->s->captures[k].var, x->text)) known = true;
        if (!known) {
            y_fail(L, v->line, "var: no extract rule captures '%.31s'", x->text);
            return NULL;
        }
        x->kind = EX_VAR;
        kinds++;
    }
    if ((v = y_get(y, "value"))) {
        if (v->t != Y_SCALAR) {
            y_fail(L, v->line, "value: one value");
            return NULL;
        }
        x->kind = EX_CONST;
        x->text = v->s;
        if (!v->quoted && strcmp(v->s, "null")) {
            json_t *j = y_json_scalar(L, v);
            if (!j) return NULL;
            if (!json_is_string(j)) x->value = j;
        }
        kinds++;
    }
    if ((v = y_get(y, "first"))) {
        struct sig_expr *f = expr(B, v, what, rel);
        if (!f) return NULL;
        if (kinds) {
            y_fail(L, v->line, "%s: first: stands alone", what);
            return NULL;
        }
        return f;
    }
    if (kinds != 1) {
        y_fail(L, y->line, "%s: one of json, regex, header, status, value, var (or first: a list)",
               what);
        return NULL;
    }
    if (expr_agg(L, y, what, x) < 0) return NULL;
    if (excludes(B, y_get(y, "exclude"), &x->exclude, &x->nexclude) < 0) return NULL;
    return x;
}

static const char *const names_keys[] = {"each", "name", "records", "bytes", "exclude", NULL};

static struct sig_names *names(struct build *B, const struct ynode *y, const char *what, bool rel)
{
    struct loader *L = B->L;
    struct sig_names *n = sig_arena_alloc(L->ar, sizeof *n);
    if (!n) {
        y_fail(L, y->line, "out of memory");
        return NULL;
    }
    if (y->t == Y_MAP && y_get(y, "each")) {
        if (y_keys(L, y, what, names_keys) < 0) return NULL;
        if (y_pointer(L, y_get(y, "each"), "each", rel, &n->each) < 0) return NULL;
        const struct ynode *v = y_get(y, "name");
        if (!v) {
            y_fail(L, y->line, "%s: each: needs name:", what);
            return NULL;
        }
        if (!(n->name = expr(B, v, "name", true))) return NULL;
        if ((v = y_get(y, "records")) && !(n->records = expr(B, v, "records", true))) return NULL;
        if ((v = y_get(y, "bytes")) && !(n->bytes = expr(B, v, "bytes", true))) return NULL;
        if (excludes(B, y_get(y, "exclude"), &n->exclude, &n->nexclude) < 0) return NULL;
        return n;
    }
    if (y->t == Y_MAP && y_get(y, "name")) { /* one name from this answer, with its counts */
        static const char *const one_keys[] = {"name", "records", "bytes", NULL};
        if (y_keys(L, y, what, one_keys) < 0) return NULL;
        const struct ynode *v = y_get(y, "name");
        if (!(n->name = expr(B, v, "name", rel))) return NULL;
        if ((v = y_get(y, "records")) && !(n->records = expr(B, v, "records", rel))) return NULL;
        if ((v = y_get(y, "bytes")) && !(n->bytes = expr(B, v, "bytes", rel))) return NULL;
        return n;
    }
    if (!(n->list = expr(B, y, what, rel))) return NULL;
    return n;
}

static int bool_or_default(struct loader *L, const struct ynode *m, const char *key, bool def,
                           bool *out)
{
    *out = def;
    return y_bool(L, y_get(m, key), key, out);
}

static const char *const top_keys[] = {
    "ajar-signature", "service",      "aliases",      "class",     "ports",
    "tls_ports",      "default_scan", "instance_key", "lifecycle", "no_auth",
    "no_auth_source", "prevalence",   "description",  "product",   "requests",
    "identify",       "extract",      "transport",    "exposure",  NULL};

static const char *const req_keys[] = {"id",      "method", "path",   "each", "max",
                                       "only_if", "json",   "accept", NULL};

static const char *const tcp_req_keys[] = {"id",   "send",    "send_hex", "until",
                                           "json", "only_if", NULL};

static const char *const ident_keys[] = {"request",   "score", "status",   "not_status",   "header",
                                         "no_header", "body",  "contains", "not_contains", "title",
                                         "json",      "port",  NULL};

static const char *const rule_keys[] = {
    "from",        "when",    "auth",  "product", "version", "records", "bytes", "databases",
    "collections", "details", "names", "fields",  "capture", "stop",    "via",   NULL};

static const char *const via_keys[] = {"each",    "service", "backend", "auth",      "product",
                                       "version", "records", "bytes",   "databases", "collections",
                                       "details", "names",   "fields",  NULL};

static int ports_list(struct loader *L, const struct ynode *y, const char *what, uint16_t *out)
{
    if (!y) return 0;
    if (y->t != Y_SEQ) return y_fail(L, y->line, "%s: a list of ports", what);
    if (y->n >= CATALOG_MAX_PORTS)
        return y_fail(L, y->line, "%s: at most %d", what, CATALOG_MAX_PORTS - 1);
    for (size_t i = 0; i < y->n; i++) {
        int64_t v = 0;
        if (y_int(L, y->kids[i], what, 1, 65535, &v) < 0) return -1;
        out[i] = (uint16_t)v;
    }
    return 0;
}

static int entry(struct build *B, const struct ynode *root)
{
    struct loader *L = B->L;
    struct svc *e = &B->s->entry;
    const struct ynode *y;
    char *cls = NULL;
    int64_t v = 0;
    if (!(y = y_get(root, "ajar-signature")))
        return y_fail(L, root->line, "ajar-signature: 1 is missing");
    if (y_int(L, y, "ajar-signature", 1, 1, &v) < 0) return -1;
    if (!(y = y_get(root, "service"))) return y_fail(L, root->line, "service: is missing");
    if (y_str(L, y, "service", (char **)&e->name) < 0) return -1;
    if (!y_word_ok(e->name, 31))
        return y_fail(L, y->line, "service: 1 to 31 of a-z, 0-9, '-', '_'");
    if ((y = y_get(root, "aliases"))) {
        if (y->t != Y_SEQ || y->n >= CATALOG_MAX_ALIASES)
            return y_fail(L, y->line, "aliases: a list of at most %d names",
                          CATALOG_MAX_ALIASES - 1);
        for (size_t i = 0; i < y->n; i++) {
            if (y_str(L, y->kids[i], "aliases", (char **)&e->aliases[i]) < 0) return -1;
            if (!y_word_ok(e->aliases[i], 31))
                return y_fail(L, y->kids[i]->line, "aliases: 1 to 31 of a-z, 0-9, '-', '_'");
        }
    }
    if (!(y = y_get(root, "class"))) return y_fail(L, root->line, "class: is missing");
    if (y_str(L, y, "class", &cls) < 0) return -1;
    if (svc_class_parse(cls, &e->cls) < 0)
        return y_fail(L, y->line, "class: data, console, infrastructure, broker or other");
    if (ports_list(L, y_get(root, "ports"), "ports", e->ports) < 0 ||
        ports_list(L, y_get(root, "tls_ports"), "tls_ports", e->tls_ports) < 0 ||
        bool_or_default(L, root, "default_scan", false, &e->default_scan) < 0)
        return -1;
    if (e->default_scan && !e->ports[0] && !e->tls_ports[0])
        return y_fail(L, root->line, "default_scan: true needs ports");
    static const struct {
        const char *key;
        size_t off;
    } strs[] = {{"instance_key", offsetof(struct svc, instance_key)},
                {"lifecycle", offsetof(struct svc, lifecycle)},
                {"no_auth", offsetof(struct svc, no_auth)},
                {"no_auth_source", offsetof(struct svc, no_auth_source)},
                {"description", offsetof(struct svc, text)}};
    for (size_t i = 0; i < ARRAY_LEN(strs); i++) {
        char *p = NULL;
        if (y_opt_str(L, y_get(root, strs[i].key), strs[i].key, &p) < 0) return -1;
        if (p && !y_text_ok(p))
            return y_fail(L, y_get(root, strs[i].key)->line, "%s: control characters", strs[i].key);
        *(const char **)((char *)e + strs[i].off) = p;
    }
    if (!e->text || !e->text[0]) return y_fail(L, root->line, "description: is missing");
    if (e->no_auth && !e->no_auth_source)
        return y_fail(L, y_get(root, "no_auth")->line,
                      "no_auth: needs no_auth_source: (where it comes from)");
    e->prevalence = 10;
    if ((y = y_get(root, "prevalence"))) {
        if (y_int(L, y, "prevalence", 1, 100, &v) < 0) return -1;
        e->prevalence = (int)v;
    }
    if (!(y = y_get(root, "product"))) return y_fail(L, root->line, "product: is missing");
    if (y_str(L, y, "product", &B->s->product) < 0) return -1;
    if (!B->s->product[0] || !y_text_ok(B->s->product) || strlen(B->s->product) > 63)
        return y_fail(L, y->line, "product: 1 to 63 printable characters");
    if ((y = y_get(root, "exposure"))) {
        char *x = NULL;
        if (y_str(L, y, "exposure", &x) < 0) return -1;
        if (svc_exposure_parse(x, &e->exposure) < 0)
            return y_fail(L, y->line, "exposure: map, secrets or code");
        if (e->cls != SVC_INFRA)
            return y_fail(L, y->line, "exposure: only for class infrastructure");
    }
    if ((y = y_get(root, "transport"))) {
        char *t = NULL;
        if (y_str(L, y, "transport", &t) < 0) return -1;
        if (strcmp(t, "http") && strcmp(t, "tcp"))
            return y_fail(L, y->line, "transport: http (the default) or tcp");
        B->s->tcp = !strcmp(t, "tcp");
    }
    e->impl = IMPL_SIGNATURE;
    e->impl_name = B->s->file;
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* "send_hex": pairs of hex digits, spaces between them allowed. */
static int hex_bytes(struct loader *L, const struct ynode *v, unsigned char **out, size_t *n)
{
    char *t = NULL;
    if (y_str(L, v, "send_hex", &t) < 0) return -1;
    size_t len = strlen(t), o = 0;
    unsigned char *b = sig_arena_alloc(L->ar, len / 2 + 1);
    if (!b) return y_fail(L, v->line, "out of memory");
    for (size_t i = 0; i < len;) {
        if (t[i] == ' ') {
            i++;
            continue;
        }
        int hi = hexval(t[i]), lo = i + 1 < len ? hexval(t[i + 1]) : -1;
        if (hi < 0 || lo < 0) return y_fail(L, v->line, "send_hex: pairs of hex digits");
        b[o++] = (unsigned char)(hi << 4 | lo);
        i += 2;
    }
    if (!o) return y_fail(L, v->line, "send_hex: no bytes (leave send out to read a greeting)");
    *out = b;
    *n = o;
    return 0;
}

static int requests(struct build *B, const struct ynode *y)
{
    struct loader *L = B->L;
    struct sig *s = B->s;
    if (!y) return y_fail(L, 1, "requests: is missing");
    if (y->t != Y_SEQ || !y->n) return y_fail(L, y->line, "requests: a list of requests");
    if (y->n > SIG_MAX_REQ) return y_fail(L, y->line, "requests: at most %d", SIG_MAX_REQ);
    /* ids first, so only_if may name a later request in error messages only */
    for (size_t i = 0; i < y->n; i++) {
        const struct ynode *r = y->kids[i], *v;
        if (y_keys(L, r, "request", s->tcp ? tcp_req_keys : req_keys) < 0) return -1;
        struct sig_request *q = &s->req[s->nreq];
        char *id = NULL, *path = NULL, *m = NULL;
        if (!(v = y_get(r, "id")) || y_str(L, v, "id", &id) < 0 || !y_word_ok(id, 31))
            return L->failed ? -1
                             : y_fail(L, r->line, "request: id: 1 to 31 of a-z, 0-9, '-', '_'");
        if (!strcmp(id, "any") || req_index(s, id) >= 0)
            return y_fail(L, v->line, "request id '%s' is taken", id);
        str_copy(q->id, id, sizeof q->id);
        if (s->tcp) { /* send (or send_hex, or nothing: the greeting), until */
            if ((v = y_get(r, "send")) && y_get(r, "send_hex"))
                return y_fail(L, v->line, "request %s: send or send_hex, not both", id);
            if (v) {
                char *t = NULL;
                if (y_str(L, v, "send", &t) < 0) return -1;
                q->send = (unsigned char *)t;
                q->sendlen = strlen(t);
            } else if ((v = y_get(r, "send_hex")) && hex_bytes(L, v, &q->send, &q->sendlen) < 0) {
                return -1;
            }
            if (!q->sendlen && s->nreq > 0)
                return y_fail(L, r->line,
                              "request %s: only the first request may read a greeting "
                              "(send: nothing)",
                              id);
            if (!(v = y_get(r, "until")))
                return y_fail(L, r->line,
                              "request %s: until: is missing (a regex: when the answer "
                              "is complete)",
                              id);
            if (!(q->until = y_regex(L, v, "until"))) return -1;
            q->path = q->id; /* names it in traces and identify */
            q->each = -1;
            q->max = 1;
            s->nreq++;
            continue;
        }
        if ((v = y_get(r, "method"))) {
            if (y_str(L, v, "method", &m) < 0) return -1;
            if (strcmp(m, "GET") && strcmp(m, "HEAD"))
                return y_fail(L, v->line,
                              "method: GET or HEAD only (a signature never writes to a target)");
            q->head = !strcmp(m, "HEAD");
        }
        if (!(v = y_get(r, "path"))) return y_fail(L, r->line, "request %s: path: is missing", id);
        if (y_str(L, v, "path", &path) < 0) return -1;
        if (path[0] != '/' || strlen(path) >= SIG_MAX_PATH)
            return y_fail(L, v->line, "path: starts with '/', shorter than %d", SIG_MAX_PATH);
        for (const char *p = path; *p; p++)
            if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '#')
                return y_fail(L, v->line, "path: no spaces, control characters or '#'");
        q->path = path;
        q->each = -1;
        q->max = 1;
        s->nreq++;
    }
    for (int i = 0; i < s->nreq; i++) {
        const struct ynode *r = y->kids[i], *v;
        struct sig_request *q = &s->req[i];
        const char *brace = s->tcp ? NULL : strchr(q->path, '{');
        if ((v = y_get(r, "each"))) {
            char *var = NULL;
            if (y_str(L, v, "each", &var) < 0) return -1;
            for (size_t k = 0; k < s->ncaptures; k++)
                if (!strcmp(s->captures[k].var, var)) q->each = (int)k;
            if (q->each < 0)
                return y_fail(L, v->line, "each: no extract rule captures '%.31s'", var);
            char want[40];
            str_fmt(want, sizeof want, "{%s}", var);
            if (!brace || strncmp(brace, want, strlen(want)) || strchr(brace + 1, '{'))
                return y_fail(L, v->line, "each: the path must hold {%s} once", var);
            q->max = SIG_MAX_EACH;
            if ((v = y_get(r, "max"))) {
                int64_t mx = 0;
                if (y_int(L, v, "max", 1, SIG_MAX_EACH, &mx) < 0) return -1;
                q->max = (int)mx;
            }
        } else if (!s->tcp && (brace || strchr(q->path, '}'))) {
            return y_fail(L, y_get(r, "path")->line, "path: {var} needs each: var");
        } else if ((v = y_get(r, "max"))) {
            return y_fail(L, v->line, "max: only with each:");
        }
        if ((v = y_get(r, "json")) && !(q->json_re = y_regex(L, v, "json"))) return -1;
        if ((v = y_get(r, "accept"))) {
            if (y_str(L, v, "accept", &q->accept) < 0) return -1;
            if (!q->accept[0] || strlen(q->accept) > 128 || !y_text_ok(q->accept))
                return y_fail(L, v->line,
                              "accept: a media type list, 1 to 128 printable characters");
        }
        if ((v = y_get(r, "only_if"))) {
            if (v->t != Y_MAP) return y_fail(L, v->line, "only_if: request: ID, status: N");
            if (conds(B, v, &q->only_if, true) < 0) return -1;
            for (size_t k = 0; k < q->only_if.n; k++)
                if (q->only_if.v[k].req >= i)
                    return y_fail(L, v->line, "only_if: may only name an earlier request");
        }
    }
    return 0;
}

/* Captures are declared by extract rules; requests' each: refers to them, so collect them
 * before the requests are read. */
static int collect_captures(struct build *B, const struct ynode *ex)
{
    struct loader *L = B->L;
    if (!ex) return 0;
    if (ex->t != Y_SEQ) return y_fail(L, ex->line, "extract: a list of rules");
    for (size_t i = 0; i < ex->n; i++) {
        const struct ynode *c = y_get(ex->kids[i], "capture");
        if (!c) continue;
        if (c->t != Y_MAP || c->n != 2)
            return y_fail(L, c->line, "capture: one NAME: list expression");
        char *var = NULL;
        if (y_str(L, c->kids[0], "capture", &var) < 0 || !y_word_ok(var, 31))
            return L->failed
                       ? -1
                       : y_fail(L, c->line, "capture: the name is 1 to 31 of a-z, 0-9, '-', '_'");
        struct sig_capture *nv = sig_arena_alloc(L->ar, (B->s->ncaptures + 1) * sizeof *nv);
        if (!nv) return y_fail(L, c->line, "out of memory");
        if (B->s->ncaptures) memcpy(nv, B->s->captures, B->s->ncaptures * sizeof *nv);
        B->s->captures = nv;
        for (size_t k = 0; k < B->s->ncaptures; k++)
            if (!strcmp(nv[k].var, var)) return y_fail(L, c->line, "capture '%s' given twice", var);
        if (B->s->ncaptures >= SIG_MAX_CAPTURES)
            return y_fail(L, c->line, "at most %d captures", SIG_MAX_CAPTURES);
        str_copy(nv[B->s->ncaptures].var, var, sizeof nv[0].var);
        nv[B->s->ncaptures].e = NULL;
        B->s->ncaptures++;
    }
    return 0;
}

static int identify(struct build *B, const struct ynode *y)
{
    struct loader *L = B->L;
    struct sig *s = B->s;
    if (!y) return y_fail(L, 1, "identify: is missing");
    if (y->t != Y_SEQ || !y->n) return y_fail(L, y->line, "identify: a list of rules");
    s->ident = sig_arena_alloc(L->ar, y->n * sizeof *s->ident);
    if (!s->ident) return y_fail(L, y->line, "out of memory");
    int npaths = 0;
    for (size_t i = 0; i < y->n; i++) {
        const struct ynode *r = y->kids[i], *v;
        struct sig_ident *d = &s->ident[s->nident];
        if (y_keys(L, r, "identify rule", ident_keys) < 0) return -1;
        if (!(v = y_get(r, "request"))) return y_fail(L, r->line, "identify: request: is missing");
        if (find_req(B, v, "identify: request", true, &d->req) < 0) return -1;
        if (d->req >= 0 && s->req[d->req].each >= 0)
            return y_fail(L, v->line, "identify: not on a request repeated with each:");
        if (!(v = y_get(r, "score"))) return y_fail(L, r->line, "identify: score: is missing");
        int64_t sc = 0;
        if (y_int(L, v, "score", 50, 100, &sc) < 0) return -1;
        d->score = (int)sc;
        if (conds(B, r, &d->c, false) < 0) return -1;
        if (!d->c.n) return y_fail(L, r->line, "identify: a rule needs at least one test");
        bool only_port = true;
        for (size_t k = 0; k < d->c.n; k++) {
            enum sig_cond_kind ck = d->c.v[k].kind;
            if (ck != CD_PORT && ck != CD_STATUS) only_port = false;
            if (s->tcp && (ck == CD_STATUS || ck == CD_NOT_STATUS || ck == CD_HEADER ||
                           ck == CD_NO_HEADER || ck == CD_TITLE))
                return y_fail(L, r->line, "identify: transport tcp has no status, header or title");
        }
        if (only_port)
            return y_fail(L, r->line,
                          "identify: a rule needs a test of what the server said, not only a "
                          "status or a port");
        s->nident++;
        /* requests other than GET / that identify are fingerprint paths */
        if (!s->tcp && d->req >= 0 && strcmp(s->req[d->req].path, "/") && !s->req[d->req].head) {
            bool dup = false;
            for (int k = 0; k < npaths; k++)
                if (!strcmp(s->paths[k], s->req[d->req].path)) dup = true;
            if (!dup) s->paths[npaths++] = s->req[d->req].path;
        }
    }
    return 0;
}

static int auth_parse(struct loader *L, const struct ynode *y, int *out)
{
    char *a = NULL;
    if (y_str(L, y, "auth", &a) < 0) return -1;
    static const char *const names[] = {"unknown", "none", "required", "partial"};
    static const int vals[] = {AUTH_UNKNOWN, AUTH_NONE, AUTH_REQUIRED, AUTH_PARTIAL};
    for (size_t i = 0; i < ARRAY_LEN(names); i++)
        if (!strcmp(a, names[i])) {
            *out = vals[i];
            return 0;
        }
    return y_fail(L, y->line, "auth: none, required, partial or unknown");
}

/* What a rule (or a via block) sets: auth, product, version, the counts, details, names,
 * fields. rel: expressions read the element of a via's each:. */
static int setters(struct build *B, const struct ynode *r, struct sig_rule *u, bool rel)
{
    struct loader *L = B->L;
    const struct ynode *v;
    if ((v = y_get(r, "auth")) && auth_parse(L, v, &u->auth) < 0) return -1;
    static const struct {
        const char *key;
        size_t off;
    } ex[] = {{"product", offsetof(struct sig_rule, product)},
              {"version", offsetof(struct sig_rule, version)},
              {"records", offsetof(struct sig_rule, records)},
              {"bytes", offsetof(struct sig_rule, bytes)},
              {"databases", offsetof(struct sig_rule, databases)},
              {"collections", offsetof(struct sig_rule, collections)}};
    for (size_t k = 0; k < ARRAY_LEN(ex); k++) {
        if (!(v = y_get(r, ex[k].key))) continue;
        struct sig_expr *e = expr(B, v, ex[k].key, rel);
        if (!e) return -1;
        *(struct sig_expr **)((char *)u + ex[k].off) = e;
    }
    if ((v = y_get(r, "details"))) {
        if (v->t != Y_MAP || !v->n) return y_fail(L, v->line, "details: key: value pairs");
        u->details = sig_arena_alloc(L->ar, v->n / 2 * sizeof *u->details);
        if (!u->details) return y_fail(L, v->line, "out of memory");
        for (size_t k = 0; k + 1 < v->n; k += 2) {
            struct sig_detail *d = &u->details[u->ndetails++];
            if (y_str(L, v->kids[k], "details", &d->key) < 0 || !y_word_ok(d->key, 40))
                return L->failed ? -1
                                 : y_fail(L, v->kids[k]->line,
                                          "details: a key is 1 to 40 of a-z, 0-9, '-', '_'");
            if (!(d->e = expr(B, v->kids[k + 1], d->key, rel))) return -1;
        }
    }
    if ((v = y_get(r, "names")) && !(u->names = names(B, v, "names", rel))) return -1;
    if ((v = y_get(r, "fields")) && !(u->fields = names(B, v, "fields", rel))) return -1;
    return 0;
}

/* via: the stores behind a console. */
static int via(struct build *B, const struct ynode *y, struct sig_rule *u)
{
    struct loader *L = B->L;
    if (y->t != Y_MAP) return y_fail(L, y->line, "via: service: NAME and what to set");
    if (y_keys(L, y, "via", via_keys) < 0) return -1;
    struct sig_via *w = sig_arena_alloc(L->ar, sizeof *w);
    if (!w) return y_fail(L, y->line, "out of memory");
    w->set.auth = AUTH_NONE; /* the console hands the store to whoever it lets in */
    w->set.capture = -1;
    w->set.req = u->req;
    const struct ynode *v;
    bool rel = false;
    if ((v = y_get(y, "each"))) {
        if (y_pointer(L, v, "each", false, &w->each) < 0) return -1;
        if (!strchr(w->each, '*')) return y_fail(L, v->line, "via: each: a pointer with '*'");
        rel = true;
    }
    if (!(v = y_get(y, "service"))) return y_fail(L, y->line, "via: service: is missing");
    if (!(w->service = expr(B, v, "service", rel))) return -1;
    if ((v = y_get(y, "backend")) && !(w->backend = expr(B, v, "backend", rel))) return -1;
    if (setters(B, y, &w->set, rel) < 0) return -1;
    u->via = w;
    return 0;
}

static int extract(struct build *B, const struct ynode *y)
{
    struct loader *L = B->L;
    struct sig *s = B->s;
    if (!y) return 0;
    s->rules = sig_arena_alloc(L->ar, (y->n ? y->n : 1) * sizeof *s->rules);
    if (!s->rules) return y_fail(L, y->line, "out of memory");
    for (size_t i = 0; i < y->n; i++) {
        const struct ynode *r = y->kids[i], *v;
        struct sig_rule *u = &s->rules[s->nrules];
        if (y_keys(L, r, "extract rule", rule_keys) < 0) return -1;
        u->auth = -1;
        u->capture = -1;
        if (!(v = y_get(r, "from"))) return y_fail(L, r->line, "extract: from: is missing");
        if (find_req(B, v, "extract: from", true, &u->req) < 0) return -1;
        if ((v = y_get(r, "when"))) {
            if (v->t != Y_MAP) return y_fail(L, v->line, "when: tests of the answer");
            if (y_keys(L, v, "when", cond_keys) < 0) return -1;
            if (y_get(v, "request") || y_get(v, "answered") || y_get(v, "score") ||
                y_get(v, "from"))
                return y_fail(L, v->line,
                              "when: tests the answer of from: (status, header, json...)");
            if (conds(B, v, &u->when, false) < 0) return -1;
            for (size_t k = 0; s->tcp && k < u->when.n; k++) {
                enum sig_cond_kind ck = u->when.v[k].kind;
                if (ck == CD_STATUS || ck == CD_NOT_STATUS || ck == CD_HEADER ||
                    ck == CD_NO_HEADER || ck == CD_TITLE)
                    return y_fail(L, v->line, "when: transport tcp has no status, header or title");
            }
        }
        if (setters(B, r, u, false) < 0) return -1;
        if ((v = y_get(r, "via")) && via(B, v, u) < 0) return -1;
        if ((v = y_get(r, "capture"))) {
            for (size_t k = 0; k < s->ncaptures; k++)
                if (!strcmp(s->captures[k].var, v->kids[0]->s)) u->capture = (int)k;
            struct sig_capture *c = &s->captures[u->capture];
            if (!(c->e = expr(B, v->kids[1], "capture", false))) return -1;
            if (c->e->agg != AGG_ALL) return y_fail(L, v->line, "capture: a list (all: true)");
        }
        if (bool_or_default(L, r, "stop", false, &u->stop) < 0) return -1;
        s->nrules++;
    }
    return 0;
}

/* ---- the whole file ---- */

int sig_compile(const char *name, const char *text, size_t n, struct sig **out, struct err *e)
{
    *out = NULL;
    struct arena *ar = xcalloc(1, sizeof *ar);
    if (!ar) return err_set(e, "%s: out of memory", name);
    struct loader L = {.name = name, .e = e, .ar = ar};
    struct sig *s = NULL;
    if (n > SIG_FILE_CAP) {
        y_fail(&L, 1, "larger than %u bytes", SIG_FILE_CAP);
        goto fail;
    }
    if (memchr(text, 0, n)) {
        y_fail(&L, 1, "a NUL byte in the file");
        goto fail;
    }
    struct ynode *root = y_parse(&L, text, n);
    if (!root) goto fail;
    if (y_keys(&L, root, "signature", top_keys) < 0) goto fail;
    s = sig_arena_alloc(ar, sizeof *s);
    if (!s) goto fail;
    s->arena = ar;
    s->file = sig_arena_strndup(ar, name, strlen(name));
    struct build B = {.L = &L, .s = s};
    if (!s->file || entry(&B, root) < 0 || collect_captures(&B, y_get(root, "extract")) < 0 ||
        requests(&B, y_get(root, "requests")) < 0 || identify(&B, y_get(root, "identify")) < 0 ||
        extract(&B, y_get(root, "extract")) < 0)
        goto fail;
    if (s->tcp)
        sig_bind_probe(s);
    else
        sig_bind_app(s);
    *out = s;
    return 0;
fail:
    if (!L.failed) err_set(e, "%s: out of memory", name);
    sig_arena_free(ar);
    return -1;
}

void sig_free(struct sig *s)
{
    if (s) sig_arena_free(s->arena);
}
