/*
 * tests/fuzz/fuzz_cert.c -- certificate facts (src/tls/cert.h) from
 * hostile bytes: cert_facts_from_pem takes PEM (a chain of up to 16) or,
 * when no PEM block parses, one DER certificate, then reads names, SANs,
 * key, signature and validity and checks the name the user scanned by.
 * A server's certificate is attacker-controlled like any other bytes.
 *
 * Input: byte 0 picks the host name checked (none, a name, a wildcard
 * target, an IPv4 or IPv6 literal); the rest is the certificate. Seeds:
 * tests/unit/certs/*.pem, and each in DER.
 */
#include "tls/cert.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n < 1) return 0;
    static const char *const hosts[8] = {NULL,        "",    "db.example.com", "a.b.example.com",
                                         "127.0.0.1", "::1", "localhost",      "xn--nxa.example"};
    const char *host = hosts[data[0] & 7];
    struct finding f;
    finding_init(&f);
    if (cert_facts_from_pem(&f.tls, (const char *)data + 1, n - 1, host, 1763700000) == 0) {
        /* the facts go into the record as the engine does */
        json_t *j = finding_to_json(&f, false);
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        free(s);
        json_decref(j);
    }
    finding_free(&f);
    return 0;
}
