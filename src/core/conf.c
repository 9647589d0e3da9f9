/*
 * core/conf.c -- the `key = value` reader of configuration files (conf.h).
 *
 * Bytes go into a line buffer of CONF_LINE_MAX; a newline hands the line to
 * take_line(), which drops blanks and comments and splits the rest at the
 * first '='. The checks that look at single bytes (NUL, control characters,
 * the size caps) fire on the byte that breaks them, so the result and the
 * message are the same however the file is cut into chunks. The first error
 * is kept and repeated: a file is accepted whole or not at all.
 */
#include "core/conf.h"

#include <stdlib.h>
#include <string.h>

void conf_init(struct conf *c, const char *name)
{
    memset(c, 0, sizeof *c);
    str_copy(c->name, name ? name : "-", sizeof c->name);
    c->line = 1;
}

void conf_free(struct conf *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].key);
        free(c->v[i].value);
    }
    free(c->v);
    c->v = NULL;
    c->n = c->cap = 0;
}

/* Refuse the file from here on: e = "NAME:LINE: why". */
static int fail(struct conf *c, struct err *e, const char *why)
{
    c->failed = true;
    return err_set(e, "%s:%u: %s", c->name, c->line, why);
}

static bool blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

static bool key_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
           ch == '_';
}

/* One complete line, c->buf[0..c->len) without its newline. */
static int take_line(struct conf *c, struct err *e)
{
    char *s = c->buf;
    size_t n = c->len;
    if (n && s[n - 1] == '\r') {
        n--;
        c->crlf_ending = true;
    }
    /* a UTF-8 byte order mark, as some editors write one */
    if (c->line == 1 && n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) {
        s += 3;
        n -= 3;
    }
    if (memchr(s, '\r', n)) return fail(c, e, "a carriage return inside the line");
    size_t i = 0;
    while (i < n && blank(s[i]))
        i++;
    if (i == n || s[i] == '#') return 0;
    if (!(s[i] >= 'a' && s[i] <= 'z'))
        return fail(c, e, "expected KEY = VALUE (a key starts with a lowercase letter)");
    size_t k0 = i;
    while (i < n && key_char(s[i]))
        i++;
    size_t kl = i - k0;
    if (kl > CONF_KEY_MAX) return fail(c, e, "a key longer than 64 characters");
    while (i < n && blank(s[i]))
        i++;
    if (i == n || s[i] != '=')
        return fail(c, e,
                    "expected KEY = VALUE (a key is lowercase letters, digits, '-', '.' and '_', "
                    "then '=')");
    i++;
    while (i < n && blank(s[i]))
        i++;
    size_t vend = n;
    while (vend > i && blank(s[vend - 1]))
        vend--;
    if (c->n >= CONF_ENTRIES_MAX) return fail(c, e, "more than 512 settings");
    struct conf_entry *nv = arr_grow(c->v, c->n, &c->cap, sizeof *nv, 16);
    if (!nv) return fail(c, e, "out of memory");
    c->v = nv;
    char *key = xstrndup(s + k0, kl), *val = xstrndup(s + i, vend - i);
    if (!key || !val) {
        free(key);
        free(val);
        return fail(c, e, "out of memory");
    }
    c->v[c->n++] = (struct conf_entry){key, val, c->line};
    return 0;
}

int conf_feed(struct conf *c, const void *data, size_t n, struct err *e)
{
    const unsigned char *p = data;
    if (c->failed) return fail(c, e, "the file was refused (an earlier error)");
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = p[i];
        if (++c->total > CONF_FILE_MAX) return fail(c, e, "the file is larger than 64 KiB");
        if (ch == '\n') {
            if (take_line(c, e) < 0) return -1;
            c->len = 0;
            c->line++;
            continue;
        }
        if (ch == 0) return fail(c, e, "a NUL byte");
        if ((ch < 0x20 && ch != '\t' && ch != '\r') || ch == 0x7f)
            return fail(c, e, "a control character");
        if (c->len >= CONF_LINE_MAX) return fail(c, e, "a line longer than 4096 bytes");
        c->buf[c->len++] = (char)ch;
    }
    return 0;
}

int conf_finish(struct conf *c, struct err *e)
{
    if (c->failed) return fail(c, e, "the file was refused (an earlier error)");
    if (c->len) {
        if (take_line(c, e) < 0) return -1;
        c->len = 0;
    }
    return 0;
}

int conf_parse(struct conf *c, const char *name, const void *data, size_t n, struct err *e)
{
    conf_init(c, name);
    if (conf_feed(c, data, n, e) < 0 || conf_finish(c, e) < 0) {
        conf_free(c);
        return -1;
    }
    return 0;
}
