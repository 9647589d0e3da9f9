/*
 * web/record_text.h -- the dashboard's parsers of untrusted text (text.c).
 */
#ifndef AJAR_WEB_RECORD_TEXT_H
#define AJAR_WEB_RECORD_TEXT_H

#include "core/util.h"

#include <stdbool.h>
#include <stddef.h>

#include "core/record_text.h" /* the record's reader: record_json_str and friends */

/* The first max names of a record as "a, b, c (+N)", and whether it has a via (no parse). */
void wv_record_display(const char *rec, size_t len, int max, struct buf *out, bool *via);

/* An application/x-www-form-urlencoded body: at most WEB_FORM_MAX pairs, the rest ignored. */
#define WEB_FORM_MAX 32
struct web_form {
    char *kv[WEB_FORM_MAX][2];
    int n;
};
void web_form_parse(struct web_form *f, const char *p, size_t n);
/* The first value of name, NULL when absent. */
const char *web_form_get(const struct web_form *f, const char *name);
/* Free (values wiped first: a password does not linger). */
void web_form_free(struct web_form *f);

/* A local path to go back to after signing in: "/..." but not "//" (another host), not
 * /login or /logout, no control bytes, spaces or backslashes, at most 512 bytes. */
bool web_next_ok(const char *n);

#endif
