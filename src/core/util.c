/*
 * core/util.c -- implementation of the helpers declared in util.h.
 *
 * The allocation wrappers count calls so that a torture run can fail the Nth
 * allocation (AJAR_FAIL_ALLOC=N) and prove every caller copes.
 */
#include "core/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int log_level = 1;

int err_set(struct err *e, const char *fmt, ...)
{
    if (!e) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

size_t str_copy(char *dst, const char *src, size_t n)
{
    size_t l = strlen(src);
    if (n) {
        size_t c = l < n - 1 ? l : n - 1;
        memcpy(dst, src, c);
        dst[c] = 0;
    }
    return l;
}

int str_fmt(char *dst, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(dst, n, fmt, ap);
    va_end(ap);
    return r;
}

bool str_ieq(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

bool str_iprefix(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

const char *mem_find(const void *hay, size_t n, const char *needle, bool icase)
{
    size_t m = strlen(needle);
    const char *h = hay;
    if (m == 0) return h;
    if (m > n) return NULL;
    if (!icase) return memmem(h, n, needle, m); /* glibc's two-way search: linear */
    /* case-insensitive: compare only where the first byte matches in either case, found
     * by memchr (vectorised) for each case; each of the two is searched again only when it
     * was the one consumed, so the whole search stays linear */
    unsigned char lo = (unsigned char)tolower((unsigned char)needle[0]);
    unsigned char up = (unsigned char)toupper((unsigned char)needle[0]);
    const char *end = h + (n - m) + 1; /* candidate starts are below end */
    const char *pl = memchr(h, lo, (size_t)(end - h));
    const char *pu = lo == up ? NULL : memchr(h, up, (size_t)(end - h));
    while (pl || pu) {
        const char *p = !pu || (pl && pl < pu) ? pl : pu;
        if (strncasecmp(p, needle, m) == 0) return p;
        if (p == pl)
            pl = memchr(p + 1, lo, (size_t)(end - p - 1));
        else
            pu = memchr(p + 1, up, (size_t)(end - p - 1));
    }
    return NULL;
}

bool str_is_lower_hex(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f'))) return false;
    return n > 0;
}

int parse_u64n(const char *p, size_t n, uint64_t max, uint64_t *out)
{
    if (n == 0) return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        unsigned d = (unsigned)(p[i] - '0');
        if (v > (max - d) / 10) return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    return parse_u64n(s, strlen(s), max, out);
}

void buf_init(struct buf *b, size_t cap)
{
    memset(b, 0, sizeof *b);
    b->cap = cap;
}

int buf_reserve_from(struct buf *b, size_t need, size_t first)
{
    if (need + 1 <= b->alloc) return 0;
    if (need > b->cap) return -1;
    size_t na = b->alloc ? b->alloc : first ? first : 1;
    while (na < need + 1)
        na *= 2;
    if (na > b->cap + 1) na = b->cap + 1;
    uint8_t *d = xrealloc(b->data, na);
    if (!d) return -1;
    b->data = d;
    b->alloc = na;
    return 0;
}

static int buf_reserve(struct buf *b, size_t need)
{
    return buf_reserve_from(b, need, 256);
}

int buf_append(struct buf *b, const void *p, size_t n)
{
    size_t room = b->cap - b->len;
    size_t take = n < room ? n : room;
    if (take && buf_reserve(b, b->len + take) < 0) return -1;
    if (!b->data && buf_reserve(b, 0) < 0) return -1;
    /* analyzer false positive: buf_reserve() succeeded, so data is set */
    /* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
    if (take) memcpy(b->data + b->len, p, take);
    b->len += take;
    /* analyzer false positive: buf_reserve() succeeded, so data is set */
    /* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
    b->data[b->len] = 0;
    if (take < n) {
        b->truncated = true;
        return -1;
    }
    return 0;
}

int buf_appendf(struct buf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (r < 0) return -1;
    if ((size_t)r >= sizeof tmp) {
        char *big = xmalloc((size_t)r + 1);
        if (!big) return -1;
        va_start(ap, fmt);
        vsnprintf(big, (size_t)r + 1, fmt, ap);
        va_end(ap);
        int rc = buf_append(b, big, (size_t)r);
        free(big);
        return rc;
    }
    return buf_append(b, tmp, (size_t)r);
}

void buf_consume(struct buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
    } else {
        memmove(b->data, b->data + n, b->len - n);
        b->len -= n;
    }
    if (b->data) b->data[b->len] = 0;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    b->truncated = false;
    if (b->data) b->data[0] = 0;
}

void buf_free(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->alloc = 0;
}

/* Length of a valid UTF-8 sequence starting at s (max n bytes), or 0 if invalid. */
static size_t utf8_len(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff))) return 0;
    if (cp >= 0xd800 && cp <= 0xdfff) return 0;
    return len;
}

size_t utf8_unsafe(const void *src, size_t n)
{
    const uint8_t *s = src;
    if (n >= 2 && s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f) return 2;
    if (n >= 3 && s[0] == 0xe2 && s[1] == 0x80 && s[2] >= 0xa8 && s[2] <= 0xae) return 3;
    if (n >= 3 && s[0] == 0xe2 && s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9) return 3;
    return 0;
}

size_t str_sanitize(char *dst, size_t dn, const void *src, size_t n, bool escape)
{
    const uint8_t *s = src;
    size_t o = 0;
    if (dn == 0) return 0;
    for (size_t i = 0; i < n;) {
        /* a run of printable ASCII, the common case, in one copy */
        size_t j = i;
        while (j < n && s[j] >= 0x20 && s[j] < 0x7f)
            j++;
        if (j > i) {
            size_t k = j - i;
            if (k > dn - 1 - o) k = dn - 1 - o;
            memcpy(dst + o, s + i, k);
            o += k;
            i += k;
            if (i < j) break; /* dst is full */
            continue;
        }
        size_t l = utf8_len(s + i, n - i);
        if (l == 1 && (s[i] < 0x20 || s[i] == 0x7f)) l = 0;
        size_t bad = l > 1 ? utf8_unsafe(s + i, n - i) : 0;
        if (bad) { /* one mark for the whole code point */
            if (escape) {
                for (size_t k = 0; k < bad; k++) {
                    if (o + 4 >= dn) goto full;
                    snprintf(dst + o, 5, "\\x%02x", s[i + k]);
                    o += 4;
                }
            } else {
                if (o + 1 >= dn) break;
                dst[o++] = '?';
            }
            i += bad;
            continue;
        }
        if (l) {
            if (o + l >= dn) break;
            memcpy(dst + o, s + i, l);
            o += l;
            i += l;
        } else {
            if (escape) {
                if (o + 4 >= dn) break;
                snprintf(dst + o, 5, "\\x%02x", s[i]);
                o += 4;
            } else {
                if (o + 1 >= dn) break;
                dst[o++] = '?';
            }
            i++;
        }
    }
full:
    dst[o] = 0;
    return o;
}

int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

time_t now_wall(void)
{
    return time(NULL);
}

void time_fmt_utc(time_t t, char *out, size_t n)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int time_parse_utc(const char *s, time_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *e = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!e || *e) return -1;
    *out = timegm(&tm);
    return 0;
}

/* ---- allocation with fault injection ---- */
static long alloc_count;
static long alloc_fail_at = -1;
static bool alloc_init_done;

/* AJAR_FAIL_ALLOC=0 fails nothing and prints the count at exit: the N
 * range a torture run walks (tests/integration/torture.sh). */
static void alloc_report(void)
{
    fprintf(stderr, "ajar: allocations: %ld\n", __atomic_load_n(&alloc_count, __ATOMIC_RELAXED));
}

static bool alloc_should_fail(void)
{
    if (!alloc_init_done) {
        alloc_init_done = true;
        const char *v = getenv("AJAR_FAIL_ALLOC");
        uint64_t n;
        if (v && parse_u64(v, 1u << 30, &n) == 0) alloc_fail_at = (long)n;
        if (alloc_fail_at == 0) atexit(alloc_report);
    }
    if (alloc_fail_at < 0) return false;
    return __atomic_add_fetch(&alloc_count, 1, __ATOMIC_RELAXED) == alloc_fail_at;
}

void *xmalloc(size_t n)
{
    if (alloc_should_fail()) return NULL;
    return malloc(n ? n : 1);
}

void *xcalloc(size_t n, size_t sz)
{
    if (alloc_should_fail()) return NULL;
    return calloc(n ? n : 1, sz ? sz : 1);
}

void *xrealloc(void *p, size_t n)
{
    if (alloc_should_fail()) return NULL;
    return realloc(p, n ? n : 1);
}

void *arr_grow(void *v, size_t n, size_t *cap, size_t elem, size_t first)
{
    if (n < *cap) return v;
    size_t nc = *cap ? *cap * 2 : (first ? first : 1);
    if (nc <= *cap || !elem || nc > SIZE_MAX / elem) return NULL;
    void *nv = xrealloc(v, nc * elem);
    if (nv) *cap = nc;
    return nv;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

void log_msg(int level, const char *fmt, ...)
{
    if (level > log_level) return;
    va_list ap;
    va_start(ap, fmt);
    fputs("ajar: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

FILE *fopen_private(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return NULL;
    FILE *fp = fdopen(fd, "w");
    if (!fp) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
    return fp;
}

int create_private(const char *path)
{
    if (!path || !*path || !strcmp(path, ":memory:") || !strncmp(path, "file:", 5)) return 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return errno == EEXIST ? 0 : -1;
    close(fd);
    return 0;
}
