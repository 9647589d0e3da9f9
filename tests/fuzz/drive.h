/*
 * tests/fuzz/drive.h -- turn one fuzzer input into what a server could do to
 * a probe, and drive the probe through it exactly as the engine would.
 *
 * The fuzz harnesses never touch the network: they hand bytes to parsers in
 * memory. For the probes that means a struct probe_run (the same object the
 * engine and tests/probe/replay.c use), start(), on_data() in chunks whose
 * sizes the fuzzer picks, connection ends with a reason, on_end() and
 * reconnects and STARTTLS upgrades, with the engine's own caps (8
 * reconnects, then on_end(CANCEL)).
 *
 * Input format of a probe harness (docs/fuzzing.md):
 *
 *   byte 0   options: bit 0 TLS connection; bit 1 no_default_accounts;
 *            bit 2 the user scanned a host name (f->host set, as with
 *            "db.example.com:9200"); bits 5-7 chunking: 0 each segment
 *            whole, 1 one byte at a time, m >= 2 pseudo-random chunks of
 *            1..4^m bytes.
 *   byte 1   seed of the chunk-size generator.
 *   byte 2-3 the port, big-endian; 0 -> the first usual port of the probe
 *            (or HTTP app), or 1 when it has none.
 *   rest     segments: server bytes separated by the marker FUZZ_MARK
 *            ("\xff" "AJ") followed by one event byte e, e % 5:
 *            0 nothing (the next segment follows on the same connection),
 *            1 EOF, 2 reset, 3 timeout, 4 TLS failure (the connection ends
 *            with that reason; on_end decides: reconnect, done, nomatch).
 *   The end of the input is an EOF when the probe still waits.
 *
 * The seed corpora are the fixtures of tests/probe/cases in this format
 * (tests/fuzz/seed.sh): each N.resp (or N.head + N.body) is a segment, an
 * N.eof file makes its event EOF.
 */
#ifndef AJAR_FUZZ_DRIVE_H
#define AJAR_FUZZ_DRIVE_H

#include "probe/probe.h"

#include <stddef.h>
#include <stdint.h>

#define FUZZ_MARK                                                                                  \
    "\xff"                                                                                         \
    "AJ"
#define FUZZ_MARK_LEN 3

/* Chunk sizes: a tiny deterministic generator so a crash replays exactly. */
struct fuzz_chunker {
    unsigned mode; /* 0 whole, 1 bytewise, m >= 2: 1..4^m */
    uint32_t state;
};
void fuzz_chunker_init(struct fuzz_chunker *c, unsigned mode, uint8_t seed);
/* How many of the `left` bytes go into the next chunk (>= 1 when left > 0). */
size_t fuzz_chunk(struct fuzz_chunker *c, size_t left);

#define FUZZ_HEADER_LEN 4

/*
 * The probe of that name, or the HTTP dispatcher for an HTTP app or a signature of that name
 * ("elasticsearch", "prometheus": driven through the "http" dispatcher); the shipped signatures
 * are loaded on the first call. *port gets the service's first usual port (0 when none). NULL
 * when nothing has that name.
 */
const struct probe *fuzz_probe_by_name(const char *name, uint16_t *port);

/*
 * Run probe p over one fuzzer input (format above), then what the engine
 * does with the result: every probe's sniff() on the banner, assessment
 * and the JSON record of the finding and of every emitted finding.
 */
void fuzz_drive_probe(const struct probe *p, uint16_t port, const uint8_t *data, size_t n);

#endif
