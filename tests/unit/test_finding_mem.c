/*
 * tests/unit/test_finding_mem.c -- the record's memory (issue 26: one finding lives in every
 * connection in flight). struct finding stays small; its seldom-filled lists (signals,
 * hostnames, the certificate's SANs, the per-name counts) are not allocated until their first
 * item, and other setters allocate none of them; they grow within their caps and drop what
 * is past them; finding_copy() of a full finding is deep (the source freed, the copy reads
 * the same, under ASan); finding_free() twice is harmless. Then every allocation of building
 * and copying a full finding is made to fail in turn (AJAR_FAIL_ALLOC=N, in a child process
 * of this program): the item is dropped, the lists stay consistent, nothing crashes or leaks.
 */
#include "core/finding.h"
#include "core/util.h"
#include "t.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* docs/engine.md's figure (3,280 bytes on x86-64) with a small margin */
#define FINDING_SIZE_MAX 3584

static bool lists_unallocated(const struct finding *f)
{
    return !f->signals && !f->hostnames && !f->tls.san && !f->name_records && !f->name_bytes;
}

/* Every list at (and one past) its cap. */
static void fill_full(struct finding *f)
{
    finding_init(f);
    FINDING_SET(f, ip, "127.0.0.1");
    f->port = 9200;
    FINDING_SET(f, service, "elasticsearch");
    for (int i = 0; i <= FINDING_MAX_SIGNALS; i++)
        finding_add_signal(f, "no-auth", (enum severity)(1 + i % 5), "signal %d", i);
    f->rdns = true;
    for (int i = 0; i <= FINDING_MAX_HOSTNAMES; i++) {
        char h[64];
        str_fmt(h, sizeof h, "h%d.example.test", i);
        finding_add_hostname(f, h, i % 2 == 0);
    }
    f->tls.present = true;
    FINDING_SET(f, tls.subject_cn, "es.example.test");
    for (int i = 0; i <= FINDING_MAX_SAN; i++) {
        char s[64];
        str_fmt(s, sizeof s, "s%d.example.test", i);
        tls_add_san(&f->tls, s);
    }
    for (int i = 0; i <= FINDING_MAX_NAMES; i++) {
        char n[32];
        str_fmt(n, sizeof n, "index-%d", i);
        finding_add_name(f, n, strlen(n), i, i % 3 ? (int64_t)i * 1000 : -1);
    }
    finding_add_field(f, "email", 5);
    finding_detail_str(f, "mode", "cluster");
}

/* What fill_full made (each list at its cap), read from f. */
static void check_full(const struct finding *f)
{
    CHECK_INT(f->nsignals, FINDING_MAX_SIGNALS);
    for (int i = 0; i < f->nsignals && f->signals; i++) {
        char want[32];
        str_fmt(want, sizeof want, "signal %d", i);
        CHECK_STR(f->signals[i].detail, want);
        CHECK_STR(f->signals[i].id, "no-auth");
        CHECK_INT(f->signals[i].severity, 1 + i % 5);
    }
    CHECK_INT(f->nhostnames, FINDING_MAX_HOSTNAMES);
    CHECK_INT(f->hostname_ptr, 0x5555);
    for (int i = 0; i < f->nhostnames && f->hostnames; i++) {
        char want[64];
        str_fmt(want, sizeof want, "h%d.example.test", i);
        CHECK_STR(f->hostnames[i], want);
    }
    CHECK_INT(f->tls.nsan, FINDING_MAX_SAN);
    for (int i = 0; i < f->tls.nsan && f->tls.san; i++) {
        char want[64];
        str_fmt(want, sizeof want, "s%d.example.test", i);
        CHECK_STR(f->tls.san[i], want);
    }
    CHECK_INT(f->names.n, FINDING_MAX_NAMES);
    CHECK_INT(f->names.total, FINDING_MAX_NAMES + 1);
    CHECK(f->name_records && f->name_bytes);
    for (uint32_t i = 0; i < f->names.n && f->name_records && f->name_bytes; i++) {
        char want[32];
        str_fmt(want, sizeof want, "index-%u", i);
        CHECK_STR(f->names.v[i], want);
        CHECK_INT(f->name_records[i], i);
        CHECK_INT(f->name_bytes[i], i % 3 ? (int64_t)i * 1000 : -1);
    }
    CHECK_STR(f->service, "elasticsearch");
    CHECK_INT(f->fields.n, 1);
    CHECK_STR(json_string_value(json_object_get(f->details, "mode")), "cluster");
}

static char *record(const struct finding *f)
{
    json_t *j = finding_to_json(f, false);
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
}

static void test_size(void)
{
    printf("sizeof(struct finding) = %zu, sizeof(struct tls_facts) = %zu\n", sizeof(struct finding),
           sizeof(struct tls_facts));
    CHECK_MSG(sizeof(struct finding) <= FINDING_SIZE_MAX, "%zu bytes", sizeof(struct finding));
}

/* No signals, hostnames, SANs or names: none of their arrays, whatever else is set. */
static void test_unallocated(void)
{
    struct finding f;
    finding_init(&f);
    CHECK(lists_unallocated(&f));
    CHECK_INT(f.nsignals + f.nhostnames + f.tls.nsan + (int)f.names.n, 0);
    FINDING_SET(&f, ip, "127.0.0.1");
    FINDING_SET(&f, host, "db.example.test");
    FINDING_SET(&f, service, "redis");
    FINDING_SET(&f, product, "Redis");
    FINDING_SET(&f, version, "7.2.4");
    FINDING_SET(&f, banner, "-NOAUTH");
    FINDING_SET(&f, error, "timeout");
    FINDING_SET(&f, cluster, "c1");
    f.auth = AUTH_REQUIRED;
    f.rdns = true;
    f.tls.present = true;
    FINDING_SET(&f, tls.version, "TLSv1.3");
    FINDING_SET(&f, tls.subject_cn, "db.example.test");
    FINDING_SET(&f, tls.issuer, "CN=Lab CA");
    finding_count_add(&f.records, 12);
    finding_count_add(&f.bytes, 4096);
    f.databases = 16;
    finding_add_field(&f, "email", 5);
    finding_add_field(&f, "name", 4);
    finding_detail_str(&f, "mode", "standalone");
    finding_detail_int(&f, "keys", 3);
    finding_detail_strn(&f, "role", "master", 6);
    f.has_via = true;
    FINDING_SET(&f, via_service, "kibana");
    FINDING_SET(&f, attr.country, "ZZ");
    CHECK(lists_unallocated(&f));
    /* the record written and read back allocates none of them either */
    char *s = record(&f);
    CHECK(s != NULL);
    json_t *j = s ? json_loads(s, 0, NULL) : NULL;
    struct finding g;
    CHECK_INT(finding_from_json(&g, j), 0);
    CHECK(lists_unallocated(&g));
    char *s2 = record(&g);
    CHECK(s && s2 && strcmp(s, s2) == 0);
    /* nor does a copy */
    struct finding c;
    CHECK_INT(finding_copy(&c, &f), 0);
    CHECK(lists_unallocated(&c));
    finding_free(&c);
    finding_free(&g);
    json_decref(j);
    free(s);
    free(s2);
    finding_free(&f);
    CHECK(lists_unallocated(&f));
    finding_free(&f); /* twice: harmless */
}

/* The lists grow with what they hold, to their caps and no further. */
static void test_growth(void)
{
    struct finding f;
    finding_init(&f);
    finding_add_signal(&f, "no-auth", SEV_HIGH, "x");
    CHECK(f.signals != NULL);
    CHECK_INT(f.nsignals, 1);
    CHECK(f.signals_cap >= 1 && f.signals_cap <= 4);
    /* the first block within 1 KiB (glibc's per-thread cache): 3 signals of 308 bytes */
    CHECK_MSG(f.signals_cap * sizeof *f.signals <= 1024, "%zu", f.signals_cap * sizeof *f.signals);
    CHECK_INT(f.severity, SEV_HIGH);
    CHECK(!f.hostnames && !f.tls.san && !f.name_records);
    CHECK(finding_add_hostname(&f, "a.example.test", true));
    CHECK(f.hostnames_cap >= 1 && f.hostnames_cap <= 4);
    CHECK(tls_add_san(&f.tls, "b.example.test"));
    CHECK(f.tls.san_cap >= 1 && f.tls.san_cap <= 4);
    finding_add_name(&f, "db0", 3, 7, -1);
    CHECK(f.name_records && f.name_bytes);
    CHECK_INT(f.name_records[0], 7);
    CHECK_INT(f.name_bytes[0], -1);
    /* to the caps: the items past them dropped */
    for (int i = 1; i < FINDING_MAX_SIGNALS + 3; i++)
        finding_add_signal(&f, "outdated", SEV_LOW, "%d", i);
    CHECK_INT(f.nsignals, FINDING_MAX_SIGNALS);
    CHECK_INT(f.signals_cap, FINDING_MAX_SIGNALS);
    CHECK(finding_new_signal(&f) == NULL);
    int added = 1;
    for (int i = 1; i < FINDING_MAX_HOSTNAMES + 3; i++)
        added += finding_add_hostname(&f, "c.example.test", false);
    CHECK_INT(added, FINDING_MAX_HOSTNAMES);
    CHECK_INT(f.nhostnames, FINDING_MAX_HOSTNAMES);
    CHECK_INT(f.hostnames_cap, FINDING_MAX_HOSTNAMES);
    CHECK_INT(f.hostname_ptr, 1);
    added = 1;
    for (int i = 1; i < FINDING_MAX_SAN + 3; i++)
        added += tls_add_san(&f.tls, "d.example.test");
    CHECK_INT(added, FINDING_MAX_SAN);
    CHECK_INT(f.tls.nsan, FINDING_MAX_SAN);
    CHECK_INT(f.tls.san_cap, FINDING_MAX_SAN);
    /* a name cut to FINDING_HOSTNAME_MAX bytes, a SAN to 255 */
    struct finding g;
    finding_init(&g);
    char longname[400];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    CHECK(finding_add_hostname(&g, longname, false));
    CHECK_INT(strlen(g.hostnames[0]), FINDING_HOSTNAME_MAX);
    CHECK(tls_add_san(&g.tls, longname));
    CHECK_INT(strlen(g.tls.san[0]), 255);
    finding_free(&g);
    finding_free(&f);
}

/* finding_copy of a full finding is deep: the source freed, the copy reads the same. */
static void test_copy_deep(void)
{
    struct finding *src = xmalloc(sizeof *src);
    CHECK(src != NULL);
    if (!src) return;
    fill_full(src);
    check_full(src);
    char *want = record(src);
    CHECK(want != NULL);
    struct finding c;
    CHECK_INT(finding_copy(&c, src), 0);
    CHECK(c.signals != src->signals && c.hostnames != src->hostnames && c.tls.san != src->tls.san &&
          c.name_records != src->name_records && c.name_bytes != src->name_bytes &&
          c.names.v != src->names.v && c.details != src->details);
    /* the source gone (and its memory poisoned by ASan): the copy is whole */
    finding_free(src);
    memset(src, 0xa5, sizeof *src);
    free(src);
    check_full(&c);
    char *got = record(&c);
    CHECK(want && got && strcmp(want, got) == 0);
    /* and the copy of the copy, then both freed */
    struct finding d;
    CHECK_INT(finding_copy(&d, &c), 0);
    finding_free(&c);
    check_full(&d);
    char *again = record(&d);
    CHECK(want && again && strcmp(want, again) == 0);
    /* a copy grows on from where it is (its lists are exactly as long as the source's) */
    finding_add_signal(&d, "x", SEV_LOW, "past the cap");
    CHECK_INT(d.nsignals, FINDING_MAX_SIGNALS);
    finding_free(&d);
    free(want);
    free(got);
    free(again);

    /* a partly filled copy can grow */
    struct finding f, g;
    finding_init(&f);
    finding_add_signal(&f, "no-auth", SEV_HIGH, "one");
    CHECK(tls_add_san(&f.tls, "a.example.test"));
    CHECK_INT(finding_copy(&g, &f), 0);
    finding_free(&f);
    for (int i = 0; i < 10; i++) {
        finding_add_signal(&g, "outdated", SEV_LOW, "%d", i);
        tls_add_san(&g.tls, "b.example.test");
    }
    CHECK_INT(g.nsignals, 11);
    CHECK_STR(g.signals[0].detail, "one");
    CHECK_STR(g.signals[10].detail, "9");
    CHECK_INT(g.tls.nsan, 11);
    CHECK_STR(g.tls.san[0], "a.example.test");
    finding_free(&g);
}

/* Lists as long as their memory, names and counts parallel. */
static bool consistent(const struct finding *f)
{
    return f->nsignals >= 0 && (size_t)f->nsignals <= f->signals_cap &&
           (!f->nsignals || f->signals) && f->nhostnames >= 0 &&
           (size_t)f->nhostnames <= f->hostnames_cap && (!f->nhostnames || f->hostnames) &&
           f->tls.nsan >= 0 && (size_t)f->tls.nsan <= f->tls.san_cap &&
           (!f->tls.nsan || f->tls.san) && (!f->names.n || (f->name_records && f->name_bytes)) &&
           f->nsignals <= FINDING_MAX_SIGNALS && f->nhostnames <= FINDING_MAX_HOSTNAMES &&
           f->tls.nsan <= FINDING_MAX_SAN && f->names.n <= FINDING_MAX_NAMES;
}

/* The child: build, write, copy, write, free, with one allocation failing. 0 when all held. */
static int child(void)
{
    struct finding f, c;
    fill_full(&f);
    int ok = consistent(&f);
    char *a = record(&f);
    int rc = finding_copy(&c, &f);
    ok &= consistent(&c);
    char *b = record(&c);
    if (rc == 0) ok &= a && b && strcmp(a, b) == 0;
    finding_free(&f);
    finding_free(&c);
    free(a);
    free(b);
    return ok ? 0 : 1;
}

/* Run this program as the child with AJAR_FAIL_ALLOC=n; its exit status, -1 on a signal. Its
 * stderr goes to err (the allocation count when n is 0). */
static int run_child(const char *self, long n, char *err, size_t errn)
{
    int p[2];
    if (pipe(p) < 0) return -2;
    pid_t pid = fork();
    if (pid < 0) return -2;
    if (pid == 0) {
        char v[24];
        str_fmt(v, sizeof v, "%ld", n);
        setenv("AJAR_FAIL_ALLOC", v, 1);
        dup2(p[1], 2);
        close(p[0]);
        close(p[1]);
        execl(self, self, "--child", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    size_t got = 0;
    ssize_t r;
    while ((r = read(p[0], err + got, errn - 1 - got)) > 0 && got + (size_t)r < errn - 1)
        got += (size_t)r;
    if (r > 0) got += (size_t)r;
    err[got] = 0;
    close(p[0]);
    int st;
    if (waitpid(pid, &st, 0) < 0) return -2;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_alloc_failures(const char *self)
{
    static char err[1 << 16];
    CHECK_INT(run_child(self, 0, err, sizeof err), 0);
    const char *c = strstr(err, "ajar: allocations: ");
    long k = c ? strtol(c + strlen("ajar: allocations: "), NULL, 10) : 0;
    CHECK_MSG(k > 100, "%ld allocations counted", k);
    printf("building and copying a full finding: %ld allocations, each made to fail\n", k);
    int bad = 0;
    for (long n = 1; n <= k && bad < 3; n++) {
        int st = run_child(self, n, err, sizeof err);
        if (st != 0 || strstr(err, "Sanitizer") || strstr(err, "runtime error")) {
            bad++;
            fprintf(stderr, "allocation %ld failing: status %d\n%s\n", n, st, err);
        }
    }
    CHECK_MSG(bad == 0, "%d of %ld allocation failures mishandled", bad, k);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--child") == 0) return child();
    test_size();
    test_unallocated();
    test_growth();
    test_copy_deep();
    test_alloc_failures("/proc/self/exe");
    return T_END();
}
