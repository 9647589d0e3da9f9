/*
 * assess/signals.h -- the one table of signals (signals.c): each signal's
 * id as the record writes it, the rule name SARIF reports use, what it
 * means, and when it fires at which severity (docs/signals.md says the same
 * at length; a test holds the doc's table to this one). assess.c emits
 * signals by enum, the report and the dashboard describe and compare them
 * through this table: no signal id is written as a bare string elsewhere.
 */
#ifndef AJAR_ASSESS_SIGNALS_H
#define AJAR_ASSESS_SIGNALS_H

#include <stdbool.h>
#include <stddef.h>

enum signal_id {
    SIG_NO_AUTH = 0,
    SIG_DASHBOARD_EXPOSES_STORE,
    SIG_DEFAULT_ACCOUNT_EMPTY_PASSWORD,
    SIG_NO_AUTH_CAPABILITY,
    SIG_END_OF_LIFE,
    SIG_OUTDATED,
    SIG_CERT_EXPIRED,
    SIG_CERT_NOT_YET_VALID,
    SIG_CERT_SELF_SIGNED,
    SIG_CERT_WEAK_KEY,
    SIG_CERT_NAME_MISMATCH,
    SIG_CERT_SHARED,
    SIG_CERT_STALE,
    SIG_PERSONAL_DATA_SCHEMA,
    SIG_LARGE_DATASET,
    SIG_PERSONAL_DATA_OVER_THRESHOLD,
    SIG_RANSOM_NOTE,
    SIG_EXPOSED_INFRASTRUCTURE,
    SIG_HONEYPOT_SUSPECT,
    SIG_N
};

struct signal_def {
    const char *id;       /* as the record writes it: "no-auth" */
    const char *rule;     /* SARIF rule name: "NoAuthentication" */
    const char *meaning;  /* one sentence, for reports */
    const char *severity; /* when it fires at which severity (docs/signals.md) */
};

extern const struct signal_def signal_defs[SIG_N];

/* The record's id of a signal ("no-auth"). */
static inline const char *signal_name(enum signal_id s)
{
    return (unsigned)s < SIG_N ? signal_defs[s].id : "";
}
/* The signal of a record's id, -1 for one this build does not know. */
int signal_lookup(const char *id);
/* Is this record id the signal s? */
bool signal_is(const char *id, enum signal_id s);

#endif
