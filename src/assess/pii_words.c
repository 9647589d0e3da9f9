/*
 * assess/pii_words.c -- the personal-data dictionary's word lists, parsed from
 * data/pii-terms.tsv (built in: pii_data.c) once, at the first pii_classify().
 *
 * A row: list, word, categories, flags, tab-separated (the file's header says what each list
 * means). The text is compiled in, but it is read as any table: at most PII_MAX_ROWS rows and
 * PII_WORD_POOL bytes of words, every field checked (a known list, a word the matcher can
 * see: 1 to 63 bytes, no control byte, no upper-case ASCII, single spaces and only in a term;
 * known categories; flags the list allows); a row that does not parse is counted and left
 * out (test_pii checks that every row of the shipped file parses). The rows of each list are
 * kept together in the file's order, which matters for terms (the first among equals wins).
 */
#include "assess/pii_words.h"
#include "assess/assess.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

extern const char pii_terms_tsv[]; /* pii_data.c */

static const char *const list_names[PL_NLISTS] = {
    [PL_TERM] = "term",
    [PL_PERSON_WORD] = "person-word",
    [PL_CANCEL_BEFORE] = "cancel-before",
    [PL_CANCEL_AFTER] = "cancel-after",
    [PL_INFRA_WORD] = "infra-word",
    [PL_FLAG_WORD] = "flag-word",
    [PL_STEM] = "stem",
    [PL_STEM_VETO] = "stem-veto",
    [PL_CJK] = "cjk",
    [PL_CJK_NOT_STREET] = "cjk-not-street",
};

/* Which flags each list may carry, and whether it carries categories. */
static const unsigned list_flags[PL_NLISTS] = {
    [PL_TERM] = PII_F_NEED_PERSON | PII_F_INFRA | PII_F_GENERIC,
    [PL_STEM] = PII_F_VETO,
};
static const bool list_cats[PL_NLISTS] = {
    [PL_TERM] = true, [PL_CANCEL_BEFORE] = true, [PL_CANCEL_AFTER] = true,
    [PL_STEM] = true, [PL_CJK] = true,
};

static const struct {
    const char *name;
    unsigned bit;
} flag_names[] = {
    {"need-person", PII_F_NEED_PERSON},
    {"infra", PII_F_INFRA},
    {"generic", PII_F_GENERIC},
    {"veto", PII_F_VETO},
};

#define ALL_CATS ((1u << PII_NCATEGORIES) - 1)

const char *pii_list_name(enum pii_list l)
{
    return (unsigned)l < PL_NLISTS ? list_names[l] : "";
}

/* One field of a row: [p, end), cut at a tab. */
struct span {
    const char *p;
    size_t n;
};

static bool span_is(struct span s, const char *w)
{
    return strlen(w) == s.n && memcmp(s.p, w, s.n) == 0;
}

/* Comma-separated tokens of s through tok(); false on an empty or unknown token. */
static bool each_token(struct span s, bool (*tok)(struct span, unsigned *), unsigned *m)
{
    const char *p = s.p, *e = s.p + s.n;
    for (;;) {
        const char *c = memchr(p, ',', (size_t)(e - p));
        struct span t = {p, (size_t)((c ? c : e) - p)};
        if (!t.n || !tok(t, m)) return false;
        if (!c) return true;
        p = c + 1;
    }
}

static bool cat_token(struct span t, unsigned *m)
{
    char id[32];
    bool minus = t.p[0] == '-';
    if (minus) t.p++, t.n--;
    if (!t.n || t.n >= sizeof id) return false;
    if (span_is(t, "all") && !minus) {
        *m = ALL_CATS;
        return true;
    }
    memcpy(id, t.p, t.n);
    id[t.n] = '\0';
    unsigned b = pii_category_parse(id);
    if (!b) return false;
    *m = minus ? *m & ~b : *m | b;
    return true;
}

static bool flag_token(struct span t, unsigned *m)
{
    for (size_t i = 0; i < sizeof flag_names / sizeof flag_names[0]; i++)
        if (span_is(t, flag_names[i].name)) {
            *m |= flag_names[i].bit;
            return true;
        }
    return false;
}

/* A word the matcher can see: 1..PII_WORD_MAX-1 bytes, no control byte or upper-case ASCII,
 * spaces (only where allowed) single and inside. */
static bool word_ok(struct span w, bool spaces)
{
    if (!w.n || w.n >= PII_WORD_MAX) return false;
    for (size_t i = 0; i < w.n; i++) {
        unsigned char c = (unsigned char)w.p[i];
        if (c < 0x20 || c == 0x7f || (c >= 'A' && c <= 'Z')) return false;
        if (c == ' ' && (!spaces || i == 0 || i + 1 == w.n || w.p[i - 1] == ' ')) return false;
    }
    return true;
}

struct row {
    enum pii_list list;
    struct span word;
    unsigned cats, flags;
};

/* One line [p, e) without its newline into *r; false when it does not parse. */
static bool parse_row(const char *p, const char *e, struct row *r)
{
    struct span f[4];
    int nf = 0;
    if (e > p && e[-1] == '\r') e--;
    for (const char *s = p;; nf++) {
        const char *t = memchr(s, '\t', (size_t)(e - s));
        if (nf == 4) return false; /* a fifth field */
        f[nf] = (struct span){s, (size_t)((t ? t : e) - s)};
        if (!t) {
            nf++;
            break;
        }
        s = t + 1;
    }
    if (nf != 4) return false;
    r->list = PL_NLISTS;
    for (int l = 0; l < PL_NLISTS; l++)
        if (span_is(f[0], list_names[l])) r->list = (enum pii_list)l;
    if (r->list == PL_NLISTS || !word_ok(f[1], r->list == PL_TERM)) return false;
    r->word = f[1];
    r->cats = r->flags = 0;
    if (!span_is(f[2], "-") && !each_token(f[2], cat_token, &r->cats)) return false;
    if (!span_is(f[3], "-") && !each_token(f[3], flag_token, &r->flags)) return false;
    if (r->cats && !list_cats[r->list]) return false;
    return (r->flags & ~list_flags[r->list]) == 0;
}

/*
 * Two passes over the text: the first counts the rows of each list, the second puts them in
 * place, each list's rows together. Both apply the same caps in the same order, so they keep
 * the same rows.
 */
static void walk(const char *text, struct pii_words *t, bool place, size_t *at)
{
    size_t rows = 0, pool = 0;
    t->nbad = 0;
    for (const char *p = text; p && *p;) {
        const char *e = strchr(p, '\n');
        if (!e) e = p + strlen(p);
        struct row r;
        if (e > p && *p != '#' && !(e == p + 1 && *p == '\r')) {
            if (!parse_row(p, e, &r) || rows == PII_MAX_ROWS ||
                pool + r.word.n + 1 > sizeof t->pool) {
                t->nbad++;
            } else if (!place) {
                t->n[r.list]++;
                rows++, pool += r.word.n + 1;
            } else {
                char *w = t->pool + pool;
                memcpy(w, r.word.p, r.word.n);
                w[r.word.n] = '\0';
                t->row[at[r.list]++] = (struct pii_word){w, r.cats, r.flags};
                rows++, pool += r.word.n + 1;
            }
        }
        p = *e ? e + 1 : e;
    }
}

size_t pii_words_parse(const char *text, struct pii_words *t)
{
    size_t at[PL_NLISTS], total = 0;
    memset(t->first, 0, sizeof t->first);
    memset(t->n, 0, sizeof t->n);
    walk(text, t, false, NULL);
    for (int l = 0; l < PL_NLISTS; l++) {
        t->first[l] = at[l] = total;
        total += t->n[l];
    }
    walk(text, t, true, at);
    return total;
}

static struct pii_words builtin;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
    (void)pii_words_parse(pii_terms_tsv, &builtin);
}

const struct pii_words *pii_words(void)
{
    pthread_once(&once, load);
    return &builtin;
}
