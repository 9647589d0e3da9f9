/*
 * kit/escape.c -- escaping for HTML, URLs and Slack's mrkdwn (see kit.h):
 * the one place the report, the dashboard and the alerts take their entities
 * from.
 */
#include "kit/kit.h"

#include <stdint.h>
#include <string.h>

/* The escaper, writing its runs through out: a buffer's or a stream's. */
typedef void (*kit_out)(void *arg, const void *p, size_t n);

static void html_emit(kit_out out, void *arg, const char *s, size_t max)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)(s ? s : ""), *run = p;
    for (; *p; p++, n++) {
        const char *rep = NULL;
        if (n >= max && (*p & 0xc0) != 0x80) {
            out(arg, run, (size_t)(p - run));
            out(arg, "\xe2\x80\xa6", 3); /* an ellipsis: the rest was cut */
            return;
        }
        switch (*p) {
        case '&':
            rep = KIT_AMP;
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            if (*p < 0x20 || *p == 0x7f) rep = "?";
        }
        if (rep) {
            out(arg, run, (size_t)(p - run));
            out(arg, rep, strlen(rep));
            run = p + 1;
        }
    }
    out(arg, run, (size_t)(p - run));
}

static void to_buf(void *arg, const void *p, size_t n)
{
    buf_append(arg, p, n); /* even 0: the buffer ends NUL-terminated, as before */
}

static void to_file(void *arg, const void *p, size_t n)
{
    if (n) fwrite(p, 1, n, arg);
}

void kit_html_n(struct buf *b, const char *s, size_t max)
{
    html_emit(to_buf, b, s, max);
}

/* The same bytes straight to a stream (the report's pages: no buffer per string). */
void kit_html_fp(FILE *fp, const char *s, size_t max)
{
    html_emit(to_file, fp, s, max);
}

void kit_url(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~')
            buf_append(b, s, 1);
        else
            buf_appendf(b, "%%%c%c", hex[c >> 4], hex[c & 15]);
    }
}

int kit_slack(struct buf *b, const char *s, bool code)
{
    for (const char *p = s ? s : "", *run = p;; p++) {
        const char *rep = *p == '&'           ? KIT_AMP
                          : *p == '<'         ? "&lt;"
                          : *p == '>'         ? "&gt;"
                          : code && *p == '`' ? "'"
                                              : NULL;
        if (!rep && *p) continue;
        if (buf_append(b, run, (size_t)(p - run)) < 0) return -1;
        if (!*p) return 0;
        if (buf_append(b, rep, strlen(rep)) < 0) return -1;
        run = p + 1;
    }
}
