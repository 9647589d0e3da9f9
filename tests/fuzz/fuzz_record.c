/*
 * tests/fuzz/fuzz_record.c -- the record read back (finding_from_json, core/finding_read.c)
 * from hostile bytes: a stored record may come from any writer, an older or newer ajar or a
 * file someone edited. The bytes are parsed by jansson (capped: at most 64 KiB are given to it)
 * and read into a finding; then the promises are checked:
 *   - every list within its cap: names and fields (FINDING_MAX_NAMES), signals, hostnames,
 *     SANs, and the assessment's marks (at most one per stored name and field, each naming an
 *     entry the finding holds, with only known category bits and something to say);
 *   - both writers give the same bytes for what was read (finding_json_write ==
 *     json_dumps(finding_to_json)), and reading that record again gives the same record;
 *   - a copy (finding_copy) writes the same bytes.
 */
#include "core/finding.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

static char *dump(const struct finding *f)
{
    json_t *j = finding_to_json(f, false);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}

static void check_marks(const struct finding *f)
{
    if (f->nmarks < 0 || f->nmarks > FINDING_MAX_MARKS ||
        (uint32_t)f->nmarks > f->names.n + f->fields.n)
        __builtin_trap();
    for (int i = 0; i < f->nmarks; i++) {
        const struct finding_mark *m = &f->marks[i];
        if (!finding_mark_name(f, m)) __builtin_trap();
        if (m->personal >= 1u << FINDING_PERSONAL_KINDS || (!m->personal && !m->ransom))
            __builtin_trap();
        for (int k = 0; k < i; k++)
            if (f->marks[k].list == m->list && f->marks[k].index == m->index) __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n > 65536) return 0;
    json_error_t je;
    json_t *j = json_loadb((const char *)data, n, JSON_DECODE_ANY, &je);
    if (!j) return 0;
    struct finding f;
    int rc = finding_from_json(&f, j);
    json_decref(j);
    if (rc < 0) {
        finding_free(&f);
        return 0;
    }
    if (f.names.n > FINDING_MAX_NAMES || f.fields.n > FINDING_MAX_NAMES ||
        f.nsignals > FINDING_MAX_SIGNALS || f.nhostnames > FINDING_MAX_HOSTNAMES ||
        f.tls.nsan > FINDING_MAX_SAN)
        __builtin_trap();
    check_marks(&f);

    char *want = dump(&f);
    struct buf b;
    buf_init(&b, 1 << 22);
    if (want && finding_json_write(&b, &f, false, NULL) == 0 &&
        strcmp((const char *)b.data, want) != 0)
        __builtin_trap();
    /* what was written reads back as itself */
    if (want) {
        json_t *k = json_loads(want, 0, &je);
        struct finding g;
        if (!k || finding_from_json(&g, k) < 0) __builtin_trap();
        json_decref(k);
        check_marks(&g);
        char *again = dump(&g);
        if (!again || strcmp(again, want) != 0) __builtin_trap();
        free(again);
        finding_free(&g);
    }
    struct finding c;
    if (finding_copy(&c, &f) == 0) {
        char *again = dump(&c);
        if (!want != !again || (want && strcmp(want, again) != 0)) __builtin_trap();
        free(again);
    }
    finding_free(&c);
    free(want);
    buf_free(&b);
    finding_free(&f);
    return 0;
}
