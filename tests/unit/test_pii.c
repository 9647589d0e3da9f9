/*
 * tests/unit/test_pii.c -- the personal-data dictionary and ransom names.
 *
 * The main check is a measurement: every name in tests/unit/pii_labels.tsv
 * is classified and compared with its human label; precision and recall
 * are counted over (name, category) pairs, printed, and must both reach
 * 0.9. Mismatches are printed too, so a change to the dictionary shows
 * exactly what it gained and lost.
 *
 * pii_classify() finds a word's phrases through an index of first words;
 * test_index_exact checks it answers exactly as the loop over the whole
 * dictionary (pii_classify_exhaustive) on every string literal of
 * src/assess/pii.c (so every phrase, stem and context word) and on names
 * made of them: plurals, prefixes, suffixes, camelCase and other scripts.
 */
#include "assess/assess.h"
#include "core/util.h"
#include "t.h"

#include <stdio.h>
#include <stdlib.h>

static unsigned parse_cats(const char *s)
{
    if (strcmp(s, "-") == 0) return 0;
    unsigned m = 0;
    char buf[256];
    str_copy(buf, s, sizeof buf);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        unsigned b = pii_category_parse(tok);
        CHECK_MSG(b != 0, "unknown category '%s' in labels", tok);
        m |= b;
    }
    return m;
}

static void cats_str(unsigned m, char *out, size_t n)
{
    out[0] = '\0';
    if (!m) {
        str_copy(out, "-", n);
        return;
    }
    size_t len = 0;
    for (int i = 0; i < PII_NCATEGORIES; i++) {
        if (!(m & (1u << i))) continue;
        int w = str_fmt(out + len, n - len, "%s%s", len ? "," : "", pii_category_name(1u << i));
        if (w > 0) len += (size_t)w;
        if (len >= n) break;
    }
}

/* Open a file named relative to this test's directory (a failed check when it is missing). */
static FILE *open_here(const char *rel)
{
    char path[512];
    const char *here = __FILE__;
    const char *slash = strrchr(here, '/');
    str_fmt(path, sizeof path, "%.*s/%s", slash ? (int)(slash - here) : 1, slash ? here : ".", rel);
    FILE *fp = fopen(path, "r");
    CHECK_MSG(fp != NULL, "cannot open %s", path);
    return fp;
}

static void test_labels(void)
{
    FILE *fp = open_here("pii_labels.tsv");
    if (!fp) return;
    char line[512];
    int names = 0, positives = 0, hnames = 0;
    long tp = 0, fp_ = 0, fn = 0, htp = 0, hfp = 0, hfn = 0;
    bool holdout = false;
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "# --- holdout", 13) == 0) holdout = true;
        if (!line[0] || line[0] == '#') continue;
        char *tab = strchr(line, '\t');
        CHECK_MSG(tab != NULL, "no tab in '%s'", line);
        if (!tab) continue;
        *tab = '\0';
        unsigned want = parse_cats(tab + 1), got = pii_classify(line);
        names++;
        if (want) positives++;
        if (holdout) hnames++;
        for (int i = 0; i < PII_NCATEGORIES; i++) {
            unsigned b = 1u << i;
            bool t = (want & b) && (got & b), f = !(want & b) && (got & b),
                 n = (want & b) && !(got & b);
            tp += t, fp_ += f, fn += n;
            if (holdout) htp += t, hfp += f, hfn += n;
        }
        if (want != got) {
            char w[128], g[128];
            cats_str(want, w, sizeof w);
            cats_str(got, g, sizeof g);
            printf("pii: mismatch %-28s want %-20s got %s\n", line, w, g);
        }
    }
    fclose(fp);
    double precision = tp + fp_ ? (double)tp / (double)(tp + fp_) : 0;
    double recall = tp + fn ? (double)tp / (double)(tp + fn) : 0;
    printf("pii: precision %.3f recall %.3f on %d names (%d personal, %d not; %ld tp, %ld fp, "
           "%ld fn)\n",
           precision, recall, names, positives, names - positives, tp, fp_, fn);
    if (hnames)
        printf("pii: holdout precision %.3f recall %.3f on %d names written after the "
               "dictionary\n",
               htp + hfp ? (double)htp / (double)(htp + hfp) : 0,
               htp + hfn ? (double)htp / (double)(htp + hfn) : 0, hnames);
    CHECK(names >= 300);
    CHECK(precision >= 0.9);
    CHECK(recall >= 0.9);
}

/* Every "..." literal of src/assess/pii.c, spaces as '_'. */
static size_t dictionary_words(char ***out)
{
    FILE *fp = open_here("../../src/assess/pii.c");
    *out = NULL;
    if (!fp) return 0;
    size_t n = 0, cap = 0;
    char line[1024];
    while (fgets(line, sizeof line, fp)) {
        if (strstr(line, "#include")) continue;
        for (char *p = strchr(line, '"'); p; p = strchr(p, '"')) {
            char *e = strchr(p + 1, '"');
            if (!e) break;
            if (e > p + 1 && e - p < 48) {
                if (n == cap) {
                    cap = cap ? cap * 2 : 256;
                    *out = realloc(*out, cap * sizeof **out);
                }
                char *w = strndup(p + 1, (size_t)(e - p - 1));
                for (char *c = w; *c; c++)
                    if (*c == ' ') *c = '_';
                (*out)[n++] = w;
            }
            p = e + 1;
        }
    }
    fclose(fp);
    return n;
}

static int index_check(const char *name, int *bad)
{
    unsigned a = pii_classify(name), b = pii_classify_exhaustive(name);
    if (a != b && (*bad)++ < 10) printf("pii: index %#x, exhaustive %#x on '%s'\n", a, b, name);
    return a != 0;
}

static void test_index_exact(void)
{
    char **w;
    size_t n = dictionary_words(&w);
    CHECK_MSG(n > 1000, "only %zu words found in pii.c", n);
    static const char *const tails[] = {"", "s", "es", "ies", "_id", "Number", "2", "_no"};
    static const char *const heads[] = {"", "customer_", "ip_", "user"};
    int bad = 0, names = 0, personal = 0;
    char name[256];
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(w[i]);
        for (size_t t = 0; t < ARRAY_LEN(tails); t++) {
            for (size_t h = 0; h < ARRAY_LEN(heads); h++) {
                if (!strcmp(tails[t], "ies") && len && w[i][len - 1] == 'y')
                    str_fmt(name, sizeof name, "%s%.*sies", heads[h], (int)len - 1, w[i]);
                else
                    str_fmt(name, sizeof name, "%s%s%s", heads[h], w[i], tails[t]);
                personal += index_check(name, &bad);
                names++;
            }
        }
    }
    /* pairs and triples of dictionary words, joined every way the splitter splits */
    uint32_t x = 2463534242u;
    static const char *const joins[] = {"_", "", ".", "-", " ", "1"};
    for (int k = 0; k < 20000 && n; k++) {
        size_t len = 0;
        int parts = 2 + (int)(k % 2);
        name[0] = '\0';
        for (int p = 0; p < parts; p++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            const char *word = w[x % n];
            const char *join = p ? joins[(x >> 16) % ARRAY_LEN(joins)] : "";
            int m = str_fmt(name + len, sizeof name - len, "%s%s", join, word);
            if (m > 0) len += (size_t)m;
            if (len >= sizeof name) break;
            if (p && (x >> 24) % 3 == 0 && name[len - strlen(word)] >= 'a' &&
                name[len - strlen(word)] <= 'z')
                name[len - strlen(word)] -= 'a' - 'A'; /* camelCase */
        }
        personal += index_check(name, &bad);
        names++;
    }
    printf("pii: index and exhaustive agree on %d of %d names (%d personal)\n", names - bad, names,
           personal);
    CHECK_INT(bad, 0);
    CHECK(names > 40000);
    CHECK(personal > names / 10); /* the names exercise the dictionary */
    for (size_t i = 0; i < n; i++)
        free(w[i]);
    free(w);
}

static void test_rules(void)
{
    /* word boundaries */
    CHECK_INT(pii_classify("fax_id"), 0);
    CHECK_INT(pii_classify("id"), 0);
    CHECK_INT(pii_classify("ip_address"), 0);
    CHECK_INT(pii_classify("mac_address"), 0);
    CHECK_INT(pii_classify("email_address"), PII_EMAIL);
    CHECK_INT(pii_classify("home_address"), PII_ADDRESS);
    CHECK_INT(pii_classify("phone_model"), 0);
    CHECK_INT(pii_classify("phone"), PII_PHONE);
    CHECK_INT(pii_classify("xmpp"), 0);
    CHECK_INT(pii_classify("sfzh"), PII_NATIONAL_ID);
    CHECK_INT(pii_classify("SFZH"), PII_NATIONAL_ID);
    CHECK_INT(pii_classify("user.sfzh"), PII_NATIONAL_ID);
    CHECK_INT(pii_classify("person-info"), PII_PERSON);
    CHECK_INT(pii_classify("customerFirstName"), PII_NAME);
    CHECK_INT(pii_classify("customerfirstname"), PII_NAME); /* glued stem */
    CHECK_INT(pii_classify("SSNNumber"), PII_NATIONAL_ID);
    CHECK_INT(pii_classify("phone2"), PII_PHONE);
    CHECK_INT(pii_classify("address_2"), PII_ADDRESS);
    CHECK_INT(pii_classify("is_mobile"), 0);
    /* several categories in one name */
    CHECK_INT(pii_classify("xm_sfzh_sjhm"), PII_NAME | PII_NATIONAL_ID | PII_PHONE);
    CHECK_INT(pii_classify("姓名"), PII_NAME);
    CHECK_INT(pii_classify("身份证号"), PII_NATIONAL_ID);
    CHECK_INT(pii_classify("手机号"), PII_PHONE);
    CHECK_INT(pii_classify("住址"), PII_ADDRESS);
    CHECK_INT(pii_classify("出生日期"), PII_BIRTH);
    CHECK_INT(pii_classify("ip地址"), 0);
    CHECK_INT(pii_classify("ТЕЛЕФОН"), PII_PHONE); /* Cyrillic case folding */
    CHECK_INT(pii_classify("Straße"), PII_ADDRESS);
    CHECK_INT(pii_classify(""), 0);
    CHECK_INT(pii_classify(NULL), 0);
    /* hostile input: long, invalid UTF-8, control bytes */
    char big[4096];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK_INT(pii_classify(big), 0);
    CHECK_INT(pii_classify("\xff\xfe\xd0\x01\xe4\xb8phone"), PII_PHONE);
    CHECK_INT(pii_classify("\xe4\xb8"), 0);
    CHECK_INT(pii_classify("\xd0"), 0);
    /* category names round-trip */
    for (int i = 0; i < PII_NCATEGORIES; i++) {
        unsigned b = 1u << i;
        CHECK(pii_category_name(b)[0] != '\0');
        CHECK(pii_category_label(b)[0] != '\0');
        CHECK_INT(pii_category_parse(pii_category_name(b)), b);
    }
    CHECK_STR(pii_category_name(PII_NATIONAL_ID), "national-id");
    CHECK_STR(pii_category_name(3), "");
}

static void test_ransom(void)
{
    static const char *const yes[] = {
        "read_me",
        "README",
        "readme",
        "Read-Me",
        "READ_ME",
        "how_to_recover",
        "HOW_TO_RECOVER",
        "recover_your_data",
        "warning",
        "WARNING",
        "meow",
        "x8k2jd0s-meow",
        "contact_for_data",
        "recovery10btc",
        "RECOVERY10BTC",
        "your_data_is_safe",
        "read_note_for_details",
        "contact_for_your_data",
        "readme2",
        "please_read_me",
        "!!!READ_ME_TO_RECOVER_YOUR_DATA",
        "How-To-Restore",
        "hacked_by_x",
    };
    static const char *const no[] = {
        "users",
        "logstash-2019.05.01",
        "person_info",
        ".kibana",
        "warnings_log_config_values",
        "readers",
        "recovery_plan_documents_2019_archive",
        "admin",
        "local",
        "btcpay_invoices",
        "",
    };
    for (size_t i = 0; i < ARRAY_LEN(yes); i++)
        CHECK_MSG(ransom_name(yes[i]), "%s", yes[i]);
    for (size_t i = 0; i < ARRAY_LEN(no); i++)
        CHECK_MSG(!ransom_name(no[i]), "%s", no[i]);
    CHECK(!ransom_name(NULL));
}

int main(void)
{
    test_labels();
    test_index_exact();
    test_rules();
    test_ransom();
    return T_END();
}
