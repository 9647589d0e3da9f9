/*
 * kit/escape.c -- escaping for HTML and URLs (see kit.h): the one place
 * the report and the dashboard take their entities from.
 */
#include "kit/kit.h"

#include <stdint.h>
#include <string.h>

void kit_html_n(struct buf *b, const char *s, size_t max)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)(s ? s : ""), *run = p;
    for (; *p; p++, n++) {
        const char *rep = NULL;
        if (n >= max && (*p & 0xc0) != 0x80) {
            buf_append(b, run, (size_t)(p - run));
            buf_append(b, "\xe2\x80\xa6", 3); /* an ellipsis: the rest was cut */
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
            buf_append(b, run, (size_t)(p - run));
            buf_append(b, rep, strlen(rep));
            run = p + 1;
        }
    }
    buf_append(b, run, (size_t)(p - run));
}

void kit_html_fp(FILE *fp, const char *s, size_t max)
{
    struct buf b;
    size_t len = s ? strlen(s) : 0;
    /* at most 6 bytes out for each byte in (&quot;), plus an ellipsis */
    buf_init(&b, (len < max ? len : max + 4) * 6 + 8);
    kit_html_n(&b, s, max);
    if (b.len) fwrite(b.data, 1, b.len, fp);
    buf_free(&b);
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
