/*
 * tests/unit/test_finding_json.c -- finding_json_write() (the store's
 * record writer without a jansson tree) against json_dumps(finding_to_json(),
 * JSON_COMPACT): byte for byte equal on thousands of findings with every
 * field set or unset, names and fields at their caps, signals, TLS facts,
 * details, and hostile strings (quotes, backslashes, every control byte,
 * DEL, multi-byte UTF-8, and invalid UTF-8 that jansson leaves out); the
 * spans of "tls" and "signals" equal their own dumps; discovery-only
 * records; appending after existing text; a capped buffer fails cleanly.
 * The assessment's "marks": written by both writers alike (marks of entries
 * the finding does not hold left out by both), read back by
 * finding_from_json() to the same bytes, and a hostile "marks" read within
 * the lists' caps.
 */
#include "core/finding.h"
#include "core/util.h"
#include "t.h"

#include <stdlib.h>

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return n ? (uint32_t)(rng % n) : 0;
}

/* pieces of strings: plain, needing escapes, UTF-8, and (bad) not UTF-8 */
static const char *const good[] = {
    "a",
    "Kibana",
    "5.5.1",
    " ",
    "\"",
    "\\",
    "/",
    "\n",
    "\r",
    "\t",
    "\b",
    "\f",
    "\x01",
    "\x1f",
    "\x7f",
    "\x1b[",
    "\xc3\xa9",
    "\xe4\xb8\xad",
    "\xf0\x9f\x98\x80",
    "\xef\xbf\xbf",
    "\xc2\x80",
    "\xf4\x8f\xbf\xbf",
    "<script>",
    "'",
};
static const char *const bad[] = {
    "\xff",
    "\x80",
    "\xc0\xaf",
    "\xc1\xbf",
    "\xed\xa0\x80",
    "\xe4\xb8",
    "\xf4\x90\x80\x80",
    "\xf5\x80\x80\x80",
    "\xe0\x80\xaf",
    "\xf0\x80\x80\xaf",
    "\xc3",
};

/* Fill dst (size n) with a random string; bad bytes only when allow_bad. May be truncated
 * mid-sequence by the size, as str_copy would. */
static void rstr(char *dst, size_t n, bool allow_bad)
{
    size_t o = 0;
    unsigned parts = rnd(4) == 0 ? 0 : 1 + rnd(12);
    if (rnd(16) == 0) parts = 400; /* long: fill to the cap */
    for (unsigned i = 0; i < parts && o + 1 < n; i++) {
        const char *p =
            allow_bad && rnd(40) == 0 ? bad[rnd(ARRAY_LEN(bad))] : good[rnd(ARRAY_LEN(good))];
        for (; *p && o + 1 < n; p++)
            dst[o++] = *p;
    }
    dst[o] = 0;
}

static bool coin(unsigned in)
{
    return rnd(in) == 0;
}

static int64_t rcount(void)
{
    switch (rnd(5)) {
    case 0:
        return -1;
    case 1:
        return 0;
    case 2:
        return (int64_t)rnd(1000);
    case 3:
        return INT64_MAX;
    default:
        return (int64_t)rnd(0xffffffffu) * 7919;
    }
}

static time_t rtime(void)
{
    switch (rnd(6)) {
    case 0:
        return 0;
    case 1:
        return 1;
    case 2:
        return (time_t)253402300799; /* 9999-12-31T23:59:59Z */
    case 3:
        return (time_t)951782400; /* 2000-02-29 */
    case 4:
        return (time_t)4107542400; /* 2100-03-01 */
    default:
        return (time_t)rnd(0x7fffffff) * 2;
    }
}

/* a name or field list entry that the setters would never make (tests the writer only) */
static void raw_entry(struct strlist *l, uint32_t i, bool allow_bad)
{
    char tmp[FINDING_MAX_NAME];
    rstr(tmp, sizeof tmp, allow_bad);
    char *d = xstrdup(tmp);
    if (!d) return;
    free(l->v[i]);
    l->v[i] = d;
}

/* Marks as assess would leave them, and some no setter makes: an entry past its list, a list
 * that is neither (both writers leave such a mark out). */
static void random_marks(struct finding *f)
{
    if (coin(3)) return;
    int n = coin(6) ? FINDING_MAX_MARKS + 20 : (int)rnd(6);
    for (int i = 0; i < n; i++) {
        uint32_t personal = coin(3) ? 0 : rnd(1u << 16); /* bits past the last category too */
        finding_add_mark(f, (enum mark_list)rnd(2), rnd(FINDING_MAX_NAMES + 3), personal, coin(3));
    }
    CHECK(f->nmarks <= (int)(f->names.n + f->fields.n) && f->nmarks <= FINDING_MAX_MARKS);
    for (int i = 0; i < f->nmarks; i++)
        CHECK(f->marks[i].personal < 1u << FINDING_PERSONAL_KINDS &&
              (f->marks[i].personal || f->marks[i].ransom));
    if (f->nmarks && coin(6)) f->marks[rnd((uint32_t)f->nmarks)].index = FINDING_MAX_NAMES + 1;
    if (f->nmarks && coin(6)) f->marks[rnd((uint32_t)f->nmarks)].list = 2;
}

static void random_finding(struct finding *f, bool allow_bad)
{
    finding_init(f);
    rstr(f->ip, sizeof f->ip, allow_bad);
    if (coin(3)) str_copy(f->ip, "203.0.113.7", sizeof f->ip);
    f->port = (uint16_t)rnd(65536);
    if (coin(4)) rstr(f->transport, sizeof f->transport, allow_bad);
    f->time = rtime();
    if (coin(2)) rstr(f->host, sizeof f->host, allow_bad);
    if (coin(2)) rstr(f->service, sizeof f->service, allow_bad);
    if (coin(2)) rstr(f->product, sizeof f->product, allow_bad);
    if (coin(2)) rstr(f->version, sizeof f->version, allow_bad);
    f->auth = (enum auth_state)rnd(5); /* 4 is out of range: "unknown" */
    if (coin(3)) rstr(f->banner, sizeof f->banner, allow_bad);
    if (coin(3)) rstr(f->error, sizeof f->error, allow_bad);
    if (coin(2)) {
        struct tls_facts *t = &f->tls;
        t->present = true;
        if (coin(2)) rstr(t->version, sizeof t->version, allow_bad);
        if (coin(2)) rstr(t->cipher, sizeof t->cipher, allow_bad);
        if (coin(2)) rstr(t->sha256, sizeof t->sha256, allow_bad);
        if (coin(2)) rstr(t->subject_cn, sizeof t->subject_cn, allow_bad);
        if (coin(2)) rstr(t->issuer_cn, sizeof t->issuer_cn, allow_bad);
        if (coin(2)) rstr(t->subject, sizeof t->subject, allow_bad);
        if (coin(2)) rstr(t->issuer, sizeof t->issuer, allow_bad);
        int nsan = coin(5) ? FINDING_MAX_SAN : (int)rnd(4);
        for (int i = 0; i < nsan; i++) {
            char san[256];
            rstr(san, sizeof san, allow_bad);
            tls_add_san(t, san);
        }
        t->not_before = rtime();
        t->not_after = rtime();
        t->self_signed = coin(2);
        t->expired = coin(2);
        t->not_yet_valid = coin(2);
        if (coin(2)) rstr(t->key_type, sizeof t->key_type, allow_bad);
        if (coin(3)) str_copy(t->key_type, "rsa", sizeof t->key_type);
        t->key_bits = coin(2) ? 0 : (int)rnd(8192) - 10;
        if (coin(2)) rstr(t->sig_alg, sizeof t->sig_alg, allow_bad);
        t->name_match = (int)rnd(3) - 1;
        t->chain_len = (int)rnd(5);
        t->verified = coin(2);
    }
    if (coin(3)) f->databases = rcount();
    if (coin(3)) f->collections = rcount();
    if (coin(3)) f->records = rcount();
    if (coin(3)) f->bytes = rcount();
    unsigned nn = coin(6) ? FINDING_MAX_NAMES + 5 : rnd(5);
    for (unsigned i = 0; i < nn; i++) {
        char name[FINDING_MAX_NAME + 8];
        rstr(name, sizeof name, true); /* the setter sanitizes */
        finding_add_name(f, name, strlen(name), coin(2) ? -1 : rcount(), coin(2) ? -1 : rcount());
    }
    for (uint32_t i = 0; i < f->names.n; i++)
        if (coin(3)) raw_entry(&f->names, i, allow_bad);
    if (nn && coin(3)) f->names.total += rnd(1000000);
    unsigned nf = coin(6) ? FINDING_MAX_NAMES + 5 : rnd(5);
    for (unsigned i = 0; i < nf; i++) {
        char name[40];
        str_fmt(name, sizeof name, "field_%u_%u", i, rnd(1000));
        finding_add_field(f, name, strlen(name));
    }
    for (uint32_t i = 0; i < f->fields.n; i++)
        if (coin(3)) raw_entry(&f->fields, i, allow_bad);
    if (coin(20)) f->names.total = (uint64_t)INT64_MAX + 2; /* dumps negative, as jansson does */
    random_marks(f);
    if (coin(3)) {
        f->has_via = true;
        rstr(f->via_service, sizeof f->via_service, allow_bad);
        rstr(f->via_ip, sizeof f->via_ip, allow_bad);
        f->via_port = (uint16_t)rnd(65536);
    }
    if (coin(2)) {
        char v[300];
        rstr(v, sizeof v, true);
        finding_detail_str(f, "mode", v);
        finding_detail_int(f, "shards", rcount());
        if (coin(2)) finding_detail(f, "ratio", json_real((double)rnd(100000) / 7.0));
        if (coin(2))
            finding_detail(f, "nested", json_pack("{s:[i,s,n,b],s:{}}", "a", 1, "\"x\\/", 1, "e"));
        if (coin(4)) finding_detail(f, "empty", json_object());
    } else if (coin(5)) {
        f->details = json_object(); /* present but empty */
    }
    int ns = coin(8) ? FINDING_MAX_SIGNALS : (int)rnd(4);
    for (int i = 0; i < ns; i++) {
        char d[400];
        rstr(d, sizeof d, true);
        /* vsnprintf truncates at 255 bytes, possibly inside a UTF-8 sequence */
        finding_add_signal(f, coin(2) ? "no-auth" : "personal-data-schema", (enum severity)rnd(6),
                           "%s", d);
        if (allow_bad && coin(5)) rstr(f->signals[i].id, sizeof f->signals[i].id, true);
    }
    f->severity = (enum severity)rnd(7); /* 6 is out of range: "none" */
    if (coin(2)) rstr(f->cluster, sizeof f->cluster, allow_bad);
    f->first_seen = rtime();
    f->last_seen = rtime();
    if (coin(4)) { /* --rdns: names as net/rdns.c keeps them (valid UTF-8), some PTR */
        f->rdns = true;
        int nh = coin(4) ? FINDING_MAX_HOSTNAMES + 2 : (int)rnd(4);
        for (int i = 0; i < nh; i++) {
            char h[FINDING_HOSTNAME_MAX + 8];
            rstr(h, sizeof h, false);
            finding_add_hostname(f, h, coin(2));
        }
    }
}

static char *dumps(const json_t *j)
{
    return j ? json_dumps(j, JSON_COMPACT) : NULL;
}

static int compare(const struct finding *f, bool discovery_only, const char *prefix)
{
    int bad_before = t_fail;
    json_t *j = finding_to_json(f, discovery_only);
    char *want = dumps(j);
    struct buf b;
    buf_init(&b, 1 << 24);
    if (prefix) buf_append(&b, prefix, strlen(prefix));
    size_t start = b.len;
    struct finding_json_spans sp;
    int rc = finding_json_write(&b, f, discovery_only, &sp);
    CHECK(want != NULL);
    CHECK_INT(rc, 0);
    if (want && rc == 0) {
        const char *got = (const char *)b.data + start;
        CHECK_MSG(strcmp(got, want) == 0, "\n got  %s\n want %s", got, want);
        if (prefix) CHECK(memcmp(b.data, prefix, start) == 0);
        if (!discovery_only) {
            char *sig = dumps(json_object_get(j, "signals"));
            CHECK(sig && sp.signals_len == strlen(sig) &&
                  memcmp(b.data + sp.signals, sig, sp.signals_len) == 0);
            free(sig);
            const json_t *tj = json_object_get(j, "tls");
            if (json_is_object(tj)) {
                char *tls = dumps(tj);
                CHECK(tls && sp.tls_len == strlen(tls) &&
                      memcmp(b.data + sp.tls, tls, sp.tls_len) == 0);
                free(tls);
                char key[32];
                finding_tls_key(&f->tls, key, sizeof key);
                const char *jk = json_string_value(json_object_get(tj, "key"));
                CHECK_STR(key, jk ? jk : "");
            } else {
                CHECK_INT(sp.tls_len, 0);
            }
        }
    }
    free(want);
    json_decref(j);
    buf_free(&b);
    return t_fail == bad_before ? 0 : -1;
}

/* names a probe could report: setters' output reads back as itself */
static const char *const rt_names[] = {
    "phone", "README", "user_email", "\xe5\xa7\x93\xe5\x90\x8d", "a\"b\\c", "</td><script>",
    "x",     "logs",   "id_card_no", "how_to_recover",           "",        "sfzh",
};

/* A finding with names and fields from rt_names (duplicates too) and random marks; its record
 * read back writes the same "marks", and the byte writer agrees on the copy. */
static void marks_round_trip(int round)
{
    struct finding f, g;
    finding_init(&f);
    str_copy(f.ip, "127.0.0.1", sizeof f.ip);
    f.port = 27017;
    unsigned nn = round % 5 == 0 ? FINDING_MAX_NAMES + 3 : rnd(8);
    for (unsigned i = 0; i < nn; i++) {
        const char *s = rt_names[rnd(ARRAY_LEN(rt_names))];
        finding_add_name(&f, s, strlen(s), coin(2) ? -1 : rcount(), -1);
    }
    unsigned nf = round % 7 == 0 ? FINDING_MAX_NAMES + 3 : rnd(8);
    for (unsigned i = 0; i < nf; i++) {
        const char *s = rt_names[rnd(ARRAY_LEN(rt_names))];
        finding_add_field(&f, s, strlen(s));
    }
    int n = round % 3 == 0 ? FINDING_MAX_MARKS + 5 : (int)rnd(8);
    for (int i = 0; i < n; i++)
        finding_add_mark(&f, (enum mark_list)rnd(2), rnd(FINDING_MAX_NAMES), rnd(1u << 13),
                         coin(4));
    json_t *j = finding_to_json(&f, false);
    CHECK_INT(finding_from_json(&g, j), 0);
    json_t *k = finding_to_json(&g, false);
    /* a name listed twice: the reader marks its first, so compare what each says per name */
    char *a = dumps(json_object_get(j, "marks")), *b = dumps(json_object_get(k, "marks"));
    bool dup = false;
    for (uint32_t i = 0; i < f.names.n; i++)
        for (uint32_t m = 0; m < i; m++)
            if (!strcmp(f.names.v[i], f.names.v[m])) dup = true;
    for (uint32_t i = 0; i < f.fields.n; i++)
        for (uint32_t m = 0; m < i; m++)
            if (!strcmp(f.fields.v[i], f.fields.v[m])) dup = true;
    if (!dup) {
        CHECK_MSG((!a && !b) || (a && b && !strcmp(a, b)), "\n wrote %s\n read  %s", a ? a : "-",
                  b ? b : "-");
        CHECK_INT(g.nmarks, f.nmarks);
    } else {
        CHECK(g.nmarks <= f.nmarks);
    }
    CHECK_INT(json_object_get(j, "marks") != NULL, f.nmarks > 0);
    compare(&g, false, NULL);
    free(a);
    free(b);
    json_decref(j);
    json_decref(k);
    finding_free(&f);
    finding_free(&g);
}

/* A record's "marks" from elsewhere (an import, a newer ajar): only marks of listed entries with
 * a known id or ransom are read, merged per entry, within the caps. */
static void marks_hostile(void)
{
    json_t *j = json_pack("{s:s,s:i,s:{s:[s,s,s],s:[s]}}", "ip", "127.0.0.1", "port", 6379, "data",
                          "names", "phone", "README", "logs", "fields", "email");
    json_t *marks = json_array();
    json_array_append_new(marks, json_pack("{s:s,s:s,s:[s,s,s]}", "name", "phone", "in", "names",
                                           "personal", "phone", "no-such-id", "phone"));
    json_array_append_new(marks,
                          json_pack("{s:s,s:s,s:b}", "name", "README", "in", "names", "ransom", 1));
    json_array_append_new(marks, json_pack("{s:s,s:s,s:[s]}", "name", "logs", "in", "names",
                                           "personal", "tomorrow")); /* nothing known: out */
    json_array_append_new(marks, json_pack("{s:s,s:s,s:[s]}", "name", "absent", "in", "names",
                                           "personal", "email")); /* not listed: out */
    json_array_append_new(marks, json_pack("{s:s,s:s,s:[s]}", "name", "email", "in", "tables",
                                           "personal", "email")); /* no such list: out */
    json_array_append_new(marks, json_pack("{s:s,s:s,s:s}", "name", "email", "in", "fields",
                                           "personal", "email")); /* not an array: nothing */
    json_array_append_new(marks, json_pack("{s:i,s:s}", "name", 3, "in", "fields"));
    json_array_append_new(marks, json_string("email"));
    for (int i = 0; i < 1000; i++) /* the same field again and again: one mark */
        json_array_append_new(marks,
                              json_pack("{s:s,s:s,s:[s],s:s}", "name", "email", "in", "fields",
                                        "personal", i % 2 ? "email" : "name", "ransom", "yes"));
    json_object_set_new(j, "marks", marks);
    struct finding f;
    CHECK_INT(finding_from_json(&f, j), 0);
    CHECK_INT(f.nmarks, 3);
    json_t *k = finding_to_json(&f, false);
    char *got = dumps(json_object_get(k, "marks"));
    CHECK_STR(got ? got : "",
              "[{\"name\":\"phone\",\"in\":\"names\",\"personal\":[\"phone\"]},"
              "{\"name\":\"README\",\"in\":\"names\",\"ransom\":true},"
              "{\"name\":\"email\",\"in\":\"fields\",\"personal\":[\"name\",\"email\"]}]");
    compare(&f, false, NULL);
    free(got);
    json_decref(k);
    finding_free(&f);
    /* "marks" that is not an array, and a record without it: no marks, no key */
    json_object_set_new(j, "marks", json_string("phone"));
    CHECK_INT(finding_from_json(&f, j), 0);
    CHECK_INT(f.nmarks, 0);
    k = finding_to_json(&f, false);
    CHECK(json_object_get(k, "marks") == NULL);
    json_decref(k);
    finding_free(&f);
    json_decref(j);
}

/* the certificate's "key" read back: "rsa-2048" gives type and bits; any other form (a leading
 * zero, 0, too many bits, no digits) stays the type as it was written, so a record read back
 * and written again is the same text (fuzz_record found "rsa-0000010..." turning into
 * "rsa-1001882") */
static void tls_key_forms(void)
{
    static const struct {
        const char *in, *type;
        int bits;
        const char *out;
    } t[] = {
        {"rsa-2048", "rsa", 2048, "rsa-2048"},
        {"ec-256", "ec", 256, "ec-256"},
        {"rsa-0100", "rsa-0100", 0, "rsa-0100"},
        {"rsa-0", "rsa-0", 0, "rsa-0"},
        {"rsa-", "rsa-", 0, "rsa-"},
        {"rsa-9999999", "rsa-9999999", 0, "rsa-9999999"},
        {"rsa-00000100188210260340856", NULL, 0, NULL},
        {"ed25519", "ed25519", 0, "ed25519"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        json_t *j = json_pack("{s:s,s:i,s:{s:s,s:s}}", "ip", "127.0.0.1", "port", 443, "tls",
                              "version", "TLSv1.3", "key", t[i].in);
        struct finding f;
        CHECK_INT(finding_from_json(&f, j), 0);
        if (t[i].type) {
            CHECK_STR(f.tls.key_type, t[i].type);
            CHECK_INT(f.tls.key_bits, t[i].bits);
        }
        json_t *k = finding_to_json(&f, false);
        const char *w = json_string_value(json_object_get(json_object_get(k, "tls"), "key"));
        if (t[i].out) CHECK_STR(w ? w : "", t[i].out);
        /* written, read back, written again: the same key */
        struct finding g;
        CHECK_INT(finding_from_json(&g, k), 0);
        json_t *k2 = finding_to_json(&g, false);
        const char *w2 = json_string_value(json_object_get(json_object_get(k2, "tls"), "key"));
        CHECK_MSG(w && w2 && !strcmp(w, w2), "%s: %s then %s", t[i].in, w ? w : "-", w2 ? w2 : "-");
        json_decref(k2);
        json_decref(k);
        finding_free(&g);
        finding_free(&f);
        json_decref(j);
    }
}

/* "details" written without jansson's dump (jw_json): the same bytes as json_dumps of the
 * record, or -1 where that dump fails; trees the random findings never make. */
static void details_one(json_t *d, bool dump_fails)
{
    struct finding f;
    finding_init(&f);
    str_copy(f.ip, "10.0.0.3", sizeof f.ip);
    f.details = d;
    if (dump_fails) {
        json_t *j = finding_to_json(&f, false);
        char *want = dumps(j);
        CHECK(want == NULL);
        free(want);
        json_decref(j);
        struct buf b;
        buf_init(&b, 1 << 20);
        buf_append(&b, "keep", 4);
        CHECK_INT(finding_json_write(&b, &f, false, NULL), -1);
        CHECK_STR((const char *)b.data, "keep");
        buf_free(&b);
    } else {
        compare(&f, false, NULL);
    }
    finding_free(&f);
}

static void details_hostile(void)
{
    /* every scalar, integers at their ends, reals, NULs inside strings and keys, empty keys */
    json_t *d = json_object();
    json_object_set_new(d, "min", json_integer(INT64_MIN));
    json_object_set_new(d, "max", json_integer(INT64_MAX));
    json_object_set_new(d, "zero", json_integer(0));
    json_object_set_new(d, "neg", json_integer(-17));
    json_object_set_new(d, "r", json_real(1e300));
    json_object_set_new(d, "r2", json_real(-0.1));
    json_object_set_new(d, "r3", json_real(3.0));
    json_object_set_new(d, "t", json_true());
    json_object_set_new(d, "f", json_false());
    json_object_set_new(d, "n", json_null());
    json_object_set_new(d, "s", json_stringn("a\0b\x01\x1f\x7f\"\\/\xc3\xa9\xf0\x9f\x98\x80", 14));
    json_object_setn_new(d, "k\0y", 3, json_string("nul in key"));
    json_object_set_new(d, "", json_string(""));
    json_object_set_new(d, "esc\"\n", json_pack("[[],{},[[1]],{\"a\":{\"b\":[null]}}]"));
    details_one(d, false);
    /* keys in the order they were set, after one is replaced and one removed */
    d = json_object();
    for (int i = 0; i < 40; i++) {
        char k[16];
        str_fmt(k, sizeof k, "k%d", (i * 17) % 40);
        json_object_set_new(d, k, json_integer(i));
    }
    json_object_set_new(d, "k3", json_string("again"));
    json_object_del(d, "k5");
    details_one(d, false);
    /* a top-level scalar (JSON_ENCODE_ANY) and an array */
    details_one(json_string("just text"), false);
    details_one(json_pack("[i,s,b]", 1, "x", 0), false);
    /* nested past the writer's own depth (64): jansson dumps the rest, the same bytes */
    json_t *deep = json_integer(7);
    for (int i = 0; i < 300; i++) {
        json_t *o = i % 2 ? json_array() : json_object();
        if (i % 2)
            json_array_append_new(o, deep);
        else
            json_object_set_new(o, "d", deep);
        deep = o;
    }
    details_one(deep, false);
    /* not UTF-8 (set without jansson's check), in a value, a key, a cut sequence: no record */
    d = json_object();
    json_object_set_new(d, "v", json_string_nocheck("ok\xff"));
    details_one(d, true);
    /* jansson writes a key that is not UTF-8 in part (its opening quote) and goes on: the
     * writer leaves such an object to jansson, the same bytes */
    d = json_pack("{s:i}", "a", 1);
    json_t *o = json_object();
    json_object_set_new(o, "b", json_string("c\n"));
    json_object_set_new_nocheck(o, "x\n\xc3", json_true());
    json_object_set_new(d, "o", o);
    details_one(d, false);
    d = json_pack("[s]", "x");
    json_array_append_new(d, json_stringn_nocheck("\xe2\x82\xac", 2));
    details_one(d, true);
    /* a tree that holds itself: jansson refuses it, so does the writer (no endless walk) */
    d = json_object();
    json_t *inner = json_array();
    json_object_set_new(d, "loop", inner);
    json_array_append(inner, d);
    json_incref(inner);
    details_one(d, true);
    json_array_clear(inner); /* break the loop so that both are freed */
    json_decref(inner);
}

int main(void)
{
    int shown = 0;
    /* a plain finding first, then many random ones */
    struct finding f;
    finding_init(&f);
    str_copy(f.ip, "10.0.0.1", sizeof f.ip);
    f.port = 9200;
    compare(&f, false, NULL);
    compare(&f, true, NULL);
    finding_free(&f);

    for (int i = 0; i < 6000; i++) {
        random_finding(&f, i % 3 == 0);
        int r = compare(&f, i % 10 == 9, i % 7 == 0 ? "{\"previous\":1}\n" : NULL);
        if (r < 0 && shown++ < 3) fprintf(stderr, "  (finding %d)\n", i);
        finding_free(&f);
    }

    /* every single byte from 1 to 255 alone in a string member */
    for (int c = 1; c < 256; c++) {
        finding_init(&f);
        str_copy(f.ip, "10.0.0.2", sizeof f.ip);
        f.product[0] = (char)c;
        f.product[1] = 0;
        f.banner[0] = 'x';
        f.banner[1] = (char)c;
        f.banner[2] = 'y';
        compare(&f, false, NULL);
        finding_free(&f);
    }

    for (int i = 0; i < 600; i++)
        marks_round_trip(i);
    marks_hostile();
    details_hostile();
    tls_key_forms();

    /* a capped buffer: -1 and the buffer as it was */
    random_finding(&f, false);
    struct buf b;
    buf_init(&b, 64);
    buf_append(&b, "keep", 4);
    CHECK_INT(finding_json_write(&b, &f, false, NULL), -1);
    CHECK_INT(b.len, 4);
    CHECK_STR((const char *)b.data, "keep");
    buf_free(&b);
    finding_free(&f);
    return T_END();
}
