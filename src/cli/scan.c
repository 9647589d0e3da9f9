/*
 * cli/scan.c -- `ajar scan`: take the parsed options (scan_args.c), build
 * the target set, run the engine, assess each finding and write it out.
 *
 * Usage errors (bad target, port, flag) print one line naming the culprit
 * and exit 2 before anything is sent. Output is JSON lines (docs/record.md);
 * the progress line goes to stderr when it is a terminal or --progress.
 *
 * A scan ends complete or interrupted (SIGINT, SIGTERM, --max-seconds, a
 * runtime failure); the end hook is told which, and why, in every case, so
 * the store never takes an interrupted walk for a complete one. `--resume`
 * without targets continues the newest unfinished scan with its stored
 * arguments; a resume whose targets or options contradict the scan's is
 * refused naming the difference. When -o names a regular file, it is
 * rewritten at the end with the scan's final records (the store's view,
 * which only the end knows: shared certificates), so the file and
 * `ajar report --format jsonl` agree; a pipe keeps the stream. With
 * --rdns, findings wait for their address's PTR names (rdns_hold.c, off
 * the engine's loop, bounded by --rdns-timeout) before they go on.
 */
#include "assess/assess.h"
#include "attr/attr.h"
#include "cli/cli.h"
#include "cli/rdns_hold.h"
#include "cli/scan_args.h"
#include "cli/scanopts.h"
#include "cli/webhook.h"
#include "net/engine.h"
#include "net/syn.h"
#include "probe/signature.h"
#include "target/target.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

struct out_ctx {
    FILE *fp;
    bool discovery_only;
    bool progress;
    bool tty;
    struct scan_hooks hooks;
    int write_error;
    struct buf line; /* one record, reused */
    /* --rdns: findings wait for their PTR names here */
    struct rdns_hold *rdns;
};

/* A finding goes on: assessed, stored, written. */
static int out_finding(void *arg, struct finding *f)
{
    struct out_ctx *o = arg;
    if (!o->discovery_only && o->hooks.assess) o->hooks.assess(o->hooks.arg, f);
    if (!o->discovery_only) attr_enrich(f); /* --asn-db, --geo-db, --cloud-ranges */
    if (o->hooks.store && o->hooks.store(o->hooks.arg, f) < 0) return -1;
    if (!o->fp) return 0;
    /* the record without a jansson tree (the store's encoder: the same bytes) */
    buf_reset(&o->line);
    if (finding_json_write(&o->line, f, o->discovery_only, NULL) == 0) {
        if (fwrite(o->line.data, 1, o->line.len, o->fp) != o->line.len) o->write_error = 1;
    } else {
        json_t *j = finding_to_json(f, o->discovery_only);
        if (!j) return -1;
        if (json_dumpf(j, o->fp, JSON_COMPACT) < 0) o->write_error = 1;
        json_decref(j);
    }
    if (fputc('\n', o->fp) == EOF) o->write_error = 1;
    /* records go out in batches: the stream's buffer is flushed once a second (on_progress)
     * and at the end, not after each record (one write() per record was 7% of a fast probe
     * stage). Discovery-only lines feed a pipeline's next stage at once. */
    if (o->discovery_only && fflush(o->fp) == EOF) o->write_error = 1;
    return o->write_error ? -1 : 0;
}

static int on_finding(void *arg, struct finding *f)
{
    struct out_ctx *o = arg;
    return o->rdns ? rdns_hold_add(o->rdns, f) : out_finding(o, f);
}

static void out_checkpoint(void *arg, uint64_t pos)
{
    struct out_ctx *o = arg;
    if (o->hooks.checkpoint) o->hooks.checkpoint(o->hooks.arg, pos);
}

static void on_progress(void *arg, const struct engine_stats *st, bool final)
{
    struct out_ctx *o = arg;
    if (o->rdns) rdns_hold_pump(o->rdns, false);
    if (o->fp && fflush(o->fp) == EOF) o->write_error = 1;
    if (!o->progress) return;
    double el = (double)(now_ms() - st->start_ms) / 1000.0;
    double rate = el > 0 ? (double)st->started / el : 0;
    double pct = st->total ? 100.0 * (double)st->done / (double)st->total : 100.0;
    double eta = rate > 0 && st->total > st->done ? (double)(st->total - st->done) / rate : 0;
    fprintf(stderr, "%s%6.0f/s  %llu/%llu  %5.1f%%  ETA %5.0fs  open %llu  identified %llu%s",
            o->tty ? "\r" : "", rate, (unsigned long long)st->done, (unsigned long long)st->total,
            pct, eta, (unsigned long long)st->open, (unsigned long long)st->identified,
            o->tty && !final ? "   " : "\n");
    if (final && o->tty) fputc('\n', stderr);
    if (final)
        log_info("done: %llu open, %llu closed, %llu no answer, %llu unreachable, %llu identified",
                 (unsigned long long)st->open, (unsigned long long)st->closed,
                 (unsigned long long)st->silent, (unsigned long long)st->unreachable,
                 (unsigned long long)st->identified);
}

static void on_checkpoint(void *arg, uint64_t pos)
{
    struct out_ctx *o = arg;
    if (o->rdns)
        rdns_hold_checkpoint(o->rdns, pos);
    else
        out_checkpoint(o, pos);
}

static void on_pull(void *arg, const struct target *t, uint64_t pos)
{
    struct out_ctx *o = arg;
    o->hooks.reach(o->hooks.arg, t, pos);
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Add sorted copies of items to the hash, each followed by a separator. */
static void hash_sorted(EVP_MD_CTX *h, const char *const *items, size_t n, const char *tag)
{
    EVP_DigestUpdate(h, tag, strlen(tag) + 1);
    const char **v = n ? xcalloc(n, sizeof *v) : NULL;
    if (n && !v) return;
    for (size_t i = 0; i < n; i++)
        v[i] = items[i];
    if (n) qsort(v, n, sizeof *v, cmp_cstr);
    for (size_t i = 0; i < n; i++)
        EVP_DigestUpdate(h, v[i], strlen(v[i]) + 1);
    free(v);
}

/*
 * Two scans have the same scope when they were given the same targets,
 * ports and excludes (in any order): their key is a hash of those, sorted.
 */
static void scope_key(struct scan_cfg *cfg, const char *const *specs, size_t nspecs,
                      const struct target_opts *to)
{
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    unsigned char md[32];
    unsigned int mdl = 0;
    if (!h) return;
    EVP_DigestInit_ex(h, EVP_sha256(), NULL);
    hash_sorted(h, specs, nspecs, "targets");
    hash_sorted(h, to->input_files, to->n_input_files, "input-files");
    size_t np = target_set_nports(cfg->ts);
    EVP_DigestUpdate(h, "ports", 6);
    EVP_DigestUpdate(h, target_set_ports(cfg->ts), np * sizeof(uint16_t));
    hash_sorted(h, to->exclude, to->n_exclude, "exclude");
    hash_sorted(h, to->exclude_files, to->n_exclude_files, "exclude-files");
    EVP_DigestFinal_ex(h, md, &mdl);
    EVP_MD_CTX_free(h);
    for (unsigned i = 0; i < mdl && i < 32; i++)
        str_fmt(cfg->scope_key + 2 * i, 3, "%02x", md[i]);
}

void scan_shown_arg(const char *opt, const char *val, char *out, size_t n)
{
    if (!strcmp(opt, "--pagerduty-key")) {
        str_copy(out, "<redacted>", n);
        return;
    }
    if (!strcmp(opt, "--webhook")) {
        const char *h = strstr(val, "://");
        size_t hl = h ? strcspn(h + 3, "/?#") : 0;
        const char *at = h ? memchr(h + 3, '@', hl) : NULL; /* user:token@host */
        if (at) {
            hl -= (size_t)(at + 1 - (h + 3));
            h = at + 1 - 3;
        }
        if (h)
            str_fmt(out, n, "%.*s://%.*s/<redacted>", (int)(strstr(val, "://") - val), val, (int)hl,
                    h + 3);
        else
            str_copy(out, "<redacted>", n);
        return;
    }
    if (!strcmp(opt, "--db")) {
        const char *h = strstr(val, "://"), *pw = NULL;
        size_t hl = h ? strcspn(h + 3, "/?#") : 0;
        const char *at = h ? memchr(h + 3, '@', hl) : NULL;
        if (at) pw = memchr(h + 3, ':', (size_t)(at - (h + 3)));
        if (pw) { /* postgresql://user:PASSWORD@host/db */
            str_fmt(out, n, "%.*s:<redacted>%s", (int)(pw - val), val, at);
            return;
        }
        const char *k = strstr(val, "password");
        if (k && (h || strchr(val, '='))) { /* ...?password=X or conninfo "password=X" */
            str_fmt(out, n, "%.*s<redacted>", (int)(k - val), val);
            return;
        }
    }
    str_copy(out, val, n);
}

static void command_line(struct scan_cfg *cfg, int argc, char **argv)
{
    size_t o = str_copy(cfg->args, "ajar scan", sizeof cfg->args);
    const char *opt = "";
    for (int i = 1; i < argc && o < sizeof cfg->args - 2; i++) {
        cfg->args[o++] = ' ';
        /* -iL was rewritten to --iL for getopt: show what the user typed */
        const char *a = strcmp(argv[i], "--iL") == 0 ? "-iL" : argv[i];
        char shown[1024];
        /* the option by its full name, whatever prefix of it was typed (getopt takes any) */
        bool has_val = false;
        const char *full = opt[0] ? NULL : scan_args_option(a, &has_val);
        const char *eq = !strncmp(a, "--", 2) ? strchr(a, '=') : NULL;
        if (eq && full) { /* --webhook=URL */
            scan_shown_arg(full, eq + 1, shown, sizeof shown);
            size_t nl = (size_t)(eq - a) + 1;
            if (nl < sizeof cfg->args - o) {
                memcpy(cfg->args + o, a, nl);
                o += nl;
            }
        } else {
            scan_shown_arg(opt, a, shown, sizeof shown);
        }
        o += str_copy(cfg->args + o, shown, sizeof cfg->args - o);
        if (o >= sizeof cfg->args) o = sizeof cfg->args - 1;
        opt = full && !eq && has_val ? full : "";
    }
}

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
    engine_stop();
}

/* Why the walk stopped, for the store and the people reading it; NULL when it is complete. */
static const char *stop_reason(const struct engine_stats *st, const struct out_ctx *o, char *buf,
                               size_t n)
{
    if (!st->interrupted) return NULL;
    switch (st->stop_why) {
    case STOP_ASKED:
        return got_signal == SIGINT ? "SIGINT" : got_signal == SIGTERM ? "SIGTERM" : "stopped";
    case STOP_TIME:
        return "--max-seconds";
    case STOP_SINK:
        str_fmt(buf, n, "error: %s",
                o->write_error ? "writing the output failed" : "storing a finding failed");
        return buf;
    case STOP_NONE:
        break;
    }
    return "stopped";
}

/*
 * Rewrite the regular file at path with the scan's final records: a new file beside it (same
 * mode), renamed over it, so a reader sees the old or the new, never half.
 */
static int rewrite_output(const char *path, const struct scan_hooks *hooks, struct err *e)
{
    struct stat sb;
    if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode)) return 0; /* a pipe, a device: the stream */
    char dir[4096], tmp[4200];
    str_copy(dir, path, sizeof dir);
    str_fmt(tmp, sizeof tmp, "%s/.ajar-out-XXXXXX", dirname(dir));
    int fd = mkstemp(tmp);
    if (fd < 0) return err_set(e, "cannot rewrite %s: %s", path, strerror(errno));
    fchmod(fd, sb.st_mode & 07777);
    FILE *fp = fdopen(fd, "w");
    if (!fp) {
        close(fd);
        unlink(tmp);
        return err_set(e, "cannot rewrite %s: %s", path, strerror(errno));
    }
    int r = hooks->final_records(hooks->arg, fp, e);
    if (fclose(fp) != 0 && r == 0) r = err_set(e, "writing %s failed", tmp);
    if (r == 0 && rename(tmp, path) < 0)
        r = err_set(e, "cannot rename %s: %s", tmp, strerror(errno));
    if (r != 0) unlink(tmp);
    return r < 0 ? -1 : 0;
}

/*
 * Refuse to resume a scan with other targets or options than it had (exit 2), naming the
 * difference: the scope (what the store compares) by its key, the rest option by option.
 */
static int resume_check(const struct scan_args *a, const char *scope_key,
                        const struct scan_resume *ri, const struct scan_args *then)
{
    char diff[400] = "";
    bool other_scope = strcmp(scope_key, ri->scope_key) != 0;
    if (a->have_seed && a->seed != ri->seed) {
        fprintf(stderr, "ajar scan: cannot resume scan %lld: --seed: %llu (the scan: %llu)\n",
                (long long)ri->id, (unsigned long long)a->seed, (unsigned long long)ri->seed);
        return EXIT_USAGE;
    }
    if (a->shard != ri->shard || a->nshards != (ri->nshards ? ri->nshards : 1)) {
        fprintf(stderr,
                "ajar scan: cannot resume scan %lld: --shard: %llu/%llu (the scan: %u/%u)\n",
                (long long)ri->id, (unsigned long long)a->shard, (unsigned long long)a->nshards,
                ri->shard, ri->nshards);
        return EXIT_USAGE;
    }
    if (then->nowned ? scan_args_differ(a, then, other_scope, diff, sizeof diff) : 0) {
        fprintf(stderr, "ajar scan: cannot resume scan %lld: %s\n", (long long)ri->id, diff);
        return EXIT_USAGE;
    }
    if (other_scope) {
        fprintf(stderr,
                "ajar scan: cannot resume scan %lld: its targets, ports or excludes differ from "
                "these\n",
                (long long)ri->id);
        return EXIT_USAGE;
    }
    return 0;
}

/*
 * --resume: find the scan to continue and, without targets, take its stored arguments (the
 * options given now on top) into *a. By ID, or the newest unfinished scan when no targets are
 * given; with targets and no ID, by scope once the scope key is known (scope_key non-NULL).
 * *ri and *then (its stored arguments as they were) are the caller's to free. Returns 0, or an
 * exit status; ri->id stays 0 when there is nothing to resume.
 */
static int resume_find(struct scan_args *a, const char *scope_key, const struct scan_hooks *hooks,
                       struct scan_resume *ri, struct scan_args *then)
{
    bool bare = a->specs.n == 0 && a->infiles.n == 0;
    struct err e = {{0}};
    if (a->cfg.no_db) {
        fprintf(stderr, "ajar scan: --resume needs a store (drop --no-db)\n");
        return EXIT_USAGE;
    }
    if (!hooks || !hooks->resume_find) {
        fprintf(stderr, "ajar scan: --resume needs a store\n");
        return EXIT_USAGE;
    }
    int r = hooks->resume_find(hooks->arg, &a->cfg, bare ? NULL : scope_key, ri, &e);
    if (r < 0) {
        fprintf(stderr, "ajar scan: %s\n", e.msg);
        return EXIT_RUNTIME;
    }
    if (r == 1) {
        if (!bare) return 0; /* a new scan, with a warning from the store */
        fprintf(stderr, "ajar scan: --resume: no unfinished scan in the store (give targets to "
                        "start one)\n");
        return EXIT_RUNTIME;
    }
    if (!ri->argv_json) {
        if (!bare) {
            if (!a->have_seed) { /* the walk is the scan's own */
                a->seed = ri->seed;
                a->have_seed = true;
            }
            return 0;
        }
        fprintf(stderr,
                "ajar scan: scan %lld has no stored arguments (an older store): give its targets "
                "and options again with --resume=%lld\n",
                (long long)ri->id, (long long)ri->id);
        return EXIT_USAGE;
    }
    if (scan_args_from_json(ri->argv_json, then, &e) < 0) {
        fprintf(stderr, "ajar scan: scan %lld: %s\n", (long long)ri->id, e.msg);
        return EXIT_RUNTIME;
    }
    if (bare) {
        struct scan_args base;
        if (scan_args_from_json(ri->argv_json, &base, &e) < 0) {
            fprintf(stderr, "ajar scan: scan %lld: %s\n", (long long)ri->id, e.msg);
            return EXIT_RUNTIME;
        }
        scan_args_merge(&base, a);
        scan_args_free(a);
        *a = base;
        if (a->cfg.webhook_redacted && !a->cfg.webhook)
            log_warn("scan %lld alerted a webhook, whose URL is not stored: give --webhook again "
                     "for alerts",
                     (long long)ri->id);
        if (a->cfg.pagerduty_key_redacted && !a->cfg.pagerduty_key && !getenv("AJAR_PAGERDUTY_KEY"))
            log_warn("scan %lld alerted PagerDuty, whose routing key is not stored: give "
                     "--pagerduty-key or AJAR_PAGERDUTY_KEY again for alerts",
                     (long long)ri->id);
    }
    /* a seed drawn at random is not among the arguments: the walk is the scan's own */
    if (!a->have_seed) {
        a->seed = ri->seed;
        a->have_seed = true;
    }
    a->cfg.resume_id = ri->id;
    return 0;
}

/* One `ajar scan` from its options to its end: what the stages share and scan_main frees. */
struct scan_run {
    const struct scan_hooks *hooks; /* the store's side; NULL with none */
    struct scan_args a;             /* the options, a bare --resume's stored ones beneath */
    struct scan_args then;          /* a resumed scan's stored options as they were */
    struct scan_resume ri;          /* the scan resumed (ri.id 0: none) */
    char *argv_json;                /* the arguments as typed, for the store */
    struct target_set *ts;          /* the targets and ports */
    struct target_iter it;          /* the walk over them */
    FILE *trace, *fp;               /* --trace; -o FILE (NULL: stdout) */
    struct rdns_hold *rh;           /* --rdns */
    struct out_ctx oc;              /* where the findings go */
    struct err e;                   /* the failure a stage says */
};

/* Say msg; the status of a failure of what the user gave: usage (2) unless memory ran out (1). */
static int input_failed(const char *msg)
{
    fprintf(stderr, "ajar scan: %s\n", msg);
    return strstr(msg, "out of memory") ? EXIT_RUNTIME : EXIT_USAGE;
}

/*
 * The options the scan will run with: the arguments kept as typed (the store keeps them; a
 * resumed scan keeps its own), a --resume by ID or without targets found and its stored
 * arguments merged beneath, the combinations checked. 0, or an exit status.
 */
static int scan_options(struct scan_run *s, int argc, char **argv)
{
    struct scan_args *a = &s->a;
    if (!(s->argv_json = scan_args_json(argc, argv))) return EXIT_RUNTIME;
    if (a->cfg.resume && (a->specs.n == 0 && a->infiles.n == 0 ? 1 : a->cfg.resume_id != 0)) {
        int r = resume_find(a, NULL, s->hooks, &s->ri, &s->then);
        if (r) return r;
    }
    int rc = scan_args_check(a);
    if (rc) return rc;
    if (a->cfg.resume && scan_args_check_syn(a) != 0) return EXIT_USAGE; /* the merged options */
    if (a->specs.n == 0 && a->infiles.n == 0) {
        fprintf(stderr, "ajar scan: no targets (give addresses, ranges, names or -iL FILE)\n");
        return EXIT_USAGE;
    }
    return 0;
}

/*
 * The files read and checked whole before anything is sent: the signature catalogue (complete
 * before anything reads it: -p names, the default ports), --signatures directories,
 * --lifecycle, the attribution files. 0, or an exit status.
 */
static int scan_load_files(struct scan_run *s)
{
    struct scan_args *a = &s->a;
    if (cli_signatures_error()) return input_failed(cli_signatures_error());
    for (size_t i = 0; i < a->sigdirs.n; i++)
        if (signature_load_dir(a->sigdirs.v[i], NULL, &s->e) < 0) return input_failed(s->e.msg);
    if (a->lifecycle_path && lifecycle_load_file(a->lifecycle_path, &s->e) < 0)
        return input_failed(s->e.msg);
    /* --asn-db, --geo-db, --cloud-ranges */
    struct attr_opts ao = {a->asn_db, a->geo_db, a->cloud_ranges.v, a->cloud_ranges.n};
    if (attr_open(&ao, &s->e) < 0) return input_failed(s->e.msg);
    return 0;
}

/*
 * The target set and the scan's identity in the configuration (seed, shard, scope key, command
 * line). A --resume with targets and no ID finds its scan by scope here; any resume is checked
 * against the scan it continues. 0, or an exit status.
 */
static int scan_targets(struct scan_run *s, int argc, char **argv)
{
    struct scan_args *a = &s->a;
    struct scan_cfg *cfg = &a->cfg;
    if (a->nshards > 1 && !a->have_seed) {
        fprintf(stderr, "ajar scan: --shard needs --seed (every shard must walk the same order)\n");
        return EXIT_USAGE;
    }
    log_level = a->quiet ? 0 : 1 + a->verbose;
    if (target_set_new(&s->ts, a->specs.v, a->specs.n, &a->to, &s->e) < 0)
        return input_failed(s->e.msg);
    uint64_t seed = a->seed;
    if (!a->have_seed && getrandom(&seed, sizeof seed, 0) != sizeof seed)
        seed = (uint64_t)now_ms() ^ (uint64_t)getpid();
    cfg->ts = s->ts;
    cfg->seed = seed;
    cfg->seed_given = a->have_seed;
    cfg->shard = (uint32_t)a->shard;
    cfg->nshards = (uint32_t)a->nshards;
    cfg->discovery_only = a->eo.discovery_only;
    cfg->argv_json = s->argv_json;
    scope_key(cfg, a->specs.v, a->specs.n, &a->to);
    command_line(cfg, argc, argv);
    if (cfg->resume && !s->ri.id) {
        int r = resume_find(a, cfg->scope_key, s->hooks, &s->ri, &s->then);
        if (r) return r;
        /* the scan's own seed when one was found; with nothing to resume, a new scan keeps the
         * one drawn above (it took 0 before) */
        if (a->have_seed) cfg->seed = a->seed;
    }
    return s->ri.id ? resume_check(a, cfg->scope_key, &s->ri, &s->then) : 0;
}

/*
 * The walk and the store's scan, in this order: the walk's length (it does not depend on the
 * seed) before the store is asked; the --rdns resolver before the store's scan begins (a failure
 * leaves no scan behind); the store's begin, which may settle the seed and a checkpoint; the
 * walk with that seed, from that checkpoint. 0, or an exit status.
 */
static int scan_begin(struct scan_run *s)
{
    struct scan_cfg *cfg = &s->a.cfg;
    uint64_t resume_pos = 0;
    if (target_iter_init(&s->it, s->ts, 1, cfg->shard, cfg->nshards, &s->e) < 0)
        return input_failed(s->e.msg);
    cfg->walk_total = target_iter_steps(&s->it);
    if (s->a.rdns_on &&
        rdns_hold_open(&s->rh, &s->a.rdns, out_finding, out_checkpoint, &s->oc, &s->e) < 0) {
        fprintf(stderr, "ajar scan: %s\n", s->e.msg);
        return EXIT_RUNTIME;
    }
    if (s->hooks && s->hooks->begin &&
        s->hooks->begin(s->hooks->arg, cfg, &resume_pos, &s->e) < 0) {
        fprintf(stderr, "ajar scan: %s\n", s->e.msg);
        return EXIT_RUNTIME;
    }
    if (target_iter_init(&s->it, s->ts, cfg->seed, cfg->shard, cfg->nshards, &s->e) < 0)
        return input_failed(s->e.msg);
    if (resume_pos && target_iter_seek(&s->it, resume_pos) < 0) {
        fprintf(stderr, "ajar scan: checkpoint %llu is past the end of the shard\n",
                (unsigned long long)resume_pos);
        return EXIT_RUNTIME;
    }
    return 0;
}

/* --trace FILE and -o FILE (not "-"), created 0600 (fopen_private). 0, or EXIT_RUNTIME. */
static int scan_open_outputs(struct scan_run *s)
{
    struct scan_args *a = &s->a;
    if (a->trace_path) {
        s->trace = fopen_private(a->trace_path);
        if (!s->trace) {
            fprintf(stderr, "ajar scan: cannot write %s: %s\n", a->trace_path, strerror(errno));
            return EXIT_RUNTIME;
        }
        a->eo.trace = s->trace;
    }
    if (a->out_path && strcmp(a->out_path, "-") != 0) {
        s->fp = fopen_private(a->out_path);
        if (!s->fp) {
            fprintf(stderr, "ajar scan: cannot write %s: %s\n", a->out_path, strerror(errno));
            return EXIT_RUNTIME;
        }
    }
    return 0;
}

/*
 * Run the engine (or --discovery syn's sender) over the walk, its findings to out_ctx, until it
 * ends or SIGINT/SIGTERM stops it (on_signal, installed here); then the findings still waiting
 * for PTR names go on (at most --rdns-timeout). *st is the run's count (zero if it failed
 * early). The engine's result: 0, or -1 with s->e set.
 */
static int scan_walk(struct scan_run *s, struct engine_stats *st)
{
    struct scan_args *a = &s->a;
    const struct scan_hooks *hooks = s->hooks;
    struct out_ctx *oc = &s->oc;
    log_info("%llu pairs (%llu addresses x ports), seed %llu, shard %llu/%llu",
             (unsigned long long)target_set_size(s->ts),
             (unsigned long long)target_set_naddr(s->ts), (unsigned long long)a->cfg.seed,
             (unsigned long long)a->shard, (unsigned long long)a->nshards);
    oc->fp = s->fp ? s->fp : stdout;
    oc->discovery_only = a->eo.discovery_only;
    oc->progress = !a->quiet && (a->progress || isatty(2));
    oc->tty = isatty(2);
    buf_init(&oc->line, 16u << 20);
    if (hooks) oc->hooks = *hooks;
    if (hooks && hooks->no_stdout && !a->out_path) oc->fp = NULL;
    oc->rdns = s->rh;
    struct engine_sink sink = {.arg = oc,
                               .on_finding = on_finding,
                               .on_progress = on_progress,
                               .on_checkpoint = on_checkpoint,
                               .on_pull =
                                   hooks && hooks->reach && a->cfg.want_reach ? on_pull : NULL};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    memset(st, 0, sizeof *st);
    int run = (a->syn ? syn_run : engine_run)(&s->it, &a->eo, &sink, st, &s->e);
    if (oc->rdns) {
        if (rdns_hold_drain(oc->rdns) < 0 && !st->interrupted) {
            st->interrupted = true;
            st->stop_why = STOP_SINK;
        }
        rdns_hold_close(s->rh);
        oc->rdns = s->rh = NULL;
    }
    buf_free(&oc->line);
    return run;
}

/*
 * The end of a walk that ran (run: scan_walk's result): the store's end hook is told in every
 * case, an interrupted walk as one (why: stop_reason), never as complete; then -o FILE is
 * closed and, when all went well, rewritten with the scan's final records. The exit status:
 * EXIT_RUNTIME after any failure, else the store's (e.g. --fail-on), else EXIT_OK.
 */
static int scan_end(struct scan_run *s, struct engine_stats *st, int run)
{
    const struct scan_hooks *hooks = s->hooks;
    struct out_ctx *oc = &s->oc;
    char why[sizeof s->e.msg + 16];
    const char *reason = stop_reason(st, oc, why, sizeof why);
    if (run < 0) {
        fprintf(stderr, "ajar scan: %s\n", s->e.msg);
        str_fmt(why, sizeof why, "error: %s", s->e.msg);
        reason = why;
        st->interrupted = true;
    }
    if (oc->write_error)
        fprintf(stderr, "ajar scan: writing the output failed: %s\n", strerror(errno));
    struct err ee = {{0}};
    int end = hooks && hooks->end ? hooks->end(hooks->arg, st, reason, &ee) : 0;
    if (end < 0) fprintf(stderr, "ajar scan: %s\n", ee.msg);
    if (s->fp) {
        if (fclose(s->fp) != 0) oc->write_error = 1;
        s->fp = NULL;
        if (!oc->write_error && end == 0 && !s->a.eo.discovery_only && hooks &&
            hooks->final_records && rewrite_output(s->a.out_path, hooks, &ee) < 0) {
            fprintf(stderr, "ajar scan: %s\n", ee.msg);
            end = -1;
        }
    }
    if (run < 0 || oc->write_error || end < 0) return EXIT_RUNTIME;
    return hooks && hooks->exit_status ? hooks->exit_status(hooks->arg) : EXIT_OK;
}

/* What a scan holds, in every case: stdout flushed when it was the output. */
static void scan_run_free(struct scan_run *s)
{
    if (s->fp)
        fclose(s->fp);
    else
        fflush(stdout);
    if (s->trace) fclose(s->trace);
    rdns_hold_close(s->rh);
    target_set_free(s->ts);
    attr_close();
    free(s->argv_json);
    free(s->ri.argv_json);
    scan_args_free(&s->then);
    scan_args_free(&s->a);
}

/*
 * `ajar scan`, stage by stage; a stage that stops the scan has said why (all but scan_options'
 * exit 1 when memory runs out encoding the arguments, silent as it always was). Nothing goes to
 * the targets before scan_walk, and the store's scan begins in scan_begin (before it, only
 * --resume reads the store), so a scan refused before that leaves none behind.
 */
int scan_main(int argc, char **argv, const struct scan_hooks *hooks)
{
    struct scan_run s;
    memset(&s, 0, sizeof s);
    s.hooks = hooks;
    int rc = scan_args_parse(argc, argv, &s.a);
    if (rc) {
        rc = rc < 0 ? EXIT_OK : rc; /* -1: --help answered */
        goto out;
    }
    if ((rc = scan_options(&s, argc, argv)) != 0 || (rc = scan_load_files(&s)) != 0 ||
        (rc = scan_targets(&s, argc, argv)) != 0 || (rc = scan_begin(&s)) != 0 ||
        (rc = scan_open_outputs(&s)) != 0)
        goto out;
    struct engine_stats st;
    int run = scan_walk(&s, &st);
    rc = scan_end(&s, &st, run);
out:
    scan_run_free(&s);
    return rc;
}
