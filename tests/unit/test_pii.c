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
 * dictionary (pii_classify_exhaustive) on every word of data/pii-terms.tsv
 * (every phrase, stem and context word) and on names made of them:
 * plurals, prefixes, suffixes, camelCase and other scripts.
 *
 * test_words checks the data file's parser (assess/pii_words.c): the
 * shipped file whole (every row kept, the counts, a few rows), and broken
 * tables (each bad row left out, the caps held).
 */
#include "assess/assess.h"
#include "assess/pii_words.h"
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

/* Every word of data/pii-terms.tsv (the word column of every row), spaces as '_'. */
static size_t dictionary_words(char ***out)
{
    FILE *fp = open_here("../../data/pii-terms.tsv");
    *out = NULL;
    if (!fp) return 0;
    size_t n = 0, cap = 0;
    char line[1024];
    while (fgets(line, sizeof line, fp)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        char *w = strchr(line, '\t');
        char *e = w ? strchr(w + 1, '\t') : NULL;
        CHECK_MSG(e != NULL, "no word column in '%s'", line);
        if (!e) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            *out = realloc(*out, cap * sizeof **out);
        }
        char *c = strndup(w + 1, (size_t)(e - w - 1));
        for (char *q = c; *q; q++)
            if (*q == ' ') *q = '_';
        (*out)[n++] = c;
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
    CHECK_MSG(n > 1000, "only %zu words found in data/pii-terms.tsv", n);
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

/* A whole file named relative to this test's directory, NUL-terminated (free it); NULL when
 * missing (a failed check). */
static char *read_here(const char *rel)
{
    FILE *fp = open_here(rel);
    if (!fp) return NULL;
    size_t n = 0, cap = 1 << 16;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, fp)) > 0) {
        n += got;
        if (cap - n - 1 == 0) buf = realloc(buf, cap *= 2);
    }
    fclose(fp);
    if (buf) buf[n] = '\0';
    return buf;
}

static bool row_is(const struct pii_words *t, enum pii_list l, size_t i, const char *w,
                   unsigned cats, unsigned flags)
{
    if (i >= t->n[l]) return false;
    const struct pii_word *r = &pii_list(t, l)[i];
    return strcmp(r->w, w) == 0 && r->cats == cats && r->flags == flags;
}

static void test_words(void)
{
    /* the built-in table: every row kept, the counts, a few rows */
    const struct pii_words *b = pii_words();
    static const size_t want[PL_NLISTS] = {
        [PL_TERM] = 590,          [PL_PERSON_WORD] = 58, [PL_CANCEL_BEFORE] = 136,
        [PL_CANCEL_AFTER] = 151,  [PL_INFRA_WORD] = 15,  [PL_FLAG_WORD] = 27,
        [PL_STEM] = 79,           [PL_STEM_VETO] = 23,   [PL_CJK] = 63,
        [PL_CJK_NOT_STREET] = 12,
    };
    CHECK_INT(b->nbad, 0);
    for (int l = 0; l < PL_NLISTS; l++)
        CHECK_MSG(b->n[l] == want[l], "%s: %zu rows, want %zu", pii_list_name((enum pii_list)l),
                  b->n[l], want[l]);
    CHECK(row_is(b, PL_TERM, 0, "name", PII_NAME, PII_F_NEED_PERSON | PII_F_GENERIC));
    CHECK(row_is(b, PL_TERM, 1, "first name", PII_NAME, 0));
    CHECK(row_is(b, PL_TERM, 589, "персональные данные", PII_PERSON, 0));
    CHECK(row_is(b, PL_PERSON_WORD, 57, "fname", 0, 0));
    CHECK(row_is(b, PL_CANCEL_BEFORE, 0, "ip", PII_ADDRESS, 0));
    CHECK(row_is(b, PL_CANCEL_AFTER, 0, "model", PII_PHONE | PII_EMAIL, 0));
    CHECK(row_is(b, PL_INFRA_WORD, 14, "container", 0, 0));
    CHECK(row_is(b, PL_FLAG_WORD, 0, "is", 0, 0));
    CHECK(row_is(b, PL_STEM_VETO, 22, "e", 0, 0));
    CHECK(row_is(b, PL_CJK, 0, "姓名", PII_NAME, 0));
    CHECK(row_is(b, PL_CJK_NOT_STREET, 11, "网址", 0, 0));
    size_t health = 0, status = 0, address = 0;
    for (size_t i = 0; i < b->n[PL_TERM]; i++)
        if (row_is(b, PL_TERM, i, "health", PII_HEALTH, PII_F_INFRA)) health++;
    for (size_t i = 0; i < b->n[PL_CANCEL_AFTER]; i++)
        if (row_is(b, PL_CANCEL_AFTER, i, "status", 0x1fffu & ~(unsigned)PII_HEALTH, 0)) status++;
    for (size_t i = 0; i < b->n[PL_STEM]; i++)
        if (row_is(b, PL_STEM, i, "address", PII_ADDRESS, PII_F_VETO)) address++;
    CHECK_INT(health, 1);
    CHECK_INT(status, 1);
    CHECK_INT(address, 1);

    /* the file on disk is the one built in, and every data line of it is a row */
    char *text = read_here("../../data/pii-terms.tsv");
    struct pii_words *t = calloc(1, sizeof *t);
    if (!text || !t) {
        CHECK(text && t);
        free(text);
        free(t);
        return;
    }
    size_t lines = 0;
    for (const char *p = text; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p))
        if (*p != '#' && *p != '\n') lines++;
    size_t kept = pii_words_parse(text, t);
    CHECK_INT(kept, lines);
    CHECK_INT(t->nbad, 0);
    bool same = true;
    for (int l = 0; l < PL_NLISTS; l++) {
        same = same && t->n[l] == b->n[l] && t->first[l] == b->first[l];
        for (size_t i = 0; same && i < t->n[l]; i++) {
            const struct pii_word *r = &pii_list(b, (enum pii_list)l)[i];
            same = row_is(t, (enum pii_list)l, i, r->w, r->cats, r->flags);
        }
    }
    CHECK_MSG(same, "data/pii-terms.tsv parses to other rows than the built-in table");
    free(text);

    /* broken rows: each left out and counted, the good ones kept in their lists' order */
    kept = pii_words_parse("# comment\n"
                           "\n"
                           "cjk\t姓名\tname\t-\n"
                           "term\tfirst name\tname\t-\n"
                           "term\tphone\tphone,email\t-\r\n"
                           "\r\n"
                           "cancel-after\tstatus\tall,-health\t-\n"
                           "stem\taddress\taddress\tveto\n"
                           "term\tnom\tname\tneed-person,generic,infra\n"
                           "term\tFirst\tname\t-\n"          /* upper case */
                           "term\tfirst  name\tname\t-\n"    /* two spaces */
                           "term\t first\tname\t-\n"         /* leading space */
                           "term\tfirst \tname\t-\n"         /* trailing space */
                           "person-word\tfirst name\t-\t-\n" /* a space outside a term */
                           "term\tx\x01y\tname\t-\n"         /* a control byte */
                           "term\t\tname\t-\n"               /* no word */
                           "terms\tphone\tphone\t-\n"        /* unknown list */
                           "term\tphone\tphone\n"            /* three fields */
                           "term\tphone\tphone\t-\textra\n"  /* five fields */
                           "term\tphone\tcellphone\t-\n"     /* unknown category */
                           "term\tphone\tphone,\t-\n"        /* empty category */
                           "term\tphone\t-all\t-\n"          /* -all */
                           "term\tphone\t\t-\n"              /* no categories */
                           "term\tphone\tphone\tveto\n"      /* a stem's flag on a term */
                           "stem\tphone\tphone\tgeneric\n"   /* a term's flag on a stem */
                           "term\tphone\tphone\tloud\n"      /* unknown flag */
                           "flag-word\tis\tname\t-\n"        /* categories on a word list */
                           "term\tphone\tphone\t\n"          /* no flags */
                           "term\tphone",                    /* no newline, two fields */
                           t);
    CHECK_INT(kept, 6);
    CHECK_INT(t->nbad, 20);
    CHECK(row_is(t, PL_TERM, 0, "first name", PII_NAME, 0));
    CHECK(row_is(t, PL_TERM, 1, "phone", PII_PHONE | PII_EMAIL, 0));
    CHECK(row_is(t, PL_TERM, 2, "nom", PII_NAME, PII_F_NEED_PERSON | PII_F_GENERIC | PII_F_INFRA));
    CHECK(row_is(t, PL_CANCEL_AFTER, 0, "status", 0x1fffu & ~(unsigned)PII_HEALTH, 0));
    CHECK(row_is(t, PL_STEM, 0, "address", PII_ADDRESS, PII_F_VETO));
    CHECK(row_is(t, PL_CJK, 0, "姓名", PII_NAME, 0));
    CHECK_INT(t->n[PL_TERM], 3);
    CHECK_INT(t->first[PL_TERM], 0);
    CHECK_INT(t->first[PL_CJK], 5);
    CHECK_INT(pii_words_parse("", t), 0);
    CHECK_INT(t->nbad, 0);

    /* the longest word kept, one byte more left out */
    char big[PII_WORD_MAX + 32];
    str_fmt(big, sizeof big, "term\t%0*d\tname\t-\nterm\t%0*d\tname\t-\n", PII_WORD_MAX - 1, 0,
            PII_WORD_MAX, 0);
    CHECK_INT(pii_words_parse(big, t), 1);
    CHECK_INT(t->nbad, 1);
    CHECK_INT(strlen(pii_list(t, PL_TERM)[0].w), PII_WORD_MAX - 1);

    /* the caps: rows past PII_MAX_ROWS, words past PII_WORD_POOL bytes, left out */
    size_t cap = (PII_MAX_ROWS + 10) * 32;
    char *many = malloc(cap);
    size_t len = 0;
    for (int i = 0; many && i < PII_MAX_ROWS + 10; i++)
        len += (size_t)str_fmt(many + len, cap - len, "stem\tw%d\tname\t-\n", i);
    if (many) {
        CHECK_INT(pii_words_parse(many, t), PII_MAX_ROWS);
        CHECK_INT(t->nbad, 10);
        CHECK_STR(pii_list(t, PL_STEM)[PII_MAX_ROWS - 1].w, "w2047");
    }
    free(many);
    size_t per = PII_WORD_MAX + 16, rows = PII_WORD_POOL / PII_WORD_MAX + 5;
    many = malloc(rows * per);
    len = 0;
    for (size_t i = 0; many && i < rows; i++)
        len += (size_t)str_fmt(many + len, rows * per - len, "term\t%0*zu\tname\t-\n",
                               PII_WORD_MAX - 1, i);
    if (many) {
        size_t fit = PII_WORD_POOL / PII_WORD_MAX; /* 63 bytes and a NUL each */
        CHECK_INT(pii_words_parse(many, t), fit);
        CHECK_INT(t->nbad, rows - fit);
    }
    free(many);
    free(t);
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
    test_words();
    test_rules();
    test_ransom();
    return T_END();
}
