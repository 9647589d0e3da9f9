/*
 * core/record_text.c -- the record's reader for stored text (see
 * record_text.h): what the dashboard takes from a record's JSON without
 * parsing it, written against the shape finding_json_write() gives it.
 * Every read is bounded by the text's length; the dashboard's fuzzer
 * (tests/fuzz/fuzz_web_text.c) feeds these hostile bytes.
 */
#include "core/record_text.h"
#include "core/finding.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void put_utf8(char *out, size_t cap, size_t *k, uint32_t c)
{
    unsigned char b[4];
    size_t n;
    if (c < 0x80) {
        b[0] = (unsigned char)c;
        n = 1;
    } else if (c < 0x800) {
        b[0] = (unsigned char)(0xc0 | (c >> 6));
        b[1] = (unsigned char)(0x80 | (c & 63));
        n = 2;
    } else if (c < 0x10000) {
        b[0] = (unsigned char)(0xe0 | (c >> 12));
        b[1] = (unsigned char)(0x80 | ((c >> 6) & 63));
        b[2] = (unsigned char)(0x80 | (c & 63));
        n = 3;
    } else {
        b[0] = (unsigned char)(0xf0 | (c >> 18));
        b[1] = (unsigned char)(0x80 | ((c >> 12) & 63));
        b[2] = (unsigned char)(0x80 | ((c >> 6) & 63));
        b[3] = (unsigned char)(0x80 | (c & 63));
        n = 4;
    }
    if (*k + n >= cap) return;
    memcpy(out + *k, b, n);
    *k += n;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static uint32_t hex4(const char *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0) return 0xfffd;
        v = v * 16 + (uint32_t)h;
    }
    return v;
}

/*
 * Decode the JSON string whose opening quote is at p into out (cap bytes,
 * terminated; the rest cut). Returns the position after the closing quote,
 * or NULL when the text ends first.
 */
const char *record_json_str(const char *p, const char *end, char *out, size_t cap, size_t *len)
{
    size_t k = 0;
    p++;
    while (p < end && *p != '"') {
        if (*p == '\\' && p + 1 < end) {
            char c = p[1];
            p += 2;
            uint32_t u = (unsigned char)c;
            switch (c) {
            case 'n':
                u = '\n';
                break;
            case 't':
                u = '\t';
                break;
            case 'r':
                u = '\r';
                break;
            case 'b':
                u = '\b';
                break;
            case 'f':
                u = '\f';
                break;
            case 'u': {
                /* up to 4 hex digits; fewer (malformed): U+FFFD, and the rest is text again */
                int d = 0;
                while (d < 4 && p + d < end && hexval(p[d]) >= 0)
                    d++;
                if (d < 4) {
                    u = 0xfffd;
                    p += d;
                    break;
                }
                u = hex4(p);
                p += 4;
                if (u >= 0xd800 && u < 0xdc00 && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                    uint32_t lo = hex4(p + 2);
                    if (lo >= 0xdc00 && lo < 0xe000) {
                        u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                        p += 6;
                    }
                }
                break;
            }
            default:
                break;
            }
            put_utf8(out, cap, &k, u);
        } else {
            if (k + 1 < cap) out[k++] = *p;
            p++;
        }
    }
    if (p >= end) return NULL;
    out[k] = 0;
    if (len) *len = k;
    return p + 1;
}

/* The first occurrence of pat (which starts with a quote) that is a key of the record, not
 * text inside a string: a value cannot hold an unescaped quote, so an occurrence whose quote
 * follows an odd run of backslashes is inside a string and is skipped. */
static const char *find(const char *rec, size_t len, const char *pat)
{
    const char *p = rec, *end = rec + len;
    while (p < end) {
        const char *m = mem_find(p, (size_t)(end - p), pat, false);
        if (!m) return NULL;
        size_t bs = 0;
        while (m - bs > rec && m[-1 - (ptrdiff_t)bs] == '\\')
            bs++;
        if (bs % 2 == 0) return m;
        p = m + 1;
    }
    return NULL;
}

/* The data object's span: from `"data":{` to the `"via":` key that follows it in every record
 * finding_json_write() writes (the key order finding.h promises). */
static bool data_span(const char *rec, size_t len, const char **from, const char **to)
{
    const char *d = find(rec, len, "\"data\":{");
    if (!d) return false;
    const char *v = find(d, len - (size_t)(d - rec), "\"via\":");
    *from = d;
    *to = v ? v : rec + len;
    return true;
}

bool record_has_via(const char *rec, size_t len)
{
    /* the top-level key (the first that is not inside a string: data's keys are not "via"),
     * an object rather than null */
    const char *v = find(rec, len, "\"via\":");
    return v && v + 6 < rec + len && v[6] == '{';
}

int record_names(const char *rec, size_t len, int max,
                 int (*fn)(void *arg, const char *name, size_t n), void *arg, const char **after)
{
    const char *from, *end;
    if (after) *after = rec + len;
    if (!data_span(rec, len, &from, &end)) return 0;
    const char *p = find(from, (size_t)(end - from), "\"names\":[");
    if (!p) return 0;
    p += 9;
    char name[FINDING_MAX_NAME * 4 + 8];
    int n = 0;
    while (p < end && *p == '"' && n < max) {
        size_t nl = 0;
        p = record_json_str(p, end, name, sizeof name, &nl);
        if (!p) break;
        n++;
        if (fn && fn(arg, name, nl)) break;
        if (p < end && *p == ',') p++;
    }
    if (after && p) *after = p;
    return n;
}

int64_t record_names_total(const char *from, const char *end)
{
    const char *v = find(from, (size_t)(end - from), "\"via\":"); /* data's end */
    if (v) end = v;
    const char *t = find(from, (size_t)(end - from), "\"names_total\":");
    uint64_t total = 0;
    if (!t) return -1;
    t += 14;
    size_t dn = 0;
    while (t + dn < end && dn < 20 && t[dn] >= '0' && t[dn] <= '9')
        dn++;
    if (!dn || parse_u64n(t, dn, INT64_MAX, &total) < 0) return -1;
    return (int64_t)total;
}

time_t record_first_seen(const char *rec, size_t len)
{
    size_t from = len > 200 ? len - 200 : 0;
    const char *p = find(rec + from, len - from, "\"first_seen\":\"");
    if (!p) return 0;
    char b[40];
    if (!record_json_str(p + 13, rec + len, b, sizeof b, NULL)) return 0;
    time_t t = 0;
    return time_parse_utc(b, &t) == 0 ? t : 0;
}

bool record_detail(const char *rec, size_t len, const char *key, char *out, size_t cap)
{
    out[0] = 0;
    const char *d = find(rec, len, "\"details\":{");
    if (!d || !key) return false;
    char pat[48];
    int pl = str_fmt(pat, sizeof pat, "\"%s\":\"", key);
    if (pl <= 0 || (size_t)pl >= sizeof pat) return false;
    const char *p = find(d, len - (size_t)(d - rec), pat);
    return p && record_json_str(p + pl - 1, rec + len, out, cap, NULL);
}

/* A string value right after pat in the record, when it is made of allowed bytes only. */
static bool word(const char *rec, size_t len, const char *pat, const char *allowed, char *out,
                 size_t cap)
{
    const char *p = find(rec, len, pat);
    out[0] = 0;
    if (!p) return false;
    p += strlen(pat);
    size_t k = 0;
    for (; p < rec + len && *p != '"'; p++) {
        if (k + 1 >= cap || !*p || !strchr(allowed, *p)) {
            out[0] = 0;
            return false;
        }
        out[k++] = *p;
    }
    out[k] = 0;
    return k > 0 && p < rec + len;
}

void record_attr(const char *rec, size_t len, char prov[32], uint32_t *asn, char cc[3])
{
    word(rec, len, "\"cloud\":{\"provider\":\"", "abcdefghijklmnopqrstuvwxyz0123456789-", prov, 32);
    char c[8];
    cc[0] = 0;
    if (word(rec, len, "\"geo\":{\"country\":\"", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", c, sizeof c) &&
        strlen(c) == 2)
        memcpy(cc, c, 3);
    *asn = 0;
    static const char npat[] = "\"network\":{\"asn\":";
    const char *p = find(rec, len, npat);
    if (p) {
        p += sizeof npat - 1;
        uint64_t n = 0;
        int d = 0;
        for (; p < rec + len && *p >= '0' && *p <= '9' && d < 11; p++, d++)
            n = n * 10 + (uint64_t)(*p - '0');
        if (d && d < 11 && n && n <= UINT32_MAX) *asn = (uint32_t)n;
    }
}

void record_signal_ids(const char *sj, size_t len, int (*fn)(void *arg, const char *id), void *arg)
{
    for (const char *p = sj; (p = find(p, len - (size_t)(p - sj), "{\"id\":\""));) {
        char id[48];
        p = record_json_str(p + 6, sj + len, id, sizeof id, NULL);
        if (!p || fn(arg, id)) break;
    }
}
