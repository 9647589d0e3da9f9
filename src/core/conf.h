/*
 * core/conf.h -- the reader of ajar's configuration files (docs/config.md):
 * `key = value` lines, blank lines and lines whose first non-blank
 * character is '#'. Nothing else: no sections, no quoting, no comment at the
 * end of a value ('#' is part of a URL or a password), no continuation lines.
 *
 * Only the syntax lives here; which keys exist and what their values may be
 * is cli/config.c's table. A configuration file is written by a person but
 * read as hostile bytes: the file is capped at CONF_FILE_MAX bytes, a line at
 * CONF_LINE_MAX, the entries at CONF_ENTRIES_MAX; a NUL or a control
 * character (other than a tab, and a CR before the newline) is refused. The
 * reader is a push parser (conf_feed takes any chunk: the file whole, byte by
 * byte, split anywhere, with the same result) so it can be tested and fuzzed
 * the way the network parsers are.
 *
 * Every error is one sentence "NAME:LINE: what is wrong" (NAME as given to
 * conf_init). It never quotes the line: a line that does not parse may well
 * hold a token or a password.
 */
#ifndef AJAR_CORE_CONF_H
#define AJAR_CORE_CONF_H

#include "core/util.h"

#include <stdbool.h>
#include <stddef.h>

#define CONF_FILE_MAX    (64u * 1024u)
#define CONF_LINE_MAX    4096u /* bytes of one line, without its newline */
#define CONF_KEY_MAX     64u
#define CONF_ENTRIES_MAX 512u

/* One `key = value` line: both strings NUL-terminated, owned by the struct conf. */
struct conf_entry {
    char *key;   /* [a-z][a-z0-9._-]* */
    char *value; /* blanks around it removed; may be empty */
    unsigned line;
};

struct conf {
    struct conf_entry *v; /* the entries in file order */
    size_t n, cap;
    /* the push parser's state */
    char name[200];
    char buf[CONF_LINE_MAX + 1]; /* the line being read */
    size_t len;
    unsigned line;    /* the number of the line being read (1-based) */
    size_t total;     /* bytes fed so far */
    bool failed;      /* an error was returned: everything after is refused */
    bool crlf_ending; /* at least one line ended in CR LF (tolerated) */
};

/* An empty reader; name is the file's name in messages (copied, truncated to fit). */
void conf_init(struct conf *c, const char *name);
/*
 * The next n bytes of the file. 0, or -1 with e = "NAME:LINE: ..." (the file is too big, a
 * line too long or one that does not parse, a NUL or control byte, too many entries, out of
 * memory). After an error every later call fails too ("...: the file was refused (an earlier
 * error)"): a file is taken whole or not at all.
 */
int conf_feed(struct conf *c, const void *data, size_t n, struct err *e);
/* The end of the file (a last line without a newline counts). 0, or -1 with e set. */
int conf_finish(struct conf *c, struct err *e);
/* Free the entries; c can be conf_init'ed again. */
void conf_free(struct conf *c);

/*
 * Parse a whole file's bytes: conf_init(name), conf_feed, conf_finish. On failure c is freed
 * (no entries) and -1 returned with e set.
 */
int conf_parse(struct conf *c, const char *name, const void *data, size_t n, struct err *e);

#endif
