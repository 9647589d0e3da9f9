/*
 * probe/redis.c -- Redis (and the servers that speak its RESP protocol and
 * say so: Valkey, KeyDB, Dragonfly).
 *
 * Requests this probe can send (one connection, one request):
 *   1. "*1\r\n$4\r\nINFO\r\n"   (the INFO command as a RESP array)
 * Nothing else: never KEYS, SCAN, GET, TYPE or anything that names a key.
 *
 * How it decides:
 *   - a bulk string answer is the INFO text: "key:value" lines give
 *     redis_version, redis_mode, role, os, used_memory (-> bytes) and the
 *     Keyspace section "db0:keys=120,expires=0,avg_ttl=0" (-> one name per
 *     db with its key count; databases = number of db lines, records = sum
 *     of keys). A Redis with no keys has an empty Keyspace: 0 and 0.
 *     An answered INFO means no authentication stood in the way: auth none.
 *   - "-NOAUTH ..." (2.8+ with requirepass), "-NOPERM ..." (6+ ACL user
 *     without +info) and "-ERR operation not permitted" (before 2.8):
 *     auth required.
 *   - "-DENIED Redis is running in protected mode ..." (3.2+, no password,
 *     client not on loopback; the server says it on connect and closes):
 *     auth required with details {"protected_mode": true} -- nobody outside
 *     loopback can read anything without first setting a password or
 *     changing the configuration locally.
 *   - any other "-" error line is still RESP: service redis, auth unknown,
 *     the error text kept in `error`.
 *   - anything else (HTTP, "+OK POP3", binary) is not Redis: NOMATCH.
 *
 * TLS (port 6380 or --tls-port) is the engine's business: the same bytes
 * flow inside it (PROBE_TLS_OK).
 *
 * Caps: the first line 512 bytes (a longer error text is cut there); the INFO text 1 MiB (INFO is a
 * few KiB; a longer one is parsed as far as it was kept).
 */
#include "probe/probe.h"

#include <string.h>

#define REDIS_LINE_MAX 512
#define REDIS_INFO_CAP (1u << 20)

enum { ST_LINE = 0, ST_BULK, ST_DONE };

struct redis_state {
    int st;
    char line[REDIS_LINE_MAX];
    size_t linelen;
    uint64_t want; /* bulk bytes still expected, including the final CRLF */
    struct buf info;
    bool got_any;
};

static const char redis_info_req[] = "*1\r\n$4\r\nINFO\r\n";

static int redis_start(struct probe_ctx *ctx)
{
    struct redis_state *s = ctx->state;
    if (!s->info.cap) buf_init(&s->info, REDIS_INFO_CAP);
    if (probe_send(ctx, redis_info_req, sizeof redis_info_req - 1) < 0) return PROBE_DONE;
    return PROBE_SEND;
}

static void redis_free(void *state)
{
    struct redis_state *s = state;
    buf_free(&s->info);
}

static void set_identity(struct finding *f)
{
    FINDING_SET(f, service, "redis");
    if (!f->product[0]) FINDING_SET(f, product, "Redis");
}

/* The value of "key:" on one INFO line, or NULL. */
static const char *info_value(const char *line, size_t n, const char *key, size_t *vn)
{
    size_t kl = strlen(key);
    if (n <= kl || memcmp(line, key, kl) != 0 || line[kl] != ':') return NULL;
    *vn = n - kl - 1;
    return line + kl + 1;
}

/* "db3:keys=120,expires=0,avg_ttl=0" -> db name and keys. */
static bool parse_db_line(const char *line, size_t n, size_t *namelen, uint64_t *keys)
{
    if (n < 4 || memcmp(line, "db", 2) != 0) return false;
    size_t i = 2;
    while (i < n && line[i] >= '0' && line[i] <= '9')
        i++;
    if (i == 2 || i >= n || line[i] != ':') return false;
    *namelen = i;
    const char *k = mem_find(line + i, n - i, "keys=", false);
    if (!k) return false;
    k += 5;
    size_t kn = 0;
    while (k + kn < line + n && k[kn] >= '0' && k[kn] <= '9')
        kn++;
    return parse_u64n(k, kn, UINT64_MAX / 2, keys) == 0;
}

static void parse_info(struct probe_ctx *ctx, const char *t, size_t n)
{
    struct finding *f = ctx->f;
    int64_t dbs = 0, records = 0;
    char product[64] = "Redis", version[64] = "", alt_version[64] = "";
    size_t pos = 0;
    while (pos < n) {
        const char *nl = memchr(t + pos, '\n', n - pos);
        size_t end = nl ? (size_t)(nl - t) : n;
        const char *line = t + pos;
        size_t ln = end - pos;
        if (ln && line[ln - 1] == '\r') ln--;
        pos = end + 1;
        const char *v;
        size_t vn, namelen;
        uint64_t u;
        if ((v = info_value(line, ln, "redis_version", &vn)))
            finding_set(version, sizeof version, v, vn);
        else if ((v = info_value(line, ln, "valkey_version", &vn))) {
            str_copy(product, "Valkey", sizeof product);
            finding_set(alt_version, sizeof alt_version, v, vn);
        } else if ((v = info_value(line, ln, "server_name", &vn)) && vn == 6 &&
                   memcmp(v, "valkey", 6) == 0)
            str_copy(product, "Valkey", sizeof product);
        else if ((v = info_value(line, ln, "dragonfly_version", &vn))) {
            str_copy(product, "Dragonfly", sizeof product);
            finding_set(alt_version, sizeof alt_version, v, vn);
        } else if (info_value(line, ln, "mvcc-depth", &vn) ||
                   info_value(line, ln, "storage_provider", &vn))
            str_copy(product, "KeyDB", sizeof product); /* KeyDB-only INFO fields */
        else if ((v = info_value(line, ln, "redis_mode", &vn))) {
            char tmp[64];
            finding_set(tmp, sizeof tmp, v, vn);
            finding_detail_str(f, "mode", tmp);
        } else if ((v = info_value(line, ln, "role", &vn))) {
            char tmp[64];
            finding_set(tmp, sizeof tmp, v, vn);
            finding_detail_str(f, "role", tmp);
        } else if ((v = info_value(line, ln, "run_id", &vn))) {
            /* the server process's id: the same Redis seen through a console has it too */
            if (vn == 40 && str_is_lower_hex(v, vn)) finding_detail_strn(f, "run_id", v, vn);
        } else if ((v = info_value(line, ln, "os", &vn))) {
            char tmp[128];
            finding_set(tmp, sizeof tmp, v, vn);
            finding_detail_str(f, "os", tmp);
        } else if ((v = info_value(line, ln, "used_memory", &vn))) {
            if (parse_u64n(v, vn, INT64_MAX, &u) == 0) f->bytes = (int64_t)u;
        } else if (parse_db_line(line, ln, &namelen, &u)) {
            dbs++;
            finding_count_add(&records, u > INT64_MAX ? INT64_MAX : (int64_t)u);
            finding_add_name(f, line, namelen, (int64_t)u, -1);
        }
    }
    FINDING_SET(f, product, product);
    FINDING_SET(f, version, alt_version[0] ? alt_version : version);
    f->databases = dbs;
    f->records = records;
    set_identity(f);
    f->auth = AUTH_NONE;
}

/* An error line (without '-' and CRLF). */
static int on_error_line(struct probe_ctx *ctx, const char *l, size_t n)
{
    struct finding *f = ctx->f;
    set_identity(f);
    if (str_iprefix(l, "NOAUTH") || str_iprefix(l, "NOPERM") ||
        mem_find(l, n, "operation not permitted", true) ||
        mem_find(l, n, "authentication required", true)) {
        f->auth = AUTH_REQUIRED;
    } else if (str_iprefix(l, "DENIED")) {
        f->auth = AUTH_REQUIRED;
        finding_detail(f, "protected_mode", json_true());
    } else {
        f->auth = AUTH_UNKNOWN;
    }
    finding_set(f->error, sizeof f->error, l, n);
    return PROBE_DONE;
}

static int on_first_line(struct probe_ctx *ctx, struct redis_state *s)
{
    const char *l = s->line;
    size_t n = s->linelen;
    if (n == 0) return PROBE_NOMATCH;
    if (l[0] == '-') return on_error_line(ctx, l + 1, n - 1);
    if (l[0] != '$') return PROBE_NOMATCH;
    if (n == 3 && memcmp(l, "$-1", 3) == 0) { /* a null bulk: RESP, but no INFO */
        set_identity(ctx->f);
        return PROBE_DONE;
    }
    uint64_t len;
    if (parse_u64n(l + 1, n - 1, 512u << 20, &len) < 0) return PROBE_NOMATCH;
    s->want = len + 2;
    s->st = ST_BULK;
    return PROBE_MORE;
}

static int finish_info(struct probe_ctx *ctx, struct redis_state *s)
{
    s->st = ST_DONE;
    size_t n = s->info.len;
    const char *t = (const char *)s->info.data;
    if (!t) t = "";
    /* INFO text always has "# Server" or "redis_version"; a bulk without them is not INFO */
    if (!mem_find(t, n, "redis_version:", false) && !mem_find(t, n, "# Server", false) &&
        !mem_find(t, n, "_version:", false)) {
        set_identity(ctx->f);
        FINDING_SET(ctx->f, error, "INFO answer without version lines");
        return PROBE_DONE;
    }
    parse_info(ctx, t, n);
    return PROBE_DONE;
}

static int redis_on_data(struct probe_ctx *ctx, const uint8_t *p, size_t n)
{
    struct redis_state *s = ctx->state;
    s->got_any = true;
    size_t i = 0;
    while (i < n) {
        if (s->st == ST_LINE) {
            uint8_t c = p[i++];
            if (c == '\n') {
                if (s->linelen && s->line[s->linelen - 1] == '\r') s->linelen--;
                s->line[s->linelen] = 0;
                int rc = on_first_line(ctx, s);
                if (rc != PROBE_MORE) return rc;
                continue;
            }
            /* the first byte decides whether this can be RESP at all */
            if (s->linelen == 0 && c != '-' && c != '$') return PROBE_NOMATCH;
            if (s->linelen + 1 >= sizeof s->line) {
                /* a long error text (the protected-mode one is ~1 KiB): keep its start */
                if (s->line[0] != '-') return PROBE_NOMATCH;
                continue;
            }
            s->line[s->linelen++] = (char)c;
        } else if (s->st == ST_BULK) {
            size_t take = n - i;
            if (take > s->want) take = (size_t)s->want;
            /* keep the text without the final CRLF; excess beyond the cap is dropped */
            uint64_t text_left = s->want > 2 ? s->want - 2 : 0;
            size_t keep = take < text_left ? take : (size_t)text_left;
            if (keep && !s->info.truncated) buf_append(&s->info, p + i, keep);
            s->want -= take;
            i += take;
            if (s->want == 0) return finish_info(ctx, s);
        } else {
            return PROBE_DONE;
        }
    }
    return PROBE_MORE;
}

static int redis_on_end(struct probe_ctx *ctx, enum probe_end why)
{
    struct redis_state *s = ctx->state;
    if (s->st == ST_BULK && s->info.len) {
        /* the INFO text was cut short (reset, close, deadline): keep what
         * arrived, but say the answer is incomplete */
        int rc = finish_info(ctx, s);
        if (!ctx->f->error[0]) FINDING_SET(ctx->f, error, "INFO answer cut short");
        return rc;
    }
    if (s->st == ST_LINE && s->linelen && s->line[0] == '-') {
        s->line[s->linelen] = 0;
        return on_error_line(ctx, s->line + 1, s->linelen - 1);
    }
    return PROBE_NOMATCH;
}

/*
 * Foreign bytes: what Redis says to the HTTP dispatcher's "GET / HTTP/1.1"
 * (an inline command "GET" with two arguments), or on connect.
 */
static int redis_sniff(const uint8_t *p, size_t n)
{
    if (n < 4 || p[0] != '-') return 0;
    if (mem_find(p, n, "-DENIED Redis is running in protected mode", false) == (const char *)p)
        return 100;
    if (mem_find(p, n, "-ERR wrong number of arguments for 'get' command", true)) return 95;
    if (mem_find(p, n, "-NOAUTH ", false) == (const char *)p) return 90;
    if (mem_find(p, n, "-NOPERM ", false) == (const char *)p) return 80;
    if (mem_find(p, n, "-ERR unknown command", false) == (const char *)p) return 50;
    if (mem_find(p, n, "-ERR ", false) == (const char *)p) return 30;
    return 0;
}

const struct probe probe_redis = {
    .name = "redis",
    .flags = PROBE_TLS_OK,
    .state_size = sizeof(struct redis_state),
    .start = redis_start,
    .on_data = redis_on_data,
    .on_end = redis_on_end,
    .free_state = redis_free,
    .sniff = redis_sniff,
    /* since 3.2.7 Redis takes "Host:" or "POST" for a cross-protocol attack and closes without a
     * word ("Possible SECURITY ATTACK detected" in its log): the HTTP dispatcher's GET / meets
     * silence */
    .silent = 65,
};
