/*
 * attr/attr.h -- where a record's address is: its AS and organisation, country and cloud
 * provider (docs/attribution.md).
 *
 * Read from files the user gives, never from the network: MaxMind DB files (--asn-db,
 * --geo-db: GeoLite2 / GeoIP2 ASN, Country and City, DB-IP's lite files, IPinfo's free
 * files) through libmaxminddb, the providers' published range files (--cloud-ranges,
 * attr/ranges.h) and the built-in table of cloud providers' ASes (data/cloud-asns.tsv).
 * attr_open() checks every file before anything is sent: an error is one sentence
 * "FILE: what is wrong" (a usage error). attr_enrich() fills a finding's attr fields in a
 * few microseconds; it does nothing when attr_open() was given no file.
 */
#ifndef AJAR_ATTR_ATTR_H
#define AJAR_ATTR_ATTR_H

#include "core/finding.h"
#include "core/util.h"

struct attr_opts {
    const char *asn_db;        /* --asn-db FILE, or NULL */
    const char *geo_db;        /* --geo-db FILE, or NULL */
    const char *const *ranges; /* --cloud-ranges FILE... */
    size_t nranges;
};

/* 0, or -1 with e set ("FILE: ..."; "out of memory" in it when that is the cause). */
int attr_open(const struct attr_opts *o, struct err *e);
/* attr_open() was given at least one file. */
bool attr_active(void);
/* Fill f->attr from f->ip. */
void attr_enrich(struct finding *f);
void attr_close(void);

/* The layout attr_open() found in a MaxMind DB file, for messages and tests:
 * "GeoLite2-ASN", ... the database_type, and whether its records carry AS and country fields. */
struct attr_db_info {
    char type[64];
    bool has_asn, has_country;
};
/* Open and inspect one MaxMind DB file (no lookups kept). 0 or -1 with e set. */
int attr_db_probe(const char *path, struct attr_db_info *info, struct err *e);

/* The provider of an AS in the built-in table, or NULL. */
const char *attr_cloud_asn(uint32_t asn);

#endif
