/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/core/netmatch.c. */
#include "unit.h"

void test_netmatch(void)
{
    struct { const char *net; bool good; } nets[] = {
        {"10.0.0.0/8", true}, {"0.0.0.0/0", true}, {"192.0.2.7/32", true}, {"192.0.2.7", true},
        {"::/0", true}, {"2001:db8::/32", true}, {"2001:db8::1/128", true}, {"::1", true},
        {"10.0.0.1/8", false}, {"10.0.0.0/33", false}, {"2001:db8::/129", false},
        {"10.0.0.0/", false}, {"10.0.0.0/-1", false}, {"10.0.0.0/ 8", false},
        {"host.example", false}, {"10.0.0", false}, {"fe80::1%eth0", false}, {"", false},
        {"::ffff:10.0.0.0/104", true},
    };
    for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
        pj_net n;
        const char *why = NULL;
        ok((pj_net_parse(nets[i].net, &n, &why) == 0) == nets[i].good, "device_from '%s': %s",
           nets[i].net, nets[i].good ? "accepted" : "refused");
    }
    struct { const char *list, *addr; bool in; } m[] = {
        {"10.0.0.0/8", "10.1.2.3", true}, {"10.0.0.0/8", "11.0.0.1", false},
        {"0.0.0.0/0", "203.0.113.9", true}, {"0.0.0.0/0", "2001:db8::1", false},
        {"::/0", "2001:db8::1", true}, {"::/0", "203.0.113.9", true},
        {"192.0.2.7/32", "192.0.2.7", true}, {"192.0.2.7/32", "192.0.2.6", false},
        {"2001:db8::1/128", "2001:db8::1", true}, {"2001:db8::1/128", "2001:db8::2", false},
        {"10.0.0.0/8", "::ffff:10.9.9.9", true}, {"::ffff:10.0.0.0/104", "10.9.9.9", true},
        {"192.0.2.0/25", "192.0.2.127", true}, {"192.0.2.0/25", "192.0.2.128", false},
        {"10.0.0.0/8", "localhost", false}, {"10.0.0.0/8", "", false},
        {"10.0.0.0/8", "10.1.2.3 ", false}, {"10.0.0.0/8 2001:db8::/32", "2001:db8:1::5", true},
        {"10.0.0.0/8,2001:db8::/32", "10.0.0.1", true},
    };
    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
        pj_netlist l = {0};
        const char *why = NULL;
        int rc = pj_netlist_parse(&l, m[i].list, &why);
        ok(rc == 0 && pj_netlist_match(&l, m[i].addr) == m[i].in, "device_from %s: %s %s",
           m[i].list, m[i].addr, m[i].in ? "matches" : "does not match");
        pj_netlist_free(&l);
    }
    int rc;
    pj_config *c = parse("device_from = 10.0.0.0/8 2001:db8::/32\ndevice_max_pending = 3\n", &rc);
    ok(rc == 0 && c->device_from.n == 2 && c->device_max_pending == 3,
       "device config: device_from and device_max_pending parsed (%s)", lastlog);
    pj_config_free(c);
    c = parse("issuer = x\n", &rc);
    ok(rc == 0 && c->device_from.n == 0 && c->device_max_pending == 8,
       "device config: device_from unset, device_max_pending 8 by default");
    pj_config_free(c);
    c = parse("device_from = ssh.example.com\n", &rc);
    ok(rc != 0 && strstr(lastlog, "device_from: expected an IPv4 or IPv6 address") != NULL,
       "device config: a name in device_from is an error (%s)", lastlog);
    pj_config_free(c);
    c = parse("device_max_pending = 1025\n", &rc);
    ok(rc != 0 && strstr(lastlog, "device_max_pending: expected a number from 1 to 1024") != NULL,
       "device config: device_max_pending past 1024 is an error (%s)", lastlog);
    pj_config_free(c);
}
