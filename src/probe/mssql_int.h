/*
 * probe/mssql_int.h -- what the SQL Server probe's files share (mssql.c the probe: requests,
 * packets, PRELOGIN, TLS inside TDS; mssql_tokens.c the token stream): the caps, the
 * protocol's numbers and the per-connection state. Inside the probe only.
 */
#ifndef AJAR_PROBE_MSSQL_INT_H
#define AJAR_PROBE_MSSQL_INT_H

#include "probe/probe.h"

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>

#define MS_PKT_SIZE 4096  /* the packet size asked for in LOGIN7, and the largest we send */
#define MS_PRE_CAP  1024  /* a PRELOGIN answer longer than this is not SQL Server's */
#define MS_WIN      16384 /* token window */
#define MS_MAX_COLS 8     /* columns of a result set this probe walks */
#define MS_MAX_DBS  16    /* databases whose catalog is read */
#define MS_SYSNAME  256   /* bytes of a sysname (nvarchar(128)) in UTF-16 */
#define MS_OUT_CAP  8192  /* one request, before it is cut into packets */

/* packet types and status */
#define TDS_SQL_BATCH 0x01
#define TDS_REPLY     0x04
#define TDS_LOGIN7    0x10
#define TDS_PRELOGIN  0x12
#define TDS_EOM       0x01

/* PRELOGIN options and ENCRYPTION values (MS-TDS 2.2.6.5) */
#define PL_VERSION    0x00
#define PL_ENCRYPTION 0x01
#define PL_INSTOPT    0x02
#define PL_THREADID   0x03
#define PL_MARS       0x04
#define PL_FEDAUTH    0x06
#define PL_END        0xff
#define ENC_OFF       0
#define ENC_ON        1
#define ENC_NOT_SUP   2
#define ENC_REQ       3

/* tokens (MS-TDS 2.2.7) */
#define TOK_OFFSET       0x78
#define TOK_RETURNSTATUS 0x79
#define TOK_COLMETADATA  0x81
#define TOK_TABNAME      0xa4
#define TOK_COLINFO      0xa5
#define TOK_ORDER        0xa9
#define TOK_ERROR        0xaa
#define TOK_INFO         0xab
#define TOK_LOGINACK     0xad
#define TOK_FEATUREEXT   0xae
#define TOK_ROW          0xd1
#define TOK_NBCROW       0xd2
#define TOK_ENVCHANGE    0xe3
#define TOK_SESSIONSTATE 0xe4
#define TOK_SSPI         0xed
#define TOK_FEDAUTHINFO  0xee
#define TOK_DONE         0xfd
#define TOK_DONEPROC     0xfe
#define TOK_DONEINPROC   0xff

enum ms_phase { MS_PRELOGIN = 0, MS_HANDSHAKE, MS_LOGIN, MS_QUERY, MS_END };

/* how a column's value is framed in a row */
enum ms_kind { K_FIXED = 0, K_BYTELEN, K_USHORTLEN };

/* what a result set is, by its shape */
enum ms_rs { RS_NONE = 0, RS_OTHER, RS_DBS, RS_AGG, RS_TABLES, RS_COLS };

struct ms_col {
    uint8_t type;
    uint8_t kind;
    uint8_t size; /* K_FIXED: the value's bytes */
};

struct ms_db {
    uint8_t name[MS_SYSNAME]; /* UTF-16LE as the server sent it */
    uint16_t len;
    int item; /* index in f->names, -1 when not stored */
};

struct ms_state {
    enum ms_phase phase;
    bool identified;
    int enc;        /* the server's ENCRYPTION answer, -1 before it */
    bool enc_all;   /* everything after the handshake goes inside TLS */
    bool tls_read;  /* incoming bytes are TLS records */
    bool tls_write; /* outgoing packets go through TLS */
    bool modern;    /* TDS 7.2+ layouts (4-byte UserType, 8-byte DONE counts) */
    bool loginack;
    bool routed;
    int major; /* PRELOGIN VERSION major, -1 before it */
    uint16_t pkt_size;
    uint8_t pkt_id;
    SSL *ssl; /* owns its two memory BIOs */
    /* packet reader */
    uint8_t hdr[8];
    size_t hlen;
    uint32_t need; /* payload bytes of the current packet still to come */
    uint8_t pre[MS_PRE_CAP];
    uint32_t prelen;
    /* token reader */
    uint8_t win[MS_WIN];
    uint32_t wlen;
    uint32_t skip; /* bytes of an oversized token still to drop */
    bool broken;   /* a token we cannot walk: stop reading this message */
    /* the result set being read */
    enum ms_rs rs;
    int ncols;
    struct ms_col cols[MS_MAX_COLS];
    /* the databases: from the first batch, then one batch each */
    struct ms_db dbs[MS_MAX_DBS];
    int ndbs;
    int step; /* 0: the databases batch; i > 0: dbs[i - 1] */
    int64_t db_tables, db_rows;
    bool err_noted; /* a query error is already in the details */
    bool queued;    /* a request was queued during this on_data() */
};

/* mssql_tokens.c: feed n bytes of a reply message's payload to the token reader. */
void mssql_tokens_feed(struct probe_ctx *ctx, const uint8_t *p, size_t n);

#endif
