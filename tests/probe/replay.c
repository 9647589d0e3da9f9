/*
 * tests/probe/replay.c -- see replay.h.
 */
#include "probe/replay.h"
#include "catalog/catalog.h"
#include "probe/http.h"
#include "probe/sig_int.h"
#include "probe/signature.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_RESP 64

struct resp {
    unsigned char *p;
    size_t n;
    bool eof;
};

struct kase {
    char dir[512];
    const struct probe *probe;
    uint16_t port;
    bool tls;
    char host[128];
    struct probe_options opts;
    char nonce[64]; /* conn's scram_nonce=, pointed to by opts */
    struct resp r[MAX_RESP];
    int nr;
    json_t *expect;
    /* HTTP cases whose "_requests" name the request of every answer: each request gets the
     * answer recorded for its request line (the k-th time it is asked, the k-th answer recorded
     * for it, the last one repeated), a request the case did not record the lab emulator's 404
     * (tests/lab/emu/emu_cases.py serves cases the same way). The order in which the dispatcher
     * tries fingerprint paths -- which depends on every signature loaded -- then does not matter.
     */
    bool route;
    char service[64];           /* the case's folder: its service */
    const char *line[MAX_RESP]; /* the request line of each answer (in expect) */
};

/* Is the request "GET <path> HTTP/1.1" for a path another HTTP app or signature (not the case's
 * own service) fingerprints? */
static bool fingerprint_path(const char *req, const char *own)
{
    if (strncmp(req, "GET ", 4)) return false;
    const char *p = req + 4, *e = strchr(p, ' ');
    if (!e) return false;
    /* a request of the case's own signature is its own, whoever else fingerprints that path */
    for (size_t i = 0; i < signature_count(); i++) {
        const struct sig *g = signature_at(i);
        if (!g || !svc_name_eq(g->entry.name, own)) continue;
        for (int r = 0; r < g->nreq; r++) {
            const char *br = strchr(g->req[r].path, '{');
            size_t pl = br ? (size_t)(br - g->req[r].path) : strlen(g->req[r].path);
            if (br ? (size_t)(e - p) >= pl && !strncmp(g->req[r].path, p, pl)
                   : pl == (size_t)(e - p) && !strncmp(g->req[r].path, p, pl))
                return false;
        }
    }
    for (size_t i = 0; i < http_app_count(); i++)
        for (const char *const *q = http_app_at(i)->paths;
             q && *q && !svc_name_eq(http_app_at(i)->name, own); q++)
            if (strlen(*q) == (size_t)(e - p) && !strncmp(*q, p, (size_t)(e - p))) return true;
    return false;
}

static const char not_found[] =
    "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n"
    "X-Content-Type-Options: nosniff\r\nContent-Length: 19\r\n\r\n"
    "404 page not found\n";

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    struct buf b;
    buf_init(&b, 64u << 20);
    char tmp[65536];
    size_t k;
    while ((k = fread(tmp, 1, sizeof tmp, fp)) > 0)
        buf_append(&b, tmp, k);
    fclose(fp);
    *n = b.len;
    if (!b.data) buf_append(&b, "", 0);
    return b.data;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int load_resp(struct kase *k, int i, struct resp *r)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%d.resp", k->dir, i);
    if (exists(path)) {
        r->p = slurp(path, &r->n);
    } else {
        snprintf(path, sizeof path, "%s/%d.head", k->dir, i);
        if (!exists(path)) return 0;
        size_t hn = 0, bn = 0;
        unsigned char *head = slurp(path, &hn);
        unsigned char *body = NULL;
        snprintf(path, sizeof path, "%s/%d.body", k->dir, i);
        if (exists(path)) {
            body = slurp(path, &bn);
        } else {
            snprintf(path, sizeof path, "%s/%d.body.src", k->dir, i);
            size_t sn;
            unsigned char *src = slurp(path, &sn);
            if (src) {
                while (sn && (src[sn - 1] == '\n' || src[sn - 1] == '\r'))
                    src[--sn] = 0;
                const char *fx = getenv("AJAR_FIXTURES");
                char fpath[1024];
                snprintf(fpath, sizeof fpath, "%s/%s", fx ? fx : "../shared/fixtures", (char *)src);
                body = slurp(fpath, &bn);
                if (!body) fprintf(stderr, "replay: %s: cannot read fixture %s\n", k->dir, fpath);
                free(src);
            }
        }
        struct buf b;
        buf_init(&b, 64u << 20);
        /* headers with CRLF, without the final blank line */
        size_t s = 0;
        bool has_len = false;
        while (s < hn) {
            size_t e = s;
            while (e < hn && head[e] != '\n')
                e++;
            size_t le = e;
            if (le > s && head[le - 1] == '\r') le--;
            if (le > s) {
                if (mem_find(head + s, le - s, "content-length:", true) == (char *)head + s ||
                    mem_find(head + s, le - s, "transfer-encoding:", true) == (char *)head + s)
                    has_len = true;
                buf_append(&b, head + s, le - s);
                buf_append(&b, "\r\n", 2);
            }
            s = e + 1;
        }
        if (!has_len) buf_appendf(&b, "Content-Length: %zu\r\n", bn);
        buf_append(&b, "\r\n", 2);
        if (body) buf_append(&b, body, bn);
        free(head);
        free(body);
        r->p = b.data;
        r->n = b.len;
    }
    snprintf(path, sizeof path, "%s/%d.eof", k->dir, i);
    r->eof = exists(path);
    return r->p ? 1 : -1;
}

static int load_case(struct kase *k, const char *dir)
{
    memset(k, 0, sizeof *k);
    snprintf(k->dir, sizeof k->dir, "%s", dir);
    /* probe name = parent folder name */
    char parent[512];
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    if (!slash) return -1;
    *slash = 0;
    const char *pname = strrchr(parent, '/') ? strrchr(parent, '/') + 1 : parent;
    str_copy(k->service, pname, sizeof k->service);
    k->probe = probe_find(pname);
    if (!k->probe && http_app_find(pname)) k->probe = &probe_http;
    if (!k->probe) {
        fprintf(stderr, "replay: %s: no probe or http app named '%s' (not built yet?)\n", dir,
                pname);
        return -1;
    }
    k->port = 1;
    k->opts.max_requests = 32;
    char path[700];
    snprintf(path, sizeof path, "%s/conn", dir);
    size_t n;
    char *conn = (char *)slurp(path, &n);
    if (conn) {
        char *save = NULL;
        for (char *l = strtok_r(conn, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
            uint64_t v;
            if (!strncmp(l, "port=", 5) && parse_u64(l + 5, 65535, &v) == 0)
                k->port = (uint16_t)v;
            else if (!strcmp(l, "tls=1"))
                k->tls = true;
            else if (!strncmp(l, "host=", 5))
                snprintf(k->host, sizeof k->host, "%s", l + 5);
            else if (!strcmp(l, "no_default_accounts=1"))
                k->opts.no_default_accounts = true;
            else if (!strncmp(l, "scram_nonce=", 12))
                snprintf(k->nonce, sizeof k->nonce, "%s", l + 12);
        }
        free(conn);
    }
    if (k->nonce[0]) k->opts.scram_nonce = k->nonce;
    for (int i = 1; i <= MAX_RESP; i++) {
        int rc = load_resp(k, i, &k->r[k->nr]);
        if (rc == 0) break;
        if (rc < 0) return -1;
        k->nr++;
    }
    snprintf(path, sizeof path, "%s/expect.json", dir);
    json_error_t je;
    k->expect = json_load_file(path, 0, &je);
    if (!k->expect) {
        fprintf(stderr, "replay: %s: expect.json: %s\n", dir, je.text);
        return -1;
    }
    const json_t *rq = json_object_get(k->expect, "_requests");
    if (k->probe == &probe_http && (int)json_array_size(rq) >= k->nr && k->nr > 0) {
        k->route = true;
        for (int i = 0; i < k->nr; i++) {
            const char *l = json_string_value(json_array_get(rq, i));
            if (!l || (strncmp(l, "GET ", 4) && strncmp(l, "HEAD ", 5))) k->route = false;
            k->line[i] = l;
        }
    }
    return 0;
}

static void free_case(struct kase *k)
{
    for (int i = 0; i < k->nr; i++)
        free(k->r[i].p);
    json_decref(k->expect);
}

static const char *rc_name(int rc)
{
    switch (rc) {
    case PROBE_DONE:
        return "done";
    case PROBE_NOMATCH:
        return "nomatch";
    case PROBE_MORE:
        return "more";
    case PROBE_SEND:
        return "send";
    case PROBE_RECONNECT:
        return "reconnect";
    }
    return "?";
}

/*
 * One run. split_resp/split_at: response index and offset to split at
 * (-1: no split); bytewise: feed one byte at a time. Returns a JSON object
 * {"rc":..., "record":..., "extra":[...], "requests":[...]}.
 */
static json_t *run(const struct kase *k, int split_resp, size_t split_at, bool bytewise)
{
    struct finding f;
    finding_init(&f);
    str_copy(f.ip, "127.0.0.1", sizeof f.ip);
    f.port = k->port;
    f.time = 1763700000;
    str_copy(f.host, k->host, sizeof f.host);
    struct probe_run pr;
    json_t *reqs = json_array();
    int rc;
    if (probe_run_init(&pr, k->probe, &f, &k->opts) < 0) {
        rc = -1;
        goto out;
    }
    pr.ctx.tls = k->tls;
    rc = k->probe->start(&pr.ctx);
    int asked[MAX_RESP] = {0};
    char lastreq[512] = "";
    struct resp nf = {.p = (unsigned char *)not_found, .n = sizeof not_found - 1};
    int steps = k->route ? 4 * MAX_RESP : k->nr;
    for (int i = 0; i < steps; i++) {
        if (rc == PROBE_STARTTLS) {
            /* the recorded responses that follow are what came inside TLS */
            if (pr.out.len) {
                json_array_append_new(reqs,
                                      json_stringn_nocheck((const char *)pr.out.data, pr.out.len));
                buf_reset(&pr.out);
            }
            pr.ctx.tls = true;
            rc = k->probe->start(&pr.ctx);
        }
        if (rc == PROBE_RECONNECT) {
            /* as the engine does: what was queued goes to the old connection */
            if (pr.out.len) {
                json_array_append_new(reqs,
                                      json_stringn_nocheck((const char *)pr.out.data, pr.out.len));
                buf_reset(&pr.out);
            }
            pr.ctx.connection++;
            rc = k->probe->start(&pr.ctx);
        }
        if (rc == PROBE_DONE || rc == PROBE_NOMATCH || rc < 0) break;
        bool sent_now = pr.out.len > 0;
        if (pr.out.len) {
            json_array_append_new(reqs,
                                  json_stringn_nocheck((const char *)pr.out.data, pr.out.len));
            /* what was sent: the route to its answer */
            size_t l = pr.out.len < sizeof lastreq - 1 ? pr.out.len : sizeof lastreq - 1;
            memcpy(lastreq, pr.out.data, l);
            lastreq[l] = 0;
            buf_reset(&pr.out);
        }
        int fi = i; /* the answer file used (for the split) */
        const struct resp *r = i < k->nr ? &k->r[i] : NULL;
        if (k->route) {
            if (!sent_now) break; /* the probe asked for nothing more */
            int j0 = -1, nth = 0;
            fi = -1;
            for (int j = 0; j < k->nr; j++) {
                /* an entry of "_requests" is a prefix of the request it answers */
                if (strncmp(lastreq, k->line[j], strlen(k->line[j]))) continue;
                if (j0 < 0) j0 = j;
                if (nth++ <= asked[j0]) fi = j; /* the asked[j0]-th answer for it, else the last */
            }
            if (j0 >= 0) asked[j0]++;
            if (fi >= 0)
                r = &k->r[fi];
            else if (fingerprint_path(lastreq, k->service))
                r = &nf; /* another service's fingerprint: what the lab emulator answers */
            else
                break; /* a request the recording ends before */
        }
        if (!r) break;
        size_t off = 0;
        rc = PROBE_MORE;
        while (off < r->n && rc == PROBE_MORE) {
            size_t chunk = r->n - off;
            if (bytewise)
                chunk = 1;
            else if (fi == split_resp && off < split_at)
                chunk = split_at - off;
            rc = k->probe->on_data(&pr.ctx, r->p + off, chunk);
            off += chunk;
        }
        if (rc == PROBE_MORE && r->eof) rc = k->probe->on_end(&pr.ctx, PROBE_END_EOF);
    }
    if (pr.out.len) {
        json_array_append_new(reqs, json_stringn_nocheck((const char *)pr.out.data, pr.out.len));
        buf_reset(&pr.out);
    }
    if (rc == PROBE_MORE || rc == PROBE_SEND || rc == PROBE_RECONNECT || rc == PROBE_STARTTLS)
        rc = k->probe->on_end(&pr.ctx, PROBE_END_EOF);
out:;
    json_t *res = json_object();
    json_object_set_new(res, "rc", json_string(rc < 0 ? "error" : rc_name(rc)));
    json_object_set_new(res, "record", finding_to_json(&f, false));
    json_t *ex = json_array();
    for (int i = 0; i < PROBE_MAX_EXTRA; i++)
        if (pr.extra[i]) json_array_append_new(ex, finding_to_json(pr.extra[i], false));
    json_object_set_new(res, "extra", ex);
    json_object_set_new(res, "requests", reqs);
    probe_run_free(&pr);
    finding_free(&f);
    return res;
}

bool json_subset(const json_t *sub, const json_t *full, char *why, size_t whyn)
{
    if (json_is_object(sub)) {
        if (!json_is_object(full)) {
            snprintf(why, whyn, "expected an object");
            return false;
        }
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)sub, key, v)
        {
            if (key[0] == '_') continue;
            json_t *fv = json_object_get(full, key);
            if (!fv) {
                snprintf(why, whyn, ".%s missing", key);
                return false;
            }
            char inner[400];
            if (!json_subset(v, fv, inner, sizeof inner)) {
                snprintf(why, whyn, ".%s%s", key, inner);
                return false;
            }
        }
        return true;
    }
    if (!json_equal(sub, full)) {
        char *a = json_dumps(sub, JSON_ENCODE_ANY | JSON_COMPACT);
        char *b = json_dumps(full, JSON_ENCODE_ANY | JSON_COMPACT);
        snprintf(why, whyn, ": expected %.150s, got %.150s", a ? a : "?", b ? b : "?");
        free(a);
        free(b);
        return false;
    }
    return true;
}

static int check_expect(const struct kase *k, const json_t *res, int *checks)
{
    int fails = 0;
    char why[512];
    const json_t *e = k->expect;
    const char *want_rc = json_string_value(json_object_get(e, "_rc"));
    if (!want_rc) want_rc = "done";
    (*checks)++;
    if (strcmp(want_rc, json_string_value(json_object_get(res, "rc"))) != 0) {
        fprintf(stderr, "FAIL %s: rc %s, expected %s\n", k->dir,
                json_string_value(json_object_get(res, "rc")), want_rc);
        fails++;
    }
    (*checks)++;
    if (!json_subset(e, json_object_get(res, "record"), why, sizeof why)) {
        fprintf(stderr, "FAIL %s: record%s\n", k->dir, why);
        char *d = json_dumps(json_object_get(res, "record"), JSON_COMPACT);
        fprintf(stderr, "     got: %s\n", d ? d : "?");
        free(d);
        fails++;
    }
    const json_t *ex = json_object_get(e, "_extra");
    if (ex) {
        (*checks)++;
        const json_t *got = json_object_get(res, "extra");
        if (json_array_size(got) != json_array_size(ex)) {
            fprintf(stderr, "FAIL %s: %zu extra findings, expected %zu\n", k->dir,
                    json_array_size(got), json_array_size(ex));
            fails++;
        } else {
            for (size_t i = 0; i < json_array_size(ex); i++) {
                if (!json_subset(json_array_get(ex, i), json_array_get(got, i), why, sizeof why)) {
                    fprintf(stderr, "FAIL %s: extra[%zu]%s\n", k->dir, i, why);
                    fails++;
                }
            }
        }
    }
    const json_t *rq = json_object_get(e, "_requests");
    if (rq) {
        (*checks)++;
        const json_t *got = json_object_get(res, "requests");
        size_t at = 0; /* routed cases: the requests listed were sent in this order, others too */
        for (size_t i = 0; i < json_array_size(rq); i++) {
            const char *want = json_string_value(json_array_get(rq, i));
            if (k->route && want)
                while (at < json_array_size(got) &&
                       strncmp(json_string_value(json_array_get(got, at)), want, strlen(want)))
                    at++;
            const json_t *g = json_array_get(got, k->route ? at++ : i);
            if (!want || !g || strncmp(json_string_value(g), want, strlen(want)) != 0) {
                const char *gs = g ? json_string_value(g) : NULL;
                fprintf(stderr,
                        "FAIL %s: request %zu does not start with \"%s\" (sent: \"%.60s\")\n",
                        k->dir, i, want ? want : "?", gs ? gs : "nothing");
                fails++;
                break;
            }
        }
    }
    return fails;
}

static bool same_result(const json_t *a, const json_t *b)
{
    return json_equal(json_object_get(a, "rc"), json_object_get(b, "rc")) &&
           json_equal(json_object_get(a, "record"), json_object_get(b, "record")) &&
           json_equal(json_object_get(a, "extra"), json_object_get(b, "extra"));
}

/*
 * The two-piece split offsets of a response of n bytes: every offset when
 * n <= REPLAY_MAX_SPLITS; for longer ones every offset of the first
 * SPLIT_HEAD bytes (status line, headers, lengths, framing: where parsers
 * decide) and the last SPLIT_TAIL bytes, and an even stride between, so
 * that a long fixture costs REPLAY_MAX_SPLITS runs, not n. The
 * byte-at-a-time run still puts a boundary at every offset of every
 * response.
 */
#define REPLAY_MAX_SPLITS 1500
#define SPLIT_HEAD        1024
#define SPLIT_TAIL        256
static size_t next_split(size_t at, size_t n)
{
    if (n <= REPLAY_MAX_SPLITS || at < SPLIT_HEAD || at + SPLIT_TAIL >= n) return at + 1;
    size_t middle = n - SPLIT_HEAD - SPLIT_TAIL;
    size_t stride = middle / (REPLAY_MAX_SPLITS - SPLIT_HEAD - SPLIT_TAIL) + 1;
    size_t nx = at + stride;
    return nx + SPLIT_TAIL > n ? n - SPLIT_TAIL : nx;
}

int replay_case(const char *dir, int *checks)
{
    struct kase k;
    if (load_case(&k, dir) < 0) {
        (*checks)++;
        if (k.expect || k.nr) free_case(&k);
        return 1;
    }
    int fails = 0;
    json_t *whole = run(&k, -1, 0, false);
    if (getenv("AJAR_REPLAY_PRINT")) { /* the whole run's result, to write an expect.json */
        char *d = json_dumps(whole, JSON_INDENT(1));
        if (d) fprintf(stderr, "%s: %s\n", dir, d);
        free(d);
    }
    fails += check_expect(&k, whole, checks);
    json_t *bw = run(&k, -1, 0, true);
    (*checks)++;
    if (!same_result(whole, bw)) {
        fprintf(stderr, "FAIL %s: byte-at-a-time result differs from whole\n", dir);
        char *d = json_dumps(bw, JSON_COMPACT);
        fprintf(stderr, "     bytewise: %.600s\n", d ? d : "?");
        free(d);
        fails++;
    }
    json_decref(bw);
    int split_fails = 0;
    for (int i = 0; i < k.nr && !split_fails; i++) {
        size_t n = k.r[i].n;
        for (size_t at = 1; at < n; at = next_split(at, n)) {
            json_t *s = run(&k, i, at, false);
            if (!same_result(whole, s)) {
                fprintf(stderr, "FAIL %s: split of response %d at %zu differs from whole\n", dir,
                        i + 1, at);
                split_fails++;
                json_decref(s);
                break;
            }
            json_decref(s);
        }
    }
    (*checks)++;
    fails += split_fails;
    json_decref(whole);
    free_case(&k);
    return fails;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_dirs(const char *root, char ***out)
{
    DIR *d = opendir(root);
    if (!d) return 0;
    int n = 0, cap = 0;
    char **v = NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", root, e->d_name);
        struct stat st;
        if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            v = realloc(v, (size_t)cap * sizeof *v);
        }
        v[n++] = strdup(p);
    }
    closedir(d);
    qsort(v, (size_t)n, sizeof *v, cmp_str);
    *out = v;
    return n;
}

int replay_all(const char *root, const char *only, int *checks, int *cases)
{
    char **probes = NULL;
    int np = list_dirs(root, &probes), fails = 0;
    for (int i = 0; i < np; i++) {
        const char *name = strrchr(probes[i], '/') + 1;
        if (!only || strcmp(name, only) == 0) {
            char **cs = NULL;
            int nc = list_dirs(probes[i], &cs);
            for (int j = 0; j < nc; j++) {
                int f = replay_case(cs[j], checks);
                (*cases)++;
                printf("%s %s\n", f ? "FAIL" : "ok  ", cs[j]);
                fails += f;
                free(cs[j]);
            }
            free(cs);
        }
        free(probes[i]);
    }
    free(probes);
    return fails;
}
