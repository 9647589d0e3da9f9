/*
 * web/scope.h -- what a dashboard user may see (scope.c).
 *
 * Three roles: an admin sees everything, the accounts included; an
 * analyst every finding; a viewer only the findings within the scope
 * given to the account: owners (the --owners file's names for address
 * ranges), cloud providers and networks (AS numbers) of the record's
 * attribution. A finding is within the scope when it matches any term.
 *
 * The scope is applied where the dashboard reads the store (the view of
 * a scan group is built from the in-scope observations only, and every
 * page that reads one observation checks it first), never in a template:
 * a row out of scope never reaches a page, and neither does any count,
 * name or id derived from it.
 *
 * Stored in users.scope as text, one term a line: "owner=Shanghai PSB",
 * "provider=alibaba", "asn=37963". The text is also the key of the views
 * built for the scope.
 */
#ifndef AJAR_WEB_SCOPE_H
#define AJAR_WEB_SCOPE_H

#include "core/util.h"

#include <stdbool.h>
#include <stddef.h>

enum web_role { ROLE_ADMIN = 0, ROLE_ANALYST, ROLE_VIEWER };

#define SCOPE_MAX_TERMS 16
#define SCOPE_VALUE_MAX 96
#define SCOPE_TEXT_MAX  (SCOPE_MAX_TERMS * (SCOPE_VALUE_MAX + 10) + 1)

enum scope_kind { SCOPE_OWNER = 0, SCOPE_PROVIDER, SCOPE_ASN };

struct web_scope {
    int n;
    struct {
        enum scope_kind kind;
        char value[SCOPE_VALUE_MAX + 1]; /* asn: decimal digits */
    } t[SCOPE_MAX_TERMS];
    char text[SCOPE_TEXT_MAX]; /* the canonical text (terms in the order given) */
};

/* "admin" / "analyst" / "viewer"; -1 for anything else. */
int web_role_parse(const char *s);
const char *web_role_name(enum web_role r);

/* Add one term ("owner", "Shanghai PSB"); 0, or -1 with e set (bad kind or value, too many). */
int web_scope_add(struct web_scope *s, const char *kind, const char *value, struct err *e);
/* Parse the stored text (at most SCOPE_TEXT_MAX - 1 bytes): 0, or -1 with e set. An empty
 * text is an empty scope. */
int web_scope_parse(const char *text, size_t len, struct web_scope *s, struct err *e);
/* A finding within the scope? owner: its owner's name ("" none); provider: the record's
 * cloud.provider ("" none); asn: its AS number (0 none). Names compare ignoring case. */
bool web_scope_match(const struct web_scope *s, const char *owner, const char *provider,
                     unsigned long asn);
/* "owner Shanghai PSB, AS37963" for people (at most n bytes). */
void web_scope_describe(const struct web_scope *s, char *out, size_t n);

#endif
