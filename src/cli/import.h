/*
 * cli/import.h -- read what other scanners found (masscan -oJ / -oL, zmap
 * CSV, nmap -oX) or plain `ip[:port]` lines, and probe exactly those pairs.
 *
 * The parsers are push parsers over untrusted bytes: import_feed() takes
 * any chunk size (the unit tests feed fixtures whole and one byte at a
 * time and must get the same pairs), every line or tag is capped, and a
 * line that does not parse is skipped and counted, never fatal. Each open
 * (address, port) found is handed to the caller's callback; port 0 means
 * "no port on this line" (a bare address: the command's -p list applies).
 *
 * import_main() is what `ajar import` and `ajar probe` run: parse, sort
 * and de-duplicate the pairs, write them to a private file and run the
 * equivalent `ajar scan -iL FILE` (so every scan option, the store, the
 * output and --fail-on work the same).
 */
#ifndef AJAR_CLI_IMPORT_H
#define AJAR_CLI_IMPORT_H

#include "core/util.h"

#include <stdbool.h>
#include <stdint.h>

enum import_format {
    IMPORT_AUTO = 0,
    IMPORT_LIST,         /* ip, ip:port, [v6]:port: one per line (ajar probe) */
    IMPORT_MASSCAN_JSON, /* masscan -oJ */
    IMPORT_MASSCAN_LIST, /* masscan -oL: "open tcp PORT IP TIME" */
    IMPORT_ZMAP,         /* zmap CSV: saddr lines, or a header naming saddr[,sport][,success] */
    IMPORT_NMAP_XML,     /* nmap -oX: open tcp ports of each host */
};

#define IMPORT_MAX_LINE 65536 /* a longer line (or XML tag) is skipped */
#define IMPORT_MAX_COLS 64    /* zmap CSV columns looked at */

struct import_pair {
    int family;       /* AF_INET or AF_INET6 */
    uint8_t addr[16]; /* network order */
    uint16_t port;    /* 0: none on the line */
};

/* Return non-zero to stop the parse (import_feed then returns -1 with e set by the caller). */
typedef int (*import_pair_fn)(void *arg, const struct import_pair *p);

struct import_parser {
    enum import_format fmt; /* IMPORT_AUTO until the first meaningful line decides */
    import_pair_fn fn;
    void *arg;
    char *line; /* IMPORT_MAX_LINE bytes, owned */
    size_t len;
    bool overlong; /* the current line passed the cap: drop it */
    uint64_t lineno;
    uint64_t pairs, skipped;
    uint64_t first_bad_line; /* line of the first skipped one (0 none) */
    bool stopped;
    /* zmap: column indexes from the header (-1 absent) */
    bool zmap_header_seen;
    int col_saddr, col_sport, col_success;
    /* nmap XML */
    int xml_quote;   /* quote char while inside an attribute value, else 0 */
    bool xml_in_tag; /* between '<' and '>' */
    bool host_has_addr;
    struct import_pair host;
    bool port_tcp, port_open, in_port;
    uint16_t port_num;
};

int import_parser_init(struct import_parser *p, enum import_format fmt, import_pair_fn fn,
                       void *arg);
/* Parse n more bytes. -1 only when out of memory or the callback stopped it. */
int import_feed(struct import_parser *p, const void *data, size_t n, struct err *e);
/* End of input: the last line without its newline is parsed. */
int import_finish(struct import_parser *p, struct err *e);
void import_parser_free(struct import_parser *p);

/* "masscan-json" ... ; -1 on an unknown name. */
int import_format_parse(const char *name, enum import_format *out);
const char *import_format_name(enum import_format f);

/*
 * `ajar import` (fmt IMPORT_AUTO unless --format) and `ajar probe`
 * (IMPORT_LIST); cmd is the command's name, usage its --help text.
 */
int import_main(const char *cmd, const char *usage, enum import_format fmt, int argc, char **argv);

#endif
