/* SPDX-License-Identifier: BSD-3-Clause */
/* device_from = NETWORK ...: addresses and CIDR prefixes, IPv4 and IPv6,
 * parsed with inet_pton only (a name is never resolved).  An IPv4 address
 * is kept as the IPv6 address ::ffff:a.b.c.d (its prefix length plus 96),
 * so an IPv4-mapped IPv6 address (::ffff:10.0.0.1, as some servers report
 * an IPv4 client on an IPv6 socket) is the IPv4 address and matches the
 * same networks; ::/0 matches every address, IPv4 included. */
#ifndef PJ_NETMATCH_H
#define PJ_NETMATCH_H

#include <stdbool.h>
#include <stddef.h>

#define PJ_MAX_NETS 256 /* networks in one device_from */

typedef struct pj_net {
    unsigned char addr[16]; /* host bits zero */
    unsigned bits;          /* 0..128 */
} pj_net;

typedef struct pj_netlist {
    pj_net *v;
    size_t n;
} pj_netlist;

/* "ADDR" or "ADDR/LEN" (LEN 0..32 for IPv4, 0..128 for IPv6; host bits
 * must be zero).  0, or -1 with *why. */
int pj_net_parse(const char *s, pj_net *out, const char **why);
/* Networks separated by white space or commas, added to l.  0, or -1 with
 * *why (l keeps what was added: pj_netlist_free). */
int pj_netlist_parse(pj_netlist *l, const char *v, const char **why);
/* Is addr (an IPv4 or IPv6 address in text) in one of the networks?  A
 * name, an empty string or anything inet_pton refuses matches nothing. */
bool pj_netlist_match(const pj_netlist *l, const char *addr);
void pj_netlist_free(pj_netlist *l);

#endif
