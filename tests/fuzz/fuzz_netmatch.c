/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness: device_from (src/core/netmatch.c).
 *   input = a device_from value, then (after the first NUL, if any) an
 *   address as PAM_RHOST would hold it.
 * Properties besides "no sanitizer report":
 *   - a parsed network has 0..128 bits and no host bits set, and contains
 *     its own address (written back with inet_ntop);
 *   - matching agrees with a reference that compares bit by bit;
 *   - an address inet_pton refuses (a name) matches nothing. */
#include "config.h"

#define FUZZ_NAME "fuzz_netmatch"
#include "fuzz.h"

#include "netmatch.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool ref_in(const pj_net *n, const unsigned char a[16])
{
    for (unsigned b = 0; b < n->bits; b++)
        if (((n->addr[b / 8] >> (7 - b % 8)) & 1) != ((a[b / 8] >> (7 - b % 8)) & 1))
            return false;
    return true;
}

static bool ref_addr(const char *s, unsigned char a[16])
{
    unsigned char v4[4];
    if (inet_pton(AF_INET, s, v4) == 1) {
        memset(a, 0, 10);
        a[10] = a[11] = 0xff;
        memcpy(a + 12, v4, 4);
        return true;
    }
    return inet_pton(AF_INET6, s, a) == 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1), *addr;
    pj_netlist l = {0};
    const char *why = NULL;
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    addr = text + strlen(text);
    addr = addr < text + size ? addr + 1 : addr;
    if (pj_netlist_parse(&l, text, &why) == 0) {
        CHECK(l.n >= 1 && l.n <= PJ_MAX_NETS);
        for (size_t i = 0; i < l.n; i++) {
            const pj_net *n = &l.v[i];
            char back[INET6_ADDRSTRLEN];
            CHECK(n->bits <= 128);
            for (unsigned b = n->bits; b < 128; b++)
                CHECK(((n->addr[b / 8] >> (7 - b % 8)) & 1) == 0);
            CHECK(inet_ntop(AF_INET6, n->addr, back, sizeof(back)) != NULL);
            CHECK(pj_netlist_match(&l, back));
        }
        unsigned char a[16];
        bool parsed = strlen(addr) <= 64 && ref_addr(addr, a), want = false;
        for (size_t i = 0; parsed && i < l.n; i++)
            want = want || ref_in(&l.v[i], a);
        CHECK(pj_netlist_match(&l, addr) == want);
    } else {
        CHECK(why != NULL);
    }
    pj_netlist_free(&l);
    free(text);
    return 0;
}
