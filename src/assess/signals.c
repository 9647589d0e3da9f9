/*
 * assess/signals.c -- the table of signals (see signals.h).
 */
#include "assess/signals.h"

#include <string.h>

const struct signal_def signal_defs[SIG_N] = {
    [SIG_NO_AUTH] = {"no-auth", "NoAuthentication", "Data readable without credentials.",
                     "critical when readable with personal data, over 1,000,000 records or a "
                     "ransom note; else high"},
    [SIG_DASHBOARD_EXPOSES_STORE] =
        {"dashboard-exposes-store", "DashboardExposesStore",
         "An open console (Kibana, redis-commander, phpMyAdmin...) hands out the store behind it.",
         "high"},
    [SIG_DEFAULT_ACCOUNT_EMPTY_PASSWORD] =
        {"default-account-empty-password", "DefaultAccountEmptyPassword",
         "The default administrative account logs in with an empty password.", "high"},
    [SIG_NO_AUTH_CAPABILITY] = {"no-auth-capability", "NoAuthCapability",
                                "This product version had no free built-in authentication.",
                                "medium"},
    [SIG_END_OF_LIFE] = {"end-of-life", "EndOfLife",
                         "The version's release line is past its end of life.", "medium"},
    [SIG_OUTDATED] = {"outdated", "Outdated",
                      "The version is behind the newest release of its line.", "low"},
    [SIG_CERT_EXPIRED] = {"cert-expired", "CertificateExpired",
                          "The TLS certificate had expired at scan time.",
                          "medium on data services and consoles, else low"},
    [SIG_CERT_NOT_YET_VALID] = {"cert-not-yet-valid", "CertificateNotYetValid",
                                "The TLS certificate was not yet valid at scan time.", "low"},
    [SIG_CERT_SELF_SIGNED] = {"cert-self-signed", "CertificateSelfSigned",
                              "The TLS certificate is self-signed.", "low"},
    [SIG_CERT_WEAK_KEY] = {"cert-weak-key", "CertificateWeakKey",
                           "The TLS certificate's key is too weak.", "low"},
    [SIG_CERT_NAME_MISMATCH] = {"cert-name-mismatch", "CertificateNameMismatch",
                                "The TLS certificate does not cover the name scanned.", "low"},
    [SIG_CERT_SHARED] = {"cert-shared", "CertificateShared",
                         "The same certificate (and private key) is served by several hosts.",
                         "medium on data services and consoles, else low"},
    [SIG_CERT_STALE] = {"cert-stale", "CertificateStale",
                        "The certificate was issued long ago or expired long ago: no maintenance.",
                        "low"},
    [SIG_PERSONAL_DATA_SCHEMA] = {"personal-data-schema", "PersonalDataSchema",
                                  "Index, table or field names look like personal data.",
                                  "critical if readable, else medium"},
    [SIG_LARGE_DATASET] = {"large-dataset", "LargeDataset", "A large amount of data is exposed.",
                           "critical if readable with over 1,000,000 records, high if readable, "
                           "else info"},
    [SIG_PERSONAL_DATA_OVER_THRESHOLD] =
        {"personal-data-over-threshold", "PersonalDataOverThreshold",
         "Personal-looking data holds more records than the reporting threshold.",
         "critical if readable, else high"},
    [SIG_RANSOM_NOTE] = {"ransom-note", "RansomNote",
                         "A name ransom gangs leave behind: the data may be gone.",
                         "critical if readable, else medium"},
    [SIG_EXPOSED_INFRASTRUCTURE] =
        {"exposed-infrastructure", "ExposedInfrastructure",
         "An infrastructure API (Docker, etcd, Consul, kubelet...) is open.",
         "critical when not initialised; high when it runs code or keeps secrets; else medium"},
    [SIG_HONEYPOT_SUSPECT] =
        {"honeypot-suspect", "HoneypotSuspect",
         "The address answers as a known honeypot does, or as many different stores at once.",
         "info"},
};

int signal_lookup(const char *id)
{
    for (int i = 0; id && i < SIG_N; i++)
        if (strcmp(id, signal_defs[i].id) == 0) return i;
    return -1;
}

bool signal_is(const char *id, enum signal_id s)
{
    return id && (unsigned)s < SIG_N && strcmp(id, signal_defs[s].id) == 0;
}
