/*
 * attr/ranges.h -- cloud providers' published address ranges (--cloud-ranges FILE), loaded
 * into one table and looked up by longest prefix.
 *
 * Formats, told apart by content (docs/attribution.md): AWS ip-ranges.json
 * (prefixes[].ip_prefix, ipv6_prefixes[].ipv6_prefix, region, service), Google cloud.json
 * (prefixes[].ipv4Prefix/ipv6Prefix, scope, service), Azure Service Tags
 * (values[].properties.addressPrefixes, region, systemService), Oracle public_ip_ranges.json
 * (regions[].region, regions[].cidrs[].cidr, tags) and a plain list of CIDRs, one a line
 * (Cloudflare's ips-v4 / ips-v6). Every byte is hostile: the file is capped at
 * RANGES_FILE_CAP bytes, a JSON file at RANGES_MAX_JSON_VALUES values (jansson's tree), the
 * table at RANGES_MAX entries and RANGES_MAX_STRINGS distinct region/service names; an error is one
 * sentence "FILE: what is wrong". The addresses are data, never targets.
 */
#ifndef AJAR_ATTR_RANGES_H
#define AJAR_ATTR_RANGES_H

#include "core/util.h"

#include <stddef.h>
#include <stdint.h>

#define RANGES_FILE_CAP        (64u << 20)
#define RANGES_MAX             1000000u
#define RANGES_MAX_STRINGS     65535u
#define RANGES_MAX_JSON_VALUES 4000000u /* a 4 MB Azure file: about 200,000 */

struct cloud_range {
    uint8_t addr[16]; /* IPv4 as ::ffff:a.b.c.d, masked to plen */
    uint8_t plen;     /* 0..128 on the 128-bit address */
    uint8_t provider; /* index in cloud_providers[] */
    uint16_t region;  /* string index, 0 = none */
    uint16_t service; /* string index, 0 = none */
};

struct cloud_ranges {
    struct cloud_range *v;
    size_t n, cap;
    char **str; /* str[0] = "" */
    size_t nstr, strcap;
    uint32_t *hash; /* open addressing over str indexes (0 = empty slot) */
    size_t hcap;
    bool sorted;
    size_t seg[130]; /* after sorting: entries of prefix length L lie in [seg[128-L], seg[129-L]) */
};

/* What a lookup found (strings owned by the table; "" when unknown). */
struct cloud_hit {
    const char *provider, *region, *service;
    unsigned plen; /* on the address's own family (IPv4: 0..32) */
};

/* Provider names the range formats give. */
extern const char *const cloud_providers[];

/*
 * Parse one range file's bytes (name for messages) into r, appending. 0, or -1 with e set
 * to "NAME: what is wrong" (r keeps what it had before this call).
 */
int cloud_ranges_parse(struct cloud_ranges *r, const char *name, const char *data, size_t len,
                       struct err *e);
/* Read PATH (at most RANGES_FILE_CAP bytes) and parse it. */
int cloud_ranges_load_file(struct cloud_ranges *r, const char *path, struct err *e);
/* Sort the table for lookups (after the last parse; a lookup does it when needed, but a table
 * shared between threads must be sorted first). */
void cloud_ranges_sort(struct cloud_ranges *r);
/* Longest-prefix match of a textual address; 1 found (*hit filled), 0 none. */
int cloud_ranges_lookup(struct cloud_ranges *r, const char *ip, struct cloud_hit *hit);
void cloud_ranges_free(struct cloud_ranges *r);

/* Parse "a.b.c.d/n" or "x::y/n" (whitespace around allowed) into a masked 128-bit prefix. */
int cloud_cidr_parse(const char *s, size_t n, uint8_t addr[16], uint8_t *plen);

#endif
