/*
 * cli/mail.h -- `--mail-to ADDR`: one message per scan listing its new and
 * worsened findings (the decision of cli/alert.h, at or above --alert-min),
 * handed to the system's sendmail (`sendmail -t -oi`: Postfix, Exim,
 * msmtp-mta, nullmailer or any MTA that provides it) when the scan ends.
 * No message when nothing deserved an alert.
 *
 * The scan thread renders each alert as a few lines of text as it comes
 * (mail_add; bounded: MAIL_MAX_ALERTS listed, the rest counted) and the end
 * of the scan composes the message and runs sendmail with a deadline
 * (--mail-wait). The headers are ajar's own words and the addresses the
 * user gave (checked by mail_addr_check: no CR, LF, comma, space or
 * quote); what a server said goes only into the body, as text.
 */
#ifndef AJAR_CLI_MAIL_H
#define AJAR_CLI_MAIL_H

#include "cli/alert.h"
#include "core/util.h"

#define MAIL_MAX_ALERTS  1000 /* listed in one message; the rest are counted */
#define MAIL_LINE_MAX    900  /* bytes of a body line (RFC 5322 allows 998) */
#define MAIL_SENDMAIL    "/usr/sbin/sendmail"
#define MAIL_WAIT_MS_DEF 30000

struct mail;

struct mail_opts {
    const char *const *to; /* at least one; each passed mail_addr_check */
    size_t nto;
    const char *from;          /* From: header, NULL: the MTA's default for the user */
    const char *dashboard_url; /* links to the findings, NULL for none */
    int wait_ms;               /* how long sendmail may take (write and exit) */
    const char *sendmail;      /* NULL: $AJAR_SENDMAIL, else MAIL_SENDMAIL */
};

/* Is addr a plain address (local@domain, printable ASCII, no CR/LF/space/comma/quote/angle
 * bracket, not starting with '-', at most 254 bytes)? -1 with e set if not. */
int mail_addr_check(const char *addr, struct err *e);
/* The strings of o are borrowed and must outlive m. */
int mail_open(struct mail **out, const struct mail_opts *o, struct err *e);
/* Keep the lines of one alert (ALERT_NONE is ignored). */
void mail_add(struct mail *m, const struct alert *a);
/* Alerts kept (and counted beyond MAIL_MAX_ALERTS). */
uint64_t mail_count(const struct mail *m);
/*
 * The whole message (headers, blank line, body) into out: coverage is the scan's coverage line
 * ("scan #12: complete") or NULL, now the Date header's time. 0, or -1 when out of memory.
 */
int mail_compose(const struct mail *m, const char *coverage, time_t now, struct buf *out);
/*
 * Compose and hand the message to sendmail, unless nothing was added. 0 when there was nothing
 * to send or sendmail took it (exit 0); -1 with e set otherwise (could not start, a write
 * failed, a non-zero exit, or the deadline passed: it is then killed).
 */
int mail_send(struct mail *m, const char *coverage, struct err *e);
void mail_free(struct mail *m);

#endif
