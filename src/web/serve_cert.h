/*
 * web/serve_cert.h -- the dashboard's own TLS certificate (cert.c).
 */
#ifndef AJAR_WEB_SERVE_CERT_H
#define AJAR_WEB_SERVE_CERT_H

#include "core/util.h"

#include <stdbool.h>
#include <time.h>

#define WEB_CERT_DAYS      365
#define WEB_CERT_WARN_DAYS 30

struct web_cert_opts {
    const char *cert_path, *key_path; /* --cert/--key, or both NULL */
    const char *state_dir;            /* where a generated pair is kept */
    const char *host;                 /* the listening address, added to a generated SAN */
    bool allow_expired;               /* --allow-expired-cert */
    time_t now;                       /* 0: the clock */
};

struct web_cert {
    char cert_path[4096], key_path[4096];
    char *cert_pem, *key_pem; /* owned */
    time_t not_before, not_after;
    char sha256[65];
    bool generated; /* made on this start */
};

/*
 * Load (or generate, when no --cert is given and the state dir has none)
 * and check the certificate: the key matches, and unless allow_expired it
 * is valid now. Errors name the file and what to do.
 */
int web_cert_load(struct web_cert *c, const struct web_cert_opts *o, struct err *e);
/* Whole days until expiry (negative once expired). */
int web_cert_days_left(const struct web_cert *c, time_t now);
void web_cert_free(struct web_cert *c);
/* A new self-signed pair in PEM (both owned by the caller). */
int web_cert_generate(const char *host, int days, char **cert_pem, char **key_pem, struct err *e);

#endif
