/*
 * probe/signature.h -- services described by signature files (YAML) instead of code: each file
 * is a catalogue entry plus the HTTP requests, matchers and extractors that identify the service
 * and read its metadata (docs/signatures.md). A loaded signature is an HTTP app the dispatcher
 * drives like the compiled ones.
 */
#ifndef AJAR_PROBE_SIGNATURE_H
#define AJAR_PROBE_SIGNATURE_H

#include "core/util.h"

#include <stddef.h>

struct http_app;

/* Loaded signatures, in load order. */
size_t signature_count(void);
const struct http_app *signature_app(size_t i);

#endif
