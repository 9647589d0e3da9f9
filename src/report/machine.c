/*
 * report/machine.c -- the formats for programs: json (an array of
 * records), jsonl (one record a line), csv (one row a record, the column
 * order in docs/report.md), sarif (SARIF 2.1.0 for code-scanning tools),
 * and the cluster list in the first three.
 *
 * Every record is made by finding_to_json(), the one place the record's
 * shape is written, so these outputs agree with `ajar scan` and
 * docs/record.md; CSV cells are read out of that same JSON. Under --by
 * owner each record gains an "owner" field (a column in CSV, a property in
 * SARIF). Findings stream: each is written as it arrives.
 *
 * SARIF wants the rules (one per signal id) in the tool section, before
 * the results in the usual reading order, and a result refers to its rule
 * by index. The built-in table gives the known ids their indices up front;
 * an id the table does not know gets the next index when first seen, and
 * the results wait in a temporary file until the rule list is complete.
 */
#include "core/version.h"
#include "assess/signals.h"
#include "report/report_int.h"

#include <stdlib.h>
#include <string.h>

/* ---- CSV ---- */

/* The columns: name, then the record path (a.b for nested); see docs/report.md. */
static const char *const csv_cols[][2] = {
    {"ip", "ip"},
    {"port", "port"},
    {"transport", "transport"},
    {"time", "time"},
    {"host", "host"},
    {"service", "service"},
    {"product", "product"},
    {"version", "version"},
    {"auth", "auth"},
    {"severity", "severity"},
    {"signals", "signals"},
    {"cluster", "cluster"},
    {"first_seen", "first_seen"},
    {"last_seen", "last_seen"},
    {"databases", "data.databases"},
    {"collections", "data.collections"},
    {"records", "data.records"},
    {"bytes", "data.bytes"},
    {"names_total", "data.names_total"},
    {"names", "data.names"},
    {"fields_total", "data.fields_total"},
    {"fields", "data.fields"},
    {"items", "data.items"},
    {"via_service", "via.service"},
    {"via_ip", "via.ip"},
    {"via_port", "via.port"},
    {"tls_version", "tls.version"},
    {"tls_cipher", "tls.cipher"},
    {"tls_sha256", "tls.sha256"},
    {"tls_subject_cn", "tls.subject_cn"},
    {"tls_subject", "tls.subject"},
    {"tls_san", "tls.san"},
    {"tls_issuer_cn", "tls.issuer_cn"},
    {"tls_issuer", "tls.issuer"},
    {"tls_not_before", "tls.not_before"},
    {"tls_not_after", "tls.not_after"},
    {"tls_self_signed", "tls.self_signed"},
    {"tls_expired", "tls.expired"},
    {"tls_not_yet_valid", "tls.not_yet_valid"},
    {"tls_key", "tls.key"},
    {"tls_sig_alg", "tls.sig_alg"},
    {"tls_name_match", "tls.name_match"},
    {"tls_chain_len", "tls.chain_len"},
    {"tls_verified", "tls.verified"},
    {"banner", "banner"},
    {"error", "error"},
    {"details", "details"},
    {"signals_json", "signals"},
    {"asn", "network.asn"},
    {"org", "network.org"},
    {"country", "geo.country"},
    {"provider", "cloud.provider"},
    {"region", "cloud.region"},
    {"hostnames", "hostnames"},
};

/* One cell, RFC 4180: quoted when it holds a comma, quote, CR or LF (or edge spaces). */
/* A cell a spreadsheet would run as a formula: it starts with = + - @, a tab or a CR and is not
 * a plain number (-1 stays a number). Index names, banners and certificate names come from
 * hostile servers: such a cell is written quoted with a leading apostrophe (OWASP's advice for
 * CSV injection), which spreadsheets show as text. */
static bool csv_formula(const char *s)
{
    if (!strchr("=+-@\t\r", s[0]) || !s[0]) return false;
    char *end = NULL;
    (void)strtod(s, &end);
    return !(end && end != s && *end == '\0' && s[0] != '\t' && s[0] != '\r');
}

static void csv_cell(FILE *fp, const char *s, bool first)
{
    if (!first) fputc(',', fp);
    size_t n = strlen(s);
    bool formula = n && csv_formula(s);
    bool q = n && (formula || strpbrk(s, ",\"\r\n") || s[0] == ' ' || s[n - 1] == ' ');
    if (!q) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    if (formula) fputc('\'', fp);
    for (const char *p = s; *p; p++) {
        if (*p == '"') fputc('"', fp);
        fputc(*p, fp);
    }
    fputc('"', fp);
}

static const json_t *json_path(const json_t *o, const char *path)
{
    char key[32];
    const char *dot = strchr(path, '.');
    if (!dot) return json_object_get(o, path);
    str_fmt(key, sizeof key, "%.*s", (int)(dot - path), path);
    const json_t *sub = json_object_get(o, key);
    return json_is_object(sub) ? json_object_get(sub, dot + 1) : NULL;
}

/* A ';'-joined list; a ';' or '\' inside an element is escaped with '\'. */
static void join_list(struct buf *b, const json_t *a, const char *member)
{
    size_t i;
    const json_t *v;
    json_array_foreach(a, i, v)
    {
        const json_t *s = member ? json_object_get(v, member) : v;
        if (!json_is_string(s)) continue;
        if (i) buf_append(b, ";", 1);
        for (const char *p = json_string_value(s); *p; p++) {
            if (*p == ';' || *p == '\\') buf_append(b, "\\", 1);
            buf_append(b, p, 1);
        }
    }
}

static int csv_value(struct buf *b, const char *col, const json_t *v)
{
    if (!v || json_is_null(v)) return 0;
    if (json_is_string(v)) return buf_append(b, json_string_value(v), strlen(json_string_value(v)));
    if (json_is_integer(v)) return buf_appendf(b, "%lld", (long long)json_integer_value(v));
    if (json_is_boolean(v)) return buf_appendf(b, "%s", json_is_true(v) ? "true" : "false");
    if (json_is_array(v) && !strcmp(col, "signals")) {
        join_list(b, v, "id");
        return 0;
    }
    bool strings = json_is_array(v);
    size_t i;
    const json_t *x;
    json_array_foreach(v, i, x) if (!json_is_string(x)) strings = false;
    if (strings) {
        join_list(b, v, NULL);
        return 0;
    }
    char *s = json_dumps(v, JSON_COMPACT);
    if (!s) return -1;
    int rc = buf_append(b, s, strlen(s));
    free(s);
    return rc;
}

static void csv_header(struct report *r)
{
    for (size_t i = 0; i < ARRAY_LEN(csv_cols); i++)
        csv_cell(r->fp, csv_cols[i][0], i == 0);
    if (r->o.owners) csv_cell(r->fp, "owner", false);
    fputs("\r\n", r->fp);
}

static int csv_row(struct report *r, const json_t *rec, const char *owner, struct err *e)
{
    struct buf b;
    buf_init(&b, 1u << 22);
    for (size_t i = 0; i < ARRAY_LEN(csv_cols); i++) {
        buf_reset(&b);
        if (csv_value(&b, csv_cols[i][0], json_path(rec, csv_cols[i][1])) < 0 && !b.truncated) {
            buf_free(&b);
            return err_set(e, "out of memory");
        }
        csv_cell(r->fp, b.data ? (const char *)b.data : "", i == 0);
    }
    if (owner) csv_cell(r->fp, owner, false);
    fputs("\r\n", r->fp);
    buf_free(&b);
    return 0;
}

/* ---- SARIF ---- */

static const char *sarif_level(enum severity s)
{
    return s >= SEV_HIGH ? "error" : s == SEV_MEDIUM ? "warning" : "note";
}

/* GitHub code scanning reads "security-severity" (0-10) to rank results. */
static const char *sarif_score(enum severity s)
{
    static const char *const v[] = {"0.0", "1.0", "3.0", "5.5", "8.0", "9.5"};
    return (size_t)s < ARRAY_LEN(v) ? v[s] : "0.0";
}

static int rule_index(struct report *r, const char *id, struct err *e)
{
    int known = signal_lookup(id); /* the table's order: rule i is signal i */
    if (known >= 0) return known;
    for (size_t i = 0; i < r->nrule_extra; i++)
        if (!strcmp(r->rule_extra[i], id)) return (int)(SIG_N + i);
    char **nv = xrealloc(r->rule_extra, (r->nrule_extra + 1) * sizeof *nv);
    if (!nv) return err_set(e, "out of memory");
    r->rule_extra = nv;
    if (!(nv[r->nrule_extra] = xstrdup(id))) return err_set(e, "out of memory");
    return (int)(SIG_N + r->nrule_extra++);
}

/* The record's network, geo, cloud and hostnames, as the record has them (docs/record.md). */
static void sarif_attr(json_t *p, const struct finding *f)
{
    finding_attr_json(p, &f->attr);
    if (f->nhostnames > 0) {
        json_t *h = json_array();
        for (int i = 0; i < f->nhostnames && i < FINDING_MAX_HOSTNAMES; i++)
            json_array_append_new(h, json_string(f->hostnames[i]));
        json_object_set_new(p, "hostnames", h);
    }
}

static int sarif_result(struct report *r, const struct finding *f, const char *owner, struct err *e)
{
    char where[80];
    str_fmt(where, sizeof where, strchr(f->ip, ':') ? "tcp://[%s]:%u" : "tcp://%s:%u", f->ip,
            f->port);
    for (int i = 0; i < f->nsignals; i++) {
        const struct signal *s = &f->signals[i];
        int idx = rule_index(r, s->id, e);
        if (idx < 0) return -1;
        char msg[512];
        str_fmt(msg, sizeof msg, "%s (%s%s%s%s%s at %s)", s->detail,
                f->service[0] ? f->service : "unknown", f->product[0] ? ", " : "", f->product,
                f->version[0] ? " " : "", f->version, where + 6);
        json_t *res = json_object();
        json_object_set_new(res, "ruleId", json_string(s->id));
        json_object_set_new(res, "ruleIndex", json_integer(idx));
        json_object_set_new(res, "level", json_string(sarif_level(s->severity)));
        json_t *m = json_object();
        json_object_set_new(m, "text", json_string(msg));
        json_object_set_new(res, "message", m);
        json_t *al = json_object();
        json_object_set_new(al, "uri", json_string(where));
        json_t *pl = json_object();
        json_object_set_new(pl, "artifactLocation", al);
        json_t *loc = json_object();
        json_object_set_new(loc, "physicalLocation", pl);
        json_t *locs = json_array();
        json_array_append_new(locs, loc);
        json_object_set_new(res, "locations", locs);
        json_t *p = json_object();
        json_object_set_new(p, "severity", json_string(severity_name(s->severity)));
        json_object_set_new(p, "security-severity", json_string(sarif_score(s->severity)));
        json_object_set_new(p, "finding_severity", json_string(severity_name(f->severity)));
        json_object_set_new(p, "service", json_string(f->service[0] ? f->service : "unknown"));
        json_object_set_new(p, "auth", json_string(auth_name(f->auth)));
        if (f->product[0]) json_object_set_new(p, "product", json_string(f->product));
        if (f->version[0]) json_object_set_new(p, "version", json_string(f->version));
        if (f->records >= 0) json_object_set_new(p, "records", json_integer(f->records));
        if (f->bytes >= 0) json_object_set_new(p, "bytes", json_integer(f->bytes));
        if (owner) json_object_set_new(p, "owner", json_string(owner));
        sarif_attr(p, f);
        json_object_set_new(res, "properties", p);
        FILE *out = r->sarif_results;
        if (r->written++) fputs(",\n", out);
        int rc = json_dumpf(res, out, JSON_COMPACT);
        json_decref(res);
        if (rc < 0) return err_set(e, "cannot write a SARIF result");
    }
    return 0;
}

static json_t *sarif_rule(const char *id, const char *name, const char *text)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "name", json_string(name));
    json_t *sd = json_object();
    json_object_set_new(sd, "text", json_string(text));
    json_object_set_new(o, "shortDescription", sd);
    json_t *fd = json_object();
    json_object_set_new(fd, "text", json_string(text));
    json_object_set_new(o, "fullDescription", fd);
    json_t *h = json_object();
    json_object_set_new(h, "text",
                        json_string("See docs/signals.md in the ajar source for when "
                                    "this signal fires and its severity."));
    json_object_set_new(o, "help", h);
    return o;
}

static int sarif_finish(struct report *r, struct err *e)
{
    json_t *rules = json_array();
    for (int i = 0; i < SIG_N; i++)
        json_array_append_new(
            rules, sarif_rule(signal_defs[i].id, signal_defs[i].rule, signal_defs[i].meaning));
    for (size_t i = 0; i < r->nrule_extra; i++)
        json_array_append_new(rules, sarif_rule(r->rule_extra[i], r->rule_extra[i],
                                                "A signal this version of the report does not "
                                                "describe."));
    json_t *drv = json_object();
    json_object_set_new(drv, "name", json_string("ajar"));
    json_object_set_new(drv, "version", json_string(AJAR_VERSION));
    json_object_set_new(drv, "rules", rules);
    json_t *tool = json_object();
    json_object_set_new(tool, "driver", drv);
    char *tool_s = json_dumps(tool, JSON_COMPACT);
    json_decref(tool);
    if (!tool_s) return err_set(e, "out of memory");
    fputs("{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\","
          "\"runs\":[{\"tool\":",
          r->fp);
    fputs(tool_s, r->fp);
    free(tool_s);
    if (r->have_scan && r->scan.start) {
        char t0[32] = "", t1[32] = "";
        time_fmt_utc(r->scan.start, t0, sizeof t0);
        json_t *inv = json_object();
        json_object_set_new(inv, "executionSuccessful", json_boolean(!r->scan.incomplete));
        json_object_set_new(inv, "startTimeUtc", json_string(t0));
        if (r->scan.end) {
            time_fmt_utc(r->scan.end, t1, sizeof t1);
            json_object_set_new(inv, "endTimeUtc", json_string(t1));
        }
        json_t *props = json_object();
        json_object_set_new(props, "scan_id", json_integer(r->scan.id));
        if (r->scan.coverage[0])
            json_object_set_new(props, "coverage", json_string(r->scan.coverage));
        json_object_set_new(inv, "properties", props);
        json_t *invs = json_array();
        json_array_append_new(invs, inv);
        fputs(",\"invocations\":", r->fp);
        json_dumpf(invs, r->fp, JSON_COMPACT);
        json_decref(invs);
    }
    fputs(",\"results\":[\n", r->fp);
    FILE *in = r->sarif_results;
    if (fflush(in) != 0 || fseek(in, 0, SEEK_SET) != 0)
        return err_set(e, "cannot read back the SARIF results");
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, in)) > 0)
        fwrite(chunk, 1, n, r->fp);
    if (ferror(in)) return err_set(e, "cannot read back the SARIF results");
    fputs("\n]}]}\n", r->fp);
    return 0;
}

/* ---- the streaming entry points ---- */

/* json: an array of records */
static int json_begin(struct report *r, struct err *e)
{
    (void)e;
    fputs("[", r->fp);
    return 0;
}

static int json_finish(struct report *r, struct err *e)
{
    (void)e;
    fputs(r->written ? "\n]\n" : "]\n", r->fp);
    return 0;
}

/* csv: a header row first */
static int csv_begin(struct report *r, struct err *e)
{
    (void)e;
    csv_header(r);
    return 0;
}

/* sarif: results gathered in a temporary file, the rules and the run written at the end */
static int sarif_begin(struct report *r, struct err *e)
{
    r->sarif_results = tmpfile();
    if (!r->sarif_results) return err_set(e, "cannot create a temporary file for SARIF");
    return 0;
}

static int sarif_add(struct report *r, const struct finding *f, struct err *e)
{
    return sarif_result(r, f, r->o.owners ? kit_owner_of(r->o.owners, f->ip) : NULL, e);
}

static int ocsf_add(struct report *r, const struct finding *f, struct err *e)
{
    return report_ocsf_add(r, f, r->o.owners ? kit_owner_of(r->o.owners, f->ip) : NULL, e);
}

/* json, jsonl and csv: the record (with its owner under --by owner) as each writes it */
static int record_add(struct report *r, const struct finding *f, struct err *e)
{
    const char *owner = r->o.owners ? kit_owner_of(r->o.owners, f->ip) : NULL;
    json_t *rec = finding_to_json(f, false);
    if (!rec) return err_set(e, "out of memory");
    if (owner) json_object_set_new(rec, "owner", json_string(owner));
    int rc = 0;
    if (r->o.format == REPORT_CSV) {
        rc = csv_row(r, rec, owner, e);
    } else {
        if (r->o.format == REPORT_JSON) fputs(r->written ? ",\n" : "\n", r->fp);
        if (json_dumpf(rec, r->fp, JSON_COMPACT) < 0) rc = err_set(e, "write error on the output");
        if (r->o.format == REPORT_JSONL) fputc('\n', r->fp);
    }
    r->written++;
    json_decref(rec);
    return rc;
}

/* --clusters in json, jsonl or csv: one object (row) per cluster of two or more. */
static int clusters_machine(struct report *r, struct err *e)
{
    struct report_cluster *c;
    size_t n;
    if (report_clusters(r, &c, &n) < 0) return err_set(e, "out of memory");
    if (r->o.format == REPORT_CSV) fputs("cluster,size,product,version,members\r\n", r->fp);
    if (r->o.format == REPORT_JSON) fputs("[", r->fp);
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "cluster", json_string(c[i].id));
        json_object_set_new(o, "size", json_integer((json_int_t)c[i].n));
        json_object_set_new(o, "stores", json_integer((json_int_t)c[i].stores));
        json_object_set_new(o, "product",
                            c[i].product[0] ? json_string(c[i].product) : json_null());
        json_object_set_new(o, "version",
                            c[i].version[0] ? json_string(c[i].version) : json_null());
        json_t *m = json_array();
        for (size_t k = 0; k < c[i].n; k++) {
            const struct report_row *w = c[i].members[k];
            char hp[64];
            str_fmt(hp, sizeof hp, strchr(w->ip, ':') ? "[%s]:%u" : "%s:%u", w->ip, w->port);
            json_array_append_new(m, json_string(hp));
        }
        json_object_set_new(o, "members", m);
        if (r->o.format == REPORT_CSV) {
            struct buf b;
            buf_init(&b, 1u << 24);
            char num[24];
            str_fmt(num, sizeof num, "%zu", c[i].n);
            csv_cell(r->fp, c[i].id, true);
            csv_cell(r->fp, num, false);
            csv_cell(r->fp, c[i].product, false);
            csv_cell(r->fp, c[i].version, false);
            join_list(&b, m, NULL);
            csv_cell(r->fp, b.data ? (const char *)b.data : "", false);
            fputs("\r\n", r->fp);
            buf_free(&b);
        } else {
            if (r->o.format == REPORT_JSON) fputs(i ? ",\n" : "\n", r->fp);
            json_dumpf(o, r->fp, JSON_COMPACT);
            if (r->o.format == REPORT_JSONL) fputc('\n', r->fp);
        }
        json_decref(o);
    }
    if (r->o.format == REPORT_JSON) fputs(n ? "\n]\n" : "]\n", r->fp);
    report_clusters_free(c, n);
    return 0;
}

/* The streaming formats' callbacks (the table is formats.c's). */
const struct report_format_ops report_ops_json = {
    "json", false, false, json_begin, record_add, json_finish, clusters_machine};
const struct report_format_ops report_ops_jsonl = {"jsonl",    false, false,           NULL,
                                                   record_add, NULL,  clusters_machine};
const struct report_format_ops report_ops_csv = {"csv",      false, false,           csv_begin,
                                                 record_add, NULL,  clusters_machine};
const struct report_format_ops report_ops_sarif = {"sarif",   false,        false, sarif_begin,
                                                   sarif_add, sarif_finish, NULL};
const struct report_format_ops report_ops_ocsf = {"ocsf", false, false, NULL, ocsf_add, NULL, NULL};
