/*
 * probe/ldap.c -- LDAP directories (port 389, global catalog 3268; LDAPS
 * 636/3269 inside TLS): OpenLDAP, Microsoft Active Directory and AD LDS,
 * Samba AD, 389 Directory Server, ApacheDS, OpenDJ, eDirectory...
 *
 * Requests this probe can send, in order, all on one connection, and only
 * these (LDAPv3, RFC 4511; BER by probe/ber.c):
 *   1. BindRequest, messageID 1: version 3, name "", simple password "".
 *      This is the protocol's anonymous bind (RFC 4513 section 5.1.1),
 *      not a password guess: no account is named.
 *   2. SearchRequest, messageID 2: base "" (the root DSE), scope base,
 *      filter (objectClass=*), sizeLimit 1, these attributes only:
 *      objectClass namingContexts supportedLDAPVersion vendorName
 *      vendorVersion supportedSASLMechanisms supportedExtension
 *      supportedCapabilities defaultNamingContext dnsHostName serverName
 *      domainFunctionality forestFunctionality domainControllerFunctionality
 *      isGlobalCatalogReady. The root DSE describes the server, not the
 *      data (RFC 4512 section 5.1).
 *   3. For at most LDAP_MAX_CTX naming contexts (defaultNamingContext
 *      first, then namingContexts in the server's order), messageIDs 3..:
 *      SearchRequest base = the context's DN, scope base, filter
 *      (objectClass=*), sizeLimit 1, attributes "1.1" -- the RFC 4511
 *      section 4.5.1.8 list that asks for no attribute at all. It answers
 *      "may an anonymous client read this entry?" and reads nothing: at
 *      most the entry's own DN comes back. Never a one-level or subtree
 *      search, never an attribute of a directory entry.
 *   4. UnbindRequest.
 *
 * How it decides:
 *   - a BindResponse to messageID 1 (or a Notice of Disconnection,
 *     messageID 0) names LDAP; anything else on the first answer is
 *     NOMATCH. The bind's result goes to details (anonymous_bind, and
 *     bind_result/bind_message when refused); the search goes on either
 *     way (after a failed bind the connection is anonymous).
 *   - product from the root DSE (docs/probes-binary-c.md lists the rules
 *     and their sources): vendorName "Samba..." -> Samba AD DC;
 *     supportedCapabilities 1.2.840.113556.1.4.1851 -> Microsoft AD LDS,
 *     1.2.840.113556.1.4.800 -> Microsoft Active Directory ([MS-ADTS]
 *     3.1.1.3.4.3); objectClass OpenLDAProotDSE -> OpenLDAP; otherwise by
 *     vendorName/vendorVersion (RFC 3045): 389 Directory Server, ApacheDS,
 *     OpenDJ, eDirectory, IBM, else vendorName itself. version: the first
 *     dotted number of vendorVersion. OpenLDAP and Active Directory publish
 *     none (AD's functional levels go to details).
 *   - names: the naming contexts (databases = their count).
 *   - auth, from the naming-context searches: an entry came back -> that
 *     context is anonymously readable; success without an entry, or
 *     noSuchObject / insufficientAccessRights / operationsError (AD's
 *     "a successful bind must be completed") / strongerAuthRequired /
 *     confidentialityRequired / inappropriateAuthentication /
 *     invalidCredentials / unwillingToPerform -> it needs credentials;
 *     other codes (referral, busy) decide nothing. All tested contexts
 *     readable: none; some: partial; none: required. No context tested:
 *     required when the root DSE was not readable (nothing is), else
 *     unknown. A readable root DSE alone is normal and never "open".
 *
 * Caps: one LDAPMessage of at most LDAP_MSG_MAX content bytes is kept (a
 * longer one is skipped unread); 64 attributes and 64 values per
 * attribute are looked at; DNs longer than LDAP_DN_MAX are listed but not
 * searched.
 */
#include "probe/ber.h"
#include "probe/probe.h"

#include <stdio.h>
#include <string.h>

#define LDAP_MSG_MAX  32768
#define LDAP_MAX_CTX  4
#define LDAP_DN_MAX   512
#define LDAP_MAX_ATTR 64
#define LDAP_MAX_VALS 64

enum ldap_op {
    OP_BIND_REQ = 0x60,
    OP_BIND_RESP = 0x61,
    OP_UNBIND = 0x42,
    OP_SEARCH_REQ = 0x63,
    OP_SEARCH_ENTRY = 0x64,
    OP_SEARCH_DONE = 0x65,
    OP_SEARCH_REF = 0x73,
    OP_EXTENDED_RESP = 0x78,
    OP_INTERMEDIATE = 0x79,
};

enum ldap_step { ST_BIND = 0, ST_ROOTDSE, ST_CTX, ST_END };

/* Result codes (RFC 4511 appendix A) that mean "not for an anonymous client". */
static const int closed_codes[] = {
    1,  /* operationsError: AD's "a successful bind must be completed" */
    8,  /* strongerAuthRequired */
    13, /* confidentialityRequired */
    32, /* noSuchObject: what ACLs hiding an entry answer (an empty suffix reads the same) */
    48, /* inappropriateAuthentication */
    49, /* invalidCredentials */
    50, /* insufficientAccessRights */
    53, /* unwillingToPerform */
};

struct ldap_state {
    int step;
    int32_t msgid; /* the ID of the request whose answer is awaited */
    bool identified;
    /* framing of the message being received */
    uint8_t hdr[6];
    size_t hdrlen;
    size_t need;  /* content bytes still due */
    size_t kept;  /* content bytes kept in msg */
    bool in_body; /* header complete, reading content */
    bool oversized;
    uint8_t msg[LDAP_MSG_MAX];
    /* root DSE facts */
    bool rootdse_entry, rootdse_done, bind_refused;
    const char *diag_product; /* named by a diagnostic message's wording */
    bool cap_ad, cap_adlds, openldap_oc, starttls;
    char vendor_name[128], vendor_version[128];
    /* the contexts to test */
    char ctx[LDAP_MAX_CTX][LDAP_DN_MAX];
    int nctx, ctx_i;
    bool ctx_entry;
    int open, closed;
    json_t *contexts; /* details.contexts, built as answers come */
};

/* ---- requests ---- */

static const char *const rootdse_attrs[] = {
    "objectClass",          "namingContexts",
    "supportedLDAPVersion", "vendorName",
    "vendorVersion",        "supportedSASLMechanisms",
    "supportedExtension",   "supportedCapabilities",
    "defaultNamingContext", "dnsHostName",
    "serverName",           "domainFunctionality",
    "forestFunctionality",  "domainControllerFunctionality",
    "isGlobalCatalogReady",
};

static int send_enc(struct probe_ctx *ctx, const struct ber_enc *e)
{
    if (ber_finish(e) < 0) return -1;
    return probe_send(ctx, e->b, e->len);
}

static int send_bind(struct probe_ctx *ctx)
{
    struct ber_enc e;
    ber_enc_init(&e);
    ber_begin(&e, BER_SEQUENCE);
    ber_put_int(&e, BER_INTEGER, 1);
    ber_begin(&e, OP_BIND_REQ);
    ber_put_int(&e, BER_INTEGER, 3);
    ber_put_str(&e, BER_OCTETS, "");
    ber_put_str(&e, 0x80, ""); /* authentication: simple [0], empty */
    ber_end(&e);
    ber_end(&e);
    return send_enc(ctx, &e);
}

/* A base-scope search of dn for (objectClass=*), sizeLimit 1, asking for attrs. */
static int send_search(struct probe_ctx *ctx, int32_t id, const char *dn, const char *const *attrs,
                       size_t nattrs)
{
    struct ber_enc e;
    ber_enc_init(&e);
    ber_begin(&e, BER_SEQUENCE);
    ber_put_int(&e, BER_INTEGER, id);
    ber_begin(&e, OP_SEARCH_REQ);
    ber_put_str(&e, BER_OCTETS, dn);
    ber_put_int(&e, BER_ENUMERATED, 0);   /* scope: baseObject */
    ber_put_int(&e, BER_ENUMERATED, 0);   /* derefAliases: never */
    ber_put_int(&e, BER_INTEGER, 1);      /* sizeLimit */
    ber_put_int(&e, BER_INTEGER, 10);     /* timeLimit, seconds */
    ber_put_bool(&e, false);              /* typesOnly */
    ber_put_str(&e, 0x87, "objectClass"); /* filter: present [7] */
    ber_begin(&e, BER_SEQUENCE);
    for (size_t i = 0; i < nattrs; i++)
        ber_put_str(&e, BER_OCTETS, attrs[i]);
    ber_end(&e);
    ber_end(&e);
    ber_end(&e);
    return send_enc(ctx, &e);
}

static void send_unbind(struct probe_ctx *ctx, int32_t id)
{
    struct ber_enc e;
    ber_enc_init(&e);
    ber_begin(&e, BER_SEQUENCE);
    ber_put_int(&e, BER_INTEGER, id);
    ber_put(&e, OP_UNBIND, NULL, 0);
    ber_end(&e);
    send_enc(ctx, &e); /* best effort: the connection closes anyway */
}

static int ldap_start(struct probe_ctx *ctx)
{
    struct ldap_state *s = ctx->state;
    s->step = ST_BIND;
    s->msgid = 1;
    if (send_bind(ctx) < 0) return PROBE_DONE;
    return PROBE_SEND;
}

/* ---- the record ---- */

static bool ieq(const uint8_t *a, size_t an, const char *b)
{
    size_t bn = strlen(b);
    if (an != bn) return false;
    for (size_t i = 0; i < an; i++) {
        uint8_t x = a[i], y = (uint8_t)b[i];
        if (x >= 'A' && x <= 'Z') x = (uint8_t)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = (uint8_t)(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

/* Text from the wire without AD's trailing NULs and line ends. */
static size_t trim(const uint8_t *p, size_t n)
{
    while (n && (p[n - 1] == 0 || p[n - 1] == '\n' || p[n - 1] == '\r' || p[n - 1] == ' '))
        n--;
    return n;
}

static void detail_text(struct finding *f, const char *key, const uint8_t *p, size_t n)
{
    finding_detail_strn(f, key, p, trim(p, n));
}

static void identity(struct probe_ctx *ctx)
{
    struct ldap_state *s = ctx->state;
    if (s->identified) return;
    s->identified = true;
    FINDING_SET(ctx->f, service, "ldap");
}

/* The first dotted number ("2.0.17" of "389-Directory/2.0.17 B2023.011.1200"): digits that
 * start a word, then at least one ".digits". */
static void dotted_version(const char *v, char *out, size_t n)
{
    out[0] = 0;
    size_t i = 0;
    while (v[i]) {
        bool digit = v[i] >= '0' && v[i] <= '9';
        char b = i ? v[i - 1] : ' ';
        bool word =
            (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || b == '.';
        if (!digit || word) {
            i++;
            continue;
        }
        size_t k = i, dots = 0;
        for (;;) {
            if (v[k] >= '0' && v[k] <= '9')
                k++;
            else if (v[k] == '.' && v[k + 1] >= '0' && v[k + 1] <= '9')
                k++, dots++;
            else
                break;
        }
        if (dots) {
            finding_set(out, n, v + i, k - i);
            return;
        }
        i = k;
    }
}

static bool has(const char *hay, const char *needle)
{
    return mem_find(hay, strlen(hay), needle, true) != NULL;
}

/* Product and version from what the root DSE said (rules: docs/probes-binary-c.md). */
static void name_product(struct probe_ctx *ctx)
{
    struct ldap_state *s = ctx->state;
    struct finding *f = ctx->f;
    const char *vn = s->vendor_name, *vv = s->vendor_version, *prod = NULL;
    if (has(vn, "Samba"))
        prod = "Samba AD DC";
    else if (s->cap_adlds)
        prod = "Microsoft AD LDS";
    else if (s->cap_ad)
        prod = "Microsoft Active Directory";
    else if (s->openldap_oc)
        prod = "OpenLDAP";
    else if (has(vv, "389-Directory/") || has(vn, "389 Project"))
        prod = "389 Directory Server";
    else if (has(vn, "Apache Software Foundation"))
        prod = "ApacheDS";
    else if (has(vv, "OpenDJ"))
        prod = "OpenDJ";
    else if (has(vv, "eDirectory"))
        prod = "eDirectory";
    else if (has(vn, "International Business Machines"))
        prod = "IBM Directory Server";
    if (prod)
        FINDING_SET(f, product, prod);
    else if (vn[0])
        FINDING_SET(f, product, vn);
    else if (s->diag_product)
        FINDING_SET(f, product, s->diag_product);
    if (vv[0]) {
        char ver[64];
        dotted_version(vv, ver, sizeof ver);
        if (ver[0]) FINDING_SET(f, version, ver);
    }
}

/*
 * domainControllerFunctionality ([MS-ADTS] 3.1.1.3.2.25 and 6.1.4.2): the DC's msDS-Behavior-
 * Version. 7 (DS_BEHAVIOR_WIN2016) is also what 2019 and later DCs report.
 */
static const char *ad_level(int64_t v)
{
    static const char *const names[] = {"Windows 2000",           NULL,
                                        "Windows Server 2003",    "Windows Server 2008",
                                        "Windows Server 2008 R2", "Windows Server 2012",
                                        "Windows Server 2012 R2", "Windows Server 2016"};
    return v >= 0 && v < (int64_t)ARRAY_LEN(names) ? names[v] : NULL;
}

/* Queue a context to test: not empty, not too long, not already queued. */
static void want_ctx(struct ldap_state *s, const uint8_t *dn, size_t n)
{
    if (!n || n >= LDAP_DN_MAX || s->nctx >= LDAP_MAX_CTX) return;
    for (size_t i = 0; i < n; i++)
        if (dn[i] == 0) return;
    for (int i = 0; i < s->nctx; i++)
        if (ieq(dn, n, s->ctx[i])) return;
    memcpy(s->ctx[s->nctx], dn, n);
    s->ctx[s->nctx][n] = 0;
    s->nctx++;
}

static int64_t text_int(const uint8_t *p, size_t n)
{
    uint64_t v;
    if (!n || parse_u64n((const char *)p, n, 1000000, &v) < 0) return -1;
    return (int64_t)v;
}

/* One attribute of the root DSE: type and its SET of values. */
static void rootdse_attr(struct probe_ctx *ctx, const uint8_t *type, size_t tn, const uint8_t *vals,
                         size_t vn, json_t *versions, json_t *mechs)
{
    struct ldap_state *s = ctx->state;
    struct finding *f = ctx->f;
    struct ber_rd r;
    ber_rd_init(&r, vals, vn);
    const uint8_t *v;
    size_t n;
    for (int k = 0; k < LDAP_MAX_VALS && ber_expect(&r, BER_OCTETS, &v, &n) == 1; k++) {
        char tmp[128];
        if (ieq(type, tn, "namingContexts")) {
            if (trim(v, n))
                finding_add_name(f, (const char *)v, n, -1, -1);
            else /* "": the server holds the whole tree (eDirectory) */
                finding_detail(f, "root_naming_context", json_true());
        } else if (ieq(type, tn, "supportedLDAPVersion")) {
            if (json_array_size(versions) < 4) {
                str_sanitize(tmp, sizeof tmp, v, trim(v, n), true);
                json_array_append_new(versions, json_string(tmp));
            }
        } else if (ieq(type, tn, "supportedSASLMechanisms")) {
            if (json_array_size(mechs) < 16) {
                str_sanitize(tmp, sizeof tmp, v, trim(v, n), true);
                json_array_append_new(mechs, json_string(tmp));
            }
        } else if (ieq(type, tn, "vendorName")) {
            if (!s->vendor_name[0]) {
                str_sanitize(s->vendor_name, sizeof s->vendor_name, v, trim(v, n), false);
                finding_detail_str(f, "vendor_name", s->vendor_name);
            }
        } else if (ieq(type, tn, "vendorVersion")) {
            if (!s->vendor_version[0]) {
                str_sanitize(s->vendor_version, sizeof s->vendor_version, v, trim(v, n), false);
                finding_detail_str(f, "vendor_version", s->vendor_version);
            }
        } else if (ieq(type, tn, "objectClass")) {
            if (ieq(v, n, "OpenLDAProotDSE")) s->openldap_oc = true;
        } else if (ieq(type, tn, "supportedCapabilities")) {
            if (ieq(v, n, "1.2.840.113556.1.4.800")) s->cap_ad = true;
            if (ieq(v, n, "1.2.840.113556.1.4.1851")) s->cap_adlds = true;
        } else if (ieq(type, tn, "supportedExtension")) {
            if (ieq(v, n, "1.3.6.1.4.1.1466.20037")) s->starttls = true;
        } else if (ieq(type, tn, "defaultNamingContext")) {
            detail_text(f, "default_naming_context", v, n);
            want_ctx(s, v, trim(v, n));
        } else if (ieq(type, tn, "dnsHostName")) {
            detail_text(f, "dns_host_name", v, n);
        } else if (ieq(type, tn, "serverName")) {
            detail_text(f, "server_name", v, n);
        } else if (ieq(type, tn, "domainFunctionality")) {
            finding_detail_int(f, "domain_functionality", text_int(v, n));
        } else if (ieq(type, tn, "forestFunctionality")) {
            finding_detail_int(f, "forest_functionality", text_int(v, n));
        } else if (ieq(type, tn, "domainControllerFunctionality")) {
            int64_t lvl = text_int(v, n);
            finding_detail_int(f, "domain_controller_functionality", lvl);
            const char *l = ad_level(lvl);
            if (l) finding_detail_str(f, "functional_level", l);
        } else if (ieq(type, tn, "isGlobalCatalogReady")) {
            finding_detail(f, "global_catalog_ready", json_boolean(ieq(v, n, "TRUE")));
        }
    }
}

/* SearchResultEntry of the root DSE: objectName, then SEQUENCE OF PartialAttribute. */
static void rootdse_entry(struct probe_ctx *ctx, const uint8_t *p, size_t n)
{
    struct ldap_state *s = ctx->state;
    struct ber_rd r, attrs;
    const uint8_t *v, *a;
    size_t vn, an;
    ber_rd_init(&r, p, n);
    if (ber_expect(&r, BER_OCTETS, &v, &vn) != 1 || ber_expect(&r, BER_SEQUENCE, &a, &an) != 1)
        return;
    s->rootdse_entry = true;
    json_t *versions = json_array(), *mechs = json_array();
    /* namingContexts are queued after defaultNamingContext: two passes */
    for (int pass = 0; pass < 2; pass++) {
        ber_rd_init(&attrs, a, an);
        const uint8_t *pa;
        size_t pan;
        for (int k = 0; k < LDAP_MAX_ATTR && ber_expect(&attrs, BER_SEQUENCE, &pa, &pan) == 1;
             k++) {
            struct ber_rd one;
            const uint8_t *type, *vals;
            size_t tn, valn;
            ber_rd_init(&one, pa, pan);
            if (ber_expect(&one, BER_OCTETS, &type, &tn) != 1 ||
                ber_expect(&one, BER_SET, &vals, &valn) != 1)
                continue;
            if (pass == 0) {
                rootdse_attr(ctx, type, tn, vals, valn, versions, mechs);
            } else if (ieq(type, tn, "namingContexts")) {
                struct ber_rd vr;
                ber_rd_init(&vr, vals, valn);
                for (int j = 0; j < LDAP_MAX_VALS && ber_expect(&vr, BER_OCTETS, &v, &vn) == 1; j++)
                    want_ctx(s, v, vn);
            }
        }
    }
    if (json_array_size(versions))
        finding_detail(ctx->f, "ldap_versions", versions);
    else
        json_decref(versions);
    if (json_array_size(mechs))
        finding_detail(ctx->f, "sasl_mechanisms", mechs);
    else
        json_decref(mechs);
}

/* LDAPResult: resultCode, matchedDN, diagnosticMessage (referral and the rest ignored). */
static int parse_result(const uint8_t *p, size_t n, int64_t *code, const uint8_t **msg,
                        size_t *msgn)
{
    struct ber_rd r;
    const uint8_t *v, *dn;
    size_t vn, dnn;
    ber_rd_init(&r, p, n);
    if (ber_expect(&r, BER_ENUMERATED, &v, &vn) != 1 || ber_int(v, vn, code) < 0 ||
        ber_expect(&r, BER_OCTETS, &dn, &dnn) != 1 || ber_expect(&r, BER_OCTETS, msg, msgn) != 1)
        return -1;
    return *code >= 0 && *code <= 0xffff ? 0 : -1;
}

/*
 * Servers whose refusals are worded their own way, for when the root DSE says nothing:
 * slapd's "anonymous bind disallowed" (servers/slapd/bind.c; seen from slapd 2.5 with
 * `disallow bind_anon`) and Active Directory's "<8 hex digits>: LdapErr: DSID-..." texts.
 */
static void diag_names(struct ldap_state *s, const uint8_t *m, size_t mn)
{
    if (s->diag_product || !m) return;
    if (mem_find(m, mn, ": LdapErr: DSID-", false))
        s->diag_product = "Microsoft Active Directory";
    else if (mn >= 25 && memcmp(m, "anonymous bind disallowed", 25) == 0)
        s->diag_product = "OpenLDAP";
}

static bool code_closed(int64_t c)
{
    for (size_t i = 0; i < ARRAY_LEN(closed_codes); i++)
        if (c == closed_codes[i]) return true;
    return false;
}

/* The verdict; bye: an UnbindRequest is queued (not when the connection is already gone). */
static int finish(struct probe_ctx *ctx, bool bye)
{
    struct ldap_state *s = ctx->state;
    struct finding *f = ctx->f;
    name_product(ctx);
    if (s->open && s->closed)
        f->auth = AUTH_PARTIAL;
    else if (s->open)
        f->auth = AUTH_NONE;
    else if (s->closed)
        f->auth = AUTH_REQUIRED;
    else if ((s->rootdse_done && !s->rootdse_entry) || (!s->rootdse_done && s->bind_refused))
        f->auth = AUTH_REQUIRED; /* not even the root DSE is readable anonymously */
    else
        f->auth = AUTH_UNKNOWN;
    if (s->contexts && json_array_size(s->contexts)) {
        finding_detail(f, "contexts", s->contexts);
        s->contexts = NULL;
    }
    if (s->step != ST_END) {
        s->step = ST_END;
        if (bye) send_unbind(ctx, s->msgid + 1);
    }
    return PROBE_DONE;
}

/* The next naming context, or the end. */
static int next_ctx(struct probe_ctx *ctx)
{
    static const char *const none[] = {"1.1"};
    struct ldap_state *s = ctx->state;
    if (s->ctx_i >= s->nctx) return finish(ctx, true);
    s->step = ST_CTX;
    s->ctx_entry = false;
    s->msgid = 3 + s->ctx_i;
    if (send_search(ctx, s->msgid, s->ctx[s->ctx_i], none, ARRAY_LEN(none)) < 0)
        return finish(ctx, true);
    return PROBE_SEND;
}

static void ctx_result(struct probe_ctx *ctx, int64_t code, const uint8_t *m, size_t mn)
{
    struct ldap_state *s = ctx->state;
    if (!s->contexts) s->contexts = json_array();
    json_t *o = json_object();
    char tmp[FINDING_MAX_NAME * 4];
    const char *dn = s->ctx[s->ctx_i];
    str_sanitize(tmp, sizeof tmp, dn, strlen(dn), true);
    json_object_set_new(o, "dn", json_string(tmp));
    json_object_set_new(o, "result", json_integer(code));
    json_t *readable = json_null();
    if (s->ctx_entry) {
        readable = json_true();
        s->open++;
    } else if (code == 0 || code_closed(code)) {
        readable = json_false();
        s->closed++;
    }
    json_object_set_new(o, "anonymous_read", readable);
    size_t k = trim(m, mn);
    if (k) {
        char msg[256];
        str_sanitize(msg, sizeof msg, m, k, true);
        json_object_set_new(o, "message", json_string(msg));
    }
    if (json_array_size(s->contexts) < LDAP_MAX_CTX)
        json_array_append_new(s->contexts, o);
    else
        json_decref(o);
}

/* One complete LDAPMessage (the content of its SEQUENCE). */
static int on_message(struct probe_ctx *ctx, const uint8_t *p, size_t n)
{
    struct ldap_state *s = ctx->state;
    struct finding *f = ctx->f;
    struct ber_rd r;
    const uint8_t *v, *op;
    size_t vn, on;
    uint8_t tag;
    int64_t id, code;
    const uint8_t *m;
    size_t mn;
    ber_rd_init(&r, p, n);
    if (ber_expect(&r, BER_INTEGER, &v, &vn) != 1 || ber_int(v, vn, &id) < 0 || id < 0 ||
        id > INT32_MAX || ber_next(&r, &tag, &op, &on) != 1)
        return s->identified ? PROBE_MORE : PROBE_NOMATCH;

    if (id == 0 && tag == OP_EXTENDED_RESP) { /* unsolicited: Notice of Disconnection */
        if (parse_result(op, on, &code, &m, &mn) < 0)
            return s->identified ? PROBE_MORE : PROBE_NOMATCH;
        identity(ctx);
        finding_detail_int(f, "disconnect_result", code);
        if (trim(m, mn)) detail_text(f, "disconnect_message", m, mn);
        return finish(ctx, true);
    }
    if (id != s->msgid) return s->identified ? PROBE_MORE : PROBE_NOMATCH;

    switch (s->step) {
    case ST_BIND:
        if (tag != OP_BIND_RESP || parse_result(op, on, &code, &m, &mn) < 0) return PROBE_NOMATCH;
        identity(ctx);
        finding_detail(f, "anonymous_bind", json_boolean(code == 0));
        if (code != 0) {
            s->bind_refused = true;
            diag_names(s, m, mn);
            finding_detail_int(f, "bind_result", code);
            if (trim(m, mn)) detail_text(f, "bind_message", m, mn);
        }
        s->step = ST_ROOTDSE;
        s->msgid = 2;
        if (send_search(ctx, 2, "", rootdse_attrs, ARRAY_LEN(rootdse_attrs)) < 0)
            return finish(ctx, true);
        return PROBE_SEND;
    case ST_ROOTDSE:
        if (tag == OP_SEARCH_ENTRY) {
            if (!s->rootdse_entry) rootdse_entry(ctx, op, on);
            return PROBE_MORE;
        }
        if (tag != OP_SEARCH_DONE) return PROBE_MORE; /* references, intermediates */
        if (parse_result(op, on, &code, &m, &mn) == 0 && (code != 0 || !s->rootdse_entry)) {
            finding_detail_int(f, "rootdse_result", code);
            diag_names(s, m, mn);
            if (trim(m, mn)) detail_text(f, "rootdse_message", m, mn);
        }
        s->rootdse_done = true;
        finding_detail(f, "rootdse_readable", json_boolean(s->rootdse_entry));
        if (s->rootdse_entry) {
            finding_detail(f, "starttls", json_boolean(s->starttls));
            if (f->names.total) f->databases = (int64_t)f->names.total;
        }
        return next_ctx(ctx);
    case ST_CTX:
        if (tag == OP_SEARCH_ENTRY) {
            s->ctx_entry = true;
            return PROBE_MORE;
        }
        if (tag != OP_SEARCH_DONE) return PROBE_MORE;
        if (parse_result(op, on, &code, &m, &mn) < 0) {
            code = -1;
            m = NULL;
            mn = 0;
        }
        ctx_result(ctx, code, m, mn);
        diag_names(s, m, mn);
        s->ctx_i++;
        return next_ctx(ctx);
    default:
        return PROBE_DONE;
    }
}

static int ldap_on_data(struct probe_ctx *ctx, const uint8_t *p, size_t n)
{
    struct ldap_state *s = ctx->state;
    size_t i = 0;
    while (i < n) {
        if (!s->in_body) {
            if (s->hdrlen == 0 && p[i] != BER_SEQUENCE)
                return s->identified ? finish(ctx, false) : PROBE_NOMATCH;
            s->hdr[s->hdrlen++] = p[i++];
            size_t hl, len;
            int rc = ber_frame(s->hdr, s->hdrlen, SIZE_MAX >> 1, &hl, &len);
            if (rc < 0 || (rc == 0 && s->hdrlen >= sizeof s->hdr))
                return s->identified ? finish(ctx, false) : PROBE_NOMATCH;
            if (rc == 0) continue;
            s->in_body = true;
            s->need = len;
            s->kept = 0;
            s->oversized = len > LDAP_MSG_MAX;
            if (s->oversized && !s->identified) return PROBE_NOMATCH;
        }
        size_t take = n - i < s->need ? n - i : s->need;
        if (!s->oversized) memcpy(s->msg + s->kept, p + i, take);
        s->kept += take;
        s->need -= take;
        i += take;
        if (s->need) break;
        /* one whole message */
        s->in_body = false;
        s->hdrlen = 0;
        if (s->oversized) {
            finding_detail(ctx->f, "oversized_message", json_true());
            continue;
        }
        int rc = on_message(ctx, s->msg, s->kept);
        if (rc != PROBE_MORE) return rc; /* a request is only sent after a complete answer */
    }
    return PROBE_MORE;
}

static int ldap_on_end(struct probe_ctx *ctx, enum probe_end why)
{
    struct ldap_state *s = ctx->state;
    (void)why;
    if (!s->identified) return PROBE_NOMATCH;
    return finish(ctx, false);
}

static void ldap_free(void *state)
{
    struct ldap_state *s = state;
    json_decref(s->contexts);
    s->contexts = NULL;
}

/*
 * Foreign bytes: an LDAPMessage SEQUENCE holding a BindResponse (what a
 * server answers any bind), a SearchResultDone, or an ExtendedResponse with
 * messageID 0 (a Notice of Disconnection, some servers' answer to garbage).
 */
static int ldap_sniff(const uint8_t *p, size_t n)
{
    size_t hl, len;
    if (n < 7 || ber_frame(p, n, 1 << 20, &hl, &len) != 1) return 0;
    if (p[0] != BER_SEQUENCE) return 0;
    struct ber_rd r;
    const uint8_t *v;
    size_t vn;
    uint8_t tag;
    int64_t id;
    ber_rd_init(&r, p + hl, n - hl < len ? n - hl : len);
    if (ber_expect(&r, BER_INTEGER, &v, &vn) != 1 || ber_int(v, vn, &id) < 0 || id < 0) return 0;
    if (ber_left(&r) < 2) return 0;
    tag = r.p[r.i];
    if (tag == OP_BIND_RESP) return 95;
    if (tag == OP_EXTENDED_RESP && id == 0) return 90;
    if (tag == OP_SEARCH_DONE) return 80;
    return 0;
}

const struct probe probe_ldap = {
    .name = "ldap",
    .flags = PROBE_TLS_OK,
    .state_size = sizeof(struct ldap_state),
    .start = ldap_start,
    .on_data = ldap_on_data,
    .on_end = ldap_on_end,
    .free_state = ldap_free,
    .sniff = ldap_sniff,
    .silent = 45, /* slapd reads "GET " as a bad tag and closes without a word */
};
