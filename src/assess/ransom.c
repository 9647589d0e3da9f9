/*
 * assess/ransom.c -- names that ransom and wiper gangs leave on open stores, from
 * data/ransom-names.tsv (built in: ransom_data.c), each row with where it was read.
 *
 * A name is compared with its case and everything but letters and digits removed
 * ("READ__ME_TO_RECOVER" = "readmetorecover"). Rows: match kind, pattern, strength (strong:
 * flags a store alone; weak: a common legitimate name too, flags only the wipe pattern -- the
 * assessment decides), products, source, date. The table is parsed once; a row that does not
 * parse is left out (test_assess checks that every row of the shipped file parses).
 */
#include "assess/assess.h"
#include "core/util.h"

#include <pthread.h>
#include <string.h>

extern const char ransom_names_tsv[]; /* ransom_data.c */

enum rn_match { RN_EXACT = 1, RN_PREFIX, RN_SUFFIX, RN_CONTAINS, RN_WORD };

#define RN_MAX_ROWS 512
#define RN_MAX_PAT  48

struct rn {
    enum rn_match match;
    bool strong;
    char pat[RN_MAX_PAT];
    size_t pl; /* strlen(pat), measured once at load (every name is tried on every row) */
};

static struct rn rows[RN_MAX_ROWS];
static size_t nrows, nbad;
/* Built by parse(): the exact rows by pattern length (rows exact_idx[exact_at[l] ..
 * exact_at[l + 1]) have length l) and the other rows, so that a name tries only the exact
 * patterns of its own lengths. The answer does not depend on the order rows are tried in. */
static unsigned short exact_idx[RN_MAX_ROWS], exact_at[RN_MAX_PAT + 1], other_idx[RN_MAX_ROWS];
static size_t nother;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Field i (0-based) of a tab-separated line [p, e) into out; false when absent or too long. */
static bool field(const char *p, const char *e, int i, char *out, size_t n)
{
    for (; i > 0; i--) {
        const char *t = memchr(p, '\t', (size_t)(e - p));
        if (!t) return false;
        p = t + 1;
    }
    const char *t = memchr(p, '\t', (size_t)(e - p));
    size_t len = (size_t)((t ? t : e) - p);
    if (len == 0 || len >= n) return false;
    memcpy(out, p, len);
    out[len] = 0;
    return true;
}

static bool pat_ok(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9'))) return false;
    return true;
}

static size_t parse(const char *text, size_t *bad);

static void load(void)
{
    (void)parse(ransom_names_tsv, NULL);
}

size_t ransom_table_parse(const char *text, size_t *bad)
{
    pthread_once(&once, load); /* the built-in table first, so it never overwrites this one */
    return parse(text, bad);
}

static void index_rows(void)
{
    size_t count[RN_MAX_PAT + 1] = {0};
    nother = 0;
    for (size_t i = 0; i < nrows; i++)
        if (rows[i].match == RN_EXACT)
            count[rows[i].pl]++; /* pl < RN_MAX_PAT: the field was shorter than pat[] */
        else
            other_idx[nother++] = (unsigned short)i;
    size_t at = 0;
    for (size_t l = 0; l < RN_MAX_PAT; l++) {
        exact_at[l] = (unsigned short)at;
        at += count[l];
    }
    exact_at[RN_MAX_PAT] = (unsigned short)at;
    size_t fill[RN_MAX_PAT];
    for (size_t l = 0; l < RN_MAX_PAT; l++)
        fill[l] = exact_at[l];
    for (size_t i = 0; i < nrows; i++)
        if (rows[i].match == RN_EXACT) exact_idx[fill[rows[i].pl]++] = (unsigned short)i;
}

/* The strongest exact row whose pattern is s (len bytes): 2 strong, 1 weak, 0 none. */
static int exact_strength(const char *s, size_t len)
{
    int best = 0;
    if (len >= RN_MAX_PAT) return 0;
    for (size_t k = exact_at[len]; k < exact_at[len + 1] && best < 2; k++) {
        const struct rn *r = &rows[exact_idx[k]];
        if (!memcmp(s, r->pat, len)) best = r->strong ? 2 : 1;
    }
    return best;
}

static size_t parse(const char *text, size_t *bad)
{
    nrows = nbad = 0;
    const char *p = text;
    while (p && *p) {
        const char *e = strchr(p, '\n');
        if (!e) e = p + strlen(p);
        if (e > p && *p != '#') {
            char m[16], pat[RN_MAX_PAT], st[16];
            struct rn r = {0};
            bool ok = field(p, e, 0, m, sizeof m) && field(p, e, 1, pat, sizeof pat) &&
                      field(p, e, 2, st, sizeof st) && pat_ok(pat);
            if (ok) {
                r.match = !strcmp(m, "exact")      ? RN_EXACT
                          : !strcmp(m, "prefix")   ? RN_PREFIX
                          : !strcmp(m, "suffix")   ? RN_SUFFIX
                          : !strcmp(m, "contains") ? RN_CONTAINS
                          : !strcmp(m, "word")     ? RN_WORD
                                                   : 0;
                ok = r.match && (!strcmp(st, "strong") || !strcmp(st, "weak"));
                r.strong = !strcmp(st, "strong");
                str_copy(r.pat, pat, sizeof r.pat);
            }
            r.pl = strlen(r.pat);
            if (ok && nrows < RN_MAX_ROWS)
                rows[nrows++] = r;
            else
                nbad++;
        }
        p = *e ? e + 1 : e;
    }
    index_rows();
    if (bad) *bad = nbad;
    return nrows;
}

/* Lower-case letters and digits of s, into out (n bytes). */
static size_t flatten(const char *s, char *out, size_t n)
{
    size_t o = 0;
    for (; *s && o + 1 < n; s++) {
        char c = *s;
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out[o++] = c;
    }
    out[o] = 0;
    return o;
}

/* The next word of name at *pp (words: runs of letters, split at case changes and digits):
 * its start and length, *pp moved past it; false when none is left. */
static bool next_word(const char **pp, const char **start, size_t *len)
{
    const char *p = *pp;
    while (*p && !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
        p++;
    if (!*p) {
        *pp = p;
        return false;
    }
    const char *s = p;
    /* a word: an optional capital, then lower-case letters; or a run of capitals */
    if (*p >= 'A' && *p <= 'Z') {
        p++;
        if (*p >= 'A' && *p <= 'Z') {
            while (*p >= 'A' && *p <= 'Z' && !(p[1] >= 'a' && p[1] <= 'z'))
                p++;
        } else {
            while (*p >= 'a' && *p <= 'z')
                p++;
        }
    } else {
        while (*p >= 'a' && *p <= 'z')
            p++;
    }
    *pp = p;
    *start = s;
    *len = (size_t)(p - s);
    return true;
}

/* A word of a name, lower-cased, is w (wl bytes, lower-case)? */
static bool word_is(const char *s, size_t l, const char *w, size_t wl)
{
    if (l != wl || !l) return false;
    for (size_t i = 0; i < l; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != w[i]) return false;
    }
    return true;
}

/* The words of a name, split once for all the word rows: up to RN_WORDS, else -1 (then each
 * row splits the name again, in has_word). */
#define RN_WORDS 64
struct name_words {
    const char *s[RN_WORDS];
    size_t l[RN_WORDS];
    int n; /* -2: not split yet */
};

static void split_name(const char *name, struct name_words *nw)
{
    const char *p = name, *s;
    size_t l;
    nw->n = 0;
    while (next_word(&p, &s, &l)) {
        if (nw->n == RN_WORDS) {
            nw->n = -1;
            return;
        }
        nw->s[nw->n] = s;
        nw->l[nw->n++] = l;
    }
}

/* Is w one of the words of name? */
static bool has_word(const char *name, const char *w, size_t wl, struct name_words *nw)
{
    if (nw->n == -2) split_name(name, nw);
    if (nw->n >= 0) {
        for (int i = 0; i < nw->n; i++)
            if (word_is(nw->s[i], nw->l[i], w, wl)) return true;
        return false;
    }
    const char *p = name, *s;
    size_t l;
    while (next_word(&p, &s, &l))
        if (word_is(s, l, w, wl)) return true;
    return false;
}

int ransom_strength(const char *name)
{
    if (!name || !*name) return 0;
    pthread_once(&once, load);
    char flat[FINDING_MAX_NAME], core[FINDING_MAX_NAME];
    size_t fl = flatten(name, flat, sizeof flat);
    if (!fl) return 0;
    str_copy(core, flat, sizeof core);
    size_t cl = fl;
    while (cl > 0 && core[cl - 1] >= '0' && core[cl - 1] <= '9') /* readme2, backup1 */
        core[--cl] = 0;
    struct name_words nw;
    nw.n = -2;
    int best = exact_strength(flat, fl);
    if (best < 2 && cl) {
        int b = exact_strength(core, cl);
        if (b > best) best = b;
    }
    for (size_t k = 0; k < nother && best < 2; k++) {
        const struct rn *r = &rows[other_idx[k]];
        size_t pl = r->pl;
        bool hit = false;
        switch (r->match) {
        case RN_EXACT: /* exact_strength() above */
            break;
        case RN_PREFIX:
            hit = fl >= pl && !memcmp(flat, r->pat, pl);
            break;
        case RN_SUFFIX:
            hit = (fl >= pl && !memcmp(flat + fl - pl, r->pat, pl)) ||
                  (cl >= pl && !memcmp(core + cl - pl, r->pat, pl));
            break;
        case RN_CONTAINS:
            hit = fl <= pl + 16 && strstr(flat, r->pat) != NULL;
            break;
        case RN_WORD:
            hit = has_word(name, r->pat, pl, &nw);
            break;
        }
        if (hit) best = r->strong ? 2 : (best ? best : 1);
    }
    return best;
}

bool ransom_name(const char *name)
{
    return ransom_strength(name) > 0;
}
