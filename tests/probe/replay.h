/*
 * tests/probe/replay.h -- drive a probe with recorded server responses the
 * same way the engine does (struct probe_run), in three modes: each
 * response whole, one byte at a time, and split at every offset.
 *
 * A case is a folder tests/probe/cases/<probe-or-http-app>/<case>/ holding:
 *   conn          optional lines: port=9200  tls=1  host=name  no_default_accounts=1
 *                 scram_nonce=NONCE (the client nonce of a SCRAM login, so a recorded
 *                 server-first message that extends NONCE can be replayed)
 *   1.resp        raw bytes the server sent first (answer to request 1, or
 *                 its greeting for server-first protocols), 2.resp, ...
 *   N.head + N.body | N.body.src
 *                 instead of N.resp: status line and headers (LF or CRLF),
 *                 Content-Length added when absent; the body inline, or
 *                 N.body.src naming a file under $AJAR_FIXTURES
 *                 (../shared/fixtures, real recorded responses)
 *   N.eof         the server closed the connection after response N
 *   expect.json   the expected record, as a subset: every key given must
 *                 match (objects recursively, arrays and scalars exactly).
 *                 Extra keys: "_rc" ("done" default, or "nomatch"),
 *                 "_extra" (array of subsets for probe_emit findings, in order),
 *                 "_requests" (array of prefixes of each request sent, in order).
 * A folder named after an HTTP app is driven through the "http" dispatcher.
 *
 * Two-piece splits: every offset of responses up to 1500 bytes; beyond
 * that every offset of the first KiB and the last 256 bytes and an even
 * stride between (1500 runs per response), to keep the suite fast under
 * the sanitizers. The byte-at-a-time run covers every boundary anyway.
 */
#ifndef AJAR_TEST_REPLAY_H
#define AJAR_TEST_REPLAY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Run one case directory in every mode; returns the number of failures (messages to stderr). */
int replay_case(const char *dir, int *checks);
/* Run every case under root (tests/probe/cases), or only <root>/<only> when only != NULL. */
int replay_all(const char *root, const char *only, int *checks, int *cases);
/* Is `sub` a subset of `full` (see above)? On mismatch, writes the JSON path into why. */
bool json_subset(const json_t *sub, const json_t *full, char *why, size_t whyn);

#endif
