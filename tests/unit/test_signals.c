/*
 * tests/unit/test_signals.c -- the one table of signals (assess/signals.c)
 * against docs/signals.md: every signal of the table has its row in the
 * doc's table of signals, and every row there is a signal of the table;
 * ids unique, lookups both ways, every entry filled.
 */
#include "t.h"
#include "assess/signals.h"

#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    for (int i = 0; i < SIG_N; i++) {
        const struct signal_def *d = &signal_defs[i];
        CHECK_MSG(d->id && *d->id && d->rule && *d->rule && d->meaning && *d->meaning &&
                      d->severity && *d->severity,
                  "signal %d filled", i);
        CHECK_INT(signal_lookup(d->id), i);
        CHECK(signal_is(d->id, (enum signal_id)i));
        for (int k = 0; k < i; k++) {
            CHECK_MSG(strcmp(d->id, signal_defs[k].id) != 0, "%s twice", d->id);
            CHECK_MSG(strcmp(d->rule, signal_defs[k].rule) != 0, "%s twice", d->rule);
        }
    }
    CHECK_INT(signal_lookup("no-such-signal"), -1);
    CHECK_INT(signal_lookup(NULL), -1);
    CHECK(!signal_is(NULL, SIG_NO_AUTH));
    CHECK(!signal_is("no-auth", SIG_N));
    CHECK_STR(signal_name(SIG_N), "");

    /* the doc's table: rows "| `id` | severity | fires when | detail says |" */
    FILE *fp = fopen("docs/signals.md", "r");
    CHECK_MSG(fp != NULL, "docs/signals.md opens (tests run from the tree's top)");
    if (!fp) return T_END();
    char line[4096];
    bool in_doc[SIG_N] = {false};
    int rows = 0;
    while (fgets(line, sizeof line, fp)) {
        if (strncmp(line, "| `", 3) != 0) continue;
        char *end = strchr(line + 3, '`');
        if (!end) continue;
        *end = 0;
        const char *id = line + 3;
        if (!strchr(id, '-') && strcmp(id, "outdated") != 0) continue; /* other tables */
        int s = signal_lookup(id);
        if (strspn(id, "abcdefghijklmnopqrstuvwxyz-") != strlen(id)) continue;
        CHECK_MSG(s >= 0, "docs/signals.md's %s is in the table", id);
        if (s >= 0) in_doc[s] = true;
        rows++;
    }
    fclose(fp);
    for (int i = 0; i < SIG_N; i++)
        CHECK_MSG(in_doc[i], "%s has its row in docs/signals.md", signal_defs[i].id);
    CHECK(rows >= SIG_N);
    return T_END();
}
