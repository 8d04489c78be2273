/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/pam/spawn.c. */
#include "unit.h"

void test_runas_rules(void)
{
    gid_t none[1] = {100}, with0[3] = {100, 0, 5};
    ok(pj_runas_refused(0, 100, none, 1, 65534) != NULL, "device_user: uid 0 refused");
    ok(pj_runas_refused(1000, 0, none, 1, 65534) != NULL, "device_user: gid 0 refused");
    ok(pj_runas_refused(1000, 100, with0, 3, 65534) != NULL,
       "device_user: supplementary group 0 refused");
    ok(pj_runas_refused(65534, 65534, none, 1, 65534) != NULL,
       "device_user: the overflow uid (nobody) refused");
    ok(pj_runas_refused(70000, 100, none, 1, 70000) != NULL,
       "device_user: the overflow uid as the kernel says it, refused");
    ok(pj_runas_refused(998, 998, none, 1, 65534) == NULL, "device_user: a system user is fine");
}
