/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of src/pam/slot.c. */
#include "unit.h"

void test_slots(void)
{
    char *d = tl_tmpdir(), slots[600], link[700];
    snprintf(slots, sizeof(slots), "%s/slots", d);
    int a = pj_slot_take(slots, 2, &LOG), b = pj_slot_take(slots, 2, &LOG);
    lastlog[0] = '\0';
    int c = pj_slot_take(slots, 2, &LOG);
    ok(a >= 0 && b >= 0 && c < 0 && strstr(lastlog, "device_max_pending (2)") != NULL,
       "slots: two of two taken, a third refused (%s)", lastlog);
    close(a);
    c = pj_slot_take(slots, 2, &LOG);
    ok(c >= 0, "slots: a closed slot is free again");
    close(b);
    close(c);
    /* a holder that dies frees its slot (the kernel drops the lock) */
    pid_t kid = fork();
    if (kid == 0) {
        (void)pj_slot_take(slots, 1, &LOG);
        _exit(0);
    }
    waitpid(kid, NULL, 0);
    a = pj_slot_take(slots, 1, &LOG);
    ok(a >= 0, "slots: a dead holder's slot is free");
    close(a);
    snprintf(link, sizeof(link), "%s/slot-0", slots);
    remove(link);
    ok(symlink("/etc/passwd", link) == 0 && pj_slot_take(slots, 1, &LOG) < 0,
       "slots: a symbolic link as a slot file is refused (%s)", lastlog);
    remove(link);
    chmod(slots, 0777);
    ok(pj_slot_take(slots, 1, &LOG) < 0 && strstr(lastlog, "writable by group or others"),
       "slots: a directory others can write is refused (%s)", lastlog);
    chmod(slots, 0700);
    tl_rmtree(d);
    free(d);
}
