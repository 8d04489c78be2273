/* SPDX-License-Identifier: BSD-3-Clause */
#include "config.h"

#include "netmatch.h"

#include "util.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NET_TEXT 64 /* longest "ADDR/LEN" */

/* text to 16 bytes: IPv4 as ::ffff:a.b.c.d.  *v4 says which it was. */
static bool to_addr(const char *s, unsigned char out[16], bool *v4)
{
    unsigned char a4[4];
    if (inet_pton(AF_INET, s, a4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, a4, 4);
        *v4 = true;
        return true;
    }
    *v4 = false;
    return inet_pton(AF_INET6, s, out) == 1;
}

static bool in_net(const pj_net *n, const unsigned char a[16])
{
    unsigned full = n->bits / 8, rest = n->bits % 8;
    if (memcmp(n->addr, a, full) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[full] & mask) == n->addr[full];
}

int pj_net_parse(const char *s, pj_net *out, const char **why)
{
    char text[MAX_NET_TEXT + 1];
    const char *slash;
    size_t n = strlen(s);
    bool v4;

    *why = "expected an IPv4 or IPv6 address or prefix (ADDR/LEN)";
    if (n == 0 || n > MAX_NET_TEXT)
        return -1;
    memcpy(text, s, n + 1);
    slash = strchr(text, '/');
    if (slash != NULL)
        text[slash - text] = '\0';
    if (!to_addr(text, out->addr, &v4))
        return -1;
    unsigned max = v4 ? 32 : 128;
    uintmax_t len = max;
    if (slash != NULL && pj_parse_uint(slash + 1, 0, max, &len) != 0) {
        *why = v4 ? "an IPv4 prefix length is 0 to 32" : "an IPv6 prefix length is 0 to 128";
        return -1;
    }
    out->bits = (unsigned)len + (v4 ? 96 : 0);
    /* host bits set (10.0.0.1/8): refused, likely a typo */
    unsigned full = out->bits / 8, rest = out->bits % 8;
    for (unsigned i = full; i < 16; i++) {
        unsigned char keep = i == full && rest ? (unsigned char)(0xff << (8 - rest)) : 0;
        if (out->addr[i] & (unsigned char)~keep) {
            *why = "the address has bits set past the prefix length";
            return -1;
        }
    }
    return 0;
}

int pj_netlist_parse(pj_netlist *l, const char *v, const char **why)
{
    const char *p = v;
    for (;;) {
        p += strspn(p, " \t,");
        if (*p == '\0')
            break;
        size_t n = strcspn(p, " \t,");
        char w[MAX_NET_TEXT + 1];
        pj_net net;
        if (n > MAX_NET_TEXT) {
            *why = "expected an IPv4 or IPv6 address or prefix (ADDR/LEN)";
            return -1;
        }
        memcpy(w, p, n);
        w[n] = '\0';
        if (pj_net_parse(w, &net, why) != 0)
            return -1;
        if (l->n >= PJ_MAX_NETS) {
            *why = "too many networks";
            return -1;
        }
        pj_net *nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
        if (nv == NULL) {
            *why = "out of memory";
            return -1;
        }
        l->v = nv;
        l->v[l->n++] = net;
        p += n;
    }
    if (l->n == 0) {
        *why = "expected at least one address or prefix";
        return -1;
    }
    return 0;
}

bool pj_netlist_match(const pj_netlist *l, const char *addr)
{
    unsigned char a[16];
    bool v4;
    if (l == NULL || addr == NULL || strlen(addr) > MAX_NET_TEXT || !to_addr(addr, a, &v4))
        return false;
    for (size_t i = 0; i < l->n; i++)
        if (in_net(&l->v[i], a))
            return true;
    return false;
}

void pj_netlist_free(pj_netlist *l)
{
    free(l->v);
    l->v = NULL;
    l->n = 0;
}
