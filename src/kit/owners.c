/*
 * kit/owners.c -- who owns an address: `--by owner --owners FILE` (the
 * report) and `ajar serve --owners FILE` (the dashboard, and its viewers'
 * scopes).
 *
 * A cloud provider reviewing its clients, or a national CERT its networks,
 * hands the report a list of `CIDR  owner name` lines; each finding goes to
 * the owner of the longest prefix that contains its address (a customer's
 * /28 inside the provider's /16 belongs to the customer). IPv4 and IPv6 are
 * separate trees, and an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is
 * looked up as the IPv4 address it is.
 *
 * The lookup is a binary trie, one level per address bit: at most 32 or
 * 128 steps per finding whatever the number of owners, so ten thousand
 * client prefixes over a million findings cost nothing noticeable. Nodes
 * live in one growing array (indices, not pointers, so growth is a single
 * realloc).
 */
#include "kit/kit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct owner_node {
    uint32_t child[2]; /* 0: none (node 0 is never a child: roots are 0 and 1) */
    int32_t owner;     /* index into names, -1 none */
};

struct kit_owners {
    struct owner_node *nodes;
    size_t nnodes, capnodes;
    char **names;
    size_t nnames;
};

static int new_node(struct kit_owners *o, uint32_t *idx)
{
    if (o->nnodes == o->capnodes) {
        size_t nc = o->capnodes ? o->capnodes * 2 : 1024;
        struct owner_node *nv = xrealloc(o->nodes, nc * sizeof *nv);
        if (!nv) return -1;
        o->nodes = nv;
        o->capnodes = nc;
    }
    o->nodes[o->nnodes].child[0] = o->nodes[o->nnodes].child[1] = 0;
    o->nodes[o->nnodes].owner = -1;
    *idx = (uint32_t)o->nnodes++;
    return 0;
}

/* root 0 is IPv4, root 1 IPv6 */
static int insert(struct kit_owners *o, int root, const uint8_t *addr, unsigned bits, int32_t owner)
{
    uint32_t cur = (uint32_t)root;
    for (unsigned i = 0; i < bits; i++) {
        int bit = (addr[i / 8] >> (7 - i % 8)) & 1;
        if (!o->nodes[cur].child[bit]) {
            uint32_t n;
            if (new_node(o, &n) < 0) return -1;
            o->nodes[cur].child[bit] = n;
        }
        cur = o->nodes[cur].child[bit];
    }
    /* a later line for the same prefix wins, as in most config files */
    o->nodes[cur].owner = owner;
    return 0;
}

/* Parse "addr[/len]" into family root, bytes and prefix length. */
static int parse_cidr(const char *s, int *root, uint8_t addr[16], unsigned *bits)
{
    char host[64];
    const char *slash = strchr(s, '/');
    size_t hn = slash ? (size_t)(slash - s) : strlen(s);
    if (hn == 0 || hn >= sizeof host) return -1;
    memcpy(host, s, hn);
    host[hn] = 0;
    memset(addr, 0, 16);
    unsigned max;
    if (inet_pton(AF_INET, host, addr) == 1) {
        *root = 0;
        max = 32;
    } else if (inet_pton(AF_INET6, host, addr) == 1) {
        *root = 1;
        max = 128;
    } else {
        return -1;
    }
    uint64_t len = max;
    if (slash && parse_u64(slash + 1, max, &len) < 0) return -1;
    *bits = (unsigned)len;
    return 0;
}

static void trim(char **s, char **end)
{
    while (*s < *end && (**s == ' ' || **s == '\t' || **s == '\r'))
        (*s)++;
    while (*end > *s && ((*end)[-1] == ' ' || (*end)[-1] == '\t' || (*end)[-1] == '\r'))
        (*end)--;
}

int kit_owners_parse(struct kit_owners **out, const char *text, size_t n, struct err *e)
{
    *out = NULL;
    struct kit_owners *o = xcalloc(1, sizeof *o);
    char *copy = xstrndup(text, n);
    if (!o || !copy) goto oom;
    uint32_t r0, r1;
    if (new_node(o, &r0) < 0 || new_node(o, &r1) < 0) goto oom;
    unsigned lineno = 0;
    for (char *line = copy, *next; line && *line; line = next) {
        lineno++;
        char *nl = strchr(line, '\n');
        char *end = nl ? nl : line + strlen(line);
        next = nl ? nl + 1 : NULL;
        trim(&line, &end);
        if (line == end || *line == '#') continue;
        char *sep = line;
        while (sep < end && *sep != ' ' && *sep != '\t')
            sep++;
        char *name = sep;
        trim(&name, &end);
        *sep = 0;
        if (name >= end) {
            err_set(e, "owners line %u: no owner name after '%s'", lineno, line);
            goto fail;
        }
        *end = 0;
        int root;
        uint8_t addr[16];
        unsigned bits;
        if (parse_cidr(line, &root, addr, &bits) < 0) {
            err_set(e, "owners line %u: '%s' is not an address or CIDR", lineno, line);
            goto fail;
        }
        /* one copy per distinct name: many prefixes usually share an owner */
        int32_t idx = -1;
        for (size_t i = o->nnames; i-- > 0 && o->nnames - i <= 8;)
            if (!strcmp(o->names[i], name)) idx = (int32_t)i;
        if (idx < 0) {
            char **nv = xrealloc(o->names, (o->nnames + 1) * sizeof *nv);
            if (!nv) goto oom;
            o->names = nv;
            char sane[256];
            str_sanitize(sane, sizeof sane, name, strlen(name), false);
            if (!(o->names[o->nnames] = xstrdup(sane))) goto oom;
            idx = (int32_t)o->nnames++;
        }
        if (insert(o, root, addr, bits, idx) < 0) goto oom;
    }
    free(copy);
    *out = o;
    return 0;
oom:
    err_set(e, "out of memory reading the owners");
fail:
    free(copy);
    kit_owners_free(o);
    return -1;
}

int kit_owners_load(struct kit_owners **out, const char *path, struct err *e)
{
    *out = NULL;
    FILE *fp = fopen(path, "rb");
    if (!fp) return err_set(e, "cannot open owners file %s: %s", path, strerror(errno));
    struct buf b;
    buf_init(&b, 256u << 20);
    char chunk[65536];
    size_t n;
    int rc = -1;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) {
        if (buf_append(&b, chunk, n) < 0) {
            err_set(e, "owners file %s is too large", path);
            goto out;
        }
    }
    if (ferror(fp)) {
        err_set(e, "cannot read owners file %s", path);
        goto out;
    }
    rc = kit_owners_parse(out, b.data ? (const char *)b.data : "", b.len, e);
    if (rc < 0) {
        char m[sizeof e->msg];
        str_copy(m, e->msg, sizeof m);
        err_set(e, "%s: %s", path, m);
    }
out:
    buf_free(&b);
    fclose(fp);
    return rc;
}

const char *kit_owner_of(const struct kit_owners *o, const char *ip)
{
    if (!o || !ip) return KIT_NO_OWNER;
    uint8_t addr[16];
    int root;
    unsigned bits;
    if (inet_pton(AF_INET, ip, addr) == 1) {
        root = 0;
        bits = 32;
    } else if (inet_pton(AF_INET6, ip, addr) == 1) {
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (!memcmp(addr, mapped, 12)) {
            memmove(addr, addr + 12, 4);
            root = 0;
            bits = 32;
        } else {
            root = 1;
            bits = 128;
        }
    } else {
        return KIT_NO_OWNER;
    }
    uint32_t cur = (uint32_t)root;
    int32_t best = o->nodes[cur].owner;
    for (unsigned i = 0; i < bits; i++) {
        int bit = (addr[i / 8] >> (7 - i % 8)) & 1;
        cur = o->nodes[cur].child[bit];
        if (!cur) break;
        if (o->nodes[cur].owner >= 0) best = o->nodes[cur].owner;
    }
    return best >= 0 ? o->names[best] : KIT_NO_OWNER;
}

size_t kit_owners_count(const struct kit_owners *o)
{
    return o ? o->nnames : 0;
}

void kit_owners_free(struct kit_owners *o)
{
    if (!o) return;
    for (size_t i = 0; i < o->nnames; i++)
        free(o->names[i]);
    free(o->names);
    free(o->nodes);
    free(o);
}
