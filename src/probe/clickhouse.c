/*
 * probe/clickhouse.c -- ClickHouse's HTTP interface (port 8123).
 *
 * GET / answers "Ok.\n". Everything else is SQL in the query string, run
 * as GET (which ClickHouse executes read-only). The only credential ajar
 * ever sends is none at all: a query without a user runs as `default`
 * with an empty password -- the empty default-account check, skipped with
 * --no-default-accounts (then the record says only "ClickHouse, auth
 * unknown"). When that works, the catalog tells the shape of the data from
 * the system tables; no user table is ever selected from.
 *
 * Requests this app can send (after the dispatcher's GET /), each as
 * GET /?query=<percent-encoded SQL>:
 *   SELECT version()
 *   SELECT name FROM system.databases FORMAT JSONCompact
 *   SELECT database, name, total_rows, total_bytes FROM system.tables
 *     WHERE database NOT IN (<system dbs>) LIMIT 10000 FORMAT JSONCompact   (version >= 20)
 *   SELECT database, name FROM system.tables WHERE ... LIMIT 10000 FORMAT JSONCompact
 *   SELECT database, table, sum(rows), sum(bytes_on_disk) FROM system.parts
 *     WHERE active GROUP BY database, table LIMIT 10000 FORMAT JSONCompact
 *       (the last two instead of the first on older servers, e.g. 18.16,
 *        which lack total_rows, or when the first fails)
 *   SELECT DISTINCT name FROM system.columns WHERE ... LIMIT 10000 FORMAT JSONCompact
 *
 * Auth: the version query decides. 200 = open (default user, no password);
 * exception codes 192/193/194/195/516, "Authentication failed", "password
 * is incorrect", "Password required" or 401/403 = required.
 *
 * Record: databases = user databases (system ones excluded; "default" only
 * when it holds tables), collections = tables, records/bytes = sums of the
 * known row and byte counts, names = databases then "db.table" with their
 * counts, fields = column names.
 */
#include "probe/http.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define CH_EXCLUDE "WHERE database NOT IN ('system','INFORMATION_SCHEMA','information_schema')"
#define CH_LIMIT   " LIMIT 10000 FORMAT JSONCompact"

static const char q_version[] = "SELECT version()";
static const char q_databases[] = "SELECT name FROM system.databases FORMAT JSONCompact";
static const char q_tables_new[] =
    "SELECT database, name, total_rows, total_bytes FROM system.tables " CH_EXCLUDE CH_LIMIT;
static const char q_tables_old[] = "SELECT database, name FROM system.tables " CH_EXCLUDE CH_LIMIT;
static const char q_parts[] =
    "SELECT database, table, sum(rows), sum(bytes_on_disk) FROM system.parts "
    "WHERE active GROUP BY database, table" CH_LIMIT;
static const char q_columns[] = "SELECT DISTINCT name FROM system.columns " CH_EXCLUDE CH_LIMIT;

enum { CH_VERSION = 0, CH_DATABASES, CH_TABLES_NEW, CH_TABLES_OLD, CH_PARTS, CH_COLUMNS };

#define CH_MAX_DBS 256

struct ch_state {
    bool started;
    int step;
    json_t *dbs;    /* database names from system.databases (array of strings) */
    json_t *tables; /* [[db, table, rows|null, bytes|null], ...] */
};

static void ch_free(void *state)
{
    struct ch_state *s = state;
    json_decref(s->dbs);
    json_decref(s->tables);
}

static int ch_match(const struct http_app *self, const char *path, uint16_t port,
                    const struct http_resp *r)
{
    (void)self;
    (void)port;
    (void)path;
    /* the native protocol's port answering a GET: not the HTTP interface (clickhouse_native) */
    if (r->body.data && mem_find(r->body.data, r->body.len < 256 ? r->body.len : 256,
                                 "is for clickhouse-client program", true))
        return 0;
    for (int i = 0; i < r->nhdr; i++)
        if (str_iprefix(http_hname(r, i), "X-ClickHouse-")) return 95;
    if (r->status == 200 && r->body.data && r->body.len == 4 &&
        memcmp(r->body.data, "Ok.\n", 4) == 0)
        return 85;
    return 0;
}

/* Percent-encode SQL into a request path "/?query=...". */
static int send_query(struct http_app_ctx *a, struct ch_state *s, int step, const char *sql)
{
    static const char hex[] = "0123456789ABCDEF";
    char path[1024];
    size_t n = str_copy(path, "/?query=", sizeof path);
    for (const char *p = sql; *p && n + 4 < sizeof path; p++) {
        unsigned char c = (unsigned char)*p;
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    strchr("-._~(),*", c) != NULL;
        if (keep) {
            path[n++] = (char)c;
        } else {
            path[n++] = '%';
            path[n++] = hex[c >> 4];
            path[n++] = hex[c & 15];
        }
    }
    path[n] = 0;
    s->step = step;
    return http_get(a, path) < 0 ? PROBE_DONE : PROBE_SEND;
}

static bool is_auth_error(const struct http_resp *r)
{
    if (r->status == 401 || r->status == 403) return true;
    const char *b = (const char *)r->body.data;
    size_t n = r->body.len;
    if (!b) return false;
    static const char *const marks[] = {"Code: 192,",
                                        "Code: 193,",
                                        "Code: 194,",
                                        "Code: 195,",
                                        "Code: 516,",
                                        "Code: 192.",
                                        "Code: 193.",
                                        "Code: 194.",
                                        "Code: 195.",
                                        "Code: 516.",
                                        "Authentication failed",
                                        "password is incorrect",
                                        "Password required"};
    for (size_t i = 0; i < ARRAY_LEN(marks); i++)
        if (mem_find(b, n, marks[i], true)) return true;
    return false;
}

/* "data" of a FORMAT JSONCompact answer (owned reference), or NULL. */
static json_t *ch_rows(const struct http_resp *r)
{
    if (r->status != 200 || !r->body.data || r->truncated) return NULL;
    json_t *j = json_loadb((const char *)r->body.data, r->body.len, 0, NULL);
    json_t *d = json_object_get(j, "data");
    if (json_is_array(d))
        json_incref(d);
    else
        d = NULL;
    json_decref(j);
    return d;
}

/* UInt64 comes as a string (output_format_json_quote_64bit_integers) or a number; -1 if neither. */
static int64_t ch_int(const json_t *v)
{
    uint64_t n;
    if (json_is_integer(v)) return json_integer_value(v) >= 0 ? json_integer_value(v) : -1;
    if (json_is_string(v) && parse_u64(json_string_value(v), INT64_MAX, &n) == 0) return (int64_t)n;
    return -1;
}

static bool system_db(const char *name)
{
    return strcmp(name, "system") == 0 || str_ieq(name, "information_schema");
}

/* Fill the record from what the catalog said. */
static void ch_fill(struct finding *f, struct ch_state *s)
{
    size_t i;
    json_t *row;
    bool default_used = false;
    json_array_foreach(s->tables, i, row)
    {
        const char *db = json_string_value(json_array_get(row, 0));
        if (db && strcmp(db, "default") == 0) default_used = true;
    }
    int64_t ndb = 0;
    json_array_foreach(s->dbs, i, row)
    {
        const char *db = json_string_value(row);
        if (!db || system_db(db) || (strcmp(db, "default") == 0 && !default_used)) continue;
        ndb++;
        finding_add_name(f, db, strlen(db), -1, -1);
    }
    if (s->dbs) f->databases = ndb;
    if (!s->tables) return;
    int64_t rows = 0, bytes = 0;
    bool rows_known = false, bytes_known = false;
    json_array_foreach(s->tables, i, row)
    {
        const char *db = json_string_value(json_array_get(row, 0));
        const char *t = json_string_value(json_array_get(row, 1));
        if (!db || !t) continue;
        int64_t r = ch_int(json_array_get(row, 2)), b = ch_int(json_array_get(row, 3));
        if (r >= 0) {
            finding_count_add(&rows, r);
            rows_known = true;
        }
        if (b >= 0) {
            finding_count_add(&bytes, b);
            bytes_known = true;
        }
        char full[FINDING_MAX_NAME];
        str_fmt(full, sizeof full, "%s.%s", db, t);
        finding_add_name(f, full, strlen(full), r, b);
    }
    f->collections = (int64_t)json_array_size(s->tables);
    if (rows_known) f->records = rows;
    if (bytes_known) f->bytes = bytes;
}

/* Keep [db, table, rows, bytes] rows; old path: rows/bytes null until system.parts fills them. */
static void keep_tables(struct ch_state *s, json_t *data, bool with_counts)
{
    size_t i;
    json_t *row;
    s->tables = json_array();
    if (!s->tables) return;
    json_array_foreach(data, i, row)
    {
        json_t *db = json_array_get(row, 0), *t = json_array_get(row, 1);
        if (!json_is_string(db) || !json_is_string(t)) continue;
        json_t *r = with_counts ? json_array_get(row, 2) : NULL,
               *b = with_counts ? json_array_get(row, 3) : NULL;
        json_array_append_new(s->tables,
                              json_pack("[OOOO]", db, t, r ? r : json_null(), b ? b : json_null()));
    }
}

static void merge_parts(struct ch_state *s, json_t *data)
{
    size_t i, k;
    json_t *row, *t;
    json_array_foreach(data, i, row)
    {
        const char *db = json_string_value(json_array_get(row, 0));
        const char *name = json_string_value(json_array_get(row, 1));
        if (!db || !name) continue;
        json_array_foreach(s->tables, k, t)
        {
            const char *tdb = json_string_value(json_array_get(t, 0));
            const char *tn = json_string_value(json_array_get(t, 1));
            if (tdb && tn && strcmp(tdb, db) == 0 && strcmp(tn, name) == 0) {
                json_array_set(t, 2, json_array_get(row, 2));
                json_array_set(t, 3, json_array_get(row, 3));
                break;
            }
        }
    }
}

static int major_version(const char *v)
{
    uint64_t m = 0;
    size_t n = 0;
    while (v[n] >= '0' && v[n] <= '9')
        n++;
    return parse_u64n(v, n, 100000, &m) == 0 ? (int)m : -1;
}

static int ch_on_response(struct http_app_ctx *a, const struct http_resp *r)
{
    struct ch_state *s = a->state;
    struct finding *f = a->pc->f;
    json_t *data = NULL;
    int rc = PROBE_DONE;
    if (!f->product[0]) FINDING_SET(f, product, "ClickHouse");
    if (!s->started) {
        /* the answer that matched: start the empty default-account check */
        s->started = true;
        if (a->pc->opts && a->pc->opts->no_default_accounts) {
            finding_detail_str(f, "default_account_check", "skipped");
            return PROBE_DONE;
        }
        return send_query(a, s, CH_VERSION, q_version);
    }
    switch (s->step) {
    case CH_VERSION: {
        if (r->status != 200) {
            if (is_auth_error(r))
                f->auth = AUTH_REQUIRED;
            else
                finding_detail_int(f, "query_status", r->status);
            goto out;
        }
        size_t n = r->body.len < 63 ? r->body.len : 63;
        while (n && (r->body.data[n - 1] == '\n' || r->body.data[n - 1] == '\r' ||
                     r->body.data[n - 1] == ' '))
            n--;
        finding_set(f->version, sizeof f->version, r->body.data, n);
        f->auth = AUTH_NONE;
        finding_detail_str(f, "default_account", "default, empty password");
        rc = send_query(a, s, CH_DATABASES, q_databases);
        break;
    }
    case CH_DATABASES:
        data = ch_rows(r);
        if (data) {
            s->dbs = json_array();
            size_t i;
            json_t *row;
            json_array_foreach(data, i, row)
            {
                json_t *name = json_array_get(row, 0);
                if (json_is_string(name) && json_array_size(s->dbs) < CH_MAX_DBS)
                    json_array_append(s->dbs, name);
            }
        }
        if (major_version(f->version) >= 20)
            rc = send_query(a, s, CH_TABLES_NEW, q_tables_new);
        else
            rc = send_query(a, s, CH_TABLES_OLD, q_tables_old);
        break;
    case CH_TABLES_NEW:
        data = ch_rows(r);
        if (!data) {
            rc = send_query(a, s, CH_TABLES_OLD, q_tables_old);
            break;
        }
        keep_tables(s, data, true);
        rc = send_query(a, s, CH_COLUMNS, q_columns);
        break;
    case CH_TABLES_OLD:
        data = ch_rows(r);
        if (data) keep_tables(s, data, false);
        rc = send_query(a, s, s->tables ? CH_PARTS : CH_COLUMNS, s->tables ? q_parts : q_columns);
        break;
    case CH_PARTS:
        data = ch_rows(r);
        if (data) merge_parts(s, data);
        rc = send_query(a, s, CH_COLUMNS, q_columns);
        break;
    case CH_COLUMNS: {
        data = ch_rows(r);
        size_t i;
        json_t *row;
        json_array_foreach(data, i, row)
        {
            const char *name = json_string_value(json_array_get(row, 0));
            if (name) finding_add_field(f, name, strlen(name));
        }
        ch_fill(f, s);
        break;
    }
    }
out:
    /* the request cap stops a walk half-way: keep what is known */
    if (rc == PROBE_DONE && s->step != CH_COLUMNS && f->auth == AUTH_NONE) ch_fill(f, s);
    json_decref(data);
    return rc;
}

const struct http_app http_app_clickhouse = {
    .name = "clickhouse",
    .paths = NULL,
    .state_size = sizeof(struct ch_state),
    .match = ch_match,
    .on_response = ch_on_response,
    .free_state = ch_free,
};
