/*
 * assess/pii.c -- does a name look like personal data? And does it look
 * like a ransom note?
 *
 * Probes report only names: indices, collections, tables, fields. Whether a
 * store holds personal data is therefore a guess from words, and the guess
 * must work on what real deployments are called: English snake_case and
 * camelCase, Chinese systems named in full pinyin (xingming), in pinyin
 * initials (xm, sfzh, sjhm) or in characters (姓名, 身份证号), and European
 * and Russian schemas in their own words. The matcher:
 *
 *  1. splits a name into words: on anything not a letter, on digits, on
 *     camelCase humps (SSNNumber -> ssn number), on script changes; folds
 *     Latin-1 accents (teléfono -> telefono, Straße -> strasse) and Cyrillic
 *     case; keeps a run of CJK characters as one word;
 *  2. looks words up in a phrase table, longest phrase first ("email
 *     address" is e-mail, not a street), with plural forms accepted;
 *  3. applies context, which is where most false positives die: the word
 *     before ("ip address", "file location") and the words after
 *     ("phone_model", "email_template", "health_status", "address_id")
 *     cancel a category; an English "name" counts only after a person word
 *     (first_name, customer_name; not product_name or user_name); a name
 *     starting with is_/has_/enable_ is a flag, not the value;
 *  4. falls back to glued stems inside long words (customerfirstname,
 *     shenfenzhenghao, geburtsdatum) and to substrings in CJK runs.
 *
 * "person" (the rows are people: person_info, citizens) is reported only
 * when nothing more specific matched, so customer_phone is "phone".
 *
 * The words (phrases, context words, stems, CJK substrings) are data:
 * data/pii-terms.tsv, built in and parsed once at the first use
 * (pii_words.c); this file holds the matcher. Decisions on debatable words
 * are in docs/signals.md; the labelled list in tests/unit/pii_labels.tsv
 * measures the result.
 */
#include "assess/assess.h"
#include "assess/pii_words.h"
#include "core/util.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* the ids are the record's (core/finding.c: a mark's "personal"), bit for bit */
_Static_assert(PII_NCATEGORIES == FINDING_PERSONAL_KINDS, "one id per category");
static const char *const cat_labels[PII_NCATEGORIES] = {
    "person name",     "national ID number",
    "phone number",    "postal address",
    "e-mail address",  "birth date",
    "passport number", "bank card or account",
    "vehicle plate",   "criminal or case record",
    "health",          "location",
    "person records",
};

static int bit_index(unsigned bit)
{
    for (int i = 0; i < PII_NCATEGORIES; i++)
        if (bit == 1u << i) return i;
    return -1;
}

const char *pii_category_name(unsigned bit)
{
    return finding_personal_id(bit);
}

const char *pii_category_label(unsigned bit)
{
    int i = bit_index(bit);
    return i < 0 ? "" : cat_labels[i];
}

unsigned pii_category_parse(const char *id)
{
    return finding_personal_parse(id);
}

/* ---- words ---- */

#define MAXTOK 24
#define TOKLEN 64
enum script { SC_NONE, SC_LATIN, SC_CYR, SC_CJK };

struct words {
    char w[MAXTOK][TOKLEN];
    enum script sc[MAXTOK];
    int n;
    bool exhaustive; /* pii_classify_exhaustive(): no index, every list read whole */
};

struct splitter {
    struct words *ws;
    char cur[TOKLEN];
    size_t len;
    enum script sc;
    int upper_run; /* trailing uppercase ASCII letters in cur */
    bool last_lower;
};

static void sp_flush(struct splitter *s)
{
    if (s->len > 0 && s->ws->n < MAXTOK) {
        memcpy(s->ws->w[s->ws->n], s->cur, s->len);
        s->ws->w[s->ws->n][s->len] = '\0';
        s->ws->sc[s->ws->n] = s->sc;
        s->ws->n++;
    }
    s->len = 0;
    s->sc = SC_NONE;
    s->upper_run = 0;
    s->last_lower = false;
}

static void sp_bytes(struct splitter *s, enum script sc, const char *p, size_t n)
{
    if (s->sc != sc && s->len) sp_flush(s);
    s->sc = sc;
    if (s->len + n < TOKLEN) {
        memcpy(s->cur + s->len, p, n);
        s->len += n;
    }
}

/* An ASCII (or folded) letter with its case, for the camelCase rules. */
static void sp_letter(struct splitter *s, char c, bool upper)
{
    if (s->sc == SC_LATIN && s->len) {
        if (upper && s->last_lower) {
            sp_flush(s); /* fooBar */
        } else if (!upper && s->upper_run >= 2) {
            /* SSNNumber: the last capital starts the next word */
            char keep = s->cur[s->len - 1];
            s->len--;
            sp_flush(s);
            sp_bytes(s, SC_LATIN, &keep, 1);
        }
    }
    char lc = (char)(upper && c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    sp_bytes(s, SC_LATIN, &lc, 1);
    s->upper_run = upper ? s->upper_run + 1 : 0;
    s->last_lower = !upper;
}

/* Latin-1 supplement letters (second byte after 0xC3) folded to ASCII. */
static const char latin1_fold[64] = "AAAAAAACEEEEIIII"
                                    "DNOOOOO\0OUUUUYTs"
                                    "aaaaaaaceeeeiiii"
                                    "dnooooo\0ouuuuyty";

static void split_words(const char *name, struct words *ws)
{
    struct splitter s;
    memset(&s, 0, sizeof s);
    memset(ws, 0, sizeof *ws);
    s.ws = ws;
    const unsigned char *p = (const unsigned char *)name;
    while (*p) {
        unsigned c = p[0];
        if (c < 0x80) {
            if (c >= 'a' && c <= 'z')
                sp_letter(&s, (char)c, false);
            else if (c >= 'A' && c <= 'Z')
                sp_letter(&s, (char)c, true);
            else
                sp_flush(&s);
            p++;
        } else if (c == 0xC3 && p[1] >= 0x80 && p[1] <= 0xBF) {
            char f = latin1_fold[p[1] - 0x80];
            if (p[1] == 0x9F) { /* ß */
                sp_letter(&s, 's', false);
                sp_letter(&s, 's', false);
            } else if (f) {
                sp_letter(&s, f, p[1] < 0xA0);
            } else {
                sp_flush(&s);
            }
            p += 2;
        } else if ((c == 0xD0 || c == 0xD1) && p[1] >= 0x80 && p[1] <= 0xBF) {
            unsigned char o[2] = {(unsigned char)c, p[1]};
            if (c == 0xD0 && p[1] >= 0x90 && p[1] <= 0x9F) { /* А-П */
                o[1] = (unsigned char)(p[1] + 0x20);
            } else if (c == 0xD0 && p[1] >= 0xA0 && p[1] <= 0xAF) { /* Р-Я */
                o[0] = 0xD1;
                o[1] = (unsigned char)(p[1] - 0x20);
            } else if (c == 0xD0 && p[1] == 0x81) { /* Ё */
                o[0] = 0xD1;
                o[1] = 0x91;
            }
            if (o[0] == 0xD1 && o[1] == 0x91) o[0] = 0xD0, o[1] = 0xB5; /* ё -> е */
            sp_bytes(&s, SC_CYR, (const char *)o, 2);
            p += 2;
        } else if (c >= 0xE3 && c <= 0xE9 && p[1] >= 0x80 && p[1] <= 0xBF && p[2] >= 0x80 &&
                   p[2] <= 0xBF) {
            /* U+3000..U+9FFF: CJK punctuation is a separator, the rest a character. */
            if (c == 0xE3 && p[1] == 0x80)
                sp_flush(&s);
            else
                sp_bytes(&s, SC_CJK, (const char *)p, 3);
            p += 3;
        } else {
            sp_flush(&s);
            p++;
            while ((*p & 0xC0) == 0x80)
                p++;
        }
    }
    sp_flush(&s);
}

/* Word equality with the plural forms of Latin words accepted. */
static bool word_eq(const char *tok, const char *w)
{
    if (strcmp(tok, w) == 0) return true;
    size_t tl = strlen(tok), wl = strlen(w);
    if (tl < 4 || tl <= wl || strncmp(tok, w, wl) != 0) return false;
    const char *rest = tok + wl;
    if (strcmp(rest, "s") == 0) return w[wl - 1] != 's';
    if (strcmp(rest, "es") == 0) return true;
    return false;
}

static bool plural_y(const char *tok, const char *w)
{
    size_t tl = strlen(tok), wl = strlen(w);
    return wl > 2 && w[wl - 1] == 'y' && tl == wl + 2 && strncmp(tok, w, wl - 1) == 0 &&
           strcmp(tok + wl - 1, "ies") == 0;
}

/* ---- the dictionary's lists (data/pii-terms.tsv, parsed by pii_words.c) ---- */

/* The lists, set once by index_build() before the first classify(). */
static const struct pii_words *dict;

static bool in_list(const char *w, enum pii_list l)
{
    const struct pii_word *list = pii_list(dict, l);
    for (size_t i = 0; i < dict->n[l]; i++)
        if (strcmp(w, list[i].w) == 0) return true;
    return false;
}

/* The cancel-before and cancel-after lists sorted by word (built with the term index). */
static struct pii_word before_sorted[PII_MAX_ROWS], after_sorted[PII_MAX_ROWS];

static int ctxword_cmp(const void *a, const void *b)
{
    return strcmp(((const struct pii_word *)a)->w, ((const struct pii_word *)b)->w);
}

/* The first i < n with at(i) >= k (strcmp order; the entries are sorted), or n. */
static size_t lower_bound(size_t n, const char *k, const void *arr,
                          const char *(*at)(const void *, size_t))
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(at(arr, mid), k) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const char *ctxword_at(const void *arr, size_t i)
{
    return ((const struct pii_word *)arr)[i].w;
}

/* The categories word j of ws cancels, by list (PL_CANCEL_BEFORE or PL_CANCEL_AFTER). */
static unsigned ctx_cancel(const struct words *ws, int j, enum pii_list l)
{
    const char *w = ws->w[j];
    const struct pii_word *list = pii_list(dict, l);
    size_t n = dict->n[l];
    unsigned m = 0;
    if (ws->exhaustive) {
        for (size_t i = 0; i < n; i++)
            if (strcmp(w, list[i].w) == 0) m |= list[i].cats;
        return m;
    }
    const struct pii_word *sorted = l == PL_CANCEL_BEFORE ? before_sorted : after_sorted;
    for (size_t lo = lower_bound(n, w, sorted, ctxword_at); lo < n && !strcmp(sorted[lo].w, w);
         lo++)
        m |= sorted[lo].cats;
    return m;
}

/* Words of a term match ws->w[at..]? Returns how many words, 0 for no. */
static int term_match(const struct words *ws, int at, const char *term)
{
    int k = 0;
    const char *p = term;
    while (*p) {
        const char *sp = strchr(p, ' ');
        size_t len = sp ? (size_t)(sp - p) : strlen(p);
        if (at + k >= ws->n || len >= TOKLEN) return 0;
        char w[TOKLEN];
        memcpy(w, p, len);
        w[len] = '\0';
        const char *tok = ws->w[at + k];
        bool last = sp == NULL;
        bool ok = strcmp(tok, w) == 0;
        /* plurals only on the last Latin word: "phones", "home_addresses" */
        if (!ok && last && ws->sc[at + k] == SC_LATIN) ok = word_eq(tok, w) || plural_y(tok, w);
        if (!ok) return 0;
        k++;
        p = sp ? sp + 1 : p + len;
    }
    return k;
}

/* ---- glued stems inside long words ---- */

/* strlen() of every stem and stem veto, measured once by index_build() (every word that no
 * term matched tries every stem) */
static size_t stem_len[PII_MAX_ROWS], veto_len[PII_MAX_ROWS];

static unsigned stem_match(const char *tok)
{
    const struct pii_word *stems = pii_list(dict, PL_STEM);
    const struct pii_word *veto = pii_list(dict, PL_STEM_VETO);
    unsigned cats = 0;
    size_t tl = strlen(tok);
    for (size_t i = 0; i < dict->n[PL_STEM]; i++) {
        if (tl <= stem_len[i]) continue;
        const char *hit = strstr(tok, stems[i].w);
        if (!hit) continue;
        bool cancelled = false;
        size_t nveto = stems[i].flags & PII_F_VETO ? dict->n[PL_STEM_VETO] : 0;
        for (size_t b = 0; b < nveto && !cancelled; b++) {
            size_t bl = veto_len[b];
            if ((size_t)(hit - tok) >= bl && strncmp(hit - bl, veto[b].w, bl) == 0)
                cancelled = true;
        }
        if (!cancelled) cats |= stems[i].cats;
    }
    return cats;
}

/* ---- CJK runs: substrings ---- */

static unsigned cjk_match(const struct words *ws, int i)
{
    const struct pii_word *not_street = pii_list(dict, PL_CJK_NOT_STREET);
    const struct pii_word *cjk = pii_list(dict, PL_CJK);
    char tok[TOKLEN];
    str_copy(tok, ws->w[i], sizeof tok);
    /* blank out the compounds that are not a street, keeping byte offsets */
    for (size_t k = 0; k < dict->n[PL_CJK_NOT_STREET]; k++) {
        char *hit;
        while ((hit = strstr(tok, not_street[k].w)) != NULL)
            memset(hit, ' ', strlen(not_street[k].w));
    }
    unsigned cats = 0;
    for (size_t k = 0; k < dict->n[PL_CJK]; k++) {
        const char *hit = strstr(tok, cjk[k].w);
        if (!hit) hit = strstr(ws->w[i], cjk[k].w);
        if (!hit) continue;
        if (cjk[k].cats == PII_ADDRESS) {
            /* only in the blanked copy, and not right after "ip"/"mac" */
            if (!strstr(tok, cjk[k].w)) continue;
            if (i > 0 && strstr(tok, cjk[k].w) == tok &&
                (ctx_cancel(ws, i - 1, PL_CANCEL_BEFORE) & PII_ADDRESS))
                continue;
        }
        cats |= cjk[k].cats;
    }
    return cats;
}

/* ---- which terms can start at a word: an index of their first words ----
 *
 * Trying every phrase of the table at every word cost a term_match() per
 * phrase and word (over 600 of them): about 20 us per name, so up to 4 ms
 * for a finding's 100 names and 100 fields, most of its assessment. The
 * index, built once, maps a first word to its terms; a word then tries only
 * the terms whose first word is the word itself or one of its singulars
 * (what term_match() accepts on a one-word phrase: "phones" -> "phone",
 * "addresses" -> "address", "companies" -> "company"), still through
 * term_match() and still in table order, so the answer is the one the full
 * loop gives: pii_classify_exhaustive() keeps that loop, and test_pii
 * compares the two. The context words (the cancel-before and cancel-after lists),
 * looked up for every word after a match, are binary-searched in sorted
 * copies the same way. */

#define TERM_WORDS_MAX (PII_MAX_ROWS / 64)

struct first_word {
    char w[TOKLEN];
    unsigned t; /* index in the term list */
};
static struct first_word firsts[PII_MAX_ROWS];
static size_t nfirsts;
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

static int first_cmp(const void *a, const void *b)
{
    const struct first_word *x = a, *y = b;
    int c = strcmp(x->w, y->w);
    return c ? c : (x->t > y->t) - (x->t < y->t);
}

/* The lists (parsed now, at the first use) and the index of the terms' first words. */
static void index_build(void)
{
    dict = pii_words();
    const struct pii_word *terms = pii_list(dict, PL_TERM);
    for (unsigned k = 0; k < dict->n[PL_TERM]; k++) {
        const char *sp = strchr(terms[k].w, ' ');
        size_t len = sp ? (size_t)(sp - terms[k].w) : strlen(terms[k].w);
        if (len == 0 || len >= TOKLEN) continue; /* term_match() never matches it */
        memcpy(firsts[nfirsts].w, terms[k].w, len);
        firsts[nfirsts].w[len] = '\0';
        firsts[nfirsts].t = k;
        nfirsts++;
    }
    qsort(firsts, nfirsts, sizeof *firsts, first_cmp);
    size_t nb = dict->n[PL_CANCEL_BEFORE], na = dict->n[PL_CANCEL_AFTER];
    memcpy(before_sorted, pii_list(dict, PL_CANCEL_BEFORE), nb * sizeof *before_sorted);
    qsort(before_sorted, nb, sizeof *before_sorted, ctxword_cmp);
    memcpy(after_sorted, pii_list(dict, PL_CANCEL_AFTER), na * sizeof *after_sorted);
    qsort(after_sorted, na, sizeof *after_sorted, ctxword_cmp);
    const struct pii_word *stems = pii_list(dict, PL_STEM), *veto = pii_list(dict, PL_STEM_VETO);
    for (size_t i = 0; i < dict->n[PL_STEM]; i++)
        stem_len[i] = strlen(stems[i].w);
    for (size_t i = 0; i < dict->n[PL_STEM_VETO]; i++)
        veto_len[i] = strlen(veto[i].w);
}

static const char *first_at(const void *arr, size_t i)
{
    return ((const struct first_word *)arr)[i].w;
}

/* Set the bit of every term whose first word is key[0..len). */
static void mark_terms(const char *key, size_t len, uint64_t *bits)
{
    char k[TOKLEN];
    if (len >= TOKLEN) return;
    memcpy(k, key, len);
    k[len] = '\0';
    for (size_t lo = lower_bound(nfirsts, k, firsts, first_at);
         lo < nfirsts && !strcmp(firsts[lo].w, k); lo++)
        bits[firsts[lo].t / 64] |= 1ull << (firsts[lo].t % 64);
}

/* Every term that can match at a word: its first word is tok, or a singular of tok. */
static void candidates(const char *tok, uint64_t *bits, size_t nbits)
{
    size_t tl = strlen(tok);
    memset(bits, 0, nbits * sizeof *bits);
    mark_terms(tok, tl, bits);
    if (tl >= 2 && tok[tl - 1] == 's') mark_terms(tok, tl - 1, bits);
    if (tl >= 3 && strcmp(tok + tl - 2, "es") == 0) mark_terms(tok, tl - 2, bits);
    if (tl >= 4 && strcmp(tok + tl - 3, "ies") == 0) {
        char y[TOKLEN];
        memcpy(y, tok, tl - 3);
        y[tl - 3] = 'y';
        mark_terms(y, tl - 2, bits);
    }
}

/* The longest term at word i (the first in table order among equals); 0 and NULL for none. */
static int best_term(const struct words *ws, int i, bool exhaustive, const struct pii_word **bt)
{
    const struct pii_word *terms = pii_list(dict, PL_TERM);
    size_t nterms = dict->n[PL_TERM];
    int best = 0;
    *bt = NULL;
    if (exhaustive) {
        for (size_t k = 0; k < nterms; k++) {
            int m = term_match(ws, i, terms[k].w);
            if (m > best) {
                best = m;
                *bt = &terms[k];
            }
        }
        return best;
    }
    uint64_t bits[TERM_WORDS_MAX];
    size_t nbits = (nterms + 63) / 64;
    candidates(ws->w[i], bits, nbits);
    for (size_t b = 0; b < nbits; b++) {
        for (uint64_t x = bits[b]; x; x &= x - 1) {
            size_t k = b * 64 + (size_t)__builtin_ctzll(x);
            int m = term_match(ws, i, terms[k].w);
            if (m > best) {
                best = m;
                *bt = &terms[k];
            }
        }
    }
    return best;
}

static unsigned classify(const char *name, bool exhaustive)
{
    if (!name || !name[0]) return 0;
    struct words ws;
    split_words(name, &ws);
    ws.exhaustive = exhaustive;
    if (ws.n == 0) return 0;
    if (ws.n > 1 && in_list(ws.w[0], PL_FLAG_WORD)) return 0;

    unsigned cats = 0;
    for (int i = 0; i < ws.n;) {
        if (ws.sc[i] == SC_CJK) {
            cats |= cjk_match(&ws, i);
            i++;
            continue;
        }
        /* longest phrase at i */
        const struct pii_word *bt;
        int best = best_term(&ws, i, exhaustive, &bt);
        if (!bt) {
            if (ws.sc[i] != SC_CJK) {
                unsigned c = stem_match(ws.w[i]);
                if (c && i + 1 < ws.n) c &= ~ctx_cancel(&ws, i + 1, PL_CANCEL_AFTER);
                cats |= c;
            }
            i++;
            continue;
        }
        unsigned c = bt->cats;
        if ((bt->flags & PII_F_NEED_PERSON) && !(i > 0 && in_list(ws.w[i - 1], PL_PERSON_WORD)))
            c = 0;
        if (i > 0) {
            unsigned before = ctx_cancel(&ws, i - 1, PL_CANCEL_BEFORE);
            /* "user_xm" is a user's name; "user_name" is a login: only a bare name word */
            if (!(bt->flags & PII_F_GENERIC)) before &= ~(unsigned)PII_NAME;
            c &= ~before;
        }
        if (bt->flags & PII_F_INFRA) {
            /* "health" of a cluster, node or service, or its status/state */
            if (i > 0 && in_list(ws.w[i - 1], PL_INFRA_WORD)) c = 0;
            for (int j = i + best; j < ws.n; j++)
                if (in_list(ws.w[j], PL_INFRA_WORD)) c = 0;
        }
        for (int j = i + best; j < ws.n; j++)
            c &= ~ctx_cancel(&ws, j, PL_CANCEL_AFTER);
        cats |= c;
        i += best;
    }
    if (cats & ~(unsigned)PII_PERSON) cats &= ~(unsigned)PII_PERSON;
    return cats;
}

unsigned pii_classify(const char *name)
{
    pthread_once(&index_once, index_build);
    return classify(name, false);
}

unsigned pii_classify_exhaustive(const char *name)
{
    pthread_once(&index_once, index_build); /* the lists; the index goes unused */
    return classify(name, true);
}
