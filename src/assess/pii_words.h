/*
 * assess/pii_words.h -- the personal-data dictionary's word lists (data/pii-terms.tsv, built
 * in), as pii.c's matcher reads them. Inside assess/ only; the public face is assess.h's
 * pii_classify().
 */
#ifndef AJAR_ASSESS_PII_WORDS_H
#define AJAR_ASSESS_PII_WORDS_H

#include <stddef.h>

/* The lists, in the data file's "list" column (pii_words.c names them). */
enum pii_list {
    PL_TERM,           /* a phrase and the categories it means; order matters */
    PL_PERSON_WORD,    /* a word before English "name" that makes it a person's */
    PL_CANCEL_BEFORE,  /* a word right before a term: takes its categories away */
    PL_CANCEL_AFTER,   /* a word after a term: takes its categories away */
    PL_INFRA_WORD,     /* a word around a term flagged PII_F_INFRA: a machine's */
    PL_FLAG_WORD,      /* a first word that makes the whole name a flag or a count */
    PL_STEM,           /* a stem inside a longer glued word */
    PL_STEM_VETO,      /* a prefix inside the word that cancels a stem flagged PII_F_VETO */
    PL_CJK,            /* a substring of a run of CJK characters */
    PL_CJK_NOT_STREET, /* a compound whose 地址 is not a street */
    PL_NLISTS
};

/* flags */
#define PII_F_NEED_PERSON 0x1u /* term: counts only after a person word (English "name") */
#define PII_F_INFRA       0x2u /* term: also a machine word ("health_status", "cluster_health") */
#define PII_F_GENERIC     0x4u /* term: a bare "name" word; things and users have names too */
#define PII_F_VETO        0x8u /* stem: cancelled after a PL_STEM_VETO prefix */

#define PII_WORD_MAX  64   /* bytes of a word with its NUL */
#define PII_MAX_ROWS  2048 /* rows of all lists together */
#define PII_WORD_POOL (32u << 10)

struct pii_word {
    const char *w;  /* the word or phrase (words separated by one space) */
    unsigned cats;  /* enum pii_category bits (what a cancel list cancels) */
    unsigned flags; /* PII_F_* */
};

/* Parsed lists: list l is row[first[l] .. first[l] + n[l]), in the file's order. */
struct pii_words {
    struct pii_word row[PII_MAX_ROWS];
    size_t first[PL_NLISTS], n[PL_NLISTS];
    size_t nbad; /* rows that did not parse (or found the table full): left out */
    char pool[PII_WORD_POOL];
};

/* The built-in lists, parsed at the first call (thread-safe); never NULL. */
const struct pii_words *pii_words(void);
/* Parse a table in data/pii-terms.tsv's format into *t (tests, the fuzzer): the rows kept; a
 * row that does not parse is counted in t->nbad and left out. text is NUL-terminated. */
size_t pii_words_parse(const char *text, struct pii_words *t);
/* The data file's name of a list ("cancel-before"), "" for anything else. */
const char *pii_list_name(enum pii_list l);

static inline const struct pii_word *pii_list(const struct pii_words *t, enum pii_list l)
{
    return t->row + t->first[l];
}

#endif
