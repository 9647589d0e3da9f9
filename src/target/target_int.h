/*
 * target/target_int.h -- what target.c (building the set, the walk) and spec.c (parsing one
 * item of what the user typed) share, inside target/ only.
 */
#ifndef AJAR_TARGET_INT_H
#define AJAR_TARGET_INT_H

#include "target/target.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef unsigned __int128 u128;

#define ITEM_MAX 1024 /* bytes of one item, with its NUL */

struct range {
    u128 lo, hi; /* inclusive */
};

/* One parsed item: a range of one family, or a name still to resolve. */
struct item {
    struct range r;
    bool v6;
    bool is_name;
    uint16_t port; /* 0 = none given */
    char addr[ITEM_MAX];
};

/* Parse one item s into *it: 0, or -1 with why (whyn bytes) saying what is wrong. A host
 * name is left for the caller to resolve (it->is_name). */
int target_parse_item(const char *s, struct item *it, char *why, size_t whyn);
/* An IPv6 range inside ::ffff:0:0/96 is IPv4 in disguise: make it IPv4 so the IPv4 rules apply. */
void target_map_v4(struct range *r, bool *v6);

#endif
