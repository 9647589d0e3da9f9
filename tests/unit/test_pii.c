/*
 * tests/unit/test_pii.c -- the personal-data dictionary and ransom names.
 *
 * The main check is a measurement: every name in tests/unit/pii_labels.tsv
 * is classified and compared with its human label; precision and recall
 * are counted over (name, category) pairs, printed, and must both reach
 * 0.9. Mismatches are printed too, so a change to the dictionary shows
 * exactly what it gained and lost.
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

static void test_labels(void)
{
    char path[512];
    const char *here = __FILE__;
    const char *slash = strrchr(here, '/');
    str_fmt(path, sizeof path, "%.*s/pii_labels.tsv", slash ? (int)(slash - here) : 1,
            slash ? here : ".");
    FILE *fp = fopen(path, "r");
    CHECK_MSG(fp != NULL, "cannot open %s", path);
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
    test_rules();
    test_ransom();
    return T_END();
}
