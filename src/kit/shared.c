/*
 * kit/shared.c -- what "exposed" means, and which finding counts a data store
 * that several findings reach (see kit.h): the rules the report's totals and
 * the dashboard's both follow, written once.
 */
#include "kit/kit.h"

#include "core/finding.h"

#include <stdlib.h>
#include <string.h>

bool kit_auth_exposed(int auth)
{
    return auth == AUTH_NONE || auth == AUTH_PARTIAL;
}

bool kit_new_in_scan(int64_t first_scan, int64_t first_seen, int64_t group, int64_t start)
{
    if (first_scan > 0 && group > 0) return first_scan >= group;
    return start > 0 && first_seen >= start;
}

static int cmp_shared(const void *a, const void *b, void *arg)
{
    const struct kit_store_row *rows = arg;
    const struct kit_store_row *x = &rows[*(const uint32_t *)a], *y = &rows[*(const uint32_t *)b];
    int c = strcmp(x->instance, y->instance);
    if (c) return c;
    if (x->exposed != y->exposed) return x->exposed ? -1 : 1;
    if (x->records != y->records) return x->records > y->records ? -1 : 1;
    if (x->bytes != y->bytes) return x->bytes > y->bytes ? -1 : 1;
    if (x->via != y->via) return x->via ? 1 : -1;
    return x->order < y->order ? -1 : x->order > y->order;
}

int kit_mark_shared(const struct kit_store_row *rows, size_t n, bool *shared, uint32_t *also,
                    size_t *marked)
{
    size_t k = 0;
    *marked = 0;
    for (size_t i = 0; i < n; i++)
        k += rows[i].instance[0] != 0;
    if (k < 2) return 0;
    uint32_t *ix = malloc(k * sizeof *ix);
    if (!ix) return -1;
    k = 0;
    for (size_t i = 0; i < n; i++)
        if (rows[i].instance[0]) ix[k++] = (uint32_t)i;
    qsort_r(ix, k, sizeof *ix, cmp_shared, (void *)rows);
    uint32_t counted = ix[0];
    for (size_t i = 1; i < k; i++) {
        if (strcmp(rows[ix[i]].instance, rows[counted].instance) != 0) {
            counted = ix[i];
            continue;
        }
        shared[ix[i]] = true;
        if (also) also[counted]++;
        ++*marked;
    }
    free(ix);
    return 0;
}
