/*
 * tests/unit/test_assess_marks.c -- the record's "marks" as assess_finding()
 * leaves them (docs/record.md): the personal-data categories of names and
 * fields, ransom-note names (strong alone, weak only beside a wiped store),
 * a ransom name not classified as personal, nothing marked and no key, the
 * caps on names and fields, marks replaced on a second assessment, and each
 * mark agreeing with the classifier it came from.
 */
#include "assess/assess.h"
#include "core/util.h"
#include "t.h"

#include <stdio.h>
#include <stdlib.h>

static void base(struct finding *f)
{
    finding_init(f);
    str_copy(f->ip, "127.0.0.1", sizeof f->ip);
    f->port = 27017;
    f->time = (time_t)1656633600;
    FINDING_SET(f, service, "mongodb");
    FINDING_SET(f, product, "MongoDB");
    f->auth = AUTH_NONE;
}

static void name(struct finding *f, const char *n, int64_t records)
{
    finding_add_name(f, n, strlen(n), records, -1);
}

/* f assessed: its "marks" as compact JSON ("" when the record has no such key) into out. */
static void marks_of(struct finding *f, char *out, size_t n)
{
    struct assess_ctx c = {.now = f->time, .cert_hosts = 1};
    assess_finding(f, &c);
    json_t *j = finding_to_json(f, false);
    const json_t *m = json_object_get(j, "marks");
    char *s = m ? json_dumps(m, JSON_COMPACT) : NULL;
    str_copy(out, s ? s : "", n);
    free(s);
    json_decref(j);
}

static bool has_signal(const struct finding *f, const char *id)
{
    for (int i = 0; i < f->nsignals; i++)
        if (!strcmp(f->signals[i].id, id)) return true;
    return false;
}

static void test_names_and_fields(void)
{
    struct finding f;
    char got[4096];
    base(&f);
    name(&f, "admin", -1);
    name(&f, "user_phone", 5000);
    name(&f, "logs", 200);
    finding_add_field(&f, "email", 5);
    finding_add_field(&f, "created_at", 10);
    finding_add_field(&f, "passport_no", 11);
    marks_of(&f, got, sizeof got);
    CHECK_STR(got, "[{\"name\":\"user_phone\",\"in\":\"names\",\"personal\":[\"phone\"]},"
                   "{\"name\":\"email\",\"in\":\"fields\",\"personal\":[\"email\"]},"
                   "{\"name\":\"passport_no\",\"in\":\"fields\",\"personal\":[\"passport\"]}]");
    CHECK(has_signal(&f, "personal-data-schema"));
    finding_free(&f);
}

/* A strong ransom name is a note, not personal data, though its words look personal; a weak one
 * (README) beside real data is neither. */
static void test_ransom(void)
{
    struct finding f;
    char got[4096];
    base(&f);
    CHECK(pii_classify("customer_phone-meow") != 0);
    CHECK_INT(ransom_strength("customer_phone-meow"), 2);
    name(&f, "customer_phone-meow", 0);
    name(&f, "README", 1);
    name(&f, "orders", 90000);
    marks_of(&f, got, sizeof got);
    CHECK_STR(got, "[{\"name\":\"customer_phone-meow\",\"in\":\"names\",\"ransom\":true}]");
    CHECK(has_signal(&f, "ransom-note"));
    finding_free(&f);

    /* wiped: the weak README counts, beside system names only */
    base(&f);
    name(&f, "admin", -1);
    name(&f, "local", -1);
    name(&f, "README", 1);
    marks_of(&f, got, sizeof got);
    CHECK_STR(got, "[{\"name\":\"README\",\"in\":\"names\",\"ransom\":true}]");
    CHECK(has_signal(&f, "ransom-note"));
    finding_free(&f);

    /* the same README beside a store in use: no mark at all */
    base(&f);
    name(&f, "README", 1);
    name(&f, "orders", 90000);
    marks_of(&f, got, sizeof got);
    CHECK_STR(got, "");
    CHECK_INT(f.nmarks, 0);
    CHECK(!has_signal(&f, "ransom-note"));
    finding_free(&f);
}

static void test_nothing_marked(void)
{
    struct finding f;
    char got[4096];
    base(&f);
    name(&f, "logs", 10);
    name(&f, "metrics", 10);
    finding_add_field(&f, "created_at", 10);
    /* a mark left from before (a record read back): the assessment's conclusions replace it */
    CHECK(finding_add_mark(&f, MARK_NAMES, 0, 0, true));
    marks_of(&f, got, sizeof got);
    CHECK_STR(got, "");
    CHECK_INT(f.nmarks, 0);
    struct buf b;
    buf_init(&b, 1 << 20);
    CHECK_INT(finding_json_write(&b, &f, false, NULL), 0);
    CHECK(b.data && !strstr((const char *)b.data, "\"marks\""));
    buf_free(&b);
    finding_free(&f);

    /* no names or fields at all */
    base(&f);
    marks_of(&f, got, sizeof got);
    CHECK_STR(got, "");
    finding_free(&f);
}

/* Names and fields past their caps: one mark per stored entry, FINDING_MAX_MARKS in all, and the
 * same on a second assessment (replaced, not added). */
static void test_caps(void)
{
    struct finding f;
    base(&f);
    for (int i = 0; i < FINDING_MAX_NAMES + 20; i++) {
        char n[32];
        str_fmt(n, sizeof n, "phone_%d", i);
        name(&f, n, i);
        str_fmt(n, sizeof n, "email_%d", i);
        finding_add_field(&f, n, strlen(n));
    }
    CHECK_INT(f.names.n, FINDING_MAX_NAMES);
    struct assess_ctx c = {.now = f.time, .cert_hosts = 1};
    for (int round = 0; round < 2; round++) {
        assess_finding(&f, &c);
        CHECK_INT(f.nmarks, FINDING_MAX_MARKS);
        json_t *j = finding_to_json(&f, false);
        const json_t *m = json_object_get(j, "marks");
        CHECK_INT(json_array_size(m), FINDING_MAX_MARKS);
        CHECK_STR(json_string_value(json_object_get(json_array_get(m, 0), "name")), "phone_0");
        CHECK_STR(
            json_string_value(json_object_get(json_array_get(m, FINDING_MAX_NAMES - 1), "name")),
            "phone_99");
        CHECK_STR(json_string_value(json_object_get(json_array_get(m, FINDING_MAX_NAMES), "in")),
                  "fields");
        json_decref(j);
    }
    finding_free(&f);
}

/* Every mark is its classifier's answer for its entry, and every entry the classifier flags (and
 * the ransom list does not claim) has one: over the labelled names of test_pii. */
static void test_agrees_with_classifier(void)
{
    static const char *const names[] = {
        "person_info_2019", "xm",       "sfzh",       "sjhm",         "case_records",
        "citizens",         "patients", "vin",        "gps_track",    "logs",
        "kibana_sample",    "orders",   "birth_date", "bank_card_no", "address_line",
        "how_to_recover",   "read_me",  "user_agent", "host_name",    "\xe5\xa7\x93\xe5\x90\x8d",
        "fecha_nacimiento", "telefone", "adresse",    "geburtsdatum", "familiya",
    };
    struct finding f;
    base(&f);
    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        name(&f, names[i], 1000);
        finding_add_field(&f, names[i], strlen(names[i]));
    }
    struct assess_ctx c = {.now = f.time, .cert_hosts = 1};
    assess_finding(&f, &c);
    int personal = 0;
    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        unsigned want = pii_classify(names[i]);
        int rs = ransom_strength(names[i]);
        unsigned got_n = 0, got_f = 0;
        bool ransom = false;
        for (int k = 0; k < f.nmarks; k++) {
            const struct finding_mark *m = &f.marks[k];
            const char *nm = finding_mark_name(&f, m);
            if (!nm || strcmp(nm, names[i])) continue;
            if (m->list == MARK_NAMES) {
                got_n = m->personal;
                ransom = m->ransom;
            } else {
                got_f = m->personal;
            }
        }
        CHECK_MSG(got_n == (rs ? 0 : want), "%s: name %#x, want %#x", names[i], got_n, want);
        CHECK_MSG(got_f == want, "%s: field %#x, want %#x", names[i], got_f, want);
        CHECK_MSG(ransom == (rs == 2), "%s: ransom %d, strength %d", names[i], ransom, rs);
        if (want) personal++;
    }
    CHECK_MSG(personal >= 15, "%d of the names look personal", personal);
    finding_free(&f);
}

int main(void)
{
    test_names_and_fields();
    test_ransom();
    test_nothing_marked();
    test_caps();
    test_agrees_with_classifier();
    return T_END();
}
