/*
 * probe/rsync.c -- rsync daemons (rsyncd, port 873; 874 for rsync-ssl's
 * TLS-wrapped daemon).
 *
 * The daemon speaks first: "@RSYNCD: <protocol>[.<sub>] [digests]\n".
 * Requests this probe can send, and only these (one per connection: the
 * daemon closes after a listing, and a module connection is closed by us):
 *   connection 0: "@RSYNCD: 31.0\n#list\n" -- our greeting and the module
 *                 listing request. The daemon answers "name<pad>\tcomment"
 *                 lines, then "@RSYNCD: EXIT".
 *   connections 1..RSYNC_MAX_MODULES: "@RSYNCD: 31.0\n<module>\n" for each
 *                 listed module in the listing's order. The daemon answers
 *                 "@RSYNCD: AUTHREQD <challenge>" (the module needs a user
 *                 and password: we close without answering the challenge),
 *                 "@RSYNCD: OK" (open: we close at once, before sending the
 *                 arguments of a transfer -- nothing is listed, read or
 *                 written), or "@ERROR: ..." (access denied by host rules,
 *                 connection limit, unknown module).
 * Module names are only ever the listing's: never guessed (modules with
 * "list = no" stay unseen).
 *
 * How it decides:
 *   - the first bytes must be "@RSYNCD: " and a digit, else NOMATCH.
 *   - product "rsync"; version null: the daemon tells only its protocol
 *     version (details.protocol_version, e.g. "31.0"; the digests list of
 *     protocol 32 goes to details.auth_digests), not its program version.
 *   - names: the listed modules; details.modules: name, comment and what the
 *     module connection said (access "open", "auth", "denied", "error",
 *     or "unchecked" past the cap).
 *   - auth: every checked module open: none; some open, some not: partial
 *     (docs/record.md: some data open, some not); none open but one
 *     needing auth or denied: required; nothing listed: unknown.
 *   - lines that are not "@..." before the listing or a module's answer
 *     are the daemon's motd (details.motd keeps the first).
 *
 * Caps: a line keeps its first RSYNC_LINE_MAX bytes; at most
 * RSYNC_MAX_LINES lines per connection are read; names are capped by the
 * record (100).
 */
#include "probe/probe.h"

#include <string.h>

#define RSYNC_LINE_MAX    512
#define RSYNC_MAX_LINES   2000
#define RSYNC_MAX_MODULES 8
#define RSYNC_NAME_MAX    128

static const char greeting[] = "@RSYNCD: 31.0\n";

enum access { ACC_UNCHECKED = 0, ACC_OPEN, ACC_AUTH, ACC_DENIED, ACC_ERROR };

struct rsync_state {
    bool identified;
    bool greeted;  /* this connection's greeting is read */
    bool listed;   /* connection 0 reached "@RSYNCD: EXIT" */
    bool answered; /* this module connection got its answer */
    char line[RSYNC_LINE_MAX];
    size_t linelen;
    int lines; /* lines read on this connection */
    int nmod;  /* modules to check (first RSYNC_MAX_MODULES of the listing) */
    char mod[RSYNC_MAX_MODULES][RSYNC_NAME_MAX];
    int access[RSYNC_MAX_MODULES];
    char error[RSYNC_MAX_MODULES][96];
    json_t *modules; /* details.modules */
    bool motd;
};

static int verdict(struct probe_ctx *ctx);

static int rsync_start(struct probe_ctx *ctx)
{
    struct rsync_state *s = ctx->state;
    s->greeted = false;
    s->answered = false;
    s->linelen = 0;
    s->lines = 0;
    if (ctx->connection > s->nmod) return verdict(ctx);
    return PROBE_MORE; /* the daemon greets first */
}

static bool starts(const char *l, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && memcmp(l, prefix, k) == 0;
}

/* "@RSYNCD: 31.0 sha512 sha256 ..." -> protocol version and digests. */
static void on_greeting(struct probe_ctx *ctx, const char *l, size_t n)
{
    struct finding *f = ctx->f;
    size_t i = 9, v = i;
    while (v < n && ((l[v] >= '0' && l[v] <= '9') || l[v] == '.'))
        v++;
    finding_detail_strn(f, "protocol_version", l + i, v - i);
    json_t *dig = NULL;
    while (v < n) {
        while (v < n && l[v] == ' ')
            v++;
        size_t w = v;
        while (w < n && l[w] != ' ')
            w++;
        if (w > v) {
            if (!dig) dig = json_array();
            char tmp[32];
            str_sanitize(tmp, sizeof tmp, l + v, w - v, true);
            if (dig && json_array_size(dig) < 16) json_array_append_new(dig, json_string(tmp));
        }
        v = w;
    }
    if (dig) finding_detail(f, "auth_digests", dig);
}

/*
 * A listing line: the daemon writes "%-15s\t%s\n" (name padded to 15, a
 * tab, the comment). Returns false for a line of another shape (motd).
 */
static bool on_module(struct probe_ctx *ctx, const char *l, size_t n)
{
    struct rsync_state *s = ctx->state;
    const char *tab = memchr(l, '\t', n);
    if (!tab) return false;
    size_t t = (size_t)(tab - l), k = t;
    if (t < 15) return false;
    while (k && l[k - 1] == ' ')
        k--;
    if (!k || (k < 15 && t != 15)) return false;
    finding_add_name(ctx->f, l, k, -1, -1);
    /* a name we may send back: printable, no '/', no leading '#', '@' or '-' (an option), fits */
    bool sendable = k < RSYNC_NAME_MAX && l[0] != '#' && l[0] != '@' && l[0] != '-';
    for (size_t i = 0; i < k && sendable; i++)
        if ((unsigned char)l[i] < 0x20 || l[i] == 0x7f || l[i] == '/') sendable = false;
    if (!s->modules) s->modules = json_array();
    json_t *o = json_object();
    char tmp[RSYNC_NAME_MAX * 4];
    str_sanitize(tmp, sizeof tmp, l, k, true);
    json_object_set_new(o, "name", json_string(tmp));
    size_t c = t + 1, cn = n - c;
    while (cn && l[c + cn - 1] == ' ')
        cn--;
    if (cn) {
        char com[256];
        str_sanitize(com, sizeof com, l + c, cn, true);
        json_object_set_new(o, "comment", json_string(com));
    }
    if (sendable && s->nmod < RSYNC_MAX_MODULES) {
        memcpy(s->mod[s->nmod], l, k);
        s->mod[s->nmod][k] = 0;
        s->nmod++;
    } else if (!sendable) {
        json_object_set_new(o, "access", json_string("unchecked"));
    }
    if (s->modules && json_array_size(s->modules) < 64)
        json_array_append_new(s->modules, o);
    else
        json_decref(o);
    return true;
}

static void motd(struct probe_ctx *ctx, const char *l, size_t n)
{
    struct rsync_state *s = ctx->state;
    if (s->motd || !n) return;
    s->motd = true;
    finding_detail_strn(ctx->f, "motd", l, n);
}

/* The answer to a module name on connection m (1-based). */
static int on_answer(struct probe_ctx *ctx, const char *l, size_t n)
{
    struct rsync_state *s = ctx->state;
    int m = ctx->connection - 1;
    if (m < 0 || m >= s->nmod) return PROBE_DONE;
    if (starts(l, n, "@RSYNCD: OK")) {
        s->access[m] = ACC_OPEN;
    } else if (starts(l, n, "@RSYNCD: AUTHREQD")) {
        s->access[m] = ACC_AUTH;
    } else if (starts(l, n, "@ERROR")) {
        bool denied = mem_find(l, n, "access denied", true) != NULL;
        s->access[m] = denied ? ACC_DENIED : ACC_ERROR;
        str_sanitize(s->error[m], sizeof s->error[m], l, n, true);
    } else if (starts(l, n, "@RSYNCD: EXIT")) {
        s->access[m] = ACC_ERROR;
    } else {
        motd(ctx, l, n);
        return PROBE_MORE;
    }
    s->answered = true;
    /* close now: an open module would next read a transfer's arguments */
    return m + 1 < s->nmod ? PROBE_RECONNECT : PROBE_DONE;
}

/* One complete line of connection ctx->connection. */
static int on_line(struct probe_ctx *ctx, char *l, size_t n)
{
    struct rsync_state *s = ctx->state;
    if (n && l[n - 1] == '\r') n--;
    if (!s->greeted) {
        if (!starts(l, n, "@RSYNCD: ") || n < 10 || l[9] < '0' || l[9] > '9')
            return s->identified ? PROBE_DONE : PROBE_NOMATCH;
        s->greeted = true;
        if (!s->identified) {
            s->identified = true;
            FINDING_SET(ctx->f, service, "rsync");
            FINDING_SET(ctx->f, product, "rsync");
            on_greeting(ctx, l, n);
        }
        /* PROBE_MORE with the request queued (the engine sends it): a daemon may send its
           motd right behind the greeting, in the same segment (rsync 3.0.9 does) */
        if (ctx->connection == 0) {
            if (probe_sendf(ctx, "%s#list\n", greeting) < 0) return PROBE_DONE;
            return PROBE_MORE;
        }
        int m = ctx->connection - 1;
        if (m >= s->nmod || probe_sendf(ctx, "%s%s\n", greeting, s->mod[m]) < 0) return PROBE_DONE;
        return PROBE_MORE;
    }
    if (ctx->connection > 0) return on_answer(ctx, l, n);
    if (starts(l, n, "@RSYNCD: EXIT")) {
        s->listed = true;
        return s->nmod ? PROBE_RECONNECT : PROBE_DONE;
    }
    if (starts(l, n, "@ERROR")) {
        finding_detail_strn(ctx->f, "error", l, n);
        return PROBE_DONE;
    }
    if (!on_module(ctx, l, n)) motd(ctx, l, n);
    return PROBE_MORE;
}

static int rsync_on_data(struct probe_ctx *ctx, const uint8_t *p, size_t n)
{
    static const char want[] = "@RSYNCD: ";
    struct rsync_state *s = ctx->state;
    for (size_t i = 0; i < n;) {
        /* the first connection's first bytes must be "@RSYNCD: " */
        if (!s->identified)
            for (size_t j = 0; j < n - i && s->linelen + j < sizeof want - 1; j++)
                if (p[i + j] != (uint8_t)want[s->linelen + j]) return PROBE_NOMATCH;
        const uint8_t *nl = memchr(p + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - p) : n, k = end - i;
        if (k > sizeof s->line - s->linelen) k = sizeof s->line - s->linelen;
        memcpy(s->line + s->linelen, p + i, k);
        s->linelen += k;
        if (!nl) break;
        i = end + 1;
        size_t len = s->linelen;
        s->linelen = 0;
        if (++s->lines > RSYNC_MAX_LINES) return verdict(ctx);
        int rc = on_line(ctx, s->line, len);
        if (rc == PROBE_DONE) return verdict(ctx);
        if (rc != PROBE_MORE) return rc;
    }
    return PROBE_MORE;
}

static const char *const access_names[] = {"unchecked", "open", "auth", "denied", "error"};

/* The finding from what every connection said (idempotent). */
static int verdict(struct probe_ctx *ctx)
{
    struct rsync_state *s = ctx->state;
    struct finding *f = ctx->f;
    int open = 0, locked = 0;
    for (int m = 0; m < s->nmod; m++) {
        if (s->access[m] == ACC_OPEN) open++;
        if (s->access[m] == ACC_AUTH || s->access[m] == ACC_DENIED) locked++;
    }
    if (open && locked)
        f->auth = AUTH_PARTIAL;
    else if (open)
        f->auth = AUTH_NONE;
    else if (locked)
        f->auth = AUTH_REQUIRED;
    else
        f->auth = AUTH_UNKNOWN;
    /* per-module access, in the listing's order (checked modules come first in it) */
    int m = 0;
    for (size_t i = 0; s->modules && i < json_array_size(s->modules); i++) {
        json_t *o = json_array_get(s->modules, i);
        if (json_object_get(o, "access")) continue; /* not sendable */
        json_object_set_new(o, "access",
                            json_string(m < s->nmod ? access_names[s->access[m]] : "unchecked"));
        if (m < s->nmod && s->error[m][0])
            json_object_set_new(o, "error", json_string(s->error[m]));
        m++;
    }
    if (s->modules) {
        finding_detail(f, "modules", s->modules);
        s->modules = NULL;
    }
    if (s->identified) finding_detail(f, "listed", json_boolean(s->listed));
    return PROBE_DONE;
}

static int rsync_on_end(struct probe_ctx *ctx, enum probe_end why)
{
    struct rsync_state *s = ctx->state;
    if (!s->identified) {
        /* a greeting without its newline, then the close */
        if (s->linelen >= 10 && starts(s->line, s->linelen, "@RSYNCD: ")) {
            int rc = on_line(ctx, s->line, s->linelen);
            (void)rc;
        }
        if (!s->identified) return PROBE_NOMATCH;
    }
    int m = ctx->connection - 1;
    if (ctx->connection > 0 && !s->answered && m < s->nmod && s->access[m] == ACC_UNCHECKED)
        s->access[m] = ACC_ERROR; /* closed without an answer */
    if (why != PROBE_END_CANCEL && s->listed && ctx->connection < s->nmod) return PROBE_RECONNECT;
    return verdict(ctx);
}

static void rsync_free(void *state)
{
    struct rsync_state *s = state;
    json_decref(s->modules);
    s->modules = NULL;
}

/* The daemon greets on connect, so any attempt on its port has heard this. */
static int rsync_sniff(const uint8_t *p, size_t n)
{
    if (n >= 10 && memcmp(p, "@RSYNCD: ", 9) == 0 && p[9] >= '0' && p[9] <= '9') return 100;
    return 0;
}

const struct probe probe_rsync = {
    .name = "rsync",
    .flags = PROBE_SERVER_FIRST | PROBE_TLS_OK,
    .state_size = sizeof(struct rsync_state),
    .start = rsync_start,
    .on_data = rsync_on_data,
    .on_end = rsync_on_end,
    .free_state = rsync_free,
    .sniff = rsync_sniff,
};
