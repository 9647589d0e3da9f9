/*
 * target/spec.c -- one item of a target list, as typed on the command line or read from an -iL
 * file: an IPv4 or IPv6 address, a CIDR, a range (full, or the last octet or group), or a
 * host name, each optionally with :port (a number or a service name; [addr]:port for IPv6).
 * Strict: a malformed address is refused with a reason, never looked up as a name.
 */
#include "target/target_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Fill the reason buffer of a parse failure; returns -1 like err_set. */
static int why_set(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int why_set(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
    return -1;
}

/* Strict dotted quad: four decimal parts 0-255, no leading zeros (octal is ambiguous). */
static int parse_v4(const char *s, size_t n, uint32_t *out)
{
    uint32_t v = 0;
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (i >= n || s[i] != '.') return -1;
            i++;
        }
        size_t st = i;
        unsigned x = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9' && i - st < 4)
            x = x * 10 + (unsigned)(s[i++] - '0');
        size_t len = i - st;
        if (len == 0 || len > 3 || x > 255 || (len > 1 && s[st] == '0')) return -1;
        v = v << 8 | x;
    }
    if (i != n) return -1;
    *out = v;
    return 0;
}

static int parse_v6(const char *s, size_t n, u128 *out)
{
    char tmp[INET6_ADDRSTRLEN + 1];
    uint8_t b[16];
    if (n >= sizeof tmp) return -1;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    if (inet_pton(AF_INET6, tmp, b) != 1) return -1;
    u128 v = 0;
    for (int i = 0; i < 16; i++)
        v = v << 8 | b[i];
    *out = v;
    return 0;
}

static bool is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)s[i])) return false;
    return n > 0;
}

/*
 * Could s be a host name (RFC 1123 labels, underscores tolerated)? A string
 * with no letter, or whose last label is all digits, is a malformed address
 * and must be reported as one, not looked up in the DNS.
 */
static bool looks_like_name(const char *s)
{
    size_t n = strlen(s), lab = 0;
    bool letter = false, last_digits = true;
    if (n == 0 || n > 253) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (lab == 0) return false;
            if (i != n - 1) last_digits = true;
            lab = 0;
            continue;
        }
        if (!isalnum(c) && c != '-' && c != '_') return false;
        if (++lab > 63) return false;
        if (isalpha(c) || c == '_') letter = true;
        if (!isdigit(c)) last_digits = false;
    }
    return letter && !last_digits;
}

/* An IPv6 range inside ::ffff:0:0/96 is IPv4 in disguise: make it IPv4 so the IPv4 rules apply. */
void target_map_v4(struct range *r, bool *v6)
{
    const u128 base = (u128)0xffff << 32;
    if (*v6 && r->lo >= base && r->hi <= (base | 0xffffffffu)) {
        r->lo -= base;
        r->hi -= base;
        *v6 = false;
    }
}

/*
 * Parse the address part: address, CIDR, range (full or last-octet /
 * last-group shorthand), or a host name. 0 ok, -1 bad (why filled).
 */
static int parse_addr_part(struct item *it, char *why, size_t whyn)
{
    const char *a = it->addr;
    size_t n = strlen(a);
    bool colon = strchr(a, ':') != NULL;
    const char *slash = strchr(a, '/'), *dash = strchr(a, '-');
    uint32_t v4, v4b;
    u128 v6, v6b;
    if (strchr(a, '%')) return why_set(why, whyn, "IPv6 zone ids (%%) are not supported");
    if (slash) {
        size_t ln = (size_t)(slash - a);
        uint64_t pfx;
        if (colon) {
            if (parse_v6(a, ln, &v6) < 0)
                return why_set(why, whyn, "not a valid IPv6 address before '/'");
            if (parse_u64(slash + 1, 128, &pfx) < 0)
                return why_set(why, whyn, "the prefix length must be 0-128");
            u128 host = pfx == 0 ? ~(u128)0 : (((u128)1 << (128 - pfx)) - 1);
            it->r.lo = v6 & ~host;
            it->r.hi = it->r.lo | host;
            it->v6 = true;
        } else {
            if (parse_v4(a, ln, &v4) < 0)
                return why_set(why, whyn, "not a valid IPv4 address before '/'");
            if (parse_u64(slash + 1, 32, &pfx) < 0)
                return why_set(why, whyn, "the prefix length must be 0-32");
            uint64_t host = (UINT64_C(1) << (32 - pfx)) - 1;
            it->r.lo = v4 & ~host & 0xffffffffu;
            it->r.hi = it->r.lo | host;
            it->v6 = false;
        }
        return 0;
    }
    if (!colon) {
        if (dash && parse_v4(a, (size_t)(dash - a), &v4) == 0) {
            const char *r = dash + 1;
            size_t rn = strlen(r);
            uint64_t oct;
            if (parse_v4(r, rn, &v4b) < 0) {
                if (parse_u64(r, 255, &oct) < 0)
                    return why_set(why, whyn,
                                   "a range ends with an IPv4 address or a last octet 0-255");
                v4b = (v4 & 0xffffff00u) | (uint32_t)oct; /* 10.0.0.5-90 */
            }
            if (v4b < v4) return why_set(why, whyn, "the range ends before it starts");
            it->r.lo = v4;
            it->r.hi = v4b;
            it->v6 = false;
            return 0;
        }
        if (parse_v4(a, n, &v4) == 0) {
            it->r.lo = it->r.hi = v4;
            it->v6 = false;
            return 0;
        }
        if (looks_like_name(a)) {
            it->is_name = true;
            return 0;
        }
        if (n == 0) return why_set(why, whyn, "empty");
        if (strspn(a, "0123456789.") == n) return why_set(why, whyn, "not a valid IPv4 address");
        if (strspn(a, "0123456789.-") == n) return why_set(why, whyn, "not a valid IPv4 range");
        return why_set(why, whyn, "not an address, CIDR, range or host name");
    }
    if (dash) {
        if (parse_v6(a, (size_t)(dash - a), &v6) < 0)
            return why_set(why, whyn, "not a valid IPv6 address before '-'");
        const char *r = dash + 1;
        size_t rn = strlen(r);
        if (parse_v6(r, rn, &v6b) < 0) {
            if (rn > 4 || !is_hex(r, rn))
                return why_set(why, whyn,
                               "an IPv6 range ends with an address or a last group of 1-4 hex "
                               "digits");
            v6b = (v6 & ~(u128)0xffff) | (u128)strtoul(r, NULL, 16); /* fd00::1-ff */
        }
        if (v6b < v6) return why_set(why, whyn, "the range ends before it starts");
        it->r.lo = v6;
        it->r.hi = v6b;
        it->v6 = true;
        return 0;
    }
    if (parse_v6(a, n, &v6) < 0) return why_set(why, whyn, "not a valid IPv6 address");
    it->r.lo = it->r.hi = v6;
    it->v6 = true;
    return 0;
}

/*
 * Split "[addr]:port", "addr:port" or "addr" and parse both parts. The port
 * may be a number or a service name. 0 ok, -1 bad (why filled).
 */
int target_parse_item(const char *s, struct item *it, char *why, size_t whyn)
{
    const char *port = NULL;
    size_t an;
    memset(it, 0, sizeof *it);
    if (strlen(s) >= sizeof it->addr) return why_set(why, whyn, "too long");
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close) return why_set(why, whyn, "missing ']'");
        an = (size_t)(close - s - 1);
        if (close[1] == ':')
            port = close + 2;
        else if (close[1])
            return why_set(why, whyn, "only ':port' may follow ']'");
        memcpy(it->addr, s + 1, an);
        it->addr[an] = 0;
        if (!strchr(it->addr, ':')) return why_set(why, whyn, "brackets are for IPv6 addresses");
    } else {
        const char *c = strchr(s, ':');
        if (c && !strchr(c + 1, ':')) {
            an = (size_t)(c - s);
            port = c + 1;
        } else {
            an = strlen(s);
        }
        memcpy(it->addr, s, an);
        it->addr[an] = 0;
    }
    if (port) {
        uint64_t v;
        if (!*port) return why_set(why, whyn, "empty port after ':'");
        if (parse_u64(port, 65535, &v) == 0 && v > 0) {
            it->port = (uint16_t)v;
        } else if (strspn(port, "0123456789") == strlen(port)) {
            return why_set(why, whyn, "the port must be 1-65535");
        } else if (port_service_lookup(port, &it->port) < 0) {
            return why_set(why, whyn, "'%s' is not a port number or a known service name", port);
        }
    }
    if (!it->addr[0]) return why_set(why, whyn, "empty address");
    if (parse_addr_part(it, why, whyn) < 0) return -1;
    if (!it->is_name) target_map_v4(&it->r, &it->v6);
    return 0;
}
