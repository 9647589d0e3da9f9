/*
 * cli/mail.c -- one mail per scan with its new and worsened findings,
 * through the system's sendmail.
 *
 * Teams without a chat tool read mail. Every MTA worth installing provides
 * `sendmail -t -oi`: -t takes the recipients from the To: header (so no
 * address is ever an argument a shell or an option parser could read), -oi
 * keeps a line holding a lone '.' in the body. The program is
 * /usr/sbin/sendmail, or $AJAR_SENDMAIL (the tests' fake, or msmtp).
 *
 * Header injection: a header is only ever ajar's words (Subject: counts and
 * a scan number; Date:; MIME and Auto-Submitted: lines) or an address the
 * user gave that mail_addr_check accepted; nothing a server said reaches a
 * header. The body is UTF-8 text (8bit), built by alert_render_text: every
 * string from the finding sanitized, every line under 998 bytes.
 *
 * The child: posix_spawn with the message on a pipe to its stdin and its
 * stdout sent to our stderr (our stdout may be the scan's JSON lines).
 * Writing and waiting share one deadline (--mail-wait); past it the child
 * is killed (SIGTERM, then SIGKILL) and the mail counts as not sent. A
 * reader that dies mid-message gives EPIPE, not a SIGPIPE: the signal is
 * blocked in this thread while we write and a pending one is taken.
 */
#include "cli/mail.h"
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct mail {
    struct mail_opts o;
    struct alert_target target; /* for the dashboard links */
    struct buf body;            /* the alerts' lines */
    uint64_t n, nnew, nworse, nfound, unlisted;
};

int mail_addr_check(const char *addr, struct err *e)
{
    size_t n = strlen(addr);
    const char *at = strrchr(addr, '@');
    if (n == 0 || n > 254 || !at || at == addr || !at[1] || addr[0] == '-')
        return err_set(e, "bad mail address '%.80s' (want local@domain)", addr);
    for (const char *p = addr; *p; p++) {
        unsigned char c = (unsigned char)*p;
        bool ok = p > at ? (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                               (c >= '0' && c <= '9') || c == '.' || c == '-'
                         : c > ' ' && c < 0x7f && !strchr("\"(),:;<>@[\\]", c);
        if (!ok && p != at) return err_set(e, "bad character in mail address '%.80s'", addr);
    }
    if (at[1] == '.' || at[1] == '-' || addr[n - 1] == '.' || strstr(at, ".."))
        return err_set(e, "bad domain in mail address '%.80s'", addr);
    return 0;
}

int mail_open(struct mail **out, const struct mail_opts *o, struct err *e)
{
    if (!o->nto) return err_set(e, "no mail address");
    for (size_t i = 0; i < o->nto; i++)
        if (mail_addr_check(o->to[i], e) < 0) return -1;
    if (o->from && mail_addr_check(o->from, e) < 0) return -1;
    struct mail *m = xcalloc(1, sizeof *m);
    if (!m) return err_set(e, "out of memory");
    m->o = *o;
    m->target.format = ALERT_JSON;
    m->target.dashboard_url = o->dashboard_url;
    buf_init(&m->body, (size_t)8 << 20);
    *out = m;
    return 0;
}

void mail_add(struct mail *m, const struct alert *a)
{
    if (!m || a->event == ALERT_NONE) return;
    m->n++;
    if (a->event == ALERT_NEW) m->nnew++;
    if (a->event == ALERT_WORSENED) m->nworse++;
    if (a->event == ALERT_FOUND) m->nfound++;
    size_t before = m->body.len;
    if (m->n > MAIL_MAX_ALERTS || alert_render_text(&m->target, a, MAIL_LINE_MAX, &m->body) < 0) {
        if (m->body.data && before < m->body.len) { /* a partial block: drop it */
            m->body.len = before;
            m->body.data[before] = 0;
        }
        m->unlisted++;
    }
}

uint64_t mail_count(const struct mail *m)
{
    return m ? m->n : 0;
}

int mail_compose(const struct mail *m, const char *coverage, time_t now, struct buf *out)
{
    char date[64], subj[160], what[120] = "";
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    size_t w = 0;
    if (m->nnew)
        w += (size_t)str_fmt(what + w, sizeof what - w, "%llu new", (unsigned long long)m->nnew);
    if (m->nworse)
        w += (size_t)str_fmt(what + w, sizeof what - w, "%s%llu worsened", w ? " and " : "",
                             (unsigned long long)m->nworse);
    if (m->nfound)
        str_fmt(what + w, sizeof what - w, "%s%llu found", w ? " and " : "",
                (unsigned long long)m->nfound);
    str_fmt(subj, sizeof subj, "ajar: %s finding%s", what, m->n == 1 ? "" : "s");
    /* the scan number, when the coverage line has one ("scan #12: ...") */
    const char *hash = coverage ? strstr(coverage, "scan #") : NULL;
    if (hash) {
        size_t d = strspn(hash + 6, "0123456789");
        if (d && d < 20)
            str_fmt(subj + strlen(subj), sizeof subj - strlen(subj), " in scan #%.*s", (int)d,
                    hash + 6);
    }
    if (m->o.from) buf_appendf(out, "From: %s\n", m->o.from);
    buf_append(out, "To: ", 4);
    for (size_t i = 0; i < m->o.nto; i++)
        buf_appendf(out, "%s%s", i ? ",\n " : "", m->o.to[i]);
    buf_appendf(out,
                "\nSubject: %s\nDate: %s\nMIME-Version: 1.0\n"
                "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n"
                "Auto-Submitted: auto-generated\nX-Mailer: ajar " AJAR_VERSION "\n\n",
                subj, date);
    /* every line ends in \n, the local convention sendmail reads; the MTA sends CRLF */
    buf_appendf(out, "ajar found %s finding%s at or above the alert level.\n", what,
                m->n == 1 ? "" : "s");
    if (coverage) {
        char c[300];
        str_sanitize(c, sizeof c, coverage, strlen(coverage), false);
        buf_appendf(out, "%s\n", c);
    }
    buf_append(out, "\n", 1);
    if (m->body.len) buf_append(out, m->body.data, m->body.len);
    if (m->unlisted)
        buf_appendf(out, "... and %llu more not listed here (ajar report shows them all).\n",
                    (unsigned long long)m->unlisted);
    return out->truncated ? -1 : 0;
}

/* Write all of p to fd (non-blocking) before the deadline. 0, or -1 with e set. */
static int write_all(int fd, const uint8_t *p, size_t n, int64_t deadline, struct err *e)
{
    size_t off = 0;
    while (off < n) {
        int64_t left = deadline - now_ms();
        if (left <= 0) return err_set(e, "sendmail did not read the message in time");
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        int r = poll(&pfd, 1, left > 1000 ? 1000 : (int)left);
        if (r < 0 && errno != EINTR) return err_set(e, "poll: %s", strerror(errno));
        if (r <= 0) continue;
        ssize_t k = write(fd, p + off, n - off);
        if (k < 0 && errno != EAGAIN && errno != EINTR)
            return err_set(e, "writing to sendmail: %s", strerror(errno));
        if (k > 0) off += (size_t)k;
    }
    return 0;
}

/* Wait for pid until the deadline; kill it past that. 0 for exit 0, -1 with e set. */
static int reap(pid_t pid, int64_t deadline, struct err *e)
{
    int st = 0;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) break;
        if (r < 0 && errno != EINTR) return err_set(e, "waitpid: %s", strerror(errno));
        if (now_ms() >= deadline) {
            kill(pid, SIGTERM);
            int64_t grace = now_ms() + 1000;
            while (waitpid(pid, &st, WNOHANG) == 0 && now_ms() < grace)
                usleep(20000);
            if (waitpid(pid, &st, WNOHANG) == 0) {
                kill(pid, SIGKILL);
                waitpid(pid, &st, 0);
            }
            return err_set(e, "sendmail did not finish in time (killed)");
        }
        usleep(20000);
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return 0;
    if (WIFEXITED(st)) return err_set(e, "sendmail exited with status %d", WEXITSTATUS(st));
    return err_set(e, "sendmail ended by signal %d", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* Run prog -t -oi with msg on its stdin. */
static int run_sendmail(const char *prog, const struct buf *msg, int wait_ms, struct err *e)
{
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0) return err_set(e, "pipe: %s", strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pfd[0], 0);
    posix_spawn_file_actions_adddup2(&fa, 2, 1); /* our stdout may carry the records */
    char *const argv[] = {(char *)"sendmail", (char *)"-t", (char *)"-oi", NULL};
    pid_t pid;
    int sr = posix_spawn(&pid, prog, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pfd[0]);
    if (sr != 0) {
        close(pfd[1]);
        return err_set(e, "cannot run %s: %s", prog, strerror(sr));
    }
    int64_t deadline = now_ms() + wait_ms;
    fcntl(pfd[1], F_SETFL, fcntl(pfd[1], F_GETFL) | O_NONBLOCK);
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    int wr = write_all(pfd[1], msg->data, msg->len, deadline, e);
    struct timespec zero = {0, 0};
    while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE) /* a reader that went away */
        ;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(pfd[1]);
    struct err re;
    int rr = reap(pid, wr < 0 ? now_ms() : deadline, &re);
    if (wr < 0) return -1;
    if (rr < 0) {
        *e = re;
        return -1;
    }
    return 0;
}

int mail_send(struct mail *m, const char *coverage, struct err *e)
{
    if (!m || !m->n) return 0;
    const char *prog = m->o.sendmail;
    if (!prog || !prog[0]) prog = getenv("AJAR_SENDMAIL");
    if (!prog || !prog[0]) prog = MAIL_SENDMAIL;
    struct buf msg;
    buf_init(&msg, (size_t)16 << 20);
    int rc = mail_compose(m, coverage, now_wall(), &msg);
    if (rc < 0)
        err_set(e, "the message is too large");
    else
        rc = run_sendmail(prog, &msg, m->o.wait_ms > 0 ? m->o.wait_ms : 1, e);
    buf_free(&msg);
    if (rc == 0)
        log_info("mail: %llu finding(s) sent to %zu address(es)", (unsigned long long)m->n,
                 m->o.nto);
    return rc;
}

void mail_free(struct mail *m)
{
    if (!m) return;
    buf_free(&m->body);
    free(m);
}
