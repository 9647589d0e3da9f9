/*
 * probe/probe.c -- what a probe may call (probe_send, probe_emit) and the
 * probe run shared by the engine and the replay tests.
 */
#include "probe/probe.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int probe_send(struct probe_ctx *ctx, const void *p, size_t n)
{
    int cap = ctx->opts && ctx->opts->max_requests > 0 ? ctx->opts->max_requests : 32;
    if (ctx->requests >= cap) return -1;
    if (buf_append(ctx->out, p, n) < 0) return -1;
    ctx->requests++;
    return 0;
}

int probe_sendf(struct probe_ctx *ctx, const char *fmt, ...)
{
    char tmp[2048];
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (r < 0 || (size_t)r >= sizeof tmp) return -1;
    return probe_send(ctx, tmp, (size_t)r);
}

struct finding *probe_emit(struct probe_ctx *ctx)
{
    if (ctx->nextra >= PROBE_MAX_EXTRA) return NULL;
    struct finding *f = xmalloc(sizeof *f);
    if (!f) return NULL;
    finding_init(f);
    str_copy(f->ip, ctx->f->ip, sizeof f->ip);
    f->port = ctx->f->port;
    str_copy(f->host, ctx->f->host, sizeof f->host);
    f->time = ctx->f->time;
    ctx->extra[ctx->nextra++] = f;
    return f;
}

int probe_run_init(struct probe_run *r, const struct probe *p, struct finding *f,
                   const struct probe_options *opts)
{
    memset(r, 0, sizeof *r);
    r->p = p;
    buf_init(&r->out, PROBE_OUT_CAP);
    r->ctx.f = f;
    r->ctx.self = p;
    r->ctx.opts = opts;
    r->ctx.out = &r->out;
    r->ctx.extra = r->extra;
    if (p->state_size) {
        r->ctx.state = xcalloc(1, p->state_size);
        if (!r->ctx.state) return -1;
    }
    return 0;
}

void probe_run_free(struct probe_run *r)
{
    if (r->ctx.state && r->p->free_state) r->p->free_state(r->ctx.state);
    free(r->ctx.state);
    r->ctx.state = NULL;
    buf_free(&r->out);
    for (int i = 0; i < PROBE_MAX_EXTRA; i++) {
        if (r->extra[i]) {
            finding_free(r->extra[i]);
            free(r->extra[i]);
            r->extra[i] = NULL;
        }
    }
}
