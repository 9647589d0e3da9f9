/*
 * tests/fuzz/fuzz_mmdb.c -- a MaxMind DB file as --asn-db and --geo-db (src/attr/attr.c over
 * libmaxminddb): the layout detection (metadata, one record found by walking the search
 * tree, its keys named in the message), then lookups of a few addresses into a record that
 * is written as JSON. Any bytes: refused with one line naming the file, or read without a
 * crash. The input is handed over as a memfd (no file left behind).
 */
#include "attr/attr.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);
const char *__lsan_default_suppressions(void);

/* Debian 12's libmaxminddb 1.7.1 leaks the description's entry list (4.6 kB) when MMDB_open
 * refuses a file whose metadata decodes badly: fixed upstream by maxmind/libmaxminddb#356
 * (2024-11). ajar exits right after such a refusal. The library is built without frame
 * pointers, so the fast unwinder sees no caller to name: allocations made inside
 * libmaxminddb are suppressed here (test_attr, without this, checks that ajar frees what the
 * library hands it: entry lists, MMDB_close). */
const char *__lsan_default_suppressions(void)
{
    return "leak:libmaxminddb.so\n";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    int fd = memfd_create("fuzz.mmdb", 0);
    if (fd < 0) return 0;
    if (n && write(fd, data, n) != (ssize_t)n) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct attr_db_info info;
    struct err e;
    if (attr_db_probe(path, &info, &e) < 0) {
        if (strncmp(e.msg, path, strlen(path)) != 0 || strchr(e.msg, '\n')) __builtin_trap();
    } else {
        struct attr_opts o = {.asn_db = info.has_asn ? path : NULL,
                              .geo_db = info.has_country ? path : NULL};
        if (attr_open(&o, &e) == 0) {
            static const char *const ips[] = {"1.2.3.4",         "127.0.170.5", "0.0.0.0",
                                              "255.255.255.255", "::1",         "2001:db8::1"};
            for (size_t i = 0; i < sizeof ips / sizeof ips[0]; i++) {
                struct finding f;
                finding_init(&f);
                str_copy(f.ip, ips[i], sizeof f.ip);
                f.port = 1;
                attr_enrich(&f);
                json_t *j = finding_to_json(&f, false);
                if (!j) __builtin_trap();
                json_decref(j);
                finding_free(&f);
            }
        }
        attr_close();
    }
    close(fd);
    return 0;
}
