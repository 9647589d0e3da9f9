/*
 * core/util.h -- the small things every module uses: an error struct that
 * carries one human sentence back to the caller, a byte buffer with a hard
 * size cap (network data never grows memory without a limit), safe string
 * copies, strict number parsing and time helpers.
 *
 * Conventions (docs/architecture.md has the layers): functions return 0 on
 * success and a negative value on failure, filling a caller-provided struct
 * err. Only main exits. No sprintf/strcpy/strcat/atoi anywhere in the tree.
 */
#ifndef AJAR_CORE_UTIL_H
#define AJAR_CORE_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* One human-readable sentence describing why something failed. */
struct err {
    char msg[256];
};

/* Format into e->msg (truncating). Returns -1 so callers can `return err_set(...)`. */
int err_set(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copy src into dst of size n, always NUL-terminated; returns strlen(src). */
size_t str_copy(char *dst, const char *src, size_t n);
/* Bounded formatted print into dst of size n; never overflows, always terminated. */
int str_fmt(char *dst, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Case-insensitive ASCII equality / prefix tests. */
bool str_ieq(const char *a, const char *b);
bool str_iprefix(const char *s, const char *prefix);
/* Find needle in haystack of length n (bytes, not NUL-terminated); case-insensitive if icase. */
const char *mem_find(const void *hay, size_t n, const char *needle, bool icase);
/* p[0..n) is all lowercase hex digits (n > 0). */
bool str_is_lower_hex(const char *p, size_t n);

/*
 * Strict unsigned parse of the whole string s (decimal) into *out, rejecting
 * empty strings, signs, trailing junk and values above max.
 */
int parse_u64(const char *s, uint64_t max, uint64_t *out);
/* Same on a (p, n) slice. */
int parse_u64n(const char *p, size_t n, uint64_t max, uint64_t *out);

/*
 * A growable byte buffer with a hard cap. Appending past the cap keeps the
 * first `cap` bytes, sets `truncated` and returns -1. Always NUL-terminated
 * (the NUL is not counted in len) so text parsers can use it directly.
 */
struct buf {
    uint8_t *data;
    size_t len;
    size_t alloc;
    size_t cap;
    bool truncated;
};
void buf_init(struct buf *b, size_t cap);
int buf_append(struct buf *b, const void *p, size_t n);
/* Room in b for need bytes and a NUL: the allocation doubles from `first` (when b has none),
 * never past b->cap + 1. -1 when need is past the cap or memory is short (b untouched). */
int buf_reserve_from(struct buf *b, size_t need, size_t first);
int buf_appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drop the first n bytes (consumed by a parser). */
void buf_consume(struct buf *b, size_t n);
void buf_reset(struct buf *b);
void buf_free(struct buf *b);

/*
 * Copy n bytes of untrusted data into dst (size dn) as printable text: valid
 * UTF-8 is kept, control bytes, NULs and invalid sequences become '?' (or
 * "\\xNN" when escape is true), and so do the code points that steer a terminal or
 * the reading order (utf8_unsafe). Returns the length written.
 */
size_t str_sanitize(char *dst, size_t dn, const void *src, size_t n, bool escape);

/* The length of a valid UTF-8 sequence at s (n bytes available) that text output must not pass:
 * a C1 control (U+0080-U+009F: CSI and others, read by terminals), a bidirectional override or
 * isolate (U+202A-U+202E, U+2066-U+2069) or a line/paragraph separator (U+2028, U+2029); 0 for
 * anything else. */
size_t utf8_unsafe(const void *s, size_t n);

/* Monotonic milliseconds; wall-clock seconds. */
int64_t now_ms(void);
time_t now_wall(void);
/* RFC 3339 UTC, "2026-11-21T10:00:00Z", into out (at least 21 bytes). */
void time_fmt_utc(time_t t, char *out, size_t n);
/* Parse the RFC 3339 UTC form written above. */
int time_parse_utc(const char *s, time_t *out);

/*
 * Allocation wrappers. They return NULL on failure like malloc and callers
 * must handle it (a clean error, never a crash): the torture test makes the
 * Nth allocation fail for every N (AJAR_FAIL_ALLOC=N in the environment).
 */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/*
 * Room for one more item in a growing array of n items of `elem` bytes and
 * *cap slots: v itself while n < *cap, otherwise v reallocated to twice the
 * slots (`first` for an empty one) and *cap updated. NULL when the memory
 * or the size_t arithmetic runs out; v is then untouched and still owned by
 * the caller. The usual three lines:
 *     struct x *nv = arr_grow(l->v, l->n, &l->cap, sizeof *nv, 64);
 *     if (!nv) return -1;
 *     l->v = nv;
 */
void *arr_grow(void *v, size_t n, size_t *cap, size_t elem, size_t first);
char *xstrndup(const char *s, size_t n);

/*
 * fopen(path, "w") for what ajar writes about exposed services (records, traces, reports): a
 * file it creates is mode 0600 whatever the umask (an existing one keeps its mode and is
 * truncated). NULL with errno on failure.
 */
FILE *fopen_private(const char *path);

/* Before SQLite creates a store file (with the umask's 0644): create it empty with mode 0600,
 * so the store and its -wal/-shm (SQLite gives them the store's mode) are private. Nothing for
 * an existing file, ":memory:" or a "file:" URI. 0, or -1 with errno. */
int create_private(const char *path);

/* Logging to stderr, controlled by the verbosity set once in main. */
extern int log_level; /* 0 quiet, 1 normal, 2 verbose, 3 debug */
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_warn(...)  log_msg(1, __VA_ARGS__)
#define log_info(...)  log_msg(2, __VA_ARGS__)
#define log_debug(...) log_msg(3, __VA_ARGS__)

#endif
