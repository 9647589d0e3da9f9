/*
 * probe/signature.h -- services described by signature files (YAML) instead of code: each file
 * is a catalogue entry plus the HTTP requests, matchers and extractors that identify the service
 * and read its metadata (docs/signatures.md). A loaded signature is an HTTP app the dispatcher
 * drives like the compiled ones, and its entry is in the catalogue.
 */
#ifndef AJAR_PROBE_SIGNATURE_H
#define AJAR_PROBE_SIGNATURE_H

#include "core/util.h"

#include <stddef.h>

struct http_app;

/* Loaded signatures, in load order: all of them; those spoken over HTTP (HTTP apps); those of
 * transport: tcp (probes of their own). */
struct probe;
size_t signature_count(void);
size_t signature_app_count(void);
const struct http_app *signature_app(size_t i);
size_t signature_probe_count(void);
const struct probe *signature_probe(size_t i);

/*
 * Load one file, or every *.yaml / *.yml file of a directory (in name order), into the
 * catalogue. The first bad file stops it: -1 and e->msg "FILE:LINE: what is wrong" (a service
 * already in the catalogue is an error too). *loaded (may be NULL) counts the files loaded.
 */
int signature_load_file(const char *path, struct err *e);
int signature_load_dir(const char *dir, int *loaded, struct err *e);
/* The shipped signatures (signature_shipped_dir), once; later calls do nothing. */
int signature_load_shipped(struct err *e);
const char *signature_shipped_dir(void);
/* Check a file without loading it (also against the services loaded so far). */
int signature_check_file(const char *path, struct err *e);
/* Check a file or every file of a directory: say() gets one "FILE:LINE: ..." line per bad file,
 * *bad counts them. Returns the files checked, or -1 when path cannot be read. */
int signature_check_path(const char *path, int *bad, void (*say)(const char *line));
/* Forget every loaded signature and its catalogue entry (tests, fuzzers). */
void signature_unload_all(void);

#endif
