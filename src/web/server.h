/*
 * web/server.h -- the dashboard's HTTPS server (server.c): libmicrohttpd
 * with TLS, the login and logout flows, sessions and CSRF, the security
 * headers on every answer, and the routing to the pages of web.h.
 */
#ifndef AJAR_WEB_SERVER_H
#define AJAR_WEB_SERVER_H

#include "core/util.h"
#include "web/auth.h"
#include "web/web.h"

#include <stdint.h>
#include <sys/socket.h>

struct web_server_opts {
    const char *listen; /* "127.0.0.1:8443", "[::1]:8443" */
    const char *cert_pem, *key_pem;
    struct web_ctx *ctx;
    struct auth_audit *audit; /* borrowed */
    struct auth_limits limits;
    unsigned threads; /* worker threads (default 4) */
};

struct web_server;

/* Parse ADDR:PORT / [V6]:PORT into a socket address; -1 with e on nonsense. */
int web_parse_listen(const char *s, struct sockaddr_storage *ss, char *host, size_t hn,
                     uint16_t *port, struct err *e);
/* True when the address is a loopback one. */
bool web_is_loopback(const struct sockaddr_storage *ss);

int web_server_start(struct web_server **out, const struct web_server_opts *o, struct err *e);
/* The port actually bound (useful with :0). */
uint16_t web_server_port(const struct web_server *s);
void web_server_stop(struct web_server *s);

#endif
