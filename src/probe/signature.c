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
 *
 * Files: this one is the app and the tcp transport; sig_eval.c evaluates
 * expressions and conditions against an answer (sig_eval.h); sig_list.c
 * keeps the loaded signatures and reads files and directories into them;
 * sigload.c and sig_yaml.c compile one file.
 */
#include "probe/sig_eval.h"
#include "probe/signature.h"

#include <stdlib.h>
#include <string.h>

/* ---- the app ---- */

#define STATE_UNANSWERED 0

#define STATE_SKIPPED (-1) /* asked by the dispatcher, not ours to read, or only_if failed */

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
        if (sig_conds_hold(&d->c, &x)) best = d->score;
    }
    sig_ev_free(&x);
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
        sig_eval(nm->list, x, elem, NULL, &o);
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
        sig_vals_free(&o);
        return;
    }
    if (!nm->each) { /* one name, from this answer */
        struct vals o;
        sig_eval(nm->name, x, elem, NULL, &o);
        const char *s = o.n ? json_string_value(o.v[0]) : NULL;
        if (s && fields) {
            finding_add_field(f, s, strlen(s));
        } else if (s) {
            int64_t rec = nm->records ? sig_eval_int(nm->records, x, elem) : -1;
            int64_t byt = nm->bytes ? sig_eval_int(nm->bytes, x, elem) : -1;
            name_put(f, s, rec, byt);
        }
        sig_vals_free(&o);
        return;
    }
    const json_t *j = nm->each[0] == '/' || !elem ? sig_ev_json(x) : elem;
    if (!j) return;
    struct hits *h = xmalloc(sizeof *h); /* sig_walk writes an entry before it is read */
    if (!h) return;
    h->n = 0;
    sig_walk(j, nm->each, NULL, h);
    for (size_t i = 0; i < h->n; i++) {
        struct vals o;
        sig_eval(nm->name, x, h->v[i], h->key[i], &o);
        const char *s = o.n ? json_string_value(o.v[0]) : NULL;
        bool skip = !s;
        for (size_t k = 0; s && k < nm->nexclude; k++)
            if (!strcmp(nm->exclude[k], s)) skip = true;
        if (!skip && fields) {
            finding_add_field(f, s, strlen(s));
        } else if (!skip) {
            int64_t rec = nm->records ? sig_eval_int(nm->records, x, h->v[i]) : -1;
            int64_t byt = nm->bytes ? sig_eval_int(nm->bytes, x, h->v[i]) : -1;
            name_put(f, s, rec, byt);
        }
        sig_vals_free(&o);
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
        sig_eval(u->product, x, elem, NULL, &o);
        if (o.n && json_is_string(o.v[0])) FINDING_SET(f, product, json_string_value(o.v[0]));
        sig_vals_free(&o);
    }
    if (u->version) {
        sig_eval(u->version, x, elem, NULL, &o);
        if (o.n && json_is_string(o.v[0])) FINDING_SET(f, version, json_string_value(o.v[0]));
        sig_vals_free(&o);
    }
    if (u->records) set_count(&f->records, sig_eval_int(u->records, x, elem), repeated);
    if (u->bytes) set_count(&f->bytes, sig_eval_int(u->bytes, x, elem), repeated);
    if (u->databases) set_count(&f->databases, sig_eval_int(u->databases, x, elem), repeated);
    if (u->collections) set_count(&f->collections, sig_eval_int(u->collections, x, elem), repeated);
    for (size_t i = 0; i < u->ndetails; i++) {
        const struct sig_detail *d = &u->details[i];
        if (d->e->agg == AGG_COUNT || d->e->agg == AGG_SUM) {
            int64_t v = sig_eval_int(d->e, x, elem);
            if (v >= 0) finding_detail_int(f, d->key, v);
            continue;
        }
        sig_eval(d->e, x, elem, NULL, &o);
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
        sig_vals_free(&o);
    }
    if (u->names) add_names(u->names, x, elem, f, false);
    if (u->fields) add_names(u->fields, x, elem, f, true);
    if (u->via && pc) apply_via(s, u->via, x, pc);
    if (u->capture >= 0 && st) {
        struct strlist *c = &st->caps[u->capture];
        strlist_free(c);
        sig_eval(s->captures[u->capture].e, x, NULL, NULL, &o);
        for (size_t k = 0; k < o.n && c->n < SIG_MAX_EACH; k++) {
            const char *sv = json_string_value(o.v[k]);
            if (sv && strlen(sv) < FINDING_MAX_NAME) strlist_add(c, sv, strlen(sv));
        }
        sig_vals_free(&o);
    }
}

/* One extra finding per store behind the console: at the console's address and port, via
 * naming the console (as the Elasticsearch behind a Kibana). */
static void via_one(const struct sig *s, const struct sig_via *w, struct ev *x, const json_t *elem,
                    struct probe_ctx *pc)
{
    struct vals o;
    sig_eval(w->service, x, elem, NULL, &o);
    const char *svc = o.n ? json_string_value(o.v[0]) : NULL;
    char name[32];
    bool ok = svc && *svc && strlen(svc) < sizeof name;
    if (ok) str_sanitize(name, sizeof name, svc, strlen(svc), true);
    sig_vals_free(&o);
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
        sig_eval(w->backend, x, elem, NULL, &o);
        const char *b = o.n ? json_string_value(o.v[0]) : NULL;
        if (b) finding_detail_str(e, "backend", b);
        sig_vals_free(&o);
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
    json_t *j = sig_ev_json(x);
    if (!j) return;
    struct hits *h = xmalloc(sizeof *h);
    if (!h) return;
    h->n = 0;
    sig_walk(j, w->each, NULL, h);
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
        if (!sig_conds_hold(&u->when, &x)) continue;
        apply(s, st, u, &x, NULL, pc->f, repeated, pc);
        stop = u->stop;
    }
    sig_ev_free(&x);
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
        if (!sig_conds_hold(&q->only_if, &x)) {
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
        if (!read_by_rules(s, k) || !sig_conds_hold(&s->req[k].only_if, &x)) continue;
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
        if (sig_conds_hold(&d->c, &x)) best = d->score;
        sig_ev_free(&x);
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
