/*
 * report/ocsf.c -- `ajar report --format ocsf`: each finding as an OCSF
 * Vulnerability Finding (class_uid 2002, OCSF 1.8.0), one event a line.
 *
 * OCSF (the Open Cybersecurity Schema Framework) is a vendor-neutral
 * schema for security events: Amazon Security Lake stores it as is, SIEMs
 * and log pipelines map it; docs/report.md says why it was chosen over
 * DefectDojo's import format.
 *
 * One event per finding with at least one signal (a service without a
 * signal is an inventory line, not a vulnerability; `--format jsonl` lists
 * those): its signals are the `vulnerabilities`, each carrying an ajar
 * advisory ("ajar:no-auth") -- OCSF asks for exactly one of advisory, cve or
 * cwe, and a signal is ajar's own judgement, not a CVE. The service is the
 * `resources` entry and the host the `device`; `finding_info.uid` is the
 * service ("ajar/tcp/10.0.0.5:9200/elasticsearch"), the same in every scan,
 * so a consumer updates one finding across scans; activity_id says Create
 * the first time the service is seen in its open period and Update after.
 * The whole ajar record (docs/record.md) rides in `unmapped.ajar`, so
 * nothing is lost to the mapping. Times are milliseconds since the epoch
 * (OCSF's timestamp_t). Strings come from the record, which is sanitized;
 * jansson escapes them.
 *
 * Self-contained: the report calls report_ocsf_add() for each finding the
 * filters pass (machine.c); nothing is kept between findings.
 */
#include "assess/signals.h"
#include "core/version.h"
#include "report/report_int.h"
#include "kit/kit.h"

#include <string.h>

#define OCSF_VERSION "1.8.0"

static const char *sev_caption(enum severity s)
{
    static const char *const v[] = {"Unknown", "Informational", "Low",
                                    "Medium",  "High",          "Critical"};
    return (size_t)s < ARRAY_LEN(v) ? v[s] : "Unknown";
}

/* ajar's severities are OCSF's severity_id 1..5 one to one; none is 0 (Unknown). */
static int sev_id(enum severity s)
{
    return s >= SEV_INFO && s <= SEV_CRITICAL ? (int)s : 0;
}

static json_int_t ms(time_t t)
{
    return (json_int_t)t * 1000;
}

static const struct signal_def *rule_of(const char *id)
{
    int k = signal_lookup(id);
    return k < 0 ? NULL : &signal_defs[k];
}

static void set_str(json_t *o, const char *k, const char *v)
{
    if (v && v[0]) json_object_set_new(o, k, json_string(v));
}

static json_t *vulnerability(const struct finding *f, const struct signal *s)
{
    const struct signal_def *rule = rule_of(s->id);
    json_t *v = json_object(), *adv = json_object();
    char uid[64];
    str_fmt(uid, sizeof uid, "ajar:%s", s->id);
    json_object_set_new(adv, "uid", json_string(uid));
    set_str(adv, "title", rule ? rule->rule : s->id);
    set_str(adv, "desc", rule ? rule->meaning : "A signal this version of ajar does not describe.");
    json_object_set_new(v, "advisory", adv);
    set_str(v, "title", rule ? rule->rule : s->id);
    set_str(v, "desc", s->detail);
    json_object_set_new(v, "severity", json_string(sev_caption(s->severity)));
    json_object_set_new(v, "vendor_name", json_string("ajar"));
    if (f->first_seen) json_object_set_new(v, "first_seen_time", json_integer(ms(f->first_seen)));
    if (f->last_seen) json_object_set_new(v, "last_seen_time", json_integer(ms(f->last_seen)));
    return v;
}

/* The service as the affected resource. */
static json_t *resource(const struct finding *f, const char *where, const char *owner)
{
    json_t *res = json_object(), *data = json_object();
    char uid[96];
    str_fmt(uid, sizeof uid, "%s://%s", f->transport[0] ? f->transport : "tcp", where);
    json_object_set_new(res, "uid", json_string(uid));
    json_object_set_new(res, "name", json_string(f->service[0] ? f->service : "unknown"));
    json_object_set_new(res, "type", json_string(f->service[0] ? f->service : "unknown"));
    json_object_set_new(res, "ip", json_string(f->ip));
    set_str(res, "hostname", f->host);
    set_str(res, "version", f->version);
    if (f->attr.cloud[0]) json_object_set_new(res, "provider", json_string(f->attr.cloud));
    if (f->attr.cloud_region[0])
        json_object_set_new(res, "region", json_string(f->attr.cloud_region));
    set_str(data, "product", f->product);
    json_object_set_new(data, "port", json_integer(f->port));
    json_object_set_new(data, "auth", json_string(auth_name(f->auth)));
    if (f->records >= 0) json_object_set_new(data, "records", json_integer(f->records));
    if (f->bytes >= 0) json_object_set_new(data, "bytes", json_integer(f->bytes));
    if (owner) json_object_set_new(data, "owner", json_string(owner));
    json_object_set_new(res, "data", data);
    json_t *arr = json_array();
    json_array_append_new(arr, res);
    return arr;
}

static json_t *device(const struct finding *f)
{
    json_t *d = json_object();
    json_object_set_new(d, "type_id", json_integer(1)); /* Server */
    json_object_set_new(d, "type", json_string("Server"));
    json_object_set_new(d, "ip", json_string(f->ip));
    set_str(d, "hostname", f->host);
    if (f->attr.country[0]) {
        json_t *loc = json_object();
        json_object_set_new(loc, "country", json_string(f->attr.country));
        json_object_set_new(d, "location", loc);
    }
    return d;
}

static json_t *observables(const struct finding *f)
{
    json_t *arr = json_array(), *ip = json_object();
    json_object_set_new(ip, "name", json_string("device.ip"));
    json_object_set_new(ip, "type_id", json_integer(2)); /* IP Address */
    json_object_set_new(ip, "type", json_string("IP Address"));
    json_object_set_new(ip, "value", json_string(f->ip));
    json_array_append_new(arr, ip);
    if (f->host[0]) {
        json_t *h = json_object();
        json_object_set_new(h, "name", json_string("device.hostname"));
        json_object_set_new(h, "type_id", json_integer(1)); /* Hostname */
        json_object_set_new(h, "type", json_string("Hostname"));
        json_object_set_new(h, "value", json_string(f->host));
        json_array_append_new(arr, h);
    }
    return arr;
}

/* Is f new in this scan (first seen in its open period by it)? */
static bool created(const struct report *r, const struct finding *f)
{
    if (!f->first_seen) return true;
    if (r->have_scan && (r->scan.start || r->scan.group))
        return kit_new_in_scan(f->first_scan, f->first_seen, r->scan.group, r->scan.start);
    return f->first_seen >= f->time;
}

static json_t *ocsf_event(const struct report *r, const struct finding *f, const char *owner)
{
    json_t *ev = json_object();
    char where[80], uid[160], title[256];
    str_fmt(where, sizeof where, strchr(f->ip, ':') ? "[%s]:%u" : "%s:%u", f->ip, f->port);
    const char *svc = f->service[0] ? f->service : "unknown";
    bool create = created(r, f);
    json_object_set_new(ev, "class_uid", json_integer(2002));
    json_object_set_new(ev, "class_name", json_string("Vulnerability Finding"));
    json_object_set_new(ev, "category_uid", json_integer(2));
    json_object_set_new(ev, "category_name", json_string("Findings"));
    json_object_set_new(ev, "activity_id", json_integer(create ? 1 : 2));
    json_object_set_new(ev, "activity_name", json_string(create ? "Create" : "Update"));
    json_object_set_new(ev, "type_uid", json_integer(200200 + (create ? 1 : 2)));
    json_object_set_new(
        ev, "type_name",
        json_string(create ? "Vulnerability Finding: Create" : "Vulnerability Finding: Update"));
    json_object_set_new(ev, "severity_id", json_integer(sev_id(f->severity)));
    json_object_set_new(ev, "severity", json_string(sev_caption(f->severity)));
    json_object_set_new(ev, "status_id", json_integer(1)); /* New: nobody has triaged it */
    json_object_set_new(ev, "status", json_string("New"));
    json_object_set_new(ev, "time", json_integer(ms(f->time)));
    if (f->product[0])
        str_fmt(title, sizeof title, "%s (%s%s%s) exposed at %s", svc, f->product,
                f->version[0] ? " " : "", f->version, where);
    else
        str_fmt(title, sizeof title, "%s exposed at %s", svc, where);
    json_object_set_new(ev, "message", json_string(f->nsignals ? f->signals[0].detail : title));

    json_t *meta = json_object(), *prod = json_object();
    json_object_set_new(prod, "name", json_string("ajar"));
    json_object_set_new(prod, "vendor_name", json_string("ajar"));
    json_object_set_new(prod, "version", json_string(AJAR_VERSION));
    json_object_set_new(meta, "product", prod);
    json_object_set_new(meta, "version", json_string(OCSF_VERSION));
    if (r->have_scan && r->scan.id) {
        char scan[32];
        str_fmt(scan, sizeof scan, "scan-%lld", (long long)r->scan.id);
        json_object_set_new(meta, "correlation_uid", json_string(scan));
    }
    json_object_set_new(ev, "metadata", meta);

    json_t *fi = json_object(), *types = json_array();
    str_fmt(uid, sizeof uid, "ajar/%s/%s/%s", f->transport[0] ? f->transport : "tcp", where, svc);
    json_object_set_new(fi, "uid", json_string(uid));
    json_object_set_new(fi, "title", json_string(title));
    if (f->nsignals) json_object_set_new(fi, "desc", json_string(f->signals[0].detail));
    json_array_append_new(types, json_string("Exposed Service"));
    json_object_set_new(fi, "types", types);
    if (f->first_seen) json_object_set_new(fi, "first_seen_time", json_integer(ms(f->first_seen)));
    if (f->last_seen) json_object_set_new(fi, "last_seen_time", json_integer(ms(f->last_seen)));
    json_object_set_new(ev, "finding_info", fi);

    json_t *vulns = json_array();
    for (int i = 0; i < f->nsignals && i < FINDING_MAX_SIGNALS; i++)
        json_array_append_new(vulns, vulnerability(f, &f->signals[i]));
    json_object_set_new(ev, "vulnerabilities", vulns);
    json_object_set_new(ev, "resources", resource(f, where, owner));
    json_object_set_new(ev, "device", device(f));
    json_object_set_new(ev, "observables", observables(f));
    json_t *rec = finding_to_json(f, false), *um = json_object();
    if (rec) json_object_set_new(um, "ajar", rec);
    json_object_set_new(ev, "unmapped", um);
    return ev;
}

int report_ocsf_add(struct report *r, const struct finding *f, const char *owner, struct err *e)
{
    if (!f->nsignals) return 0; /* no vulnerability to report */
    json_t *ev = ocsf_event(r, f, owner);
    if (!ev) return err_set(e, "out of memory");
    int rc = json_dumpf(ev, r->fp, JSON_COMPACT) < 0 || fputc('\n', r->fp) == EOF
                 ? err_set(e, "write error on the output")
                 : 0;
    json_decref(ev);
    r->written++;
    return rc;
}
